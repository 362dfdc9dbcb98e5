// The JSON body of a LIST response assembled from its items' encoded JSON, which is referenced,
// not copied, until the body is written out in batches.
#ifndef RUDDER_LIB_APISERVER_REST_INTERNAL_LIST_BODY_H_
#define RUDDER_LIB_APISERVER_REST_INTERNAL_LIST_BODY_H_

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace rudder::apiserver::rest_internal {

// `{"kind":KIND,"apiVersion":...}` opening of an object as the JSON codec writes it when given
// the type meta: `{"kind":"<kind>","apiVersion":"<api_version>"`.
std::string TypeMetaPrefix(std::string_view api_version, std::string_view kind);

// The part of `typed_json` (an object encoded with `prefix` = TypeMetaPrefix(...) first) after
// its type meta, so that "{" + result is the object without apiVersion and kind. Empty when
// `typed_json` does not start with the prefix.
std::string_view AfterTypeMeta(std::string_view typed_json, std::string_view prefix);

// `head` `item`,`item`,... `tail`. Items are views into encodings the caller keeps alive for the
// body's life, or strings the body owns. Not thread-safe (one writer).
class JsonListBody {
 public:
  JsonListBody(std::string head, std::string tail);
  JsonListBody(const JsonListBody&) = delete;
  JsonListBody& operator=(const JsonListBody&) = delete;

  // An item written as `json` (borrowed), or as "{" + json when `open_brace`.
  void AddView(std::string_view json, bool open_brace = false);
  // An item the body owns.
  void AddOwned(std::string json);
  size_t item_count() const { return items_.size(); }
  // Total bytes of the body.
  size_t size() const { return size_; }

  // Appends the next bytes to `out`: whole pieces until `out` holds at least `batch` bytes or
  // the body is written. Returns false (appending nothing) once everything was written.
  bool Next(size_t batch, std::string* out);
  // Each item's JSON as added (without the "{" of AddView's open_brace).
  std::vector<std::string_view> ItemViews() const;
  // The whole body (resets nothing; independent of Next).
  std::string ToString() const;

 private:
  struct Item {
    std::string_view json;
    bool open_brace = false;
  };
  void AppendItem(size_t i, std::string* out) const;

  std::string head_;
  std::string tail_;
  std::vector<Item> items_;
  std::deque<std::string> owned_;  // stable addresses for views
  size_t size_ = 0;
  // Next's position: 0 = head not written; then 1 + items written; past items: tail written.
  size_t next_ = 0;
};

}  // namespace rudder::apiserver::rest_internal

#endif  // RUDDER_LIB_APISERVER_REST_INTERNAL_LIST_BODY_H_
