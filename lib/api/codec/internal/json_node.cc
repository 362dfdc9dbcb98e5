#include "lib/api/codec/internal/json_node.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/api/codec/internal/json_text.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace rudder::api::codec_internal {
namespace {

using rapidjson::SizeType;

bool KeyLess(const JsonNode::Member& m, absl::string_view key) { return m.first < key; }

class Builder {
 public:
  explicit Builder(int max_depth) : max_depth_(max_depth) {}

  bool Null() { return Add(JsonNode()); }
  bool Bool(bool b) {
    JsonNode n;
    n.kind = JsonNode::Kind::kBool;
    n.boolean = b;
    return Add(std::move(n));
  }
  bool RawNumber(const char* s, SizeType len, bool) {
    JsonNode n;
    n.kind = JsonNode::Kind::kNumber;
    n.scalar.assign(s, len);
    return Add(std::move(n));
  }
  bool String(const char* s, SizeType len, bool) {
    return Add(JsonNode::String(std::string(s, len)));
  }
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool Key(const char* s, SizeType len, bool) {
    keys_.back().assign(s, len);
    return true;
  }
  bool StartObject() { return Start(JsonNode::Kind::kObject); }
  bool StartArray() { return Start(JsonNode::Kind::kArray); }
  bool EndObject(SizeType) {
    JsonNode& n = stack_.back();
    // Sort by key; of equal keys keep the last given.
    std::stable_sort(
        n.members.begin(), n.members.end(),
        [](const JsonNode::Member& a, const JsonNode::Member& b) { return a.first < b.first; });
    std::vector<JsonNode::Member> unique;
    unique.reserve(n.members.size());
    for (size_t i = 0; i < n.members.size(); ++i) {
      if (i + 1 < n.members.size() && n.members[i].first == n.members[i + 1].first) continue;
      unique.push_back(std::move(n.members[i]));
    }
    n.members = std::move(unique);
    return End();
  }
  bool EndArray(SizeType) { return End(); }

  absl::Status status;
  JsonNode root;

 private:
  bool Start(JsonNode::Kind kind) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      status = absl::InvalidArgumentError(
          absl::StrCat("exceeds the maximum nesting depth of ", max_depth_));
      return false;
    }
    JsonNode n;
    n.kind = kind;
    stack_.push_back(std::move(n));
    keys_.emplace_back();
    return true;
  }
  bool End() {
    JsonNode n = std::move(stack_.back());
    stack_.pop_back();
    keys_.pop_back();
    return Add(std::move(n));
  }
  bool Add(JsonNode n) {
    if (stack_.empty()) {
      root = std::move(n);
      return true;
    }
    JsonNode& parent = stack_.back();
    if (parent.kind == JsonNode::Kind::kArray) {
      parent.items.push_back(std::move(n));
    } else {
      parent.members.emplace_back(std::move(keys_.back()), std::move(n));
    }
    return true;
  }

  int max_depth_;
  std::vector<JsonNode> stack_;
  std::vector<std::string> keys_;
};

}  // namespace

const JsonNode* JsonNode::Find(absl::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  auto it = std::lower_bound(members.begin(), members.end(), key, KeyLess);
  return it != members.end() && it->first == key ? &it->second : nullptr;
}

JsonNode* JsonNode::Find(absl::string_view key) {
  return const_cast<JsonNode*>(static_cast<const JsonNode*>(this)->Find(key));
}

JsonNode& JsonNode::Set(absl::string_view key, JsonNode value) {
  if (kind != Kind::kObject) *this = Object();
  auto it = std::lower_bound(members.begin(), members.end(), key, KeyLess);
  if (it != members.end() && it->first == key) {
    it->second = std::move(value);
    return it->second;
  }
  return members.emplace(it, std::string(key), std::move(value))->second;
}

bool JsonNode::Erase(absl::string_view key) {
  if (kind != Kind::kObject) return false;
  auto it = std::lower_bound(members.begin(), members.end(), key, KeyLess);
  if (it == members.end() || it->first != key) return false;
  members.erase(it);
  return true;
}

absl::StatusOr<JsonNode> ParseJsonNode(absl::string_view json, int max_depth) {
  absl::Status bytes = CheckJsonBytes(json);
  if (!bytes.ok()) return bytes;
  std::string buf(json);
  rapidjson::StringStream stream(buf.c_str());
  Builder b(max_depth);
  rapidjson::Reader reader;
  rapidjson::ParseResult r =
      reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(stream,
                                                                                           b);
  if (!b.status.ok()) return b.status;
  if (r.IsError()) {
    return absl::InvalidArgumentError(DescribeJsonParseError(json, r.Code(), r.Offset()));
  }
  return std::move(b.root);
}

void AppendJsonNode(const JsonNode& n, std::string* out) {
  switch (n.kind) {
    case JsonNode::Kind::kNull:
      out->append("null");
      break;
    case JsonNode::Kind::kBool:
      out->append(n.boolean ? "true" : "false");
      break;
    case JsonNode::Kind::kNumber:
      out->append(n.scalar);
      break;
    case JsonNode::Kind::kString:
      AppendJsonString(n.scalar, out);
      break;
    case JsonNode::Kind::kObject:
      out->push_back('{');
      for (size_t i = 0; i < n.members.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(n.members[i].first, out);
        out->push_back(':');
        AppendJsonNode(n.members[i].second, out);
      }
      out->push_back('}');
      break;
    case JsonNode::Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonNode(n.items[i], out);
      }
      out->push_back(']');
      break;
  }
}

}  // namespace rudder::api::codec_internal
