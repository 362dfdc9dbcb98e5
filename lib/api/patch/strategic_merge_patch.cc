#include "lib/api/patch/strategic_merge_patch.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/api/patch/internal/json_util.h"
#include "lib/base/status_macros.h"

namespace rudder::api::patch {
namespace {

using patch_internal::Abbrev;
using patch_internal::Allocator;
using patch_internal::Document;
using patch_internal::Find;
using patch_internal::GoString;
using patch_internal::JsonEqual;
using patch_internal::KeyString;
using patch_internal::Kind;
using patch_internal::KindOf;
using patch_internal::Value;

constexpr absl::string_view kDirective = "$patch";
constexpr absl::string_view kRetainKeys = "$retainKeys";
constexpr absl::string_view kSetOrderPrefix = "$setElementOrder";
constexpr absl::string_view kDeleteListPrefix = "$deleteFromPrimitiveList";

absl::string_view NameOf(const Value& name) {
  return absl::string_view(name.GetString(), name.GetStringLength());
}

bool IsString(const Value& v, absl::string_view s) { return v.IsString() && NameOf(v) == s; }

// Appends a segment to an error path for the life of the scope.
class PathScope {
 public:
  PathScope(std::string& path, absl::string_view field) : path_(path), size_(path.size()) {
    if (!path_.empty()) path_.push_back('.');
    path_.append(field.data(), field.size());
  }
  PathScope(std::string& path, absl::string_view key, bool /*element*/)
      : path_(path), size_(path.size()) {
    absl::StrAppend(&path_, "[", key, "]");
  }
  ~PathScope() { path_.resize(size_); }

 private:
  std::string& path_;
  size_t size_;
};

// Common state of the merge and diff walkers: the allocator and the path for errors.
class Walker {
 protected:
  explicit Walker(Allocator& alloc) : alloc_(alloc) {}

  absl::Status Error(absl::string_view msg) const {
    if (path_.empty()) return absl::InvalidArgumentError(msg);
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", msg));
  }

  absl::StatusOr<FieldPatchInfo> Look(const PatchMeta& meta, absl::string_view key) const {
    auto info = meta.Lookup(key);
    if (!info.ok()) return Error(info.status().message());
    return info;
  }

  // The kind shared by the elements of `a` and `b`; an error for lists of lists and for
  // elements of different kinds. kNull when both are empty.
  absl::StatusOr<Kind> ElementKind(const Value& a, const Value& b) const {
    bool first = true;
    Kind kind = Kind::kNull;
    for (const Value* list : {&a, &b}) {
      for (auto e = list->Begin(); e != list->End(); ++e) {
        Kind k = KindOf(*e);
        if (k == Kind::kArray) return Error("lists of lists are not supported");
        if (first) {
          kind = k;
          first = false;
        } else if (k != kind) {
          return Error("list element types are not identical");
        }
      }
    }
    return kind;
  }

  // The merge key value of element `e` as a comparable key; an error when `e` is not an
  // object or lacks the key.
  absl::StatusOr<std::string> MergeKeyOf(const Value& e, const std::string& merge_key) const {
    if (!e.IsObject()) {
      return Error(absl::StrCat("expected a map in a merged list, got ", Abbrev(e)));
    }
    const Value* k = Find(e, merge_key);
    if (k == nullptr) {
      return Error(
          absl::StrCat("map: ", Abbrev(e), " does not contain declared merge key: ", merge_key));
    }
    return KeyString(*k);
  }

  Allocator& alloc_;
  std::string path_;
};

absl::StatusOr<std::string> ExtractKey(absl::string_view key, absl::string_view prefix) {
  size_t slash = key.find('/');
  if (slash == absl::string_view::npos || key.substr(0, slash) != prefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid patch format of ", prefix, " (key \"", key, "\")"));
  }
  return std::string(key.substr(slash + 1));
}

// Orders `merged` as Kubernetes does: the elements found in the patch's order list, sorted by
// it, interleaved with the others ("server-only"), sorted by their order in the original,
// keeping both relative orders. `key_of` maps an element to its identity.
template <typename KeyOf>
absl::Status Normalize(Value& merged, const std::vector<std::string>& patch_order,
                       const std::vector<std::string>& server_order, bool maps, Allocator& alloc,
                       KeyOf&& key_of) {
  const rapidjson::SizeType n = merged.Size();
  if (n == 0) return absl::OkStatus();
  absl::flat_hash_map<std::string, size_t> patch_index, server_index;
  for (size_t i = 0; i < patch_order.size(); ++i) patch_index.emplace(patch_order[i], i);
  for (size_t i = 0; i < server_order.size(); ++i) server_index.emplace(server_order[i], i);
  std::vector<std::string> keys(n);
  std::vector<size_t> patch_items, server_items;
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    RUDDER_ASSIGN_OR_RETURN(keys[i], key_of(merged[i]));
    (patch_index.contains(keys[i]) ? patch_items : server_items).push_back(i);
  }
  constexpr size_t kMissing = static_cast<size_t>(-1);
  auto index_in = [&](const absl::flat_hash_map<std::string, size_t>& index, size_t item) {
    auto it = index.find(keys[item]);
    return it == index.end() ? kMissing : it->second;
  };
  auto is_delete = [&](size_t item) {
    if (!maps) return false;
    const Value* d = Find(merged[item], kDirective);
    return d != nullptr && IsString(*d, "delete");
  };
  auto sort_by = [&](std::vector<size_t>& items,
                     const absl::flat_hash_map<std::string, size_t>& index) {
    std::stable_partition(items.begin(), items.end(),
                          [&](size_t item) { return !is_delete(item); });
    auto end = std::find_if(items.begin(), items.end(), is_delete);
    std::stable_sort(items.begin(), end,
                     [&](size_t a, size_t b) { return index_in(index, a) < index_in(index, b); });
  };
  sort_by(patch_items, patch_index);
  sort_by(server_items, server_index);
  std::vector<size_t> order;
  order.reserve(n);
  size_t i = 0, j = 0;
  while (i < server_items.size() || j < patch_items.size()) {
    if (i >= server_items.size()) {
      order.push_back(patch_items[j++]);
    } else if (j >= patch_items.size()) {
      order.push_back(server_items[i++]);
    } else {
      size_t li = index_in(server_index, server_items[i]);
      size_t ri = index_in(server_index, patch_items[j]);
      if (li != kMissing && ri != kMissing && li < ri) {
        order.push_back(server_items[i++]);
      } else {
        order.push_back(patch_items[j++]);
      }
    }
  }
  Value out(rapidjson::kArrayType);
  out.Reserve(n, alloc);
  for (size_t idx : order) out.PushBack(merged[static_cast<rapidjson::SizeType>(idx)], alloc);
  merged = out;
  return absl::OkStatus();
}

struct MergeOptions {
  // Apply `$deleteFromPrimitiveList`, `$retainKeys` and `$setElementOrder` (server side);
  // otherwise carry them into the result (merging two patches).
  bool merge_parallel_list = true;
  // Nulls for keys the original lacks are dropped; otherwise kept (merging two patches).
  bool ignore_unmatched_nulls = true;
};

// Applies a strategic merge patch in place. Patch values are moved into the original, so
// both must share one allocator.
class Merger : public Walker {
 public:
  Merger(Allocator& alloc, MergeOptions options) : Walker(alloc), options_(options) {}

  absl::Status MergeMap(Value& original, Value& patch, const PatchMeta& meta) {
    if (Value* d = Find(patch, kDirective)) {
      if (IsString(*d, "replace")) {
        patch_internal::EraseMember(patch, kDirective);
        original = patch;
        return absl::OkStatus();
      }
      if (IsString(*d, "delete")) {
        original.SetObject();
        return absl::OkStatus();
      }
      return Error(absl::StrCat("unknown patch type: ", Abbrev(*d), " in map: ", Abbrev(patch)));
    }
    if (!original.IsObject()) original.SetObject();
    RUDDER_RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
    RUDDER_RETURN_IF_ERROR(ApplySetElementOrder(original, patch, meta));

    for (auto m = patch.MemberBegin(); m != patch.MemberEnd(); ++m) {
      std::string key(NameOf(m->name));
      Value& pv = m->value;
      bool delete_list = false;
      if (absl::StartsWith(key, kDeleteListPrefix)) {
        if (!options_.merge_parallel_list) {
          patch_internal::SetMember(original, key, std::move(pv), alloc_);
          continue;
        }
        auto stripped = ExtractKey(key, kDeleteListPrefix);
        if (!stripped.ok()) return Error(stripped.status().message());
        key = *std::move(stripped);
        delete_list = true;
      }
      if (pv.IsNull()) {
        patch_internal::EraseMember(original, key);
        if (options_.ignore_unmatched_nulls) continue;
      }
      Value* ov = Find(original, key);
      if (ov == nullptr) {
        if (delete_list) continue;
        RUDDER_RETURN_IF_ERROR(AddNew(original, key, pv, meta));
        continue;
      }
      Kind kind = KindOf(*ov);
      if (kind != KindOf(pv)) {
        *ov = pv;
        continue;
      }
      if (kind == Kind::kObject) {
        PathScope scope(path_, key);
        RUDDER_ASSIGN_OR_RETURN(FieldPatchInfo info, Look(meta, key));
        if (info.strategy.replace) {
          *ov = pv;
        } else {
          RUDDER_RETURN_IF_ERROR(MergeMap(*ov, pv, *info.children));
        }
      } else if (kind == Kind::kArray) {
        PathScope scope(path_, key);
        RUDDER_ASSIGN_OR_RETURN(FieldPatchInfo info, Look(meta, key));
        if (info.strategy.merge) {
          RUDDER_RETURN_IF_ERROR(MergeSlice(*ov, pv, *info.children, info.merge_key, delete_list));
        } else {
          *ov = pv;
        }
      } else {
        *ov = pv;
      }
    }
    return absl::OkStatus();
  }

 private:
  // Sets `key`, absent from `original`, from patch value `pv`.
  absl::Status AddNew(Value& original, const std::string& key, Value& pv, const PatchMeta& meta) {
    Value fresh;
    if (!options_.merge_parallel_list || !(pv.IsObject() || pv.IsArray())) {
      fresh = pv;
    } else {
      PathScope scope(path_, key);
      auto info = meta.Lookup(key);
      const PatchMeta& child = info.ok() ? *info->children : SchemalessPatchMeta();
      if (pv.IsObject() && !(info.ok() && info->strategy.replace)) {
        fresh.SetObject();
        RUDDER_RETURN_IF_ERROR(MergeMap(fresh, pv, child));
      } else if (pv.IsArray() && info.ok() && info->strategy.merge) {
        fresh.SetArray();
        RUDDER_RETURN_IF_ERROR(MergeSlice(fresh, pv, child, info->merge_key, false));
      } else {
        fresh = pv;
      }
    }
    patch_internal::SetMember(original, key, std::move(fresh), alloc_);
    return absl::OkStatus();
  }

  absl::Status ApplyRetainKeys(Value& original, Value& patch) {
    Value* found = Find(patch, kRetainKeys);
    if (found == nullptr) return absl::OkStatus();
    Value list;
    list = *found;
    patch_internal::EraseMember(patch, kRetainKeys);
    if (!options_.merge_parallel_list) {
      if (const Value* existing = Find(original, kRetainKeys)) {
        if (!JsonEqual(*existing, list)) {
          return Error("the $retainKeys lists of the two patches differ");
        }
      } else {
        patch_internal::SetMember(original, kRetainKeys, std::move(list), alloc_);
      }
      return absl::OkStatus();
    }
    if (!list.IsArray()) return Error("invalid patch format of $retainKeys: not a list");
    absl::flat_hash_set<absl::string_view> keep;
    for (auto e = list.Begin(); e != list.End(); ++e) {
      if (e->IsString()) keep.insert(NameOf(*e));
    }
    for (auto m = patch.MemberBegin(); m != patch.MemberEnd(); ++m) {
      absl::string_view k = NameOf(m->name);
      if (m->value.IsNull() || absl::StartsWith(k, kDeleteListPrefix) ||
          absl::StartsWith(k, kSetOrderPrefix)) {
        continue;
      }
      if (!keep.contains(k)) {
        return Error(absl::StrCat("invalid patch format of $retainKeys: \"", k,
                                  "\" is in the patch but not in the list"));
      }
    }
    for (auto m = original.MemberBegin(); m != original.MemberEnd();) {
      if (keep.contains(NameOf(m->name))) {
        ++m;
      } else {
        m = original.EraseMember(m);
      }
    }
    return absl::OkStatus();
  }

  // Checks that the patch list's elements appear in the `$setElementOrder` list in order.
  absl::Status ValidateSetOrder(const Value* patch_list, const Value& order,
                                const std::string& merge_key) {
    if (patch_list == nullptr || order.Size() == 0 || patch_list->Size() == 0) {
      return absl::OkStatus();
    }
    std::vector<const Value*> items;
    for (auto e = patch_list->Begin(); e != patch_list->End(); ++e) {
      if (!merge_key.empty()) {
        if (!e->IsObject()) return Error(absl::StrCat("expected a map, got ", Abbrev(*e)));
        const Value* d = Find(*e, kDirective);
        if (d != nullptr && IsString(*d, "delete")) continue;
      }
      items.push_back(&*e);
    }
    size_t pi = 0;
    rapidjson::SizeType si = 0;
    while (pi < items.size() && si < order.Size()) {
      if (items[pi]->IsObject() && Find(*items[pi], kDirective) != nullptr) {
        ++pi;
        continue;
      }
      bool equal;
      if (merge_key.empty()) {
        equal = JsonEqual(*items[pi], order[si]);
      } else {
        RUDDER_ASSIGN_OR_RETURN(std::string a, MergeKeyOf(*items[pi], merge_key));
        RUDDER_ASSIGN_OR_RETURN(std::string b, MergeKeyOf(order[si], merge_key));
        equal = a == b;
      }
      if (equal) ++pi;
      ++si;
    }
    if (pi < items.size()) {
      return Error(absl::StrCat("the order in patch list ", Abbrev(*patch_list),
                                " doesn't match $setElementOrder list ", Abbrev(order)));
    }
    return absl::OkStatus();
  }

  absl::Status ApplySetElementOrder(Value& original, Value& patch, const PatchMeta& meta) {
    std::vector<std::string> names;
    for (auto m = patch.MemberBegin(); m != patch.MemberEnd(); ++m) {
      if (absl::StartsWith(NameOf(m->name), kSetOrderPrefix)) {
        names.emplace_back(NameOf(m->name));
      }
    }
    for (const std::string& name : names) {
      Value order;
      order = *Find(patch, name);
      patch_internal::EraseMember(patch, name);
      if (!options_.merge_parallel_list) {
        if (const Value* existing = Find(original, name)) {
          if (!JsonEqual(*existing, order)) {
            return Error(absl::StrCat("invalid patch format of ", name, ": the lists differ"));
          }
        } else {
          patch_internal::SetMember(original, name, Value(order, alloc_), alloc_);
        }
      }
      if (!order.IsArray()) return Error(absl::StrCat(name, " must be a list"));
      auto key = ExtractKey(name, kSetOrderPrefix);
      if (!key.ok()) return Error(key.status().message());
      PathScope scope(path_, *key);
      Value* ol = Find(original, *key);
      Value* pl = Find(patch, *key);
      if (ol != nullptr && !ol->IsArray()) {
        return Error(absl::StrCat("expected a list, got ", Abbrev(*ol)));
      }
      if (pl != nullptr && !pl->IsArray()) {
        return Error(absl::StrCat("expected a list in the patch, got ", Abbrev(*pl)));
      }
      if (ol == nullptr && pl == nullptr) continue;
      RUDDER_ASSIGN_OR_RETURN(FieldPatchInfo info, Look(meta, *key));
      RUDDER_RETURN_IF_ERROR(ValidateSetOrder(pl, order, info.merge_key));
      Value empty(rapidjson::kArrayType);
      RUDDER_ASSIGN_OR_RETURN(Kind kind, ElementKind(ol ? *ol : empty, pl ? *pl : empty));
      const bool maps = kind == Kind::kObject;
      auto key_of = [&](const Value& v) -> absl::StatusOr<std::string> {
        if (info.merge_key.empty()) return KeyString(v);
        return MergeKeyOf(v, info.merge_key);
      };
      // The original's order, before merging.
      std::vector<std::string> server_order;
      if (ol != nullptr) {
        for (auto e = ol->Begin(); e != ol->End(); ++e) {
          server_order.push_back(IdentityOf(*e, maps, info.merge_key));
        }
      }
      Value merged;
      if (ol != nullptr && pl == nullptr) {
        merged = *ol;
      } else if (pl != nullptr && !info.strategy.merge) {
        merged = *pl;
      } else if (ol == nullptr) {
        if (options_.merge_parallel_list) {
          merged.SetArray();
          RUDDER_RETURN_IF_ERROR(MergeSlice(merged, *pl, *info.children, info.merge_key, false));
        } else {
          merged = *pl;
        }
      } else {
        RUDDER_RETURN_IF_ERROR(MergeSlice(*ol, *pl, *info.children, info.merge_key, false));
        merged = *ol;
      }
      std::vector<std::string> patch_order;
      for (auto e = order.Begin(); e != order.End(); ++e) {
        RUDDER_ASSIGN_OR_RETURN(std::string k, key_of(*e));
        patch_order.push_back(std::move(k));
      }
      RUDDER_RETURN_IF_ERROR(Normalize(merged, patch_order, server_order, maps, alloc_, key_of));
      patch_internal::SetMember(original, *key, std::move(merged), alloc_);
      patch_internal::EraseMember(patch, *key);
    }
    return absl::OkStatus();
  }

  // An element's identity for ordering: its merge key value for maps, itself otherwise. A
  // missing key matches other missing keys, as Go's nil does.
  static std::string IdentityOf(const Value& e, bool maps, const std::string& merge_key) {
    if (!maps || merge_key.empty()) return KeyString(e);
    const Value* k = e.IsObject() ? Find(e, merge_key) : nullptr;
    return k == nullptr ? KeyString(Value()) : KeyString(*k);
  }

  absl::Status MergeSlice(Value& original, Value& patch, const PatchMeta& elem,
                          const std::string& merge_key, bool delete_list) {
    if (original.Size() == 0 && patch.Size() == 0) return absl::OkStatus();
    RUDDER_ASSIGN_OR_RETURN(Kind kind, ElementKind(original, patch));
    if (kind != Kind::kObject) {
      absl::flat_hash_set<std::string> in_patch;
      std::vector<std::string> patch_order;
      for (auto e = patch.Begin(); e != patch.End(); ++e) {
        patch_order.push_back(KeyString(*e));
        in_patch.insert(patch_order.back());
      }
      if (options_.merge_parallel_list && delete_list) {
        for (auto e = original.Begin(); e != original.End();) {
          if (in_patch.contains(KeyString(*e))) {
            e = original.Erase(e);
          } else {
            ++e;
          }
        }
        return absl::OkStatus();
      }
      std::vector<std::string> server_order;
      absl::flat_hash_set<std::string> seen;
      Value merged(rapidjson::kArrayType);
      for (Value* list : {&original, &patch}) {
        for (auto e = list->Begin(); e != list->End(); ++e) {
          std::string k = KeyString(*e);
          if (list == &original) server_order.push_back(k);
          if (seen.insert(std::move(k)).second) merged.PushBack(*e, alloc_);
        }
      }
      RUDDER_RETURN_IF_ERROR(
          Normalize(merged, patch_order, server_order, false, alloc_,
                    [](const Value& v) -> absl::StatusOr<std::string> { return KeyString(v); }));
      original = merged;
      return absl::OkStatus();
    }
    if (merge_key.empty()) return Error("cannot merge lists without merge key");

    bool replace = false;
    absl::flat_hash_set<std::string> deleted;
    std::vector<Value*> plain;
    for (auto e = patch.Begin(); e != patch.End(); ++e) {
      const Value* d = Find(*e, kDirective);
      if (d == nullptr) {
        plain.push_back(&*e);
      } else if (IsString(*d, "delete")) {
        RUDDER_ASSIGN_OR_RETURN(std::string k, MergeKeyOf(*e, merge_key));
        deleted.insert(std::move(k));
      } else if (IsString(*d, "replace")) {
        replace = true;
      } else if (IsString(*d, "merge")) {
        return Error("merging lists cannot yet be specified in the patch");
      } else {
        return Error(absl::StrCat("unknown patch type: ", Abbrev(*d), " in map: ", Abbrev(*e)));
      }
    }
    Value base(rapidjson::kArrayType);
    if (replace) {
      for (Value* v : plain) base.PushBack(*v, alloc_);
      plain.clear();
    } else {
      for (auto e = original.Begin(); e != original.End(); ++e) {
        const Value* k = Find(*e, merge_key);
        if (k != nullptr && deleted.contains(KeyString(*k))) continue;
        base.PushBack(*e, alloc_);
      }
    }
    std::vector<std::string> server_order;
    absl::flat_hash_map<std::string, rapidjson::SizeType> index;
    for (rapidjson::SizeType i = 0; i < base.Size(); ++i) {
      server_order.push_back(IdentityOf(base[i], true, merge_key));
      index.emplace(server_order.back(), i);
    }
    std::vector<std::string> patch_order;
    for (Value* v : plain) {
      RUDDER_ASSIGN_OR_RETURN(std::string k, MergeKeyOf(*v, merge_key));
      patch_order.push_back(k);
      auto it = index.find(k);
      if (it != index.end()) {
        PathScope scope(path_, GoString(*Find(*v, merge_key)), true);
        RUDDER_RETURN_IF_ERROR(MergeMap(base[it->second], *v, elem));
      } else {
        index.emplace(std::move(k), base.Size());
        base.PushBack(*v, alloc_);
      }
    }
    RUDDER_RETURN_IF_ERROR(Normalize(
        base, patch_order, server_order, true, alloc_,
        [&](const Value& v) -> absl::StatusOr<std::string> { return MergeKeyOf(v, merge_key); }));
    original = base;
    return absl::OkStatus();
  }

  MergeOptions options_;
};

struct DiffOptions {
  bool set_element_order = false;
  bool ignore_changes_and_additions = false;
  bool ignore_deletions = false;
  bool build_retain_keys = false;
};

// Computes strategic merge patches; results are allocated with the walker's allocator.
class Differ : public Walker {
 public:
  explicit Differ(Allocator& alloc) : Walker(alloc) {}

  absl::Status DiffMaps(const Value& original, const Value& modified, const PatchMeta& meta,
                        const DiffOptions& opts, Value& out) {
    out.SetObject();
    std::vector<absl::string_view> retain;
    for (auto m = modified.MemberBegin(); m != modified.MemberEnd(); ++m) {
      absl::string_view key = NameOf(m->name);
      const Value& mv = m->value;
      if (opts.build_retain_keys && !mv.IsNull()) retain.push_back(key);
      const Value* ov = Find(original, key);
      if (ov == nullptr) {
        if (!opts.ignore_changes_and_additions) Set(out, key, Value(mv, alloc_));
        continue;
      }
      if (key == kDirective) {
        if (!ov->IsString() || !mv.IsString()) {
          return Error("invalid value for special key: $patch");
        }
        if (!(*ov == mv)) Set(out, key, Value(mv, alloc_));
        continue;
      }
      Kind kind = KindOf(*ov);
      if (kind != KindOf(mv)) {
        if (!opts.ignore_changes_and_additions) Set(out, key, Value(mv, alloc_));
        continue;
      }
      if (kind == Kind::kObject || kind == Kind::kArray) {
        PathScope scope(path_, key);
        auto info = meta.Lookup(key);
        if (!info.ok()) {
          if (JsonEqual(*ov, mv)) continue;
          return Error(info.status().message());
        }
        if (kind == Kind::kObject) {
          DiffOptions sub = opts;
          sub.build_retain_keys = info->strategy.retain_keys;
          if (info->strategy.replace) {
            if (!opts.ignore_changes_and_additions) Set(out, key, Value(mv, alloc_));
          } else {
            Value pv;
            RUDDER_RETURN_IF_ERROR(DiffMaps(*ov, mv, *info->children, sub, pv));
            if (pv.MemberCount() > 0) Set(out, key, std::move(pv));
          }
        } else if (info->strategy.merge) {
          DiffOptions sub = opts;
          sub.build_retain_keys = info->strategy.retain_keys;
          Value add(rapidjson::kArrayType), del(rapidjson::kArrayType),
              order(rapidjson::kArrayType);
          RUDDER_RETURN_IF_ERROR(
              DiffLists(*ov, mv, *info->children, info->merge_key, sub, add, del, order));
          if (add.Size() > 0) Set(out, key, std::move(add));
          if (del.Size() > 0) Set(out, absl::StrCat(kDeleteListPrefix, "/", key), std::move(del));
          if (order.Size() > 0) {
            Set(out, absl::StrCat(kSetOrderPrefix, "/", key), std::move(order));
          }
        } else {
          ReplaceIfNotEqual(out, key, *ov, mv, opts);
        }
        continue;
      }
      ReplaceIfNotEqual(out, key, *ov, mv, opts);
    }
    if (!opts.ignore_deletions) {
      for (auto m = original.MemberBegin(); m != original.MemberEnd(); ++m) {
        if (Find(modified, NameOf(m->name)) == nullptr) Set(out, NameOf(m->name), Value());
      }
    }
    if (!retain.empty() && (out.MemberCount() > 0 || HasAdditionalNewField(original, modified))) {
      std::sort(retain.begin(), retain.end());
      Value list(rapidjson::kArrayType);
      for (absl::string_view k : retain) {
        list.PushBack(Value(k.data(), static_cast<rapidjson::SizeType>(k.size()), alloc_), alloc_);
      }
      Set(out, kRetainKeys, std::move(list));
    }
    return absl::OkStatus();
  }

 private:
  void Set(Value& obj, absl::string_view key, Value&& v) {
    patch_internal::SetMember(obj, key, std::move(v), alloc_);
  }

  void ReplaceIfNotEqual(Value& out, absl::string_view key, const Value& ov, const Value& mv,
                         const DiffOptions& opts) {
    if (opts.ignore_changes_and_additions || JsonEqual(ov, mv)) return;
    Set(out, key, Value(mv, alloc_));
  }

  static bool HasAdditionalNewField(const Value& original, const Value& modified) {
    for (auto m = original.MemberBegin(); m != original.MemberEnd(); ++m) {
      if (!m->value.IsNull() && Find(modified, NameOf(m->name)) == nullptr) return true;
    }
    return false;
  }

  // Sorts list elements (or their merge keys) by Go's "%v" text, as Kubernetes does.
  struct Sorted {
    std::string text;
    const Value* value;
  };

  absl::Status DiffLists(const Value& original, const Value& modified, const PatchMeta& elem,
                         const std::string& merge_key, const DiffOptions& opts, Value& add,
                         Value& del, Value& order) {
    if (original.Size() == 0) {
      if (modified.Size() == 0 || opts.ignore_changes_and_additions) return absl::OkStatus();
      add.CopyFrom(modified, alloc_);
      return absl::OkStatus();
    }
    RUDDER_ASSIGN_OR_RETURN(Kind kind, ElementKind(original, modified));
    if (kind == Kind::kObject) {
      std::vector<Sorted> os, ms;
      RUDDER_RETURN_IF_ERROR(SortByKey(original, merge_key, os));
      RUDDER_RETURN_IF_ERROR(SortByKey(modified, merge_key, ms));
      std::vector<std::pair<std::string, Value>> changes;  // keyed for ordering
      std::vector<Value> deletions;
      size_t oi = 0, mi = 0;
      while (oi < os.size() || mi < ms.size()) {
        const bool both = oi < os.size() && mi < ms.size();
        if (both && os[oi].text == ms[mi].text) {
          PathScope scope(path_, os[oi].text, true);
          Value pv;
          RUDDER_RETURN_IF_ERROR(DiffMaps(*os[oi].value, *ms[mi].value, elem, opts, pv));
          if (pv.MemberCount() > 0) {
            Set(pv, merge_key, Value(*Find(*ms[mi].value, merge_key), alloc_));
            changes.emplace_back(KeyString(*Find(*ms[mi].value, merge_key)), std::move(pv));
          }
          ++oi;
          ++mi;
        } else if (oi >= os.size() || (both && os[oi].text > ms[mi].text)) {
          if (!opts.ignore_changes_and_additions) {
            changes.emplace_back(KeyString(*Find(*ms[mi].value, merge_key)),
                                 Value(*ms[mi].value, alloc_));
          }
          ++mi;
        } else {
          if (!opts.ignore_deletions) {
            Value d(rapidjson::kObjectType);
            Set(d, merge_key, Value(*Find(*os[oi].value, merge_key), alloc_));
            Set(d, kDirective, Value("delete", alloc_));
            deletions.push_back(std::move(d));
          }
          ++oi;
        }
      }
      // Changes in the order of `modified`.
      absl::flat_hash_map<std::string, size_t> position;
      for (rapidjson::SizeType i = 0; i < modified.Size(); ++i) {
        position.emplace(KeyString(*Find(modified[i], merge_key)), i);
      }
      std::stable_sort(changes.begin(), changes.end(), [&](const auto& a, const auto& b) {
        return position[a.first] < position[b.first];
      });
      for (auto& c : changes) add.PushBack(c.second, alloc_);
      for (Value& d : deletions) add.PushBack(d, alloc_);
      bool order_same = original.Size() == modified.Size();
      for (rapidjson::SizeType i = 0; order_same && i < modified.Size(); ++i) {
        order_same =
            KeyString(*Find(original[i], merge_key)) == KeyString(*Find(modified[i], merge_key));
      }
      const bool changed = add.Size() > 0;
      if (opts.set_element_order &&
          ((!opts.ignore_changes_and_additions && (changed || !order_same)) ||
           (!opts.ignore_deletions && changed))) {
        for (auto e = modified.Begin(); e != modified.End(); ++e) {
          Value item(rapidjson::kObjectType);
          Set(item, merge_key, Value(*Find(*e, merge_key), alloc_));
          order.PushBack(item, alloc_);
        }
      }
      return absl::OkStatus();
    }
    // Lists of primitives, as sets.
    std::vector<Sorted> os, ms;
    for (auto e = original.Begin(); e != original.End(); ++e) os.push_back({GoString(*e), &*e});
    for (auto e = modified.Begin(); e != modified.End(); ++e) ms.push_back({GoString(*e), &*e});
    auto by_text = [](const Sorted& a, const Sorted& b) { return a.text < b.text; };
    std::stable_sort(os.begin(), os.end(), by_text);
    std::stable_sort(ms.begin(), ms.end(), by_text);
    std::vector<const Value*> added, deleted;
    size_t oi = 0, mi = 0;
    while (oi < os.size() || mi < ms.size()) {
      const bool both = oi < os.size() && mi < ms.size();
      if (both && os[oi].text == ms[mi].text) {
        ++oi;
        ++mi;
      } else if (oi >= os.size() || (both && os[oi].text > ms[mi].text)) {
        if (!opts.ignore_changes_and_additions) added.push_back(ms[mi].value);
        ++mi;
      } else {
        if (!opts.ignore_deletions) deleted.push_back(os[oi].value);
        ++oi;
      }
    }
    absl::flat_hash_map<std::string, size_t> position;
    for (rapidjson::SizeType i = 0; i < modified.Size(); ++i) {
      position.emplace(KeyString(modified[i]), i);
    }
    std::stable_sort(added.begin(), added.end(), [&](const Value* a, const Value* b) {
      return position[KeyString(*a)] < position[KeyString(*b)];
    });
    for (const Value* v : added) add.PushBack(Value(*v, alloc_), alloc_);
    absl::flat_hash_set<std::string> seen;
    for (const Value* v : deleted) {
      if (seen.insert(KeyString(*v)).second) del.PushBack(Value(*v, alloc_), alloc_);
    }
    if (opts.set_element_order &&
        ((!opts.ignore_deletions && del.Size() > 0) ||
         (!opts.ignore_changes_and_additions && !JsonEqual(original, modified)))) {
      order.CopyFrom(modified, alloc_);
    }
    return absl::OkStatus();
  }

  absl::Status SortByKey(const Value& list, const std::string& merge_key,
                         std::vector<Sorted>& out) {
    for (auto e = list.Begin(); e != list.End(); ++e) {
      RUDDER_RETURN_IF_ERROR(MergeKeyOf(*e, merge_key).status());
      out.push_back({GoString(*Find(*e, merge_key)), &*e});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Sorted& a, const Sorted& b) { return a.text < b.text; });
    return absl::OkStatus();
  }
};

// Reports whether patches `left` and `right` change some key differently (Kubernetes'
// MergingMapsHaveConflicts).
class ConflictChecker : public Walker {
 public:
  explicit ConflictChecker(Allocator& alloc) : Walker(alloc) {}

  absl::StatusOr<bool> Fields(const Value& left, const Value& right, const PatchMeta& meta,
                              const PatchStrategy& strategy, const std::string& merge_key) {
    if (left.IsObject()) {
      if (!right.IsObject()) return true;
      const Value* lm = Find(left, kDirective);
      const Value* rm = Find(right, kDirective);
      if (lm != nullptr || rm != nullptr) {
        if ((lm == nullptr) != (rm == nullptr)) return true;
        if (!JsonEqual(*lm, *rm)) return true;
      }
      if (strategy.replace) return false;
      return Maps(left, right, meta);
    }
    if (left.IsArray()) {
      if (!right.IsArray()) return true;
      return Slices(left, right, meta, strategy, merge_key);
    }
    return !JsonEqual(left, right);
  }

  absl::StatusOr<bool> Maps(const Value& left, const Value& right, const PatchMeta& meta) {
    for (auto m = left.MemberBegin(); m != left.MemberEnd(); ++m) {
      absl::string_view key = NameOf(m->name);
      if (absl::StartsWith(key, "$")) continue;
      const Value* rv = Find(right, key);
      if (rv == nullptr) continue;
      PathScope scope(path_, key);
      RUDDER_ASSIGN_OR_RETURN(FieldPatchInfo info, Look(meta, key));
      RUDDER_ASSIGN_OR_RETURN(bool c,
                              Fields(m->value, *rv, *info.children, info.strategy, info.merge_key));
      if (c) return true;
    }
    return false;
  }

  absl::StatusOr<bool> Slices(const Value& left, const Value& right, const PatchMeta& elem,
                              const PatchStrategy& strategy, const std::string& merge_key) {
    if (left.Size() == 0 && right.Size() == 0) return false;
    RUDDER_ASSIGN_OR_RETURN(Kind kind, ElementKind(left, right));
    if (strategy.merge) {
      if (kind != Kind::kObject) return false;
      absl::flat_hash_map<std::string, const Value*> rmap;
      for (auto e = right.Begin(); e != right.End(); ++e) {
        RUDDER_ASSIGN_OR_RETURN(std::string k, MergeKeyOf(*e, merge_key));
        rmap[k] = &*e;
      }
      for (auto e = left.Begin(); e != left.End(); ++e) {
        RUDDER_ASSIGN_OR_RETURN(std::string k, MergeKeyOf(*e, merge_key));
        auto it = rmap.find(k);
        if (it == rmap.end()) continue;
        RUDDER_ASSIGN_OR_RETURN(bool c, Fields(*e, *it->second, elem, PatchStrategy{}, ""));
        if (c) return true;
      }
      return false;
    }
    if (left.Size() != right.Size()) return true;
    std::vector<const Value*> l, r;
    for (auto e = left.Begin(); e != left.End(); ++e) l.push_back(&*e);
    for (auto e = right.Begin(); e != right.End(); ++e) r.push_back(&*e);
    if (kind != Kind::kObject) {
      auto dedupe_sort = [](std::vector<const Value*>& v) {
        absl::flat_hash_set<std::string> seen;
        std::vector<const Value*> out;
        for (const Value* x : v) {
          if (seen.insert(KeyString(*x)).second) out.push_back(x);
        }
        std::stable_sort(out.begin(), out.end(), [](const Value* a, const Value* b) {
          return GoString(*a) < GoString(*b);
        });
        v = std::move(out);
      };
      dedupe_sort(l);
      dedupe_sort(r);
      if (l.size() != r.size()) return true;
    }
    for (size_t i = 0; i < l.size(); ++i) {
      RUDDER_ASSIGN_OR_RETURN(bool c, Fields(*l[i], *r[i], elem, PatchStrategy{}, ""));
      if (c) return true;
    }
    return false;
  }
};

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

absl::StatusOr<std::string> ApplyStrategicMergePatch(absl::string_view document,
                                                     absl::string_view patch, const PatchMeta& meta,
                                                     const PatchLimits& limits) {
  Document doc;
  RUDDER_RETURN_IF_ERROR(patch_internal::ParseJson(document, limits.max_document_bytes,
                                                   limits.max_depth, "document", doc));
  if (!doc.IsObject()) return absl::InvalidArgumentError("document must be a JSON object");
  Document p(&doc.GetAllocator());
  RUDDER_RETURN_IF_ERROR(
      patch_internal::ParseJson(patch, limits.max_patch_bytes, limits.max_depth, "patch", p));
  if (!p.IsObject()) return absl::InvalidArgumentError("patch must be a JSON object");
  Merger merger(doc.GetAllocator(), MergeOptions{});
  RUDDER_RETURN_IF_ERROR(merger.MergeMap(doc, p, meta));
  return patch_internal::WriteJson(doc);
}

absl::Status ApplyStrategicMergePatch(rapidjson::Document& document, const rapidjson::Value& patch,
                                      const PatchMeta& meta, const PatchLimits& limits) {
  if (!document.IsObject()) return absl::InvalidArgumentError("document must be a JSON object");
  if (!patch.IsObject()) return absl::InvalidArgumentError("patch must be a JSON object");
  RUDDER_RETURN_IF_ERROR(patch_internal::CheckDepth(document, limits.max_depth, "document"));
  RUDDER_RETURN_IF_ERROR(patch_internal::CheckDepth(patch, limits.max_depth, "patch"));
  Value copy(patch, document.GetAllocator());
  Merger merger(document.GetAllocator(), MergeOptions{});
  return merger.MergeMap(document, copy, meta);
}

absl::Status CreateTwoWayMergePatch(const rapidjson::Value& original,
                                    const rapidjson::Value& modified, const PatchMeta& meta,
                                    rapidjson::Document& patch, const PatchLimits& limits) {
  if (!original.IsObject() || !modified.IsObject()) {
    return absl::InvalidArgumentError("original and modified must be JSON objects");
  }
  RUDDER_RETURN_IF_ERROR(patch_internal::CheckDepth(original, limits.max_depth, "original"));
  RUDDER_RETURN_IF_ERROR(patch_internal::CheckDepth(modified, limits.max_depth, "modified"));
  Differ differ(patch.GetAllocator());
  DiffOptions opts;
  opts.set_element_order = true;
  RUDDER_RETURN_IF_ERROR(differ.DiffMaps(original, modified, meta, opts, patch));
  patch_internal::SortKeys(patch);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CreateTwoWayMergePatch(absl::string_view original,
                                                   absl::string_view modified,
                                                   const PatchMeta& meta,
                                                   const PatchLimits& limits) {
  Document o, m;
  RUDDER_RETURN_IF_ERROR(
      ParseObject(original, limits.max_document_bytes, limits.max_depth, "original document", o));
  RUDDER_RETURN_IF_ERROR(
      ParseObject(modified, limits.max_document_bytes, limits.max_depth, "modified document", m));
  Document p;
  RUDDER_RETURN_IF_ERROR(CreateTwoWayMergePatch(o, m, meta, p, limits));
  return patch_internal::WriteJson(p);
}

absl::StatusOr<std::string> CreateThreeWayMergePatch(absl::string_view original,
                                                     absl::string_view modified,
                                                     absl::string_view current,
                                                     const PatchMeta& meta, bool overwrite,
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
  Differ differ(alloc);
  DiffOptions delta_opts;
  delta_opts.ignore_deletions = true;
  delta_opts.set_element_order = true;
  Value delta;
  RUDDER_RETURN_IF_ERROR(differ.DiffMaps(c, m, meta, delta_opts, delta));
  DiffOptions deletion_opts;
  deletion_opts.set_element_order = true;
  deletion_opts.ignore_changes_and_additions = true;
  RUDDER_RETURN_IF_ERROR(differ.DiffMaps(o, m, meta, deletion_opts, out));
  MergeOptions merge_opts;
  merge_opts.merge_parallel_list = false;
  merge_opts.ignore_unmatched_nulls = false;
  Merger merger(alloc, merge_opts);
  RUDDER_RETURN_IF_ERROR(merger.MergeMap(out, delta, meta));
  if (!overwrite) {
    Value changed;
    RUDDER_RETURN_IF_ERROR(differ.DiffMaps(o, c, meta, DiffOptions{}, changed));
    ConflictChecker checker(alloc);
    RUDDER_ASSIGN_OR_RETURN(bool conflict, checker.Maps(out, changed, meta));
    if (conflict) {
      patch_internal::SortKeys(out);
      patch_internal::SortKeys(changed);
      return absl::FailedPreconditionError(
          absl::StrCat("conflict: the patch ", Abbrev(out),
                       " conflicts with changes made to the live object ", Abbrev(changed)));
    }
  }
  patch_internal::SortKeys(out);
  return patch_internal::WriteJson(out);
}

}  // namespace rudder::api::patch
