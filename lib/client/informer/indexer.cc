#include "lib/client/informer/indexer.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/base/mutex.h"

namespace rudder::client {

std::string ObjectKey(const Object& obj) {
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr) return std::string();
  return ObjectKey(m->namespace_(), m->name());
}

std::string ObjectKey(const std::string& ns, const std::string& name) {
  if (ns.empty()) return name;
  return absl::StrCat(ns, "/", name);
}

std::pair<std::string, std::string> SplitObjectKey(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return {std::string(), key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::vector<std::string> NamespaceIndexFunc(const Object& obj) {
  const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(obj);
  if (m == nullptr || m->namespace_().empty()) return {};
  return {m->namespace_()};
}

namespace {

// value -> keys of the objects with that value.
using IndexMap = absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>;

class IndexerImpl : public Indexer {
 public:
  explicit IndexerImpl(const Indexers& indexers) {
    indexers_[kNamespaceIndex] = NamespaceIndexFunc;
    for (const auto& [name, fn] : indexers) indexers_[name] = fn;
    for (const auto& [name, fn] : indexers_) indices_[name];
  }

  void Add(ObjectRef obj) override {
    std::string key = ObjectKey(*obj);
    MutexLock l(&mu_);
    auto [it, inserted] = items_.try_emplace(key);
    ObjectRef old = std::move(it->second);
    it->second = std::move(obj);
    UpdateIndicesLocked(old.get(), it->second.get(), it->first);
  }
  void Update(ObjectRef obj) override { Add(std::move(obj)); }

  ObjectRef Delete(const std::string& key) override {
    MutexLock l(&mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return nullptr;
    ObjectRef old = std::move(it->second);
    UpdateIndicesLocked(old.get(), nullptr, key);
    items_.erase(it);
    return old;
  }

  void Replace(std::vector<ObjectRef> objs) override {
    absl::flat_hash_map<std::string, ObjectRef> items;
    items.reserve(objs.size());
    for (ObjectRef& o : objs) {
      std::string key = ObjectKey(*o);
      items[std::move(key)] = std::move(o);
    }
    MutexLock l(&mu_);
    items_ = std::move(items);
    for (auto& [name, index] : indices_) index.clear();
    for (const auto& [key, obj] : items_) UpdateIndicesLocked(nullptr, obj.get(), key);
  }

  ObjectRef Get(const std::string& key) const override {
    MutexLock l(&mu_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second;
  }

  std::vector<ObjectRef> List() const override {
    MutexLock l(&mu_);
    std::vector<ObjectRef> out;
    out.reserve(items_.size());
    for (const auto& [key, obj] : items_) out.push_back(obj);
    return out;
  }

  std::vector<std::string> ListKeys() const override {
    MutexLock l(&mu_);
    std::vector<std::string> out;
    out.reserve(items_.size());
    for (const auto& [key, obj] : items_) out.push_back(key);
    return out;
  }

  size_t Size() const override {
    MutexLock l(&mu_);
    return items_.size();
  }

  absl::StatusOr<std::vector<ObjectRef>> ByIndex(const std::string& index_name,
                                                 const std::string& value) const override {
    MutexLock l(&mu_);
    auto idx = indices_.find(index_name);
    if (idx == indices_.end()) return UnknownIndex(index_name);
    std::vector<ObjectRef> out;
    auto set = idx->second.find(value);
    if (set == idx->second.end()) return out;
    out.reserve(set->second.size());
    for (const std::string& key : set->second) {
      auto it = items_.find(key);
      if (it != items_.end()) out.push_back(it->second);
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> IndexKeys(const std::string& index_name,
                                                     const std::string& value) const override {
    MutexLock l(&mu_);
    auto idx = indices_.find(index_name);
    if (idx == indices_.end()) return UnknownIndex(index_name);
    auto set = idx->second.find(value);
    if (set == idx->second.end()) return std::vector<std::string>();
    return std::vector<std::string>(set->second.begin(), set->second.end());
  }

  absl::StatusOr<std::vector<ObjectRef>> Index(const std::string& index_name,
                                               const Object& obj) const override {
    MutexLock l(&mu_);
    auto fn = indexers_.find(index_name);
    if (fn == indexers_.end()) return UnknownIndex(index_name);
    const IndexMap& index = indices_.at(index_name);
    absl::flat_hash_set<std::string> keys;
    for (const std::string& v : fn->second(obj)) {
      auto set = index.find(v);
      if (set != index.end()) keys.insert(set->second.begin(), set->second.end());
    }
    std::vector<ObjectRef> out;
    out.reserve(keys.size());
    for (const std::string& key : keys) {
      auto it = items_.find(key);
      if (it != items_.end()) out.push_back(it->second);
    }
    return out;
  }

  std::vector<std::string> ListIndexFuncValues(const std::string& index_name) const override {
    MutexLock l(&mu_);
    std::vector<std::string> out;
    auto idx = indices_.find(index_name);
    if (idx == indices_.end()) return out;
    out.reserve(idx->second.size());
    for (const auto& [value, keys] : idx->second) out.push_back(value);
    return out;
  }

  std::vector<std::string> IndexNames() const override {
    MutexLock l(&mu_);
    std::vector<std::string> out;
    for (const auto& [name, fn] : indexers_) out.push_back(name);
    return out;
  }

  absl::Status AddIndexers(const Indexers& indexers) override {
    MutexLock l(&mu_);
    for (const auto& [name, fn] : indexers) {
      if (indexers_.contains(name)) {
        return absl::AlreadyExistsError(absl::StrCat("indexer conflict: ", name));
      }
      if (!fn) return absl::InvalidArgumentError(absl::StrCat("indexer ", name, ": no function"));
    }
    for (const auto& [name, fn] : indexers) {
      indexers_[name] = fn;
      IndexMap& index = indices_[name];
      for (const auto& [key, obj] : items_) {
        for (std::string& v : fn(*obj)) index[std::move(v)].insert(key);
      }
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status UnknownIndex(const std::string& name) {
    return absl::NotFoundError(absl::StrCat("Index with name ", name, " does not exist"));
  }

  // Moves `key` from the index values of `old_obj` to those of `new_obj` (either may be null).
  void UpdateIndicesLocked(const Object* old_obj, const Object* new_obj, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& [name, fn] : indexers_) {
      IndexMap& index = indices_[name];
      std::vector<std::string> old_values, new_values;
      if (old_obj != nullptr) old_values = fn(*old_obj);
      if (new_obj != nullptr) new_values = fn(*new_obj);
      // The common case: one value, unchanged.
      if (old_values.size() == 1 && new_values.size() == 1 && old_values[0] == new_values[0]) {
        continue;
      }
      for (const std::string& v : old_values) {
        auto set = index.find(v);
        if (set == index.end()) continue;
        set->second.erase(key);
        if (set->second.empty()) index.erase(set);
      }
      for (std::string& v : new_values) index[std::move(v)].insert(key);
    }
  }

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, ObjectRef> items_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, IndexFunc> indexers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, IndexMap> indices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Indexer> NewIndexer(const Indexers& indexers) {
  return std::make_unique<IndexerImpl>(indexers);
}

}  // namespace rudder::client
