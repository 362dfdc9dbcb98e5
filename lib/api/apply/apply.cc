#include "lib/api/apply/apply.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/api/object/object.h"
#include "lib/api/patch/internal/json_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::api::apply {
namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;
namespace pi = ::rudder::api::patch_internal;

std::string Compact(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string FieldElement(const Value& name) {
  std::string out = "f:";
  out.append(name.GetString(), name.GetStringLength());
  return out;
}

// The path element of a list item: k:{keys} for associative lists, v:value for sets.
absl::StatusOr<std::string> ItemElement(const TypeRef& list, const Value& item) {
  if (list.list_type == ListType::kSet) return "v:" + Compact(item);
  if (!item.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "associative list with keys has an element that is not a map: ", pi::Abbrev(item)));
  }
  std::vector<const ListKey*> keys;
  if (list.keys != nullptr) {
    for (const ListKey& k : *list.keys) keys.push_back(&k);
  }
  std::sort(keys.begin(), keys.end(),
            [](const ListKey* a, const ListKey* b) { return a->name < b->name; });
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const ListKey* k : keys) {
    auto it = item.FindMember(k->name.c_str());
    if (it != item.MemberEnd() && !it->value.IsNull()) {
      w.Key(k->name.c_str(), static_cast<rapidjson::SizeType>(k->name.size()));
      it->value.Accept(w);
    } else if (!k->default_json.empty()) {
      w.Key(k->name.c_str(), static_cast<rapidjson::SizeType>(k->name.size()));
      w.RawValue(k->default_json.c_str(), k->default_json.size(), rapidjson::kStringType);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("associative list with keys has an element that omits key field \"", k->name,
                       "\" (and doesn't have default value)"));
    }
  }
  w.EndObject();
  return "k:" + std::string(buf.GetString(), buf.GetSize());
}

bool IsMapLike(const TypeRef& t) { return t.kind == Kind::kMap || t.kind == Kind::kUntyped; }
bool IsGranularList(const TypeRef& t) {
  return t.kind == Kind::kList && t.list_type != ListType::kAtomic;
}

absl::Status ToSet(const Schema& s, const TypeRef& t, const Value& v, FieldSet& node,
                   const std::string& path, int depth) {
  if (depth > 200) return absl::InvalidArgumentError(absl::StrCat(path, ": nested too deeply"));
  if (v.IsObject() && IsMapLike(t) && !t.atomic) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      bool declared = false;
      std::string_view name(it->name.GetString(), it->name.GetStringLength());
      TypeRef ct = s.Field(t, name, &declared);
      FieldSet& c = node.Child(FieldElement(it->name));
      absl::Status st =
          ToSet(s, ct, it->value, c, absl::StrCat(path, ".", std::string(name)), depth + 1);
      if (!st.ok()) return st;
      if (it->value.IsNull() || (it->value.IsObject() && it->value.MemberCount() == 0) ||
          !declared) {
        c.set_member(true);
      }
    }
    return absl::OkStatus();
  }
  if (v.IsArray() && IsGranularList(t)) {
    TypeRef et = s.Elem(t);
    for (const Value& item : v.GetArray()) {
      absl::StatusOr<std::string> pe = ItemElement(t, item);
      if (!pe.ok())
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", pe.status().message()));
      if (node.Find(*pe) != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": duplicate entries for key ", PathElementString(*pe)));
      }
      FieldSet& c = node.Child(*pe);
      absl::Status st = ToSet(s, et, item, c, path + PathElementString(*pe), depth + 1);
      if (!st.ok()) return st;
      c.set_member(true);
    }
    return absl::OkStatus();
  }
  node.set_member(true);
  return absl::OkStatus();
}

// The comparison being built and the path of the value being compared.
struct CmpState {
  Comparison* out;
  std::vector<std::string> path;
};

// Indexes the items of a granular list by path element; items whose element cannot be
// computed make the list atomic (false).
bool IndexItems(const TypeRef& t, const Value& list,
                std::vector<std::pair<std::string, const Value*>>* out) {
  out->reserve(list.Size());
  for (const Value& item : list.GetArray()) {
    absl::StatusOr<std::string> pe = ItemElement(t, item);
    if (!pe.ok()) return false;
    out->emplace_back(std::move(*pe), &item);
  }
  return true;
}

void Cmp(const Schema& s, const TypeRef& t, const Value* l, const Value* r, CmpState& st,
         int depth) {
  auto leaf = [&] {
    if (l == nullptr) {
      st.out->added.Insert(st.path);
    } else if (r == nullptr) {
      st.out->removed.Insert(st.path);
    } else if (!pi::JsonEqual(*l, *r)) {
      st.out->modified.Insert(st.path);
    }
  };
  auto descend = [&](std::string pe, const TypeRef& ct, const Value* lc, const Value* rc) {
    st.path.push_back(std::move(pe));
    Cmp(s, ct, lc, rc, st, depth + 1);
    st.path.pop_back();
  };
  if (depth > 200) return leaf();
  const bool l_obj = l == nullptr || l->IsObject();
  const bool r_obj = r == nullptr || r->IsObject();
  if (l_obj && r_obj && IsMapLike(t)) {
    const bool l_empty = l == nullptr || l->MemberCount() == 0;
    const bool r_empty = r == nullptr || r->MemberCount() == 0;
    if (t.atomic || (l_empty && r_empty)) return leaf();
    static const Value* const kEmptyObject = new Value(rapidjson::kObjectType);
    if (r != nullptr) {
      for (auto it = r->MemberBegin(); it != r->MemberEnd(); ++it) {
        const Value* lc = nullptr;
        if (l != nullptr) {
          auto li = l->FindMember(it->name);
          if (li != l->MemberEnd()) lc = &li->value;
        }
        // The top-level structs (metadata, spec, status) always exist, empty or not.
        if (lc == nullptr && depth == 0 && it->value.IsObject()) lc = kEmptyObject;
        std::string_view name(it->name.GetString(), it->name.GetStringLength());
        descend(FieldElement(it->name), s.Field(t, name), lc, &it->value);
      }
    }
    if (l != nullptr) {
      for (auto it = l->MemberBegin(); it != l->MemberEnd(); ++it) {
        if (r != nullptr && r->FindMember(it->name) != r->MemberEnd()) continue;
        std::string_view name(it->name.GetString(), it->name.GetStringLength());
        const Value* rc = depth == 0 && it->value.IsObject() ? kEmptyObject : nullptr;
        descend(FieldElement(it->name), s.Field(t, name), &it->value, rc);
      }
    }
    if (l == nullptr) st.out->added.Insert(st.path);
    if (r == nullptr) st.out->removed.Insert(st.path);
    return;
  }
  const bool l_arr = l == nullptr || l->IsArray();
  const bool r_arr = r == nullptr || r->IsArray();
  if (l_arr && r_arr && IsGranularList(t)) {
    const bool l_empty = l == nullptr || l->Empty();
    const bool r_empty = r == nullptr || r->Empty();
    if (l_empty && r_empty) return leaf();
    std::vector<std::pair<std::string, const Value*>> li, ri;
    if ((l != nullptr && !IndexItems(t, *l, &li)) || (r != nullptr && !IndexItems(t, *r, &ri))) {
      return leaf();
    }
    absl::flat_hash_map<std::string_view, const Value*> lmap, rmap;
    for (const auto& [pe, v] : li) lmap.emplace(pe, v);
    for (const auto& [pe, v] : ri) rmap.emplace(pe, v);
    TypeRef et = s.Elem(t);
    for (const auto& [pe, v] : ri) {
      if (rmap.at(pe) != v) continue;  // a duplicate: the first counts
      auto it = lmap.find(pe);
      descend(pe, et, it == lmap.end() ? nullptr : it->second, v);
    }
    for (const auto& [pe, v] : li) {
      if (lmap.at(pe) != v || rmap.contains(pe)) continue;
      descend(pe, et, v, nullptr);
    }
    if (l == nullptr) st.out->added.Insert(st.path);
    if (r == nullptr) st.out->removed.Insert(st.path);
    return;
  }
  leaf();
}

// Merges `r` into `l` (a value of the document `a` belongs to) in place.
void MergeInto(const Schema& s, const TypeRef& t, Value& l, const Value& r, Allocator& a,
               int depth) {
  if (depth > 200) {
    l.CopyFrom(r, a);
    return;
  }
  if (r.IsObject() && l.IsObject() && IsMapLike(t) && !t.atomic) {
    for (auto it = r.MemberBegin(); it != r.MemberEnd(); ++it) {
      auto m = l.FindMember(it->name);
      if (m == l.MemberEnd()) {
        l.AddMember(Value(it->name, a), Value(it->value, a), a);
      } else {
        std::string_view name(it->name.GetString(), it->name.GetStringLength());
        MergeInto(s, s.Field(t, name), m->value, it->value, a, depth + 1);
      }
    }
    return;
  }
  if (r.IsArray() && l.IsArray() && IsGranularList(t)) {
    std::vector<std::pair<std::string, const Value*>> li, ri;
    if (!IndexItems(t, l, &li) || !IndexItems(t, r, &ri)) {
      l.CopyFrom(r, a);
      return;
    }
    absl::flat_hash_map<std::string_view, size_t> lmap;  // first index of each live item
    absl::flat_hash_map<std::string_view, bool> rset;
    for (size_t i = 0; i < li.size(); ++i) lmap.emplace(li[i].first, i);
    for (const auto& [pe, v] : ri) rset.emplace(pe, true);
    // Items only the live list has keep their place after the shared item before them.
    std::vector<size_t> head;
    absl::flat_hash_map<std::string_view, std::vector<size_t>> after;
    std::string_view last_shared;
    bool seen_shared = false;
    for (size_t i = 0; i < li.size(); ++i) {
      const std::string& pe = li[i].first;
      if (rset.contains(pe)) {
        last_shared = pe;
        seen_shared = true;
      } else if (lmap.at(pe) == i) {
        (seen_shared ? after[last_shared] : head).push_back(i);
      }
    }
    TypeRef et = s.Elem(t);
    Value out(rapidjson::kArrayType);
    out.Reserve(static_cast<rapidjson::SizeType>(li.size() + ri.size()), a);
    for (size_t i : head) out.PushBack(Value(l[static_cast<rapidjson::SizeType>(i)], a), a);
    absl::flat_hash_map<std::string_view, bool> emitted;
    for (const auto& [pe, v] : ri) {
      if (!emitted.emplace(pe, true).second) continue;
      auto lm = lmap.find(pe);
      if (lm == lmap.end()) {
        out.PushBack(Value(*v, a), a);
      } else {
        Value item(l[static_cast<rapidjson::SizeType>(lm->second)], a);
        MergeInto(s, et, item, *v, a, depth + 1);
        out.PushBack(item, a);
      }
      auto af = after.find(pe);
      if (af != after.end()) {
        for (size_t i : af->second)
          out.PushBack(Value(l[static_cast<rapidjson::SizeType>(i)], a), a);
      }
    }
    l = out;
    return;
  }
  l.CopyFrom(r, a);
}

void Remove(const Schema& s, const TypeRef& t, const FieldSet& set, Value& v, int depth) {
  if (depth > 200) return;
  if (v.IsObject()) {
    for (const auto& [pe, child] : set.children()) {
      if (pe.size() < 2 || pe[0] != 'f') continue;
      std::string name = pe.substr(2);
      auto m = v.FindMember(name.c_str());
      if (m == v.MemberEnd()) continue;
      if (child.member()) {
        v.EraseMember(m);
      } else {
        Remove(s, s.Field(t, name), child, m->value, depth + 1);
      }
    }
    return;
  }
  if (v.IsArray() && IsGranularList(t)) {
    TypeRef et = s.Elem(t);
    for (rapidjson::SizeType i = 0; i < v.Size();) {
      absl::StatusOr<std::string> pe = ItemElement(t, v[i]);
      const FieldSet* child = pe.ok() ? set.Find(*pe) : nullptr;
      if (child != nullptr && child->member()) {
        v.Erase(v.Begin() + i);
        continue;
      }
      if (child != nullptr) Remove(s, et, *child, v[i], depth + 1);
      ++i;
    }
  }
}

// `set` with every field (f:) node that has members below made a member itself, so that a
// struct field no manager owns anything in is removed whole.
void ExpandNamed(FieldSet& set) {
  for (const auto& [pe, c] : set.children()) {
    FieldSet& child = set.Child(pe);
    ExpandNamed(child);
    if (pe[0] == 'f' && !child.Empty()) child.set_member(true);
  }
}

std::string Describe(const ManagedEntry& m) {
  std::string out = absl::StrCat("\"", m.manager, "\"");
  if (!m.subresource.empty()) absl::StrAppend(&out, " with subresource \"", m.subresource, "\"");
  if (m.operation == kOperationUpdate) absl::StrAppend(&out, " using ", m.api_version);
  return out;
}

void StripInto(FieldSet& set, const WriteOptions& o) {
  set.Difference(StrippedFields());
  if (o.reset != nullptr) set.RecursiveDifference(*o.reset);
}

bool SameIdentity(const ManagedEntry& m, const std::string& operation, const WriteOptions& o) {
  return m.manager == o.manager && m.operation == operation && m.subresource == o.subresource &&
         (operation == kOperationApply || m.api_version == o.api_version);
}

void DropEmpty(Managers& managers) {
  managers.erase(std::remove_if(managers.begin(), managers.end(),
                                [](const ManagedEntry& m) { return m.fields.Empty(); }),
                 managers.end());
}

}  // namespace

const FieldSet& StrippedFields() {
  static const FieldSet* s = [] {
    auto* s = new FieldSet;
    s->Insert({"f:apiVersion"});
    s->Insert({"f:kind"});
    s->Insert({"f:metadata"});
    for (const char* f : {"name", "namespace", "creationTimestamp", "selfLink", "uid",
                          "clusterName", "generation", "managedFields", "resourceVersion"}) {
      s->Insert({"f:metadata", absl::StrCat("f:", f)});
    }
    return s;
  }();
  return *s;
}

absl::StatusOr<FieldSet> ToFieldSet(const Schema& schema, const Value& value) {
  FieldSet out;
  if (!value.IsObject()) return absl::InvalidArgumentError("the object is not a JSON object");
  absl::Status s = ToSet(schema, schema.Root(), value, out, "", 0);
  if (!s.ok()) return s;
  out.set_member(false);
  out.Compact();
  return out;
}

Comparison Compare(const Schema& schema, const Value* lhs, const Value* rhs) {
  Comparison c;
  if (lhs == nullptr && rhs == nullptr) return c;
  CmpState st{&c, {}};
  Cmp(schema, schema.Root(), lhs, rhs, st, 0);
  return c;
}

void Merge(const Schema& schema, const Value* live, const Value& config, rapidjson::Document& out) {
  if (live == nullptr) {
    out.CopyFrom(config, out.GetAllocator());
    return;
  }
  out.CopyFrom(*live, out.GetAllocator());
  MergeInto(schema, schema.Root(), out, config, out.GetAllocator(), 0);
}

void RemoveFields(const Schema& schema, const FieldSet& set, Value& value) {
  Remove(schema, schema.Root(), set, value, 0);
}

absl::StatusOr<ApplyResult> Apply(const Schema& schema, const Value* live, const Value& config,
                                  Managers managers, const WriteOptions& o) {
  absl::StatusOr<FieldSet> set = ToFieldSet(schema, config);
  if (!set.ok()) return set.status();
  StripInto(*set, o);
  ApplyResult result;
  Merge(schema, live, config, result.object);
  auto self = std::find_if(managers.begin(), managers.end(), [&](const ManagedEntry& m) {
    return SameIdentity(m, kOperationApply, o);
  });
  std::optional<FieldSet> last;
  absl::Time last_time = absl::InfinitePast();
  if (self == managers.end()) {
    managers.push_back(ManagedEntry{o.manager, kOperationApply, o.api_version, o.subresource,
                                    absl::InfinitePast(), FieldSet()});
    self = managers.end() - 1;
  } else {
    last = std::move(self->fields);
    last_time = self->time;
  }
  const size_t self_index = self - managers.begin();
  managers[self_index].fields = *set;
  managers[self_index].api_version = o.api_version;
  if (last.has_value() && !last->Empty()) {
    FieldSet owned;
    for (const ManagedEntry& m : managers) {
      FieldSet e = m.fields;
      ExpandNamed(e);
      owned.Union(e);
    }
    FieldSet remove = *last;
    ExpandNamed(remove);
    remove.Difference(owned);
    StripInto(remove, o);
    if (!remove.Empty()) RemoveFields(schema, remove, result.object);
  }
  Value empty(rapidjson::kObjectType);
  Comparison cmp = Compare(schema, live != nullptr ? live : &empty, &result.object);
  FieldSet changed = std::move(cmp.added);
  changed.Union(cmp.modified);
  StripInto(changed, o);
  StripInto(cmp.removed, o);
  for (size_t i = 0; i < managers.size(); ++i) {
    if (i == self_index) continue;
    FieldSet c = managers[i].fields.Intersection(changed);
    if (c.Empty()) continue;
    if (o.force) {
      managers[i].fields.Difference(c);
    } else {
      for (std::string& p : c.PathStrings()) {
        result.conflicts.push_back(Conflict{Describe(managers[i]), std::move(p)});
      }
    }
  }
  if (!result.conflicts.empty()) {
    std::sort(result.conflicts.begin(), result.conflicts.end(),
              [](const Conflict& a, const Conflict& b) {
                return std::tie(a.manager, a.field) < std::tie(b.manager, b.field);
              });
    return result;
  }
  for (ManagedEntry& m : managers) m.fields.Difference(cmp.removed);
  ManagedEntry& me = managers[self_index];
  const bool object_changed = !changed.Empty() || !cmp.removed.Empty();
  me.time = (object_changed || !last.has_value() || !(*last == me.fields)) ? o.now : last_time;
  DropEmpty(managers);
  result.managers = std::move(managers);
  return result;
}

Managers Update(const Schema& schema, const Value* live, const Value& next, Managers managers,
                const WriteOptions& o) {
  // A create compares with an empty object (whose top-level structs exist, as in Kubernetes).
  Value baseline(rapidjson::kObjectType);
  Comparison cmp = Compare(schema, live != nullptr ? live : &baseline, &next);
  FieldSet changed = std::move(cmp.added);
  changed.Union(cmp.modified);
  StripInto(changed, o);
  StripInto(cmp.removed, o);
  if (changed.Empty() && cmp.removed.Empty()) return managers;
  auto self = std::find_if(managers.begin(), managers.end(), [&](const ManagedEntry& m) {
    return SameIdentity(m, kOperationUpdate, o);
  });
  for (auto it = managers.begin(); it != managers.end(); ++it) {
    if (it == self) continue;
    it->fields.Difference(changed);  // updates always take over what they change
    it->fields.Difference(cmp.removed);
  }
  if (self == managers.end()) {
    managers.push_back(
        ManagedEntry{o.manager, kOperationUpdate, o.api_version, o.subresource, o.now, FieldSet()});
    self = managers.end() - 1;
  }
  self->fields.Difference(cmp.removed);
  self->fields.Union(changed);
  self->time = o.now;
  DropEmpty(managers);
  return managers;
}

absl::StatusOr<Managers> DecodeManagedFields(
    const google::protobuf::RepeatedPtrField<meta::v1::ManagedFieldsEntry>& entries) {
  Managers out;
  out.reserve(entries.size());
  for (int i = 0; i < entries.size(); ++i) {
    const meta::v1::ManagedFieldsEntry& e = entries.Get(i);
    ManagedEntry m;
    m.manager = e.manager();
    m.operation = e.operation();
    m.api_version = e.apiversion();
    m.subresource = e.subresource();
    if (e.has_time()) m.time = ToAbslTime(e.time());
    if (m.operation != kOperationApply && m.operation != kOperationUpdate) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata.managedFields[", i, "].operation: Unsupported value: \"",
                       m.operation, "\": supported values: \"Apply\", \"Update\""));
    }
    if (e.has_fieldsv1() || e.has_fieldstype()) {
      if (e.fieldstype() != "FieldsV1") {
        return absl::InvalidArgumentError(
            absl::StrCat("metadata.managedFields[", i, "].fieldsType: Unsupported value: \"",
                         e.fieldstype(), "\": supported values: \"FieldsV1\""));
      }
      absl::StatusOr<FieldSet> f = FieldSet::FromJson(e.fieldsv1().raw());
      if (!f.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("metadata.managedFields[", i, "].fieldsV1: ", f.status().message()));
      }
      m.fields = std::move(*f);
    }
    out.push_back(std::move(m));
  }
  return out;
}

void EncodeManagedFields(const Managers& managers,
                         google::protobuf::RepeatedPtrField<meta::v1::ManagedFieldsEntry>* out) {
  std::vector<const ManagedEntry*> order;
  for (const ManagedEntry& m : managers) order.push_back(&m);
  auto seconds = [](const ManagedEntry* m) {
    return m->time == absl::InfinitePast() ? int64_t{0} : absl::ToUnixSeconds(m->time);
  };
  std::stable_sort(order.begin(), order.end(), [&](const ManagedEntry* p, const ManagedEntry* q) {
    if (p->operation != q->operation) return p->operation < q->operation;
    if (seconds(p) != seconds(q)) return seconds(p) < seconds(q);
    if (p->manager != q->manager) return p->manager < q->manager;
    if (p->api_version != q->api_version) return p->api_version < q->api_version;
    return p->subresource < q->subresource;
  });
  out->Clear();
  for (const ManagedEntry* m : order) {
    meta::v1::ManagedFieldsEntry* e = out->Add();
    e->set_manager(m->manager);
    e->set_operation(m->operation);
    e->set_apiversion(m->api_version);
    if (m->time != absl::InfinitePast()) {
      *e->mutable_time() = FromAbslTime(absl::FromUnixSeconds(absl::ToUnixSeconds(m->time)));
    }
    e->set_fieldstype("FieldsV1");
    e->mutable_fieldsv1()->set_raw(m->fields.ToJson());
    if (!m->subresource.empty()) e->set_subresource(m->subresource);
  }
}

bool IsResetManagedFields(
    const google::protobuf::RepeatedPtrField<meta::v1::ManagedFieldsEntry>& entries) {
  return entries.size() == 1 && entries.Get(0).ByteSizeLong() == 0;
}

std::string ConflictMessage(const std::vector<Conflict>& conflicts) {
  if (conflicts.size() == 1) {
    return absl::StrCat("Apply failed with 1 conflict: conflict with ", conflicts[0].manager, ": ",
                        conflicts[0].field);
  }
  std::map<std::string, std::vector<std::string>> by_manager;
  for (const Conflict& c : conflicts) by_manager[c.manager].push_back(c.field);
  std::vector<std::string> lines;
  for (const auto& [manager, fields] : by_manager) {
    lines.push_back(absl::StrCat("conflicts with ", manager, ":"));
    for (const std::string& f : fields) lines.push_back(absl::StrCat("- ", f));
  }
  return absl::StrCat("Apply failed with ", conflicts.size(),
                      " conflicts: ", absl::StrJoin(lines, "\n"));
}

}  // namespace rudder::api::apply
