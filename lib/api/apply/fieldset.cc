#include "lib/api/apply/fieldset.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::api::apply {
namespace {

int Rank(const std::string& pe) {
  if (pe.empty()) return 4;
  switch (pe[0]) {
    case 'f':
      return 0;
    case 'k':
      return 1;
    case 'v':
      return 2;
    case 'i':
      return 3;
  }
  return 4;
}

std::string CompactJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void WriteSet(const FieldSet& s, rapidjson::Writer<rapidjson::StringBuffer>& w, bool self) {
  w.StartObject();
  if (self && s.member() && !s.children().empty()) {
    w.Key(".");
    w.StartObject();
    w.EndObject();
  }
  for (const auto& [pe, child] : s.children()) {
    w.Key(pe.data(), static_cast<rapidjson::SizeType>(pe.size()));
    WriteSet(child, w, true);
  }
  w.EndObject();
}

absl::Status ReadSet(const rapidjson::Value& v, FieldSet* out, int depth) {
  if (depth > 256) return absl::InvalidArgumentError("fieldsV1 nests too deeply");
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string pe(it->name.GetString(), it->name.GetStringLength());
    if (!it->value.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat("fieldsV1: the value of \"", pe, "\" is not an object"));
    }
    if (pe == ".") {
      out->set_member(true);
      continue;
    }
    if (pe.size() < 2 || pe[1] != ':' || Rank(pe) > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("fieldsV1: unknown path element \"", pe, "\""));
    }
    if (pe[0] == 'k' || pe[0] == 'v') {
      rapidjson::Document d;
      d.Parse(pe.data() + 2, pe.size() - 2);
      if (d.HasParseError() || (pe[0] == 'k' && !d.IsObject())) {
        return absl::InvalidArgumentError(
            absl::StrCat("fieldsV1: malformed path element \"", pe, "\""));
      }
    }
    FieldSet& child = out->Child(pe);
    // An empty object marks a leaf member; a non-empty one has children (and "." when the
    // node itself is a member).
    if (it->value.MemberCount() == 0) {
      child.set_member(true);
    } else {
      absl::Status s = ReadSet(it->value, &child, depth + 1);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

void CollectPaths(const FieldSet& s, const std::string& prefix, std::vector<std::string>* out) {
  for (const auto& [pe, child] : s.children()) {
    std::string p = prefix + PathElementString(pe);
    if (child.member()) out->push_back(p);
    CollectPaths(child, p, out);
  }
}

}  // namespace

bool PathElementLess::operator()(const std::string& a, const std::string& b) const {
  int ra = Rank(a), rb = Rank(b);
  if (ra != rb) return ra < rb;
  return a < b;
}

std::string PathElementString(const std::string& pe) {
  if (pe.size() < 2) return pe;
  const std::string body = pe.substr(2);
  switch (pe[0]) {
    case 'f':
      return absl::StrCat(".", body);
    case 'i':
      return absl::StrCat("[", body, "]");
    case 'v':
      return absl::StrCat("[=", body, "]");
    case 'k': {
      rapidjson::Document d;
      d.Parse(body.data(), body.size());
      if (d.HasParseError() || !d.IsObject()) return absl::StrCat("[", body, "]");
      std::string out = "[";
      bool first = true;
      for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
        if (!first) out += ",";
        first = false;
        absl::StrAppend(&out, std::string(it->name.GetString(), it->name.GetStringLength()), "=",
                        CompactJson(it->value));
      }
      return out + "]";
    }
  }
  return pe;
}

const FieldSet* FieldSet::Find(const std::string& pe) const {
  auto it = children_.find(pe);
  return it == children_.end() ? nullptr : &it->second;
}

FieldSet* FieldSet::Find(const std::string& pe) {
  auto it = children_.find(pe);
  return it == children_.end() ? nullptr : &it->second;
}

void FieldSet::Insert(const std::vector<std::string>& path) {
  FieldSet* n = this;
  for (const std::string& pe : path) n = &n->Child(pe);
  if (n != this) n->member_ = true;
}

bool FieldSet::Has(const std::vector<std::string>& path) const {
  const FieldSet* n = this;
  for (const std::string& pe : path) {
    n = n->Find(pe);
    if (n == nullptr) return false;
  }
  return n != this && n->member_;
}

bool FieldSet::Empty() const {
  if (member_) return false;
  for (const auto& [pe, c] : children_) {
    if (!c.Empty()) return false;
  }
  return true;
}

void FieldSet::Compact() {
  for (auto it = children_.begin(); it != children_.end();) {
    it->second.Compact();
    if (!it->second.member_ && it->second.children_.empty()) {
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

void FieldSet::Union(const FieldSet& other) {
  member_ = member_ || other.member_;
  for (const auto& [pe, c] : other.children_) children_[pe].Union(c);
}

void FieldSet::Difference(const FieldSet& other) {
  if (other.member_) member_ = false;
  for (auto it = children_.begin(); it != children_.end();) {
    const FieldSet* o = other.Find(it->first);
    if (o != nullptr) it->second.Difference(*o);
    if (!it->second.member_ && it->second.children_.empty()) {
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

void FieldSet::RecursiveDifference(const FieldSet& other) {
  for (auto it = children_.begin(); it != children_.end();) {
    const FieldSet* o = other.Find(it->first);
    if (o != nullptr) {
      if (o->member_) {
        it = children_.erase(it);
        continue;
      }
      it->second.RecursiveDifference(*o);
    }
    if (!it->second.member_ && it->second.children_.empty()) {
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

void FieldSet::Intersect(const FieldSet& other) {
  member_ = member_ && other.member_;
  for (auto it = children_.begin(); it != children_.end();) {
    const FieldSet* o = other.Find(it->first);
    if (o == nullptr) {
      it = children_.erase(it);
      continue;
    }
    it->second.Intersect(*o);
    if (!it->second.member_ && it->second.children_.empty()) {
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  for (const auto& [pe, c] : children_) {
    const FieldSet* o = other.Find(pe);
    if (o == nullptr) continue;
    FieldSet i = c.Intersection(*o);
    i.member_ = c.member_ && o->member_;
    if (i.member_ || !i.children_.empty()) out.children_.emplace(pe, std::move(i));
  }
  return out;
}

std::vector<std::string> FieldSet::PathStrings() const {
  std::vector<std::string> out;
  CollectPaths(*this, "", &out);
  std::sort(out.begin(), out.end());
  return out;
}

std::string FieldSet::ToJson() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteSet(*this, w, false);
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<FieldSet> FieldSet::FromJson(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fieldsV1: ", rapidjson::GetParseError_En(d.GetParseError())));
  }
  if (!d.IsObject()) return absl::InvalidArgumentError("fieldsV1 is not an object");
  FieldSet out;
  absl::Status s = ReadSet(d, &out, 0);
  if (!s.ok()) return s;
  out.member_ = false;
  return out;
}

}  // namespace rudder::api::apply
