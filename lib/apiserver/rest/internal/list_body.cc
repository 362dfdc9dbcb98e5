#include "lib/apiserver/rest/internal/list_body.h"

#include <utility>

namespace rudder::apiserver::rest_internal {

std::string TypeMetaPrefix(std::string_view api_version, std::string_view kind) {
  std::string out = R"({"kind":")";
  out.append(kind);
  out.append(R"(","apiVersion":")");
  out.append(api_version);
  out.push_back('"');
  return out;
}

std::string_view AfterTypeMeta(std::string_view typed_json, std::string_view prefix) {
  if (typed_json.size() <= prefix.size() || typed_json.substr(0, prefix.size()) != prefix) {
    return {};
  }
  std::string_view rest = typed_json.substr(prefix.size());
  if (rest[0] == ',') return rest.substr(1);  // more fields follow
  if (rest[0] == '}') return rest;            // nothing but type meta
  return {};
}

JsonListBody::JsonListBody(std::string head, std::string tail)
    : head_(std::move(head)), tail_(std::move(tail)) {
  size_ = head_.size() + tail_.size();
}

void JsonListBody::AddView(std::string_view json, bool open_brace) {
  size_ += json.size() + (open_brace ? 1 : 0) + (items_.empty() ? 0 : 1);
  items_.push_back(Item{json, open_brace});
}

void JsonListBody::AddOwned(std::string json) {
  owned_.push_back(std::move(json));
  AddView(owned_.back());
}

void JsonListBody::AppendItem(size_t i, std::string* out) const {
  if (i > 0) out->push_back(',');
  if (items_[i].open_brace) out->push_back('{');
  out->append(items_[i].json);
}

bool JsonListBody::Next(size_t batch, std::string* out) {
  const size_t n = items_.size();
  if (next_ > n + 1) return false;
  const size_t start = out->size();
  if (next_ == 0) {
    out->append(head_);
    next_ = 1;
  }
  while (next_ <= n && out->size() - start < batch) {
    AppendItem(next_ - 1, out);
    ++next_;
  }
  if (next_ == n + 1 && out->size() - start < batch) {
    out->append(tail_);
    next_ = n + 2;
  }
  return true;
}

std::vector<std::string_view> JsonListBody::ItemViews() const {
  std::vector<std::string_view> out;
  out.reserve(items_.size());
  for (const Item& i : items_) out.push_back(i.json);
  return out;
}

std::string JsonListBody::ToString() const {
  std::string out;
  out.reserve(size_);
  out.append(head_);
  for (size_t i = 0; i < items_.size(); ++i) AppendItem(i, &out);
  out.append(tail_);
  return out;
}

}  // namespace rudder::apiserver::rest_internal
