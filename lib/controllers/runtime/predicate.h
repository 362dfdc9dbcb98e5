// Predicates: which object events reach a controller (controller-runtime's pkg/predicate).
//
// A watch applies its predicates to every event before mapping it to requests; an event is
// dropped if any predicate rejects it. The built-in "changed" predicates filter updates only
// (creates, deletes and generic events pass) and pass updates whose objects lack metadata.
//
// Example:
//   builder.For<Deployment>({GenerationChanged()})
//          .Owns<ReplicaSet>({Or({LabelChanged(), AnnotationChanged()})});
#ifndef RUDDER_LIB_CONTROLLERS_RUNTIME_PREDICATE_H_
#define RUDDER_LIB_CONTROLLERS_RUNTIME_PREDICATE_H_

#include <functional>
#include <memory>
#include <vector>

#include "google/protobuf/message.h"

namespace rudder::ctrl {

using Object = google::protobuf::Message;

// Decides which events pass. Implementations are immutable and thread-safe; every method
// returns true by default.
class Predicate {
 public:
  virtual ~Predicate() = default;
  virtual bool Create(const Object& obj) const { return true; }
  virtual bool Update(const Object& old_obj, const Object& new_obj) const { return true; }
  virtual bool Delete(const Object& obj) const { return true; }
  // Events that are neither (periodic resyncs, external triggers).
  virtual bool Generic(const Object& obj) const { return true; }
};
using PredicatePtr = std::shared_ptr<const Predicate>;

// A predicate of optional functions (unset ones pass everything).
struct PredicateFuncs : public Predicate {
  std::function<bool(const Object& obj)> create;
  std::function<bool(const Object& old_obj, const Object& new_obj)> update;
  std::function<bool(const Object& obj)> del;
  std::function<bool(const Object& obj)> generic;

  bool Create(const Object& obj) const override { return !create || create(obj); }
  bool Update(const Object& o, const Object& n) const override { return !update || update(o, n); }
  bool Delete(const Object& obj) const override { return !del || del(obj); }
  bool Generic(const Object& obj) const override { return !generic || generic(obj); }
};

// Applies `filter` to the object of every event (the new object of updates).
PredicatePtr NewPredicateFuncs(std::function<bool(const Object& obj)> filter);

// Updates pass when metadata.generation changed (spec changes; not status or metadata).
PredicatePtr GenerationChanged();
// Updates pass when metadata.labels changed.
PredicatePtr LabelChanged();
// Updates pass when metadata.annotations changed.
PredicatePtr AnnotationChanged();
// Updates pass when metadata.resourceVersion changed (drops periodic resyncs).
PredicatePtr ResourceVersionChanged();

// Passes when every predicate passes (an empty list passes).
PredicatePtr And(std::vector<PredicatePtr> predicates);
// Passes when any predicate passes (an empty list rejects).
PredicatePtr Or(std::vector<PredicatePtr> predicates);
// Passes when `p` rejects.
PredicatePtr Not(PredicatePtr p);

}  // namespace rudder::ctrl

#endif  // RUDDER_LIB_CONTROLLERS_RUNTIME_PREDICATE_H_
