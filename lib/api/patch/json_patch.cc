#include "lib/api/patch/json_patch.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/api/patch/internal/json_util.h"
#include "lib/base/status_macros.h"

namespace rudder::api::patch {
namespace {

using patch_internal::Allocator;
using patch_internal::Document;
using patch_internal::Value;

// An array index token: "0" or digits without a leading zero, within RapidJSON's SizeType.
std::optional<rapidjson::SizeType> ParseIndex(absl::string_view t) {
  if (t.empty() || t.size() > 10) return std::nullopt;
  if (t.size() > 1 && t[0] == '0') return std::nullopt;
  uint64_t n = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n >= UINT32_MAX) return std::nullopt;
  return static_cast<rapidjson::SizeType>(n);
}

class Applier {
 public:
  Applier(Document& doc, const PatchLimits& limits)
      : doc_(doc), alloc_(doc.GetAllocator()), limits_(limits) {}

  absl::Status Apply(const Value& patch) {
    if (!patch.IsArray()) {
      return absl::InvalidArgumentError("json patch must be a JSON array of operations");
    }
    if (patch.Size() > static_cast<rapidjson::SizeType>(limits_.max_operations)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "json patch has ", patch.Size(), " operations, the limit is ", limits_.max_operations));
    }
    for (rapidjson::SizeType i = 0; i < patch.Size(); ++i) {
      index_ = i;
      op_name_ = "?";
      path_text_.clear();
      RUDDER_RETURN_IF_ERROR(ApplyOne(patch[i]));
    }
    return absl::OkStatus();
  }

 private:
  std::string Prefix() const {
    return absl::StrCat("operation ", index_, " (", op_name_, " \"", path_text_, "\"): ");
  }
  absl::Status Invalid(absl::string_view msg) const {
    return absl::InvalidArgumentError(absl::StrCat(Prefix(), msg));
  }

  absl::StatusOr<std::string> StringMember(const Value& op, const char* name) const {
    const Value* v = patch_internal::Find(op, name);
    if (v == nullptr) return Invalid(absl::StrCat("missing \"", name, "\""));
    if (!v->IsString()) return Invalid(absl::StrCat("\"", name, "\" must be a string"));
    return std::string(v->GetString(), v->GetStringLength());
  }

  // The value of `op`'s "value", copied into the document, within the limits for a value
  // placed `depth` levels down.
  absl::StatusOr<Value> ValueMember(const Value& op, size_t depth) {
    const Value* v = patch_internal::Find(op, "value");
    if (v == nullptr) return Invalid("missing \"value\"");
    RUDDER_RETURN_IF_ERROR(Account(*v, depth));
    return Value(*v, alloc_);
  }

  // Charges a value about to enter the document against the limits.
  absl::Status Account(const Value& v, size_t depth) {
    patch_internal::Shape shape = patch_internal::MeasureShape(v);
    copied_ += shape.nodes;
    if (copied_ > limits_.max_copied_values) {
      return Invalid(
          absl::StrCat("the patch adds more than ", limits_.max_copied_values, " values in total"));
    }
    if (depth + shape.depth > static_cast<size_t>(limits_.max_depth)) {
      return Invalid(absl::StrCat("the result would nest ", depth + shape.depth,
                                  " levels deep, the limit is ", limits_.max_depth));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> Pointer(absl::string_view p) const {
    auto toks = ParseJsonPointer(p);
    if (!toks.ok()) return Invalid(toks.status().message());
    return toks;
  }

  // Resolves the first `n` tokens of `toks`.
  absl::StatusOr<Value*> Resolve(const std::vector<std::string>& toks, size_t n) {
    Value* cur = &doc_;
    for (size_t i = 0; i < n; ++i) {
      const std::string& t = toks[i];
      if (cur->IsObject()) {
        Value* next = patch_internal::Find(*cur, t);
        if (next == nullptr) return NotFound(toks, i + 1);
        cur = next;
      } else if (cur->IsArray()) {
        auto idx = ParseIndex(t);
        if (!idx.has_value()) return BadIndex(toks, i + 1);
        if (*idx >= cur->Size()) return NotFound(toks, i + 1);
        cur = &(*cur)[*idx];
      } else {
        return Invalid(absl::StrCat("cannot look up \"", t, "\" in a ",
                                    patch_internal::KindName(patch_internal::KindOf(*cur)),
                                    " at \"", Join(toks, i), "\""));
      }
    }
    return cur;
  }

  static std::string Join(const std::vector<std::string>& toks, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, "/", EscapeJsonPointerToken(toks[i]));
    return out;
  }
  absl::Status NotFound(const std::vector<std::string>& toks, size_t n) const {
    return Invalid(absl::StrCat("path \"", Join(toks, n), "\" not found"));
  }
  absl::Status BadIndex(const std::vector<std::string>& toks, size_t n) const {
    return Invalid(absl::StrCat("\"", toks[n - 1], "\" is not a valid array index (at \"",
                                Join(toks, n), "\")"));
  }

  absl::Status Add(const std::vector<std::string>& toks, Value&& value) {
    if (toks.empty()) {
      static_cast<Value&>(doc_) = value;
      return absl::OkStatus();
    }
    RUDDER_ASSIGN_OR_RETURN(Value * parent, Resolve(toks, toks.size() - 1));
    const std::string& last = toks.back();
    if (parent->IsObject()) {
      patch_internal::SetMember(*parent, last, std::move(value), alloc_);
      return absl::OkStatus();
    }
    if (parent->IsArray()) {
      if (last == "-") {
        parent->PushBack(value, alloc_);
        return absl::OkStatus();
      }
      auto idx = ParseIndex(last);
      if (!idx.has_value()) return BadIndex(toks, toks.size());
      if (*idx > parent->Size()) {
        return Invalid(absl::StrCat("array index ", *idx, " is out of range (the array has ",
                                    parent->Size(), " elements)"));
      }
      parent->PushBack(value, alloc_);
      for (rapidjson::SizeType j = parent->Size() - 1; j > *idx; --j) {
        (*parent)[j].Swap((*parent)[j - 1]);
      }
      return absl::OkStatus();
    }
    return Invalid(absl::StrCat("cannot add to a ",
                                patch_internal::KindName(patch_internal::KindOf(*parent)), " at \"",
                                Join(toks, toks.size() - 1), "\""));
  }

  // Removes and returns the value at `toks`.
  absl::StatusOr<Value> Remove(const std::vector<std::string>& toks) {
    if (toks.empty()) return Invalid("cannot remove the whole document");
    RUDDER_ASSIGN_OR_RETURN(Value * parent, Resolve(toks, toks.size() - 1));
    const std::string& last = toks.back();
    if (parent->IsObject()) {
      for (auto m = parent->MemberBegin(); m != parent->MemberEnd(); ++m) {
        if (absl::string_view(m->name.GetString(), m->name.GetStringLength()) == last) {
          Value out;
          out = m->value;
          parent->EraseMember(m);
          return out;
        }
      }
      return NotFound(toks, toks.size());
    }
    if (parent->IsArray()) {
      auto idx = ParseIndex(last);
      if (!idx.has_value()) return BadIndex(toks, toks.size());
      if (*idx >= parent->Size()) return NotFound(toks, toks.size());
      Value out;
      out = (*parent)[*idx];
      parent->Erase(parent->Begin() + *idx);
      return out;
    }
    return NotFound(toks, toks.size());
  }

  absl::Status ApplyOne(const Value& op) {
    if (!op.IsObject()) return Invalid("an operation must be a JSON object");
    RUDDER_ASSIGN_OR_RETURN(op_name_, StringMember(op, "op"));
    RUDDER_ASSIGN_OR_RETURN(path_text_, StringMember(op, "path"));
    RUDDER_ASSIGN_OR_RETURN(std::vector<std::string> toks, Pointer(path_text_));
    if (op_name_ == "add") {
      RUDDER_ASSIGN_OR_RETURN(Value v, ValueMember(op, toks.size()));
      return Add(toks, std::move(v));
    }
    if (op_name_ == "remove") return Remove(toks).status();
    if (op_name_ == "replace") {
      RUDDER_ASSIGN_OR_RETURN(Value v, ValueMember(op, toks.size()));
      RUDDER_ASSIGN_OR_RETURN(Value * target, Resolve(toks, toks.size()));
      *target = v;
      return absl::OkStatus();
    }
    if (op_name_ == "test") {
      const Value* want = patch_internal::Find(op, "value");
      if (want == nullptr) return Invalid("missing \"value\"");
      auto target = Resolve(toks, toks.size());
      if (!target.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat(Prefix(), "test failed: ", target.status().message()));
      }
      if (!patch_internal::JsonEqual(**target, *want)) {
        return absl::FailedPreconditionError(absl::StrCat(Prefix(), "test failed: the value is ",
                                                          patch_internal::Abbrev(**target),
                                                          ", not ", patch_internal::Abbrev(*want)));
      }
      return absl::OkStatus();
    }
    if (op_name_ == "move" || op_name_ == "copy") {
      RUDDER_ASSIGN_OR_RETURN(std::string from_text, StringMember(op, "from"));
      RUDDER_ASSIGN_OR_RETURN(std::vector<std::string> from, Pointer(from_text));
      if (op_name_ == "move") {
        if (from_text == path_text_) return Resolve(from, from.size()).status();
        if (absl::StartsWith(path_text_, absl::StrCat(from_text, "/"))) {
          return Invalid(absl::StrCat("cannot move \"", from_text, "\" into its own child"));
        }
        RUDDER_ASSIGN_OR_RETURN(Value v, Remove(from));
        RUDDER_RETURN_IF_ERROR(Account(v, toks.size()));
        return Add(toks, std::move(v));
      }
      RUDDER_ASSIGN_OR_RETURN(Value * source, Resolve(from, from.size()));
      RUDDER_RETURN_IF_ERROR(Account(*source, toks.size()));
      Value v(*source, alloc_);
      return Add(toks, std::move(v));
    }
    return Invalid(absl::StrCat("unknown operation \"", op_name_, "\""));
  }

  Document& doc_;
  Allocator& alloc_;
  const PatchLimits& limits_;
  size_t copied_ = 0;
  rapidjson::SizeType index_ = 0;
  std::string op_name_;
  std::string path_text_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseJsonPointer(absl::string_view pointer) {
  std::vector<std::string> toks;
  if (pointer.empty()) return toks;
  if (pointer[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON pointer \"", pointer, "\" must be empty or start with \"/\""));
  }
  std::string cur;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      toks.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next == '0') {
        cur.push_back('~');
      } else if (next == '1') {
        cur.push_back('/');
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "JSON pointer \"", pointer, "\" has \"~\" not followed by \"0\" or \"1\""));
      }
      ++i;
      continue;
    }
    cur.push_back(c);
  }
  return toks;
}

std::string EscapeJsonPointerToken(absl::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::Status ApplyJsonPatch(rapidjson::Document& document, const rapidjson::Value& patch,
                            const PatchLimits& limits) {
  RUDDER_RETURN_IF_ERROR(patch_internal::CheckDepth(document, limits.max_depth, "document"));
  RUDDER_RETURN_IF_ERROR(patch_internal::CheckDepth(patch, limits.max_depth, "patch"));
  Applier applier(document, limits);
  return applier.Apply(patch);
}

absl::StatusOr<std::string> ApplyJsonPatch(absl::string_view document, absl::string_view patch,
                                           const PatchLimits& limits) {
  Document doc;
  RUDDER_RETURN_IF_ERROR(patch_internal::ParseJson(document, limits.max_document_bytes,
                                                   limits.max_depth, "document", doc));
  Document p;
  RUDDER_RETURN_IF_ERROR(
      patch_internal::ParseJson(patch, limits.max_patch_bytes, limits.max_depth, "patch", p));
  Applier applier(doc, limits);
  RUDDER_RETURN_IF_ERROR(applier.Apply(p));
  return patch_internal::WriteJson(doc);
}

}  // namespace rudder::api::patch
