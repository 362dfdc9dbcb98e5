#include "lib/apiserver/registry/registry.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "lib/api/defaults/defaults.h"
#include "lib/api/field/errors.h"
#include "lib/api/object/fields.h"
#include "lib/api/object/object.h"
#include "lib/api/patch/json_patch.h"
#include "lib/api/patch/merge_patch.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/strategic_merge_patch.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/apiserver/registry/errors.h"
#include "lib/base/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::apiserver {
namespace {

using api::meta::v1::ObjectMeta;
using google::protobuf::Message;

constexpr int kMaxRetries = 16;
constexpr char kConflictWhy[] =
    "the object has been modified; please apply your changes to the latest version and try again";

std::string KindPrefix(const api::KindInfo& kind, const std::string& ns) {
  std::string group = kind.gvk.group.empty() ? "core" : kind.gvk.group;
  std::string key = absl::StrCat("/registry/", group, "/", kind.plural, "/");
  if (kind.namespaced && !ns.empty()) absl::StrAppend(&key, ns, "/");
  return key;
}

std::string QualifiedKind(const api::KindInfo& kind) {
  return kind.gvk.group.empty() ? kind.gvk.kind : absl::StrCat(kind.gvk.kind, ".", kind.gvk.group);
}

absl::Status Detailed(const api::KindInfo& kind, const std::string& name, absl::Status s) {
  // As Kubernetes: Invalid errors name the kind ("The CronTab \"a\" is invalid"), the others
  // the resource.
  const bool invalid = !api::field::ErrorsFromStatus(s).empty();
  return WithDetails(std::move(s), kind.gvk.group, invalid ? kind.gvk.kind : kind.plural, name);
}

absl::StatusOr<ObjectPtr> Decode(const api::KindInfo& kind, const store::KeyValue& kv) {
  ObjectPtr obj = kind.New();
  if (obj == nullptr) return absl::UnimplementedError("unstructured kinds are not served yet");
  if (!obj->ParseFromString(kv.value)) {
    return absl::DataLossError(absl::StrCat("corrupt object at ", kv.key));
  }
  api::MutableObjectMeta(obj.get())->set_resourceversion(absl::StrCat(kv.mod_revision));
  return obj;
}

// The message's field `name` (a message field), or nullptr.
const google::protobuf::FieldDescriptor* FieldNamed(const Message& m, const char* name) {
  const google::protobuf::FieldDescriptor* fd = m.GetDescriptor()->FindFieldByName(name);
  if (fd == nullptr || fd->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
      fd->is_repeated()) {
    return nullptr;
  }
  return fd;
}

// Copies field `name` of `from` into `to` (clearing it when unset in `from`).
void CopyField(const Message& from, Message* to, const char* name) {
  const google::protobuf::FieldDescriptor* fd = FieldNamed(from, name);
  if (fd == nullptr) return;
  const google::protobuf::Reflection* r = to->GetReflection();
  if (from.GetReflection()->HasField(from, fd)) {
    r->MutableMessage(to, fd)->CopyFrom(from.GetReflection()->GetMessage(from, fd));
  } else {
    r->ClearField(to, fd);
  }
}

std::string Stored(const Message& obj) {
  std::string out;
  google::protobuf::io::StringOutputStream s(&out);
  google::protobuf::io::CodedOutputStream c(&s);
  c.SetSerializationDeterministic(true);
  obj.SerializeToCodedStream(&c);
  return out;
}

// The object without metadata and status, serialized: what generation tracks.
std::string SpecBytes(const Message& obj) {
  ObjectPtr copy(obj.New());
  copy->CopyFrom(obj);
  for (const char* f : {"metadata", "status"}) {
    if (const auto* fd = FieldNamed(*copy, f)) copy->GetReflection()->ClearField(copy.get(), fd);
  }
  return Stored(*copy);
}
std::string StoredWithoutRv(const Message& obj) {
  ObjectPtr copy(obj.New());
  copy->CopyFrom(obj);
  api::MutableObjectMeta(copy.get())->clear_resourceversion();
  return Stored(*copy);
}

struct Selectors {
  api::labels::Selector labels;
  api::fields::Selector fields;
};

// `d`: the kind's message (nullptr for unstructured kinds), whose own selectable fields
// (lib/api/object/fields.h, e.g. spec.nodeName of pods) are allowed besides metadata's.
absl::StatusOr<Selectors> ParseSelectors(const ListOptions& options,
                                         const google::protobuf::Descriptor* d = nullptr) {
  Selectors s;
  if (!options.label_selector.empty()) {
    RUDDER_ASSIGN_OR_RETURN(s.labels, api::labels::Selector::Parse(options.label_selector));
  }
  if (!options.field_selector.empty()) {
    RUDDER_ASSIGN_OR_RETURN(s.fields, api::fields::Selector::Parse(options.field_selector));
    std::vector<std::string> kind_fields;
    if (d != nullptr) kind_fields = api::SelectableFieldNames(*d);
    RUDDER_RETURN_IF_ERROR(api::fields::CheckSupportedFields(s.fields, [&](std::string_view f) {
      return f == "metadata.name" || f == "metadata.namespace" ||
             std::find(kind_fields.begin(), kind_fields.end(), f) != kind_fields.end();
    }));
  }
  return s;
}

bool Matches(const Selectors& s, const Message& obj) {
  const ObjectMeta* meta = api::GetObjectMeta(obj);
  if (meta == nullptr) return false;
  if (!s.labels.Matches(meta->labels())) return false;
  std::optional<std::map<std::string, std::string>> kind_fields;  // computed when needed
  return s.fields.Matches([&](std::string_view f) -> std::string_view {
    if (f == "metadata.name") return meta->name();
    if (f == "metadata.namespace") return meta->namespace_();
    if (f == "spec.nodeName" && obj.GetDescriptor() == api::core::v1::Pod::descriptor()) {
      return static_cast<const api::core::v1::Pod&>(obj).spec().nodename();
    }
    if (!kind_fields) kind_fields = api::SelectableFields(obj);
    auto it = kind_fields->find(std::string(f));
    return it == kind_fields->end() ? std::string_view() : std::string_view(it->second);
  });
}

// Continue tokens: base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"<key suffix>"}.
std::string EncodeContinue(int64_t rv, const std::string& start) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("v");
  w.String("meta.k8s.io/v1");
  w.Key("rv");
  w.Int64(rv);
  w.Key("start");
  w.String(start.c_str(), start.size());
  w.EndObject();
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(buf.GetString(), buf.GetSize()), &out);
  return out;
}

absl::Status DecodeContinue(const std::string& token, int64_t* rv, std::string* start) {
  std::string json;
  absl::Status bad = absl::InvalidArgumentError("continue key is not valid: invalid token");
  if (!absl::WebSafeBase64Unescape(token, &json)) return bad;
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("rv") || !d["rv"].IsInt64() ||
      !d.HasMember("start") || !d["start"].IsString()) {
    return bad;
  }
  *rv = d["rv"].GetInt64();
  *start = std::string(d["start"].GetString(), d["start"].GetStringLength());
  if (*rv <= 0 || start->find("..") != std::string::npos) return bad;
  return absl::OkStatus();
}

// An object watch over a store watch.
class ObjectWatcherImpl : public ObjectWatcher {
 public:
  ObjectWatcherImpl(std::shared_ptr<const api::KindInfo> kind, Selectors selectors, bool bookmarks,
                    std::unique_ptr<store::Watcher> watcher, std::deque<ObjectEvent> initial)
      : kind_(std::move(kind)),
        selectors_(std::move(selectors)),
        bookmarks_(bookmarks),
        watcher_(std::move(watcher)),
        pending_(std::move(initial)) {}

  std::optional<ObjectEvent> Next(absl::Duration timeout) override {
    absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (!pending_.empty()) {
        ObjectEvent e = std::move(pending_.front());
        pending_.pop_front();
        return e;
      }
      if (done_) return std::nullopt;
      absl::Duration left = deadline - absl::Now();
      if (left < absl::ZeroDuration()) return std::nullopt;
      std::optional<store::WatchResponse> r = watcher_->Next(left);
      if (!r.has_value()) return std::nullopt;
      Absorb(*r);
    }
  }

  void Cancel() override { watcher_->Cancel(); }

 private:
  void Absorb(const store::WatchResponse& r) {
    if (!r.status.ok()) {
      done_ = true;
      if (r.status.code() == absl::StatusCode::kCancelled) return;
      ObjectEvent e;
      e.type = "ERROR";
      if (store::IsCompacted(r.status)) {
        e.error =
            ExpiredError(absl::StrCat("The resourceVersion for the provided watch is too old."));
      } else {
        e.error = r.status;
      }
      pending_.push_back(std::move(e));
      return;
    }
    if (r.events.empty()) {
      if (bookmarks_ && r.revision > 0) {
        ObjectEvent e;
        e.type = "BOOKMARK";
        e.object = kind_->New();
        api::MutableObjectMeta(e.object.get())->set_resourceversion(absl::StrCat(r.revision));
        pending_.push_back(std::move(e));
      }
      return;
    }
    for (const store::WatchEvent& we : r.events) {
      ObjectPtr cur, prev;
      if (we.type == store::WatchEvent::Type::kPut) {
        absl::StatusOr<ObjectPtr> c = Decode(*kind_, we.kv);
        if (!c.ok()) continue;
        cur = std::move(*c);
      }
      if (we.prev_kv.has_value()) {
        absl::StatusOr<ObjectPtr> p = Decode(*kind_, *we.prev_kv);
        if (p.ok()) prev = std::move(*p);
      }
      bool cur_m = cur != nullptr && Matches(selectors_, *cur);
      bool prev_m = prev != nullptr && Matches(selectors_, *prev);
      ObjectEvent e;
      if (cur_m && prev_m) {
        e.type = "MODIFIED";
        e.object = std::move(cur);
      } else if (cur_m) {
        e.type = "ADDED";
        e.object = std::move(cur);
      } else if (prev_m) {
        e.type = "DELETED";
        e.object = cur != nullptr ? std::move(cur) : std::move(prev);
        api::MutableObjectMeta(e.object.get())
            ->set_resourceversion(absl::StrCat(we.kv.mod_revision));
      } else {
        continue;
      }
      pending_.push_back(std::move(e));
    }
  }

  std::shared_ptr<const api::KindInfo> kind_;
  Selectors selectors_;
  bool bookmarks_;
  std::unique_ptr<store::Watcher> watcher_;
  std::deque<ObjectEvent> pending_;
  bool done_ = false;
};

// An object watch served by a watch cache.
class CachedObjectWatcher : public ObjectWatcher {
 public:
  CachedObjectWatcher(std::shared_ptr<const api::KindInfo> kind,
                      std::unique_ptr<cache::CacheWatcher> w, bool share)
      : kind_(std::move(kind)), w_(std::move(w)), share_(share) {}

  std::optional<ObjectEvent> Next(absl::Duration timeout) override {
    std::optional<cache::CacheEvent> ce = w_->Next(timeout);
    if (!ce.has_value()) return std::nullopt;
    ObjectEvent e;
    switch (ce->type) {
      case cache::CacheEvent::Type::kAdded:
        e.type = "ADDED";
        break;
      case cache::CacheEvent::Type::kModified:
        e.type = "MODIFIED";
        break;
      case cache::CacheEvent::Type::kDeleted:
        e.type = "DELETED";
        break;
      case cache::CacheEvent::Type::kBookmark:
        e.type = "BOOKMARK";
        e.object = kind_->New();
        api::MutableObjectMeta(e.object.get())->set_resourceversion(absl::StrCat(ce->revision));
        return e;
      case cache::CacheEvent::Type::kError:
        e.type = "ERROR";
        // Position lost (relist) or too slow: the client relists, as after a 410.
        e.error = store::IsCompacted(ce->error) ||
                          ce->error.code() == absl::StatusCode::kResourceExhausted
                      ? ExpiredError("The resourceVersion for the provided watch is too old.")
                      : ce->error;
        return e;
    }
    if (share_) {
      e.shared = std::move(ce->object);
      e.shared_value = std::move(ce->value);
      return e;
    }
    e.object.reset(ce->object->New());
    e.object->CopyFrom(*ce->object);
    return e;
  }

  void Cancel() override { w_->Cancel(); }

 private:
  std::shared_ptr<const api::KindInfo> kind_;
  std::unique_ptr<cache::CacheWatcher> w_;
  const bool share_;
};

absl::StatusOr<int64_t> ParseRv(const std::string& rv) {
  int64_t n;
  if (!absl::SimpleAtoi(rv, &n) || n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid resource version: ", rv));
  }
  return n;
}

cache::Filter FilterFor(const Selectors& sel) {
  if (sel.labels.Empty() && sel.fields.Empty()) return nullptr;
  return [sel](const Message& m) { return Matches(sel, m); };
}

}  // namespace

cache::WatchCache* Registry::CacheFor(const api::KindInfo& kind) {
  if (!options_.watch_cache || kind.New() == nullptr) return nullptr;
  const std::string prefix = KindPrefix(kind, "");
  MutexLock l(&caches_mu_);
  auto it = caches_.find(prefix);
  if (it != caches_.end()) return it->second.get();
  std::shared_ptr<const api::KindInfo> info = scheme_->ByKind(kind.gvk);
  if (info == nullptr) return nullptr;
  auto decode = [info](const store::KeyValue& kv) -> absl::StatusOr<cache::ObjectRef> {
    RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Decode(*info, kv));
    return cache::ObjectRef(std::move(obj));
  };
  // The JSON a GET returns (kind and apiVersion first), made once per cached object version.
  // Encoded from a throwaway copy: the codec reads map fields through protobuf's repeated-field
  // view, which would otherwise keep a second copy of every map entry (labels, annotations,
  // resource lists) inside the cached object for its whole life.
  api::JsonEncodeOptions enc;
  enc.api_version = info->gvk.ApiVersion();
  enc.kind = info->gvk.kind;
  auto encode = [enc](const Message& m) {
    ObjectPtr copy(m.New());
    copy->CopyFrom(m);
    return api::EncodeJson(*copy, enc);
  };
  absl::StatusOr<std::unique_ptr<cache::WatchCache>> c =
      cache::WatchCache::Start(store_, prefix, decode, options_.cache, encode);
  if (!c.ok()) return nullptr;  // served from the store; retried on the next request
  return caches_.emplace(prefix, std::move(*c)).first->second.get();
}

// What admission plugins read and write: the registry itself, without admission.
class RegistryAccess : public admission::ObjectAccess {
 public:
  explicit RegistryAccess(Registry* r) : r_(r) {}
  api::Scheme& scheme() override { return *r_->scheme_; }
  absl::StatusOr<ObjectPtr> Get(const api::KindInfo& kind, const std::string& ns,
                                const std::string& name) override {
    return r_->Get(kind, ns, name);
  }
  // A consistent read straight from the store: one round trip, as a consistent read of the
  // watch cache costs, without waiting for the cache to catch up with unrelated writes.
  absl::StatusOr<std::vector<ObjectPtr>> List(const api::KindInfo& kind,
                                              const std::string& ns) override {
    RUDDER_ASSIGN_OR_RETURN(store::RangeResult rr,
                            r_->store_->Range(store::KeyRange::Prefix(KindPrefix(kind, ns)), {}));
    std::vector<ObjectPtr> out;
    out.reserve(rr.kvs.size());
    for (const store::KeyValue& kv : rr.kvs) {
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Decode(kind, kv));
      out.push_back(std::move(obj));
    }
    return out;
  }
  absl::StatusOr<ObjectPtr> UpdateStatus(const api::KindInfo& kind, const std::string& ns,
                                         ObjectPtr obj) override {
    if (obj == nullptr) return absl::InvalidArgumentError("no object");
    const std::string name = api::GetObjectMeta(*obj)->name();
    return r_->UpdateOnce(kind, ns, name, std::move(obj), kind.has_status, nullptr);
  }

 private:
  Registry* r_;
};

Registry::Registry(store::Store* store, api::Scheme* scheme, const RegistryOptions& options)
    : store_(store),
      scheme_(scheme),
      options_(options),
      access_(std::make_unique<RegistryAccess>(this)),
      rng_(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())) ^ 0x9e3779b97f4a7c15ULL) {}

Registry::~Registry() = default;

admission::Attributes Registry::Attrs(admission::Operation op, const api::KindInfo& kind,
                                      const std::string& ns, const std::string& name, bool dry_run,
                                      const admission::UserInfo& user) {
  admission::Attributes a;
  a.operation = op;
  a.kind = &kind;
  a.ns = kind.namespaced ? ns : "";
  a.name = name;
  a.dry_run = dry_run;
  a.user = user;
  a.access = access_.get();
  return a;
}

void Registry::SetSeedForTest(uint64_t seed) {
  MutexLock l(&mu_);
  rng_ = seed;
}

std::string Registry::RandomString(int n, const char* alphabet) {
  MutexLock l(&mu_);
  size_t len = strlen(alphabet);
  std::string out;
  for (int i = 0; i < n; ++i) {
    // splitmix64
    uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    out += alphabet[z % len];
  }
  return out;
}

std::string Registry::KeyFor(const api::KindInfo& kind, const std::string& ns,
                             const std::string& name) {
  return KindPrefix(kind, kind.namespaced ? ns : "") + name;
}

std::string Registry::QualifiedResource(const api::KindInfo& kind) {
  return kind.gvk.group.empty() ? kind.plural : absl::StrCat(kind.plural, ".", kind.gvk.group);
}

const api::patch::PatchMeta& Registry::PatchMetaFor(const api::KindInfo& kind) {
  MutexLock l(&mu_);
  std::unique_ptr<api::patch::PatchMeta>& m = patch_meta_[kind.descriptor];
  if (m == nullptr) m = api::patch::NewProtoPatchMeta(kind.descriptor);
  return *m;
}

absl::StatusOr<Registry::Current> Registry::Read(const api::KindInfo& kind, const std::string& key,
                                                 const std::string& name) {
  RUDDER_ASSIGN_OR_RETURN(std::optional<store::KeyValue> kv, store_->Get(key));
  if (!kv.has_value()) {
    return Detailed(kind, name, NotFoundError(QualifiedResource(kind), name));
  }
  Current c;
  RUDDER_ASSIGN_OR_RETURN(c.obj, Decode(kind, *kv));
  c.mod_revision = kv->mod_revision;
  return c;
}

absl::StatusOr<ObjectPtr> Registry::Create(const api::KindInfo& kind, const std::string& ns,
                                           ObjectPtr obj, const WriteOptions& options) {
  return CreateImpl(kind, ns, std::move(obj), options, /*track=*/true);
}

absl::StatusOr<ObjectPtr> Registry::CreateImpl(const api::KindInfo& kind, const std::string& ns,
                                               ObjectPtr obj, const WriteOptions& options,
                                               bool track) {
  if (obj == nullptr || obj->GetDescriptor() != kind.descriptor) {
    return absl::InvalidArgumentError("the object is not of the resource's kind");
  }
  ObjectMeta* meta = api::MutableObjectMeta(obj.get());
  if (kind.namespaced) {
    if (!ns.empty() && !meta->namespace_().empty() && meta->namespace_() != ns) {
      return absl::InvalidArgumentError(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    if (meta->namespace_().empty()) meta->set_namespace_(ns.empty() ? "default" : ns);
  } else {
    meta->clear_namespace_();
  }
  if (meta->name().empty() && !meta->generatename().empty()) {
    std::string prefix = meta->generatename();
    if (prefix.size() > 58) prefix.resize(58);
    meta->set_name(prefix + RandomString(5, "bcdfghjklmnpqrstvwxz2456789"));
  }
  if (meta->name().empty()) {
    api::field::FieldErrors errs;
    errs.Add(api::field::Required(api::field::Path("metadata").Child("name"),
                                  "name or generateName is required"));
    return Detailed(kind, "", errs.ToStatus(QualifiedKind(kind), ""));
  }
  const std::string name = meta->name();
  std::string uid = RandomString(32, "0123456789abcdef");
  uid.insert(20, "-");
  uid.insert(16, "-");
  uid.insert(12, "-");
  uid.insert(8, "-");
  meta->set_uid(uid);
  *meta->mutable_creationtimestamp() =
      api::FromAbslTime(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
  meta->set_generation(1);
  meta->clear_resourceversion();
  meta->clear_deletiontimestamp();
  meta->clear_deletiongraceperiodseconds();
  if (kind.defaulter) kind.defaulter(obj.get());
  if (track) TrackManagedFields(kind, nullptr, obj.get(), false, &options);
  // Kubernetes' pod strategy on create only: status.phase Pending and status.qosClass.
  if (kind.descriptor == api::core::v1::Pod::descriptor()) {
    api::defaults::PreparePodForCreate(static_cast<api::core::v1::Pod*>(obj.get()));
  }
  const admission::Chain* chain = options_.admission.get();
  admission::Attributes attrs = Attrs(admission::Operation::kCreate, kind, meta->namespace_(), name,
                                      options.dry_run, options.user);
  attrs.object = obj.get();
  if (chain != nullptr) {
    RUDDER_RETURN_IF_ERROR(chain->Admit(attrs));
    // Plugins may not move the object.
    meta->set_name(name);
    if (kind.namespaced) meta->set_namespace_(attrs.ns);
  }
  if (kind.validate) {
    RUDDER_RETURN_IF_ERROR(
        Detailed(kind, name, kind.validate(*obj).ToStatus(QualifiedKind(kind), name)));
  }
  if (chain != nullptr) RUDDER_RETURN_IF_ERROR(chain->Validate(attrs));
  std::string key = KeyFor(kind, meta->namespace_(), name);
  if (options.dry_run) {
    RUDDER_ASSIGN_OR_RETURN(std::optional<store::KeyValue> existing, store_->Get(key));
    if (existing.has_value()) {
      return Detailed(kind, name, AlreadyExistsError(QualifiedResource(kind), name));
    }
    return obj;
  }
  store::TxnRequest txn;
  txn.compares.push_back(store::Compare::CreateRevision(key, store::Compare::Op::kEqual, 0));
  txn.success.push_back(store::TxnOp::Put(key, Stored(*obj)));
  RUDDER_ASSIGN_OR_RETURN(store::TxnResult r, store_->Txn(txn));
  if (!r.succeeded) return Detailed(kind, name, AlreadyExistsError(QualifiedResource(kind), name));
  api::MutableObjectMeta(obj.get())->set_resourceversion(absl::StrCat(r.revision));
  if (chain != nullptr) chain->Committed(attrs);
  return obj;
}

absl::StatusOr<ObjectPtr> Registry::Get(const api::KindInfo& kind, const std::string& ns,
                                        const std::string& name) {
  RUDDER_ASSIGN_OR_RETURN(Current c, Read(kind, KeyFor(kind, ns, name), name));
  return std::move(c.obj);
}

absl::StatusOr<ListResult> Registry::List(const api::KindInfo& kind, const std::string& ns,
                                          const ListOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(Selectors sel, ParseSelectors(options, kind.descriptor));
  if (options.limit < 0) return absl::InvalidArgumentError("limit must not be negative");
  const std::string prefix = KindPrefix(kind, ns);
  const std::string end = store::PrefixEnd(prefix);
  std::string from = prefix;
  int64_t revision = 0;
  if (!options.continue_token.empty()) {
    std::string start;
    RUDDER_RETURN_IF_ERROR(DecodeContinue(options.continue_token, &revision, &start));
    from = prefix + start;
  } else if (!options.resource_version.empty()) {
    int64_t rv;
    if (!absl::SimpleAtoi(options.resource_version, &rv) || rv < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource version: ", options.resource_version));
    }
  }
  const std::string& match = options.resource_version_match;
  if (!match.empty() && match != "NotOlderThan" && match != "Exact") {
    return absl::InvalidArgumentError(
        absl::StrCat("resourceVersionMatch: Unsupported value: \"", match, "\""));
  }
  const bool exact = match == "Exact" && options.continue_token.empty();
  ListResult out;
  cache::WatchCache* wc = options.continue_token.empty() ? CacheFor(kind) : nullptr;
  if (wc != nullptr) {
    cache::CacheListOptions co;
    co.key_prefix = prefix;
    co.resource_version = -1;
    if (!options.resource_version.empty()) {
      RUDDER_ASSIGN_OR_RETURN(co.resource_version, ParseRv(options.resource_version));
    }
    co.match = exact ? cache::RvMatch::kExact : cache::RvMatch::kNotOlderThan;
    co.filter = FilterFor(sel);
    co.limit = options.limit;
    absl::StatusOr<cache::CacheListResult> cr = wc->List(co);
    if (cr.ok()) {
      if (options.share_cached_objects) {
        out.shared_items.reserve(cr->items.size());
        out.shared_values.reserve(cr->items.size());
        for (cache::CachedObject& o : cr->items) {
          out.shared_items.push_back(std::move(o.object));
          out.shared_values.push_back(std::move(o.value));
        }
      } else {
        out.items.reserve(cr->items.size());
        for (const cache::CachedObject& o : cr->items) {
          ObjectPtr copy(o.object->New());
          copy->CopyFrom(*o.object);
          out.items.push_back(std::move(copy));
        }
      }
      out.resource_version = cr->revision;
      if (!cr->next_key.empty()) {
        // Later pages read the store at the page's revision.
        out.continue_token = EncodeContinue(cr->revision, cr->next_key.substr(prefix.size()));
        if (sel.labels.Empty() && sel.fields.Empty()) out.remaining = cr->remaining;
      }
      return out;
    }
    // Otherwise (an exact revision older than the ring, a cache that lags): the store.
  }
  if (exact && !options.resource_version.empty()) {
    RUDDER_ASSIGN_OR_RETURN(revision, ParseRv(options.resource_version));
  }
  while (true) {
    store::RangeOptions ro;
    ro.revision = revision;
    ro.limit = options.limit > 0 ? options.limit - static_cast<int64_t>(out.items.size()) + 1 : 0;
    absl::StatusOr<store::RangeResult> rr = store_->Range(store::KeyRange{from, end}, ro);
    if (!rr.ok()) {
      if (store::IsCompacted(rr.status())) {
        return ExpiredError(
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter.");
      }
      return rr.status();
    }
    if (revision == 0) revision = rr->revision;
    for (const store::KeyValue& kv : rr->kvs) {
      if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
        // One more matching candidate exists beyond the page; continue at this key.
        out.continue_token = EncodeContinue(revision, kv.key.substr(prefix.size()));
        if (sel.labels.Empty() && sel.fields.Empty())
          out.remaining = rr->count - static_cast<int64_t>(&kv - rr->kvs.data());
        out.resource_version = revision;
        return out;
      }
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Decode(kind, kv));
      if (Matches(sel, *obj)) out.items.push_back(std::move(obj));
    }
    if (!rr->more || rr->kvs.empty()) break;
    from = rr->kvs.back().key + std::string(1, '\0');
  }
  out.resource_version = revision;
  return out;
}

absl::StatusOr<ObjectPtr> Registry::Update(const api::KindInfo& kind, const std::string& ns,
                                           const std::string& name, ObjectPtr obj, bool status,
                                           const WriteOptions& options) {
  return UpdateOnce(kind, ns, name, std::move(obj), status, &options);
}

absl::StatusOr<ObjectPtr> Registry::UpdateOnce(const api::KindInfo& kind, const std::string& ns,
                                               const std::string& name, ObjectPtr obj, bool status,
                                               const WriteOptions* options, bool track) {
  if (obj == nullptr || obj->GetDescriptor() != kind.descriptor) {
    return absl::InvalidArgumentError("the object is not of the resource's kind");
  }
  if (status && !kind.has_status) {
    return absl::NotFoundError(absl::StrCat("the server could not find the requested resource"));
  }
  ObjectMeta* meta = api::MutableObjectMeta(obj.get());
  if (!meta->name().empty() && meta->name() != name) {
    return absl::InvalidArgumentError(absl::StrCat("the name of the object (", meta->name(),
                                                   ") does not match the name on the URL (", name,
                                                   ")"));
  }
  if (kind.namespaced && !meta->namespace_().empty() && meta->namespace_() != ns) {
    return absl::InvalidArgumentError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  const std::string key = KeyFor(kind, ns, name);
  RUDDER_ASSIGN_OR_RETURN(Current cur, Read(kind, key, name));
  const ObjectMeta& old_meta = *api::GetObjectMeta(*cur.obj);
  if (!meta->resourceversion().empty()) {
    int64_t rv = 0;
    if (!absl::SimpleAtoi(meta->resourceversion(), &rv)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource version: ", meta->resourceversion()));
    }
    if (rv != cur.mod_revision) {
      return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
    }
  }
  ObjectPtr next;
  if (status) {
    // Only status changes: start from the stored object.
    next.reset(cur.obj->New());
    next->CopyFrom(*cur.obj);
    CopyField(*obj, next.get(), "status");
    if (!track) {  // server-side apply computed them
      *api::MutableObjectMeta(next.get())->mutable_managedfields() =
          api::GetObjectMeta(*obj)->managedfields();
    }
  } else {
    next = std::move(obj);
    if (kind.has_status) CopyField(*cur.obj, next.get(), "status");
  }
  ObjectMeta* nm = api::MutableObjectMeta(next.get());
  nm->set_name(name);
  if (kind.namespaced)
    nm->set_namespace_(ns);
  else
    nm->clear_namespace_();
  nm->set_uid(old_meta.uid());
  *nm->mutable_creationtimestamp() = old_meta.creationtimestamp();
  if (old_meta.has_deletiontimestamp()) {
    *nm->mutable_deletiontimestamp() = old_meta.deletiontimestamp();
    nm->set_deletiongraceperiodseconds(old_meta.deletiongraceperiodseconds());
  } else {
    nm->clear_deletiontimestamp();
    nm->clear_deletiongraceperiodseconds();
  }
  nm->set_generation(old_meta.generation());
  nm->clear_resourceversion();
  if (kind.defaulter) kind.defaulter(next.get());
  if (track) TrackManagedFields(kind, cur.obj.get(), next.get(), status, options);
  const admission::Chain* chain = options != nullptr ? options_.admission.get() : nullptr;
  const bool dry_run = options != nullptr && options->dry_run;
  admission::Attributes attrs;
  if (chain != nullptr) {
    attrs = Attrs(admission::Operation::kUpdate, kind, ns, name, dry_run, options->user);
    attrs.subresource = status ? "status" : "";
    attrs.object = next.get();
    attrs.old_object = cur.obj.get();
    RUDDER_RETURN_IF_ERROR(chain->Admit(attrs));
    nm->set_name(name);
    nm->set_uid(old_meta.uid());
  }
  if (!status && SpecBytes(*next) != SpecBytes(*cur.obj)) {
    nm->set_generation(old_meta.generation() + 1);
  }
  if (kind.validate) {
    RUDDER_RETURN_IF_ERROR(
        Detailed(kind, name, kind.validate(*next).ToStatus(QualifiedKind(kind), name)));
  }
  if (kind.validate_update) {
    RUDDER_RETURN_IF_ERROR(Detailed(
        kind, name, kind.validate_update(*next, *cur.obj).ToStatus(QualifiedKind(kind), name)));
  }
  if (chain != nullptr) RUDDER_RETURN_IF_ERROR(chain->Validate(attrs));
  if (dry_run) {
    nm->set_resourceversion(absl::StrCat(cur.mod_revision));
    return next;
  }
  store::TxnRequest txn;
  txn.compares.push_back(
      store::Compare::ModRevision(key, store::Compare::Op::kEqual, cur.mod_revision));
  bool finalize = nm->has_deletiontimestamp() && nm->finalizers_size() == 0;
  if (const auto* ns_obj = dynamic_cast<const api::core::v1::Namespace*>(next.get())) {
    // A namespace goes when its spec.finalizers are done too.
    finalize = finalize && ns_obj->spec().finalizers_size() == 0;
  }
  if (finalize) {
    txn.success.push_back(store::TxnOp::Delete(store::KeyRange::Single(key)));
  } else {
    std::string bytes = Stored(*next);
    if (bytes == StoredWithoutRv(*cur.obj)) {
      // Nothing changed: no write, the stored version stands.
      nm->set_resourceversion(absl::StrCat(cur.mod_revision));
      return next;
    }
    txn.success.push_back(store::TxnOp::Put(key, bytes));
  }
  RUDDER_ASSIGN_OR_RETURN(store::TxnResult r, store_->Txn(txn));
  if (!r.succeeded) {
    return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
  }
  nm->set_resourceversion(absl::StrCat(r.revision));
  if (chain != nullptr) {
    attrs.removed = finalize;
    chain->Committed(attrs);
  }
  return next;
}

namespace {

// The propagation policy a delete applies: explicit, else from orphanDependents, else empty
// (the kind's default, unless the object already carries a garbage-collection finalizer).
absl::StatusOr<std::string> PolicyOf(const DeleteOptions& o) {
  if (o.propagation_policy.has_value()) {
    const std::string& p = *o.propagation_policy;
    if (p != kPropagationOrphan && p != kPropagationBackground && p != kPropagationForeground) {
      api::field::FieldErrors errs;
      errs.Add(api::field::NotSupported(
          api::field::Path("propagationPolicy"), api::field::Quote(p),
          {kPropagationForeground, kPropagationBackground, kPropagationOrphan}));
      return errs.ToStatus("DeleteOptions", "");
    }
    if (o.orphan_dependents.has_value()) {
      return absl::InvalidArgumentError(
          "orphanDependents and propagationPolicy cannot both be set");
    }
    return p;
  }
  if (o.orphan_dependents.has_value()) {
    return std::string(*o.orphan_dependents ? kPropagationOrphan : kPropagationBackground);
  }
  return std::string();
}

// Kubernetes' default policy of a kind when a delete names none.
std::string DefaultPolicy(const api::KindInfo& kind) {
  if ((kind.gvk.group == "batch" && kind.gvk.version == "v1" && kind.gvk.kind == "Job") ||
      (kind.gvk.group.empty() && kind.gvk.kind == "ReplicationController")) {
    return kPropagationOrphan;
  }
  return kPropagationBackground;
}

// Sets the garbage-collection finalizers of `meta` for `policy`. Returns true when they changed.
bool ApplyPolicy(const std::string& policy, ObjectMeta* meta) {
  auto has = [&](const char* f) {
    return std::find(meta->finalizers().begin(), meta->finalizers().end(), f) !=
           meta->finalizers().end();
  };
  auto remove = [&](const char* f) {
    auto* fs = meta->mutable_finalizers();
    auto it = std::remove(fs->begin(), fs->end(), f);
    bool changed = it != fs->end();
    fs->erase(it, fs->end());
    return changed;
  };
  bool changed = false;
  if (policy == kPropagationOrphan) {
    changed |= remove(kFinalizerForeground);
    if (!has(kFinalizerOrphan)) meta->add_finalizers(kFinalizerOrphan), changed = true;
  } else if (policy == kPropagationForeground) {
    changed |= remove(kFinalizerOrphan);
    if (!has(kFinalizerForeground)) meta->add_finalizers(kFinalizerForeground), changed = true;
  } else if (policy == kPropagationBackground) {
    changed |= remove(kFinalizerOrphan);
    changed |= remove(kFinalizerForeground);
  }
  return changed;
}

// The grace period of a pod delete by Kubernetes' rules; 0 = delete at once.
int64_t PodGrace(const api::core::v1::Pod& pod, const DeleteOptions& o) {
  int64_t grace = o.grace_period_seconds.has_value()
                      ? *o.grace_period_seconds
                      : (pod.spec().has_terminationgraceperiodseconds()
                             ? pod.spec().terminationgraceperiodseconds()
                             : 30);
  if (grace < 0) grace = 1;
  if (pod.spec().nodename().empty()) grace = 0;  // never scheduled: nothing to stop
  const std::string& phase = pod.status().phase();
  if (phase == "Succeeded" || phase == "Failed") grace = 0;
  return grace;
}

}  // namespace

absl::StatusOr<ObjectPtr> Registry::Delete(const api::KindInfo& kind, const std::string& ns,
                                           const std::string& name, const DeleteOptions& options,
                                           bool* deleted) {
  const std::string key = KeyFor(kind, ns, name);
  bool gone = false;
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    bool retry = false;
    absl::StatusOr<ObjectPtr> r = DeleteOnce(kind, key, ns, name, options, &gone, &retry);
    if (retry) continue;
    if (deleted != nullptr) *deleted = gone;
    return r;
  }
  return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
}

absl::StatusOr<ObjectPtr> Registry::DeleteOnce(const api::KindInfo& kind, const std::string& key,
                                               const std::string& ns, const std::string& name,
                                               const DeleteOptions& options, bool* deleted,
                                               bool* retry) {
  *deleted = false;
  RUDDER_ASSIGN_OR_RETURN(std::string policy, PolicyOf(options));
  RUDDER_ASSIGN_OR_RETURN(Current cur, Read(kind, key, name));
  const ObjectMeta& meta = *api::GetObjectMeta(*cur.obj);
  if (options.precondition_uid.has_value() && *options.precondition_uid != meta.uid()) {
    return Detailed(kind, name,
                    ConflictError(QualifiedResource(kind), name,
                                  absl::StrCat("Precondition failed: UID in precondition: ",
                                               *options.precondition_uid,
                                               ", UID in object meta: ", meta.uid())));
  }
  if (options.precondition_resource_version.has_value() &&
      *options.precondition_resource_version != absl::StrCat(cur.mod_revision)) {
    return Detailed(
        kind, name,
        ConflictError(QualifiedResource(kind), name,
                      absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                                   *options.precondition_resource_version,
                                   ", ResourceVersion in object meta: ", cur.mod_revision)));
  }
  const admission::Chain* chain = options_.admission.get();
  admission::Attributes attrs =
      Attrs(admission::Operation::kDelete, kind, ns, name, options.dry_run, options.user);
  attrs.old_object = cur.obj.get();
  if (chain != nullptr) {
    RUDDER_RETURN_IF_ERROR(chain->Admit(attrs));
    RUDDER_RETURN_IF_ERROR(chain->Validate(attrs));
  }
  ObjectPtr next(cur.obj->New());
  next->CopyFrom(*cur.obj);
  ObjectMeta* nm = api::MutableObjectMeta(next.get());
  nm->clear_resourceversion();
  const bool was_deleting = meta.has_deletiontimestamp();
  // Garbage-collection finalizers: the request's policy, else the kind's default unless the
  // object already carries one.
  const bool has_gc_finalizer = std::any_of(
      meta.finalizers().begin(), meta.finalizers().end(),
      [](const std::string& f) { return f == kFinalizerOrphan || f == kFinalizerForeground; });
  if (policy.empty() && !has_gc_finalizer) policy = DefaultPolicy(kind);
  bool changed = ApplyPolicy(policy, nm);
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  // Graceful deletion (pods) and namespace termination keep the object for its owner agent.
  bool pending = false;
  if (const auto* pod = dynamic_cast<const api::core::v1::Pod*>(cur.obj.get())) {
    const int64_t grace = PodGrace(*pod, options);
    if (grace > 0) {
      if (!was_deleting || grace < meta.deletiongraceperiodseconds()) {
        *nm->mutable_deletiontimestamp() = api::FromAbslTime(now + absl::Seconds(grace));
        nm->set_deletiongraceperiodseconds(grace);
        changed = true;
      }
      pending = true;
    } else if (was_deleting && meta.deletiongraceperiodseconds() != 0) {
      nm->set_deletiongraceperiodseconds(0);
      changed = true;
    }
  } else if (auto* nso = dynamic_cast<api::core::v1::Namespace*>(next.get())) {
    if (nso->spec().finalizers_size() > 0) {
      if (nso->status().phase() != "Terminating") {
        nso->mutable_status()->set_phase("Terminating");
        changed = true;
      }
      pending = true;
    }
  }
  if (nm->finalizers_size() > 0) pending = true;
  store::TxnRequest txn;
  txn.compares.push_back(
      store::Compare::ModRevision(key, store::Compare::Op::kEqual, cur.mod_revision));
  if (pending) {
    if (!nm->has_deletiontimestamp()) {
      *nm->mutable_deletiontimestamp() = api::FromAbslTime(now);
      nm->set_deletiongraceperiodseconds(0);
      changed = true;
    }
    if (!changed) return std::move(cur.obj);  // already being deleted this way
    if (options.dry_run) {
      nm->set_resourceversion(absl::StrCat(cur.mod_revision));
      return next;
    }
    txn.success.push_back(store::TxnOp::Put(key, Stored(*next)));
  } else {
    *deleted = true;
    if (options.dry_run) return std::move(cur.obj);
    txn.success.push_back(store::TxnOp::Delete(store::KeyRange::Single(key)));
  }
  RUDDER_ASSIGN_OR_RETURN(store::TxnResult r, store_->Txn(txn));
  if (!r.succeeded) {
    *retry = true;
    *deleted = false;
    return absl::AbortedError("retry");
  }
  if (chain != nullptr) {
    attrs.removed = *deleted;
    chain->Committed(attrs);
  }
  if (*deleted) {
    api::MutableObjectMeta(cur.obj.get())->set_resourceversion(absl::StrCat(r.revision));
    return std::move(cur.obj);
  }
  nm->set_resourceversion(absl::StrCat(r.revision));
  return next;
}

absl::StatusOr<ObjectPtr> Registry::FinalizeNamespace(const api::KindInfo& kind,
                                                      const std::string& name, ObjectPtr obj,
                                                      const WriteOptions& options, bool* deleted) {
  const auto* in = dynamic_cast<const api::core::v1::Namespace*>(obj.get());
  if (in == nullptr || kind.descriptor != api::core::v1::Namespace::descriptor()) {
    return absl::InvalidArgumentError("finalize is served for namespaces only");
  }
  if (!in->metadata().name().empty() && in->metadata().name() != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("the name of the object (", in->metadata().name(),
                     ") does not match the name on the URL (", name, ")"));
  }
  const std::string key = KeyFor(kind, "", name);
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    RUDDER_ASSIGN_OR_RETURN(Current cur, Read(kind, key, name));
    if (!in->metadata().resourceversion().empty() &&
        in->metadata().resourceversion() != absl::StrCat(cur.mod_revision)) {
      return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
    }
    auto next = std::make_unique<api::core::v1::Namespace>(
        static_cast<const api::core::v1::Namespace&>(*cur.obj));
    *next->mutable_spec()->mutable_finalizers() = in->spec().finalizers();
    next->mutable_metadata()->clear_resourceversion();
    if (const admission::Chain* chain = options_.admission.get()) {
      admission::Attributes attrs =
          Attrs(admission::Operation::kUpdate, kind, "", name, options.dry_run, options.user);
      attrs.subresource = "finalize";
      attrs.object = next.get();
      attrs.old_object = cur.obj.get();
      RUDDER_RETURN_IF_ERROR(chain->Admit(attrs));
      RUDDER_RETURN_IF_ERROR(chain->Validate(attrs));
    }
    const bool remove = next->metadata().has_deletiontimestamp() &&
                        next->metadata().finalizers_size() == 0 &&
                        next->spec().finalizers_size() == 0;
    if (deleted != nullptr) *deleted = remove;
    if (options.dry_run) {
      next->mutable_metadata()->set_resourceversion(absl::StrCat(cur.mod_revision));
      return next;
    }
    store::TxnRequest txn;
    txn.compares.push_back(
        store::Compare::ModRevision(key, store::Compare::Op::kEqual, cur.mod_revision));
    txn.success.push_back(remove ? store::TxnOp::Delete(store::KeyRange::Single(key))
                                 : store::TxnOp::Put(key, Stored(*next)));
    RUDDER_ASSIGN_OR_RETURN(store::TxnResult r, store_->Txn(txn));
    if (!r.succeeded) continue;
    next->mutable_metadata()->set_resourceversion(absl::StrCat(r.revision));
    return next;
  }
  return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
}

absl::StatusOr<ObjectPtr> Registry::BindPod(const std::string& ns, const std::string& name,
                                            const api::core::v1::Binding& binding,
                                            const WriteOptions& options,
                                            std::optional<absl::Time> now) {
  std::shared_ptr<const api::KindInfo> pods = scheme_->ByResource({"", "v1", "pods"});
  if (pods == nullptr) return absl::NotFoundError("the scheme has no pods");
  const api::KindInfo& kind = *pods;
  const std::string& bname = binding.metadata().name();
  if (!bname.empty() && bname != name) {
    return absl::InvalidArgumentError("name in URL does not match name in Binding object");
  }
  if (!binding.metadata().namespace_().empty() && binding.metadata().namespace_() != ns) {
    return absl::InvalidArgumentError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  {
    api::field::FieldErrors errs;
    const api::field::Path target("target");
    const std::string& tk = binding.target().kind();
    if (!tk.empty() && tk != "Node") {
      errs.Add(api::field::Invalid(target.Child("kind"), api::field::Quote(tk),
                                   "must be empty or 'Node'"));
    }
    if (binding.target().name().empty()) errs.Add(api::field::Required(target.Child("name"), ""));
    if (!errs.empty()) return errs.ToStatus("Binding", name);
  }
  const std::string& node = binding.target().name();
  if (const admission::Chain* chain = options_.admission.get()) {
    admission::Attributes attrs =
        Attrs(admission::Operation::kCreate, kind, ns, name, options.dry_run, options.user);
    attrs.subresource = "binding";
    api::core::v1::Binding copy = binding;
    attrs.object = &copy;
    RUDDER_RETURN_IF_ERROR(chain->Admit(attrs));
    RUDDER_RETURN_IF_ERROR(chain->Validate(attrs));
  }
  const absl::Time t = absl::FromUnixSeconds(absl::ToUnixSeconds(now.value_or(absl::Now())));
  const std::string key = KeyFor(kind, ns, name);
  const std::string resource = "pods/binding";
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    RUDDER_ASSIGN_OR_RETURN(Current cur, Read(kind, key, name));
    auto next =
        std::make_unique<api::core::v1::Pod>(static_cast<const api::core::v1::Pod&>(*cur.obj));
    ObjectMeta* nm = next->mutable_metadata();
    if (!binding.metadata().uid().empty() && binding.metadata().uid() != nm->uid()) {
      return Detailed(kind, name,
                      ConflictError(resource, name,
                                    absl::StrCat("Precondition failed: UID in precondition: ",
                                                 binding.metadata().uid(),
                                                 ", UID in object meta: ", nm->uid())));
    }
    if (!binding.metadata().resourceversion().empty() &&
        binding.metadata().resourceversion() != absl::StrCat(cur.mod_revision)) {
      return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
    }
    if (nm->has_deletiontimestamp()) {
      return Detailed(
          kind, name,
          ConflictError(
              resource, name,
              absl::StrCat("pod ", name, " is being deleted, cannot be assigned to a host")));
    }
    if (!next->spec().nodename().empty()) {
      return Detailed(kind, name,
                      ConflictError(resource, name,
                                    absl::StrCat("pod ", name, " is already assigned to node \"",
                                                 next->spec().nodename(), "\"")));
    }
    next->mutable_spec()->set_nodename(node);
    for (const auto& [k, v] : binding.metadata().annotations()) {
      (*nm->mutable_annotations())[k] = v;
    }
    api::core::v1::PodCondition* cond = nullptr;
    for (api::core::v1::PodCondition& c : *next->mutable_status()->mutable_conditions()) {
      if (c.type() == "PodScheduled") cond = &c;
    }
    if (cond == nullptr) {
      cond = next->mutable_status()->add_conditions();
      cond->set_type("PodScheduled");
    }
    if (cond->status() != "True") {
      cond->set_status("True");
      *cond->mutable_lasttransitiontime() = api::FromAbslTime(t);
    }
    cond->clear_reason();
    cond->clear_message();
    nm->clear_resourceversion();
    if (options.dry_run) {
      nm->set_resourceversion(absl::StrCat(cur.mod_revision));
      return next;
    }
    store::TxnRequest txn;
    txn.compares.push_back(
        store::Compare::ModRevision(key, store::Compare::Op::kEqual, cur.mod_revision));
    txn.success.push_back(store::TxnOp::Put(key, Stored(*next)));
    RUDDER_ASSIGN_OR_RETURN(store::TxnResult r, store_->Txn(txn));
    if (!r.succeeded) continue;
    nm->set_resourceversion(absl::StrCat(r.revision));
    return next;
  }
  return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
}

absl::StatusOr<std::vector<ObjectPtr>> Registry::DeleteCollection(const api::KindInfo& kind,
                                                                  const std::string& ns,
                                                                  const ListOptions& selectors,
                                                                  const DeleteOptions& options) {
  ListOptions lo;
  lo.label_selector = selectors.label_selector;
  lo.field_selector = selectors.field_selector;
  RUDDER_ASSIGN_OR_RETURN(ListResult list, List(kind, ns, lo));
  std::vector<ObjectPtr> out;
  out.reserve(list.items.size());
  for (const ObjectPtr& item : list.items) {
    const ObjectMeta& m = *api::GetObjectMeta(*item);
    absl::StatusOr<ObjectPtr> d = Delete(kind, m.namespace_(), m.name(), options);
    if (absl::IsNotFound(d.status())) continue;  // deleted meanwhile
    RUDDER_RETURN_IF_ERROR(d.status());
    out.push_back(std::move(*d));
  }
  return out;
}

absl::StatusOr<ObjectPtr> Registry::Patch(const api::KindInfo& kind, const std::string& ns,
                                          const std::string& name, PatchType type,
                                          const std::string& patch, bool status,
                                          api::FieldValidation validation,
                                          const WriteOptions& options) {
  if (status && !kind.has_status) {
    return absl::NotFoundError("the server could not find the requested resource");
  }
  if (type == PatchType::kApply) {
    return ApplyPatch(kind, ns, name, patch, status, validation, options);
  }
  const std::string key = KeyFor(kind, ns, name);
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    RUDDER_ASSIGN_OR_RETURN(Current cur, Read(kind, key, name));
    api::JsonEncodeOptions enc;
    enc.api_version = kind.gvk.ApiVersion();
    enc.kind = kind.gvk.kind;
    RUDDER_ASSIGN_OR_RETURN(std::string live, api::EncodeJson(*cur.obj, enc));
    absl::StatusOr<std::string> patched;
    switch (type) {
      case PatchType::kMerge:
        patched = api::patch::ApplyMergePatch(live, patch);
        break;
      case PatchType::kJson:
        patched = api::patch::ApplyJsonPatch(live, patch);
        break;
      case PatchType::kStrategicMerge:
        patched = api::patch::ApplyStrategicMergePatch(live, patch, PatchMetaFor(kind));
        break;
      case PatchType::kApply:  // handled above
        return absl::InternalError("unexpected apply patch");
    }
    if (!patched.ok()) {
      return absl::InvalidArgumentError(std::string(patched.status().message()));
    }
    ObjectPtr next = kind.New();
    api::JsonDecodeOptions dec;
    dec.validation = validation;
    absl::StatusOr<api::JsonDecodeResult> d = api::DecodeJson(*patched, next.get(), dec);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(validation == api::FieldValidation::kStrict ? "strict decoding error: " : "",
                       d.status().message()));
    }
    if (kind.unknown_fields && validation == api::FieldValidation::kStrict) {
      // Fields a custom resource's schema would drop.
      std::vector<std::string> unknown;
      for (const std::string& f : kind.unknown_fields(*next)) {
        unknown.push_back(absl::StrCat("unknown field \"", f, "\""));
      }
      if (!unknown.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("strict decoding error: ", absl::StrJoin(unknown, ", ")));
      }
    }
    ObjectMeta* nm = api::MutableObjectMeta(next.get());
    // A patch that sets resourceVersion asks for a precondition; otherwise patch the version
    // just read and retry on conflict.
    const bool pinned = nm->resourceversion() != absl::StrCat(cur.mod_revision);
    if (nm->resourceversion().empty()) nm->set_resourceversion(absl::StrCat(cur.mod_revision));
    absl::StatusOr<ObjectPtr> r = UpdateOnce(kind, ns, name, std::move(next), status, &options);
    if (r.ok() || r.status().code() != absl::StatusCode::kAborted || pinned) return r;
  }
  return Detailed(kind, name, ConflictError(QualifiedResource(kind), name, kConflictWhy));
}

absl::StatusOr<std::unique_ptr<ObjectWatcher>> Registry::Watch(const api::KindInfo& kind,
                                                               const std::string& ns,
                                                               const WatchOptions& options) {
  RUDDER_ASSIGN_OR_RETURN(Selectors sel, ParseSelectors(options.selectors, kind.descriptor));
  std::shared_ptr<const api::KindInfo> info = scheme_->ByKind(kind.gvk);
  if (info == nullptr) return absl::NotFoundError("kind is not registered");
  const std::string prefix = KindPrefix(kind, ns);
  if (cache::WatchCache* wc = CacheFor(kind)) {
    cache::CacheWatchOptions co;
    co.key_prefix = prefix;
    co.filter = FilterFor(sel);
    co.bookmarks = options.allow_bookmarks;
    if (options.resource_version.empty() || options.resource_version == "0") {
      co.initial_events = true;
      co.consistent = options.resource_version.empty();
    } else {
      RUDDER_ASSIGN_OR_RETURN(co.resource_version, ParseRv(options.resource_version));
    }
    absl::StatusOr<std::unique_ptr<cache::CacheWatcher>> cw = wc->Watch(co);
    if (cw.ok()) {
      return std::make_unique<CachedObjectWatcher>(info, std::move(*cw),
                                                   options.share_cached_objects);
    }
    // Older than the cache's ring (the store may still have it) or lagging: a store watch.
  }
  std::deque<ObjectEvent> initial;
  store::WatchOptions wo;
  wo.prev_kv = true;
  wo.progress_notify = options.allow_bookmarks;
  if (options.resource_version.empty() || options.resource_version == "0") {
    // The current state first, as ADDED events, then changes after it.
    store::RangeOptions ro;
    RUDDER_ASSIGN_OR_RETURN(store::RangeResult rr,
                            store_->Range(store::KeyRange::Prefix(prefix), ro));
    for (const store::KeyValue& kv : rr.kvs) {
      RUDDER_ASSIGN_OR_RETURN(ObjectPtr obj, Decode(kind, kv));
      if (!Matches(sel, *obj)) continue;
      ObjectEvent e;
      e.type = "ADDED";
      e.object = std::move(obj);
      initial.push_back(std::move(e));
    }
    wo.start_revision = rr.revision + 1;
  } else {
    int64_t rv;
    if (!absl::SimpleAtoi(options.resource_version, &rv) || rv < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource version: ", options.resource_version));
    }
    wo.start_revision = rv + 1;
  }
  absl::StatusOr<std::unique_ptr<store::Watcher>> w =
      store_->Watch(store::KeyRange::Prefix(prefix), wo);
  if (!w.ok()) {
    if (store::IsCompacted(w.status())) {
      return ExpiredError(absl::StrCat("too old resource version: ", options.resource_version, " (",
                                       store::CompactedRevision(w.status()), ")"));
    }
    return w.status();
  }
  return std::make_unique<ObjectWatcherImpl>(
      std::move(info), std::move(sel), options.allow_bookmarks, std::move(*w), std::move(initial));
}

}  // namespace rudder::apiserver
