#include "lib/api/patch/merge_patch.h"

#include <utility>

#include "lib/api/patch/internal/json_util.h"
#include "lib/base/status_macros.h"

namespace rudder::api::patch {
namespace {

using patch_internal::Allocator;
using patch_internal::Document;
using patch_internal::Value;

absl::string_view NameOf(const Value& name) {
  return absl::string_view(name.GetString(), name.GetStringLength());
}

// RFC 7386 MergePatch(target, patch), consuming `patch` (same allocator as `target`).
void MergeInPlace(Value& target, Value& patch, Allocator& alloc) {
  if (!patch.IsObject()) {
    target = patch;
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (auto m = patch.MemberBegin(); m != patch.MemberEnd(); ++m) {
    absl::string_view name = NameOf(m->name);
    if (m->value.IsNull()) {
      patch_internal::EraseMember(target, name);
      continue;
    }
    Value* existing = patch_internal::Find(target, name);
    if (existing == nullptr) {
      Value fresh;
      MergeInPlace(fresh, m->value, alloc);
      Value key(m->name, alloc);
      target.AddMember(key, fresh, alloc);
    } else {
      MergeInPlace(*existing, m->value, alloc);
    }
  }
}

// Writes into `out` the patch from `original` to `modified`; both objects.
void Diff(const Value& original, const Value& modified, Value& out, Allocator& alloc) {
  out.SetObject();
  for (auto m = modified.MemberBegin(); m != modified.MemberEnd(); ++m) {
    const Value* before = patch_internal::Find(original, NameOf(m->name));
    if (before != nullptr && before->IsObject() && m->value.IsObject()) {
      Value sub;
      Diff(*before, m->value, sub, alloc);
      if (sub.MemberCount() > 0) out.AddMember(Value(m->name, alloc), sub, alloc);
    } else if (before == nullptr || !patch_internal::JsonEqual(*before, m->value)) {
      out.AddMember(Value(m->name, alloc), Value(m->value, alloc), alloc);
    }
  }
  for (auto m = original.MemberBegin(); m != original.MemberEnd(); ++m) {
    if (patch_internal::Find(modified, NameOf(m->name)) == nullptr) {
      out.AddMember(Value(m->name, alloc), Value(), alloc);
    }
  }
}

// Keeps only the deletions (keep_null) or only the changes (!keep_null) of patch `m`, as
// kubectl's three-way JSON merge patch does.
void KeepOrDropNulls(const Value& m, bool keep_null, Value& out, Allocator& alloc) {
  out.SetObject();
  for (auto it = m.MemberBegin(); it != m.MemberEnd(); ++it) {
    const Value& v = it->value;
    if (v.IsNull()) {
      if (keep_null) out.AddMember(Value(it->name, alloc), Value(), alloc);
    } else if (v.IsObject()) {
      if (v.MemberCount() == 0) {
        // An explicitly empty object is a value, not an empty patch.
        if (!keep_null) out.AddMember(Value(it->name, alloc), Value(v, alloc), alloc);
        continue;
      }
      Value sub;
      KeepOrDropNulls(v, keep_null, sub, alloc);
      if (sub.MemberCount() > 0) out.AddMember(Value(it->name, alloc), sub, alloc);
    } else if (!keep_null) {
      out.AddMember(Value(it->name, alloc), Value(v, alloc), alloc);
    }
  }
}

absl::Status ParseObject(absl::string_view text, size_t max_bytes, int max_depth,
                         absl::string_view what, Document& doc) {
  if (text.empty()) {
    doc.SetObject();
    return absl::OkStatus();
  }
  RUDDER_RETURN_IF_ERROR(patch_internal::ParseJson(text, max_bytes, max_depth, what, doc));
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a JSON object"));
  }
  return absl::OkStatus();
}

}  // namespace

void ApplyMergePatch(rapidjson::Value& target, const rapidjson::Value& patch,
                     rapidjson::Document::AllocatorType& alloc) {
  Value copy(patch, alloc);
  MergeInPlace(target, copy, alloc);
}

absl::StatusOr<std::string> ApplyMergePatch(absl::string_view document, absl::string_view patch,
                                            const PatchLimits& limits) {
  Document doc;
  RUDDER_RETURN_IF_ERROR(patch_internal::ParseJson(document, limits.max_document_bytes,
                                                   limits.max_depth, "document", doc));
  Document p(&doc.GetAllocator());
  RUDDER_RETURN_IF_ERROR(
      patch_internal::ParseJson(patch, limits.max_patch_bytes, limits.max_depth, "patch", p));
  MergeInPlace(doc, p, doc.GetAllocator());
  return patch_internal::WriteJson(doc);
}

void CreateMergePatch(const rapidjson::Value& original, const rapidjson::Value& modified,
                      rapidjson::Document& patch) {
  if (original.IsObject() && modified.IsObject()) {
    Diff(original, modified, patch, patch.GetAllocator());
  } else {
    patch.CopyFrom(modified, patch.GetAllocator());
  }
  patch_internal::SortKeys(patch);
}

absl::StatusOr<std::string> CreateMergePatch(absl::string_view original, absl::string_view modified,
                                             const PatchLimits& limits) {
  Document o, m;
  RUDDER_RETURN_IF_ERROR(patch_internal::ParseJson(original, limits.max_document_bytes,
                                                   limits.max_depth, "original document", o));
  RUDDER_RETURN_IF_ERROR(patch_internal::ParseJson(modified, limits.max_document_bytes,
                                                   limits.max_depth, "modified document", m));
  Document p;
  CreateMergePatch(o, m, p);
  return patch_internal::WriteJson(p);
}

absl::StatusOr<std::string> CreateThreeWayMergePatch(absl::string_view original,
                                                     absl::string_view modified,
                                                     absl::string_view current,
                                                     const PatchLimits& limits) {
  Document o, m, c;
  RUDDER_RETURN_IF_ERROR(
      ParseObject(original, limits.max_document_bytes, limits.max_depth, "original document", o));
  RUDDER_RETURN_IF_ERROR(
      ParseObject(modified, limits.max_document_bytes, limits.max_depth, "modified document", m));
  RUDDER_RETURN_IF_ERROR(
      ParseObject(current, limits.max_document_bytes, limits.max_depth, "current document", c));
  Document out;
  Allocator& alloc = out.GetAllocator();
  Value changes_all, changes, deletions_all;
  Diff(c, m, changes_all, alloc);
  KeepOrDropNulls(changes_all, /*keep_null=*/false, changes, alloc);
  Diff(o, m, deletions_all, alloc);
  KeepOrDropNulls(deletions_all, /*keep_null=*/true, out, alloc);
  // Merging merge patches keeps the nulls of the first (a patch, not a document).
  struct Merger {
    Allocator& alloc;
    void Merge(Value& into, Value& from) {
      for (auto it = from.MemberBegin(); it != from.MemberEnd(); ++it) {
        Value* existing = patch_internal::Find(into, NameOf(it->name));
        if (existing != nullptr && existing->IsObject() && it->value.IsObject()) {
          Merge(*existing, it->value);
        } else if (existing != nullptr) {
          *existing = it->value;
        } else {
          into.AddMember(Value(it->name, alloc), it->value, alloc);
        }
      }
    }
  } merger{alloc};
  merger.Merge(out, changes);
  patch_internal::SortKeys(out);
  return patch_internal::WriteJson(out);
}

}  // namespace rudder::api::patch
