#include "lib/api/patch/internal/json_util.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::api::patch_internal {
namespace {

absl::string_view NameOf(const Value& name) {
  return absl::string_view(name.GetString(), name.GetStringLength());
}

// Keeps the last of every duplicated key of `obj`.
void DedupeKeys(Value& obj) {
  const size_t n = obj.MemberCount();
  if (n < 2) return;
  bool dup = false;
  if (n <= 16) {
    for (auto a = obj.MemberBegin(); a != obj.MemberEnd() && !dup; ++a) {
      for (auto b = a + 1; b != obj.MemberEnd(); ++b) {
        if (a->name == b->name) {
          dup = true;
          break;
        }
      }
    }
  } else {
    absl::flat_hash_set<absl::string_view> seen;
    seen.reserve(n);
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      if (!seen.insert(NameOf(m->name)).second) {
        dup = true;
        break;
      }
    }
  }
  if (!dup) return;
  // Walk backwards: the first occurrence seen is the last in the text, and wins.
  absl::flat_hash_set<std::string> seen;
  for (size_t i = obj.MemberCount(); i-- > 0;) {
    auto m = obj.MemberBegin() + i;
    if (!seen.insert(std::string(NameOf(m->name))).second) obj.EraseMember(m);
  }
}

// Walks `v` without recursion; `visit` sees each object once. Returns the maximum depth.
template <typename V, typename F>
Shape Walk(V& root, F&& visit_object) {
  Shape shape;
  std::vector<std::pair<V*, size_t>> stack;
  stack.emplace_back(&root, 0);
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    ++shape.nodes;
    if (v->IsObject()) {
      visit_object(*v);
      shape.depth = std::max(shape.depth, depth + 1);
      for (auto m = v->MemberBegin(); m != v->MemberEnd(); ++m) {
        stack.emplace_back(&m->value, depth + 1);
      }
    } else if (v->IsArray()) {
      shape.depth = std::max(shape.depth, depth + 1);
      for (auto e = v->Begin(); e != v->End(); ++e) stack.emplace_back(&*e, depth + 1);
    }
  }
  return shape;
}

}  // namespace

absl::Status ParseJson(absl::string_view text, size_t max_bytes, int max_depth,
                       absl::string_view what, Document& doc) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is too large: ", text.size(), " bytes, the limit is ", max_bytes));
  }
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag>(text.data(),
                                                                                 text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not valid JSON: ", rapidjson::GetParseError_En(doc.GetParseError()),
                     " at offset ", doc.GetErrorOffset()));
  }
  Shape shape = Walk(static_cast<Value&>(doc), [](Value& obj) { DedupeKeys(obj); });
  if (shape.depth > static_cast<size_t>(max_depth)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " nests ", shape.depth, " levels deep, the limit is ", max_depth));
  }
  return absl::OkStatus();
}

Shape MeasureShape(const Value& v) {
  return Walk(v, [](const Value&) {});
}

absl::Status CheckDepth(const Value& v, int max_depth, absl::string_view what) {
  Shape shape = MeasureShape(v);
  if (shape.depth > static_cast<size_t>(max_depth)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " nests ", shape.depth, " levels deep, the limit is ", max_depth));
  }
  return absl::OkStatus();
}

std::string WriteJson(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Abbrev(const Value& v) {
  std::string s = WriteJson(v);
  constexpr size_t kMax = 120;
  if (s.size() > kMax) {
    s.resize(kMax);
    s += "...";
  }
  return s;
}

Kind KindOf(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return Kind::kNull;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return Kind::kBool;
    case rapidjson::kNumberType:
      return Kind::kNumber;
    case rapidjson::kStringType:
      return Kind::kString;
    case rapidjson::kArrayType:
      return Kind::kArray;
    case rapidjson::kObjectType:
      return Kind::kObject;
  }
  return Kind::kNull;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "list";
    case Kind::kObject:
      return "map";
  }
  return "?";
}

namespace {
std::string NumberText(const Value& v) {
  if (v.IsInt64()) return absl::StrCat(v.GetInt64());
  if (v.IsUint64()) return absl::StrCat(v.GetUint64());
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v.GetDouble());
  return buf;
}
}  // namespace

std::string KeyString(const Value& v) {
  switch (KindOf(v)) {
    case Kind::kNull:
      return "n";
    case Kind::kBool:
      return v.IsTrue() ? "t" : "f";
    case Kind::kNumber: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "d%.17g", v.GetDouble());
      return buf;
    }
    case Kind::kString:
      return absl::StrCat("s", absl::string_view(v.GetString(), v.GetStringLength()));
    default:
      return absl::StrCat("j", WriteJson(v));
  }
}

std::string GoString(const Value& v) {
  switch (KindOf(v)) {
    case Kind::kNull:
      return "<nil>";
    case Kind::kBool:
      return v.IsTrue() ? "true" : "false";
    case Kind::kNumber:
      return NumberText(v);
    case Kind::kString:
      return std::string(v.GetString(), v.GetStringLength());
    default:
      return WriteJson(v);
  }
}

void SortKeys(Value& v) {
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) SortKeys(m->value);
    std::sort(v.MemberBegin(), v.MemberEnd(),
              [](const auto& a, const auto& b) { return NameOf(a.name) < NameOf(b.name); });
  } else if (v.IsArray()) {
    for (auto e = v.Begin(); e != v.End(); ++e) SortKeys(*e);
  }
}

bool JsonEqual(const Value& a, const Value& b) {
  Kind ka = KindOf(a);
  if (ka != KindOf(b)) return false;
  switch (ka) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.IsTrue() == b.IsTrue();
    case Kind::kNumber:
      if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
      return a.GetDouble() == b.GetDouble();
    case Kind::kString:
      return a == b;
    case Kind::kArray: {
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
        if (!JsonEqual(a[i], b[i])) return false;
      }
      return true;
    }
    case Kind::kObject: {
      if (a.MemberCount() != b.MemberCount()) return false;
      for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
        const Value* other = Find(b, NameOf(m->name));
        if (other == nullptr || !JsonEqual(m->value, *other)) return false;
      }
      return true;
    }
  }
  return false;
}

const Value* Find(const Value& obj, absl::string_view name) {
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    if (NameOf(m->name) == name) return &m->value;
  }
  return nullptr;
}

Value* Find(Value& obj, absl::string_view name) {
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    if (NameOf(m->name) == name) return &m->value;
  }
  return nullptr;
}

void SetMember(Value& obj, absl::string_view name, Value&& value, Allocator& alloc) {
  if (Value* existing = Find(obj, name)) {
    *existing = value;  // moves
    return;
  }
  Value key(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc);
  obj.AddMember(key, value, alloc);
}

bool EraseMember(Value& obj, absl::string_view name) {
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    if (NameOf(m->name) == name) {
      obj.EraseMember(m);
      return true;
    }
  }
  return false;
}

}  // namespace rudder::api::patch_internal
