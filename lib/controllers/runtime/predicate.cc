#include "lib/controllers/runtime/predicate.h"

#include <utility>

#include "google/protobuf/util/message_differencer.h"
#include "lib/api/object/object.h"

namespace rudder::ctrl {
namespace {

using api::meta::v1::ObjectMeta;

// Passes updates for which `changed(old meta, new meta)` holds; everything else passes.
class MetaChanged : public Predicate {
 public:
  explicit MetaChanged(std::function<bool(const ObjectMeta&, const ObjectMeta&)> changed)
      : changed_(std::move(changed)) {}
  bool Update(const Object& old_obj, const Object& new_obj) const override {
    const ObjectMeta* o = api::GetObjectMeta(old_obj);
    const ObjectMeta* n = api::GetObjectMeta(new_obj);
    if (o == nullptr || n == nullptr) return true;
    return changed_(*o, *n);
  }

 private:
  std::function<bool(const ObjectMeta&, const ObjectMeta&)> changed_;
};

template <typename Map>
bool MapsDiffer(const Map& a, const Map& b) {
  if (a.size() != b.size()) return true;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second != v) return true;
  }
  return false;
}

class AllOf : public Predicate {
 public:
  explicit AllOf(std::vector<PredicatePtr> ps) : ps_(std::move(ps)) {}
  bool Create(const Object& obj) const override {
    for (const auto& p : ps_)
      if (!p->Create(obj)) return false;
    return true;
  }
  bool Update(const Object& o, const Object& n) const override {
    for (const auto& p : ps_)
      if (!p->Update(o, n)) return false;
    return true;
  }
  bool Delete(const Object& obj) const override {
    for (const auto& p : ps_)
      if (!p->Delete(obj)) return false;
    return true;
  }
  bool Generic(const Object& obj) const override {
    for (const auto& p : ps_)
      if (!p->Generic(obj)) return false;
    return true;
  }

 private:
  std::vector<PredicatePtr> ps_;
};

class AnyOf : public Predicate {
 public:
  explicit AnyOf(std::vector<PredicatePtr> ps) : ps_(std::move(ps)) {}
  bool Create(const Object& obj) const override {
    for (const auto& p : ps_)
      if (p->Create(obj)) return true;
    return false;
  }
  bool Update(const Object& o, const Object& n) const override {
    for (const auto& p : ps_)
      if (p->Update(o, n)) return true;
    return false;
  }
  bool Delete(const Object& obj) const override {
    for (const auto& p : ps_)
      if (p->Delete(obj)) return true;
    return false;
  }
  bool Generic(const Object& obj) const override {
    for (const auto& p : ps_)
      if (p->Generic(obj)) return true;
    return false;
  }

 private:
  std::vector<PredicatePtr> ps_;
};

class NotOf : public Predicate {
 public:
  explicit NotOf(PredicatePtr p) : p_(std::move(p)) {}
  bool Create(const Object& obj) const override { return !p_->Create(obj); }
  bool Update(const Object& o, const Object& n) const override { return !p_->Update(o, n); }
  bool Delete(const Object& obj) const override { return !p_->Delete(obj); }
  bool Generic(const Object& obj) const override { return !p_->Generic(obj); }

 private:
  PredicatePtr p_;
};

}  // namespace

PredicatePtr NewPredicateFuncs(std::function<bool(const Object& obj)> filter) {
  auto p = std::make_shared<PredicateFuncs>();
  p->create = filter;
  p->update = [filter](const Object&, const Object& n) { return filter(n); };
  p->del = filter;
  p->generic = filter;
  return p;
}

PredicatePtr GenerationChanged() {
  return std::make_shared<MetaChanged>(
      [](const ObjectMeta& o, const ObjectMeta& n) { return o.generation() != n.generation(); });
}

PredicatePtr LabelChanged() {
  return std::make_shared<MetaChanged>(
      [](const ObjectMeta& o, const ObjectMeta& n) { return MapsDiffer(o.labels(), n.labels()); });
}

PredicatePtr AnnotationChanged() {
  return std::make_shared<MetaChanged>([](const ObjectMeta& o, const ObjectMeta& n) {
    return MapsDiffer(o.annotations(), n.annotations());
  });
}

PredicatePtr ResourceVersionChanged() {
  return std::make_shared<MetaChanged>([](const ObjectMeta& o, const ObjectMeta& n) {
    return o.resourceversion() != n.resourceversion();
  });
}

PredicatePtr And(std::vector<PredicatePtr> predicates) {
  return std::make_shared<AllOf>(std::move(predicates));
}
PredicatePtr Or(std::vector<PredicatePtr> predicates) {
  return std::make_shared<AnyOf>(std::move(predicates));
}
PredicatePtr Not(PredicatePtr p) { return std::make_shared<NotOf>(std::move(p)); }

}  // namespace rudder::ctrl
