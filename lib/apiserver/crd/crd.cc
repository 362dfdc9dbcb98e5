#include "lib/apiserver/crd/crd.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "lib/api/field/errors.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/unstructured/unstructured.pb.h"
#include "lib/api/schema/schema.h"
#include "lib/base/status_macros.h"
#include "rapidjson/document.h"

namespace rudder::apiserver::crd {
namespace {

using api::apiextensions::v1::CustomResourceDefinition;
using api::apiextensions::v1::CustomResourceDefinitionCondition;
using api::apiextensions::v1::CustomResourceDefinitionNames;
using api::apiextensions::v1::CustomResourceDefinitionStatus;
using api::unstructured::CustomObject;

constexpr unsigned kParseFlags =
    rapidjson::kParseFullPrecisionFlag | rapidjson::kParseIterativeFlag;

// The object as one JSON document without apiVersion, kind and metadata: content's members
// plus "status".
bool ToDocument(const CustomObject& o, rapidjson::Document* d) {
  d->SetObject();
  auto& a = d->GetAllocator();
  if (o.has_content()) {
    rapidjson::Document c;
    c.Parse<kParseFlags>(o.content().data(), o.content().size());
    if (c.HasParseError() || !c.IsObject()) return false;
    for (auto& m : c.GetObject()) {
      d->AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
    }
  }
  if (o.has_status() && !o.status().raw().empty()) {
    rapidjson::Document s;
    s.Parse<kParseFlags>(o.status().raw().data(), o.status().raw().size());
    if (s.HasParseError()) return false;
    d->RemoveMember("status");
    d->AddMember("status", rapidjson::Value(s, a), a);
  }
  return true;
}

// Writes a document from ToDocument back into content and status (canonical JSON).
void FromDocument(rapidjson::Document& d, CustomObject* o) {
  o->clear_status();
  o->clear_content();
  if (!d.IsObject()) return;
  auto st = d.FindMember("status");
  if (st != d.MemberEnd()) {
    if (!st->value.IsNull()) o->mutable_status()->set_raw(api::schema::CanonicalJson(st->value));
    d.EraseMember(st);
  }
  for (const char* k : {"apiVersion", "kind", "metadata"}) d.RemoveMember(k);
  if (d.MemberCount() > 0) o->set_content(api::schema::CanonicalJson(d));
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream s(&out);
  google::protobuf::io::CodedOutputStream c(&s);
  c.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&c);
  return out;
}

CustomResourceDefinitionNames AcceptedNames(const CustomResourceDefinition& crd) {
  CustomResourceDefinitionNames n = crd.spec().names();
  if (!n.has_singular() || n.singular().empty()) {
    n.set_singular(absl::AsciiStrToLower(n.kind()));
  }
  if (!n.has_listkind() || n.listkind().empty()) n.set_listkind(n.kind() + "List");
  return n;
}

bool IsDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

}  // namespace

absl::StatusOr<std::vector<api::KindInfo>> KindsFor(const CustomResourceDefinition& crd) {
  api::field::FieldErrors errs;
  const auto& spec = crd.spec();
  const api::field::Path sp("spec");
  const CustomResourceDefinitionNames names = AcceptedNames(crd);
  if (spec.group().empty()) errs.Add(api::field::Required(sp.Child("group")));
  if (names.plural().empty()) {
    errs.Add(api::field::Required(sp.Child("names").Child("plural")));
  } else if (!IsDnsLabel(names.plural())) {
    errs.Add(api::field::Invalid(sp.Child("names").Child("plural"),
                                 api::field::Quote(names.plural()),
                                 "a lowercase RFC 1123 label must consist of lower case "
                                 "alphanumeric characters or '-'"));
  }
  if (names.kind().empty()) errs.Add(api::field::Required(sp.Child("names").Child("kind")));
  if (!names.plural().empty() && !spec.group().empty() &&
      crd.metadata().name() != absl::StrCat(names.plural(), ".", spec.group())) {
    errs.Add(api::field::Invalid(api::field::Path("metadata").Child("name"),
                                 api::field::Quote(crd.metadata().name()),
                                 absl::StrCat("must be spec.names.plural+\".\"+spec.group")));
  }
  if (spec.scope() != "Namespaced" && spec.scope() != "Cluster") {
    errs.Add(api::field::NotSupported(sp.Child("scope"), api::field::Quote(spec.scope()),
                                      {"Cluster", "Namespaced"}));
  }
  if (spec.versions_size() == 0) errs.Add(api::field::Required(sp.Child("versions")));
  int storage = 0;
  for (const auto& v : spec.versions()) storage += v.storage() ? 1 : 0;
  if (spec.versions_size() > 0 && storage != 1) {
    errs.Add(api::field::Invalid(sp.Child("versions"), "",
                                 "must have exactly one version marked as storage version"));
  }
  std::vector<api::KindInfo> kinds;
  for (int i = 0; i < spec.versions_size(); ++i) {
    const auto& v = spec.versions(i);
    const api::field::Path vp = sp.Child("versions").Index(i);
    if (!IsDnsLabel(v.name())) {
      errs.Add(api::field::Invalid(vp.Child("name"), api::field::Quote(v.name()),
                                   "must be a DNS-1035 label"));
      continue;
    }
    if (!v.served()) continue;
    api::KindInfo k;
    k.gvk = {spec.group(), v.name(), names.kind()};
    k.plural = names.plural();
    k.singular = names.singular();
    k.list_kind = names.listkind();
    k.short_names.assign(names.shortnames().begin(), names.shortnames().end());
    k.categories.assign(names.categories().begin(), names.categories().end());
    k.namespaced = spec.scope() != "Cluster";
    k.has_status = v.has_subresources() && v.subresources().has_status();
    if (v.has_subresources() && v.subresources().has_scale()) {
      const auto& sc = v.subresources().scale();
      k.has_scale = true;
      k.scale.spec_replicas_path = sc.specreplicaspath();
      k.scale.status_replicas_path = sc.statusreplicaspath();
      k.scale.label_selector_path = sc.labelselectorpath();
    }
    k.descriptor = CustomObject::descriptor();
    k.custom_resource = true;
    for (const auto& c : v.additionalprintercolumns()) {
      k.printer_columns.push_back(
          {c.name(), c.type(), c.format(), c.description(), c.priority(), c.jsonpath()});
    }
    const api::field::Path schema_path = vp.Child("schema").Child("openAPIV3Schema");
    if (!v.has_schema() || !v.schema().has_openapiv3schema() ||
        v.schema().openapiv3schema().raw().empty()) {
      errs.Add(api::field::Required(schema_path, "schemas are required"));
      continue;
    }
    k.openapi_schema = v.schema().openapiv3schema().raw();
    absl::StatusOr<std::shared_ptr<const api::schema::Schema>> schema =
        api::schema::ParseSchema(k.openapi_schema, schema_path.String());
    if (!schema.ok()) {
      errs.Add(api::field::Invalid(schema_path, "", schema.status().message()));
      continue;
    }
    std::shared_ptr<const api::schema::Schema> s = std::move(*schema);
    k.defaulter = [s](google::protobuf::Message* m) {
      auto* o = dynamic_cast<CustomObject*>(m);
      if (o == nullptr) return;
      rapidjson::Document d;
      if (!ToDocument(*o, &d)) return;  // validation reports it
      api::schema::Prune(*s, &d, /*root=*/true);
      api::schema::ApplyDefaults(*s, &d, d.GetAllocator());
      FromDocument(d, o);
    };
    k.unknown_fields = [s](const google::protobuf::Message& m) {
      std::vector<std::string> pruned;
      const auto* o = dynamic_cast<const CustomObject*>(&m);
      rapidjson::Document d;
      if (o != nullptr && ToDocument(*o, &d)) api::schema::Prune(*s, &d, /*root=*/true, &pruned);
      return pruned;
    };
    k.validate = [s](const google::protobuf::Message& m) {
      api::field::FieldErrors out;
      const auto* o = dynamic_cast<const CustomObject*>(&m);
      if (o == nullptr) return out;
      rapidjson::Document d;
      if (!ToDocument(*o, &d)) {
        out.Add(api::field::Invalid(api::field::Path("<root>"), "", "malformed JSON"));
        return out;
      }
      return api::schema::Validate(*s, d, api::field::Path());
    };
    kinds.push_back(std::move(k));
  }
  if (errs.empty() && kinds.empty()) {
    errs.Add(
        api::field::Invalid(sp.Child("versions"), "", "must have at least one served version"));
  }
  RUDDER_RETURN_IF_ERROR(
      errs.ToStatus("CustomResourceDefinition.apiextensions.k8s.io", crd.metadata().name()));
  return kinds;
}

CrdController::CrdController(Registry* registry, Clock* clock)
    : registry_(registry),
      scheme_(&registry->scheme()),
      clock_(clock),
      crd_kind_(scheme_->ByKind({"apiextensions.k8s.io", "v1", "CustomResourceDefinition"})) {}

CrdController::~CrdController() { Stop(); }

absl::Status CrdController::Start() {
  if (crd_kind_ == nullptr) {
    return absl::FailedPreconditionError("the scheme has no CustomResourceDefinition kind");
  }
  RUDDER_RETURN_IF_ERROR(Resync());
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void CrdController::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status CrdController::Resync() {
  absl::StatusOr<ListResult> list = registry_->List(*crd_kind_, "", ListOptions());
  if (!list.ok()) return list.status();
  resource_version_ = list->resource_version;
  std::set<std::string> names;
  for (const ObjectPtr& obj : list->items) {
    CustomResourceDefinition crd;
    crd.CopyFrom(*obj);
    names.insert(crd.metadata().name());
    SyncObject(crd).IgnoreError();  // written to its conditions
  }
  MutexLock l(&mu_);
  std::vector<std::string> gone;
  for (const auto& [name, served] : served_) {
    if (!names.count(name)) gone.push_back(name);
  }
  for (const std::string& name : gone) UnregisterLocked(name);
  return absl::OkStatus();
}

void CrdController::Run() {
  bool relist = false;
  while (!stop_) {
    if (relist) {
      if (!Resync().ok()) {
        clock_->SleepUntil(clock_->Now() + absl::Milliseconds(100));
        continue;
      }
      relist = false;
    }
    WatchOptions wo;
    wo.resource_version = absl::StrCat(resource_version_);
    absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = registry_->Watch(*crd_kind_, "", wo);
    if (!w.ok()) {
      relist = true;
      clock_->SleepUntil(clock_->Now() + absl::Milliseconds(100));
      continue;
    }
    while (!stop_) {
      std::optional<ObjectEvent> e = (*w)->Next(absl::Milliseconds(100));
      if (!e.has_value()) continue;
      if (e->type == "ERROR") {
        relist = true;
        break;
      }
      if (e->object == nullptr || e->type == "BOOKMARK") continue;
      CustomResourceDefinition crd;
      crd.CopyFrom(*e->object);
      int64_t rv = 0;
      if (absl::SimpleAtoi(crd.metadata().resourceversion(), &rv) && rv > resource_version_) {
        resource_version_ = rv;
      }
      if (e->type == "DELETED") {
        MutexLock sl(&sync_mu_);
        MutexLock l(&mu_);
        UnregisterLocked(crd.metadata().name());
        continue;
      }
      SyncObject(crd).IgnoreError();
    }
  }
}

absl::Status CrdController::Sync(const std::string& crd_name) {
  if (crd_kind_ == nullptr) {
    return absl::FailedPreconditionError("the scheme has no CustomResourceDefinition kind");
  }
  absl::StatusOr<ObjectPtr> obj = registry_->Get(*crd_kind_, "", crd_name);
  if (!obj.ok()) {
    if (obj.status().code() != absl::StatusCode::kNotFound) return obj.status();
    MutexLock sl(&sync_mu_);
    MutexLock l(&mu_);
    UnregisterLocked(crd_name);
    return absl::OkStatus();
  }
  CustomResourceDefinition crd;
  crd.CopyFrom(**obj);
  return SyncObject(crd);
}

void CrdController::UnregisterLocked(const std::string& name) {
  auto it = served_.find(name);
  if (it == served_.end()) return;
  for (const api::GroupVersionKind& gvk : it->second.kinds) scheme_->Unregister(gvk).IgnoreError();
  served_.erase(it);
}

absl::Status CrdController::SyncObject(const CustomResourceDefinition& in) {
  MutexLock sl(&sync_mu_);
  CustomResourceDefinition crd = in;
  const std::string& name = crd.metadata().name();
  if (crd.metadata().has_deletiontimestamp()) return Cleanup(crd);
  const auto& fin = crd.metadata().finalizers();
  if (std::find(fin.begin(), fin.end(), kCleanupFinalizer) == fin.end()) {
    auto next = std::make_unique<CustomResourceDefinition>(crd);
    next->mutable_metadata()->add_finalizers(kCleanupFinalizer);
    absl::StatusOr<ObjectPtr> r = registry_->Update(*crd_kind_, "", name, std::move(next));
    if (!r.ok()) return r.status();  // a newer version follows as its own event
    crd.CopyFrom(**r);
  }
  absl::StatusOr<std::vector<api::KindInfo>> kinds = KindsFor(crd);
  absl::Status served = kinds.status();
  if (kinds.ok()) {
    MutexLock l(&mu_);
    Served& cur = served_[name];
    std::set<api::GroupVersionKind> ours(cur.kinds.begin(), cur.kinds.end());
    std::vector<std::string> conflicts;
    for (const api::KindInfo& k : *kinds) {
      std::shared_ptr<const api::KindInfo> r = scheme_->ByResource(k.gvr());
      if (r != nullptr && !ours.count(r->gvk)) {
        conflicts.push_back(absl::StrCat("\"", k.plural, "\" is already in use"));
      }
      std::shared_ptr<const api::KindInfo> byk = scheme_->ByKind(k.gvk);
      if (byk != nullptr && !ours.count(byk->gvk)) {
        conflicts.push_back(absl::StrCat("\"", k.gvk.kind, "\" is already in use"));
      }
    }
    const std::string spec_bytes = Deterministic(crd.spec());
    if (!conflicts.empty()) {
      served = absl::AlreadyExistsError(absl::StrJoin(conflicts, ", "));
      if (cur.kinds.empty()) served_.erase(name);
    } else if (cur.spec_bytes != spec_bytes || cur.kinds.empty()) {
      for (const api::GroupVersionKind& gvk : cur.kinds) scheme_->Unregister(gvk).IgnoreError();
      cur.kinds.clear();
      cur.spec_bytes = spec_bytes;
      for (api::KindInfo& k : *kinds) {
        api::GroupVersionKind gvk = k.gvk;
        absl::Status st = scheme_->Register(std::move(k));
        if (!st.ok()) {
          served = st;
          break;
        }
        cur.kinds.push_back(gvk);
      }
      if (!served.ok()) {
        for (const api::GroupVersionKind& gvk : cur.kinds) scheme_->Unregister(gvk).IgnoreError();
        served_.erase(name);
      }
    }
  }
  RUDDER_RETURN_IF_ERROR(WriteStatus(crd, served));
  return served;
}

absl::Status CrdController::WriteStatus(const CustomResourceDefinition& crd,
                                        const absl::Status& served) {
  CustomResourceDefinitionStatus want;
  const bool conflict = served.code() == absl::StatusCode::kAlreadyExists;
  auto add = [&](const char* type, bool ok, const char* reason, std::string message) {
    CustomResourceDefinitionCondition* c = want.add_conditions();
    c->set_type(type);
    c->set_status(ok ? "True" : "False");
    c->set_reason(reason);
    c->set_message(std::move(message));
  };
  if (conflict) {
    add("NamesAccepted", false, "ResourceNameConflict", std::string(served.message()));
    add("Established", false, "NotAccepted", "not all names are accepted");
  } else {
    add("NamesAccepted", true, "NoConflicts", "no conflicts found");
    if (served.ok()) {
      add("Established", true, "InitialNamesAccepted", "the initial names have been accepted");
    } else {
      add("Established", false, "Invalid", std::string(served.message()));
    }
  }
  if (served.ok()) *want.mutable_acceptednames() = AcceptedNames(crd);
  if (!served.ok() && crd.status().has_acceptednames()) {
    *want.mutable_acceptednames() = crd.status().acceptednames();
  }
  for (const std::string& v : crd.status().storedversions()) want.add_storedversions(v);
  if (served.ok()) {
    for (const auto& v : crd.spec().versions()) {
      const auto& sv = want.storedversions();
      if (v.storage() && std::find(sv.begin(), sv.end(), v.name()) == sv.end()) {
        want.add_storedversions(v.name());
      }
    }
  }
  // Conditions that keep their status keep their transition time.
  const api::meta::v1::Time now =
      api::FromAbslTime(absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now())));
  for (CustomResourceDefinitionCondition& c : *want.mutable_conditions()) {
    *c.mutable_lasttransitiontime() = now;
    for (const CustomResourceDefinitionCondition& old : crd.status().conditions()) {
      if (old.type() == c.type() && old.status() == c.status()) {
        *c.mutable_lasttransitiontime() = old.lasttransitiontime();
      }
    }
  }
  if (Deterministic(want) == Deterministic(crd.status())) return absl::OkStatus();
  auto next = std::make_unique<CustomResourceDefinition>(crd);
  *next->mutable_status() = want;
  absl::StatusOr<ObjectPtr> r = registry_->Update(*crd_kind_, "", crd.metadata().name(),
                                                  std::move(next), crd_kind_->has_status);
  return r.status();
}

absl::Status CrdController::Cleanup(const CustomResourceDefinition& crd) {
  const std::string& name = crd.metadata().name();
  {
    MutexLock l(&mu_);
    UnregisterLocked(name);
  }
  absl::StatusOr<std::vector<api::KindInfo>> kinds = KindsFor(crd);
  if (kinds.ok() && !kinds->empty()) {
    // Every version shares the storage of group/plural: delete through any of them.
    const api::KindInfo& k = kinds->front();
    absl::StatusOr<ListResult> list = registry_->List(k, "", ListOptions());
    if (!list.ok()) return list.status();
    for (const ObjectPtr& obj : list->items) {
      const api::meta::v1::ObjectMeta* m = api::GetObjectMeta(*obj);
      absl::StatusOr<ObjectPtr> d = registry_->Delete(k, m->namespace_(), m->name());
      if (!d.ok() && d.status().code() != absl::StatusCode::kNotFound) return d.status();
    }
  }
  const auto& fin = crd.metadata().finalizers();
  if (std::find(fin.begin(), fin.end(), kCleanupFinalizer) == fin.end()) return absl::OkStatus();
  auto next = std::make_unique<CustomResourceDefinition>(crd);
  next->mutable_metadata()->clear_finalizers();
  for (const std::string& f : fin) {
    if (f != kCleanupFinalizer) next->mutable_metadata()->add_finalizers(f);
  }
  absl::StatusOr<ObjectPtr> r = registry_->Update(*crd_kind_, "", name, std::move(next));
  if (!r.ok() && r.status().code() != absl::StatusCode::kNotFound) return r.status();
  return absl::OkStatus();
}

}  // namespace rudder::apiserver::crd
