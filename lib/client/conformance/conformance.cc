#include "lib/client/conformance/conformance.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/api/object/object.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/api/proto/policy/v1/policy.pb.h"
#include "lib/apiserver/registry/errors.h"

namespace rudder::client {

void ClientConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<ClientEnv>> env = GetParam().make();
  ASSERT_TRUE(env.ok()) << env.status();
  env_ = *std::move(env);
}

std::string TransportName(const ::testing::TestParamInfo<TransportFactory>& info) {
  return info.param.name;
}

namespace {

using api::apps::v1::Deployment;
using api::core::v1::ConfigMap;
namespace meta = api::meta::v1;

// Upper bound on waiting for an event that must come (not a timing assertion).
constexpr absl::Duration kEventWait = absl::Seconds(30);

ConfigMap MakeConfigMap(const std::string& ns, const std::string& name,
                        std::map<std::string, std::string> labels = {}) {
  ConfigMap cm;
  cm.mutable_metadata()->set_name(name);
  cm.mutable_metadata()->set_namespace_(ns);
  for (const auto& [k, v] : labels) (*cm.mutable_metadata()->mutable_labels())[k] = v;
  (*cm.mutable_data())["key"] = "value";
  return cm;
}

Deployment MakeDeployment(const std::string& ns, const std::string& name, int replicas) {
  Deployment d;
  d.mutable_metadata()->set_name(name);
  d.mutable_metadata()->set_namespace_(ns);
  d.mutable_spec()->set_replicas(replicas);
  (*d.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = name;
  (*d.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = name;
  auto* c = d.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx:1.25");
  return d;
}

int64_t Rv(const google::protobuf::Message& m) {
  int64_t rv = 0;
  EXPECT_TRUE(absl::SimpleAtoi(api::GetObjectMeta(m)->resourceversion(), &rv));
  return rv;
}

// The error of a watch that must fail at once: Watch's own error, or its first event's when it
// is an ERROR (REST servers answer a refused watch with an ERROR event, as Kubernetes does).
absl::Status WatchFailure(absl::StatusOr<std::unique_ptr<ObjectWatcher>> w) {
  if (!w.ok()) return w.status();
  std::optional<ObjectEvent> e = (*w)->Next(kEventWait);
  if (!e.has_value()) return absl::UnknownError("no event");
  if (e->type != "ERROR") return absl::UnknownError(absl::StrCat("a ", e->type, " event"));
  return e->error;
}

TEST_P(ClientConformanceTest, CreateGetUpdateDelete) {
  TypedClient<ConfigMap> cms(env_->client());
  absl::StatusOr<std::unique_ptr<ConfigMap>> created = cms.Create(MakeConfigMap("team", "a"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE((*created)->metadata().uid().empty());
  EXPECT_TRUE((*created)->metadata().has_creationtimestamp());
  EXPECT_EQ((*created)->metadata().namespace_(), "team");
  EXPECT_GT(Rv(**created), 0);

  absl::StatusOr<std::unique_ptr<ConfigMap>> got = cms.Get("team", "a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->SerializeAsString(), (*created)->SerializeAsString());

  (*got)->mutable_data()->at("key") = "changed";
  absl::StatusOr<std::unique_ptr<ConfigMap>> updated = cms.Update(**got);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_GT(Rv(**updated), Rv(**got));
  EXPECT_EQ((*updated)->data().at("key"), "changed");
  EXPECT_EQ((*cms.Get("team", "a"))->data().at("key"), "changed");

  absl::StatusOr<ObjectPtr> deleted =
      env_->client()->Delete(*cms.kind(), "team", "a", DeleteOptions{});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(api::GetObjectMeta(**deleted)->uid(), (*created)->metadata().uid());
  EXPECT_EQ(cms.Get("team", "a").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ClientConformanceTest, GenerateName) {
  TypedClient<ConfigMap> cms(env_->client());
  ConfigMap cm = MakeConfigMap("team", "");
  cm.mutable_metadata()->set_generatename("web-");
  absl::StatusOr<std::unique_ptr<ConfigMap>> created = cms.Create(cm);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(absl::StartsWith((*created)->metadata().name(), "web-"));
  EXPECT_GT((*created)->metadata().name().size(), 4u);
}

TEST_P(ClientConformanceTest, CreateTwiceIsAlreadyExists) {
  TypedClient<ConfigMap> cms(env_->client());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a")).ok());
  absl::Status st = cms.Create(MakeConfigMap("team", "a")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 409);
  EXPECT_EQ(api.reason(), "AlreadyExists");
  EXPECT_EQ(api.message(), "configmaps \"a\" already exists");
  EXPECT_EQ(api.details().name(), "a");
  EXPECT_EQ(api.details().kind(), "configmaps");
}

TEST_P(ClientConformanceTest, StaleUpdateIsConflict) {
  TypedClient<ConfigMap> cms(env_->client());
  absl::StatusOr<std::unique_ptr<ConfigMap>> created = cms.Create(MakeConfigMap("team", "a"));
  ASSERT_TRUE(created.ok()) << created.status();
  ConfigMap first = **created;
  first.mutable_data()->at("key") = "one";
  ASSERT_TRUE(cms.Update(first).ok());
  ConfigMap stale = **created;
  stale.mutable_data()->at("key") = "two";
  absl::Status st = cms.Update(stale).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 409);
  EXPECT_EQ(api.reason(), "Conflict");
  EXPECT_EQ(api.details().name(), "a");
  EXPECT_EQ((*cms.Get("team", "a"))->data().at("key"), "one");
}

TEST_P(ClientConformanceTest, MissingIsNotFound) {
  TypedClient<ConfigMap> cms(env_->client());
  absl::Status st = cms.Get("team", "nope").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 404);
  EXPECT_EQ(api.reason(), "NotFound");
  EXPECT_EQ(api.message(), "configmaps \"nope\" not found");
  EXPECT_EQ(api.details().name(), "nope");
  EXPECT_EQ(api.details().kind(), "configmaps");
  EXPECT_EQ(cms.Delete("team", "nope").code(), absl::StatusCode::kNotFound);
  ConfigMap cm = MakeConfigMap("team", "nope");
  cm.mutable_metadata()->set_resourceversion("1");
  EXPECT_EQ(cms.Update(cm).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cms.Patch("team", "nope", PatchType::kMerge, "{}").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(ClientConformanceTest, InvalidIs422WithFieldCauses) {
  TypedClient<Deployment> deployments(env_->client());
  Deployment d = MakeDeployment("team", "web", -1);
  d.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->clear_image();
  absl::Status st = deployments.Create(d).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 422);
  EXPECT_EQ(api.reason(), "Invalid");
  EXPECT_EQ(api.details().name(), "web");
  std::set<std::string> fields;
  for (const meta::StatusCause& c : api.details().causes()) fields.insert(c.field());
  EXPECT_TRUE(fields.count("spec.replicas")) << apiserver::ToApiStatusJson(st);
  EXPECT_TRUE(fields.count("spec.template.spec.containers[0].image"))
      << apiserver::ToApiStatusJson(st);
  EXPECT_EQ(deployments.Get("team", "web").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ClientConformanceTest, ListPaging) {
  TypedClient<ConfigMap> cms(env_->client());
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(cms.Create(MakeConfigMap("team", absl::StrCat("cm-", i))).ok());
  }
  ASSERT_TRUE(cms.Create(MakeConfigMap("other", "elsewhere")).ok());
  std::set<std::string> names;
  ListOptions o;
  o.limit = 3;
  int pages = 0;
  int64_t first_rv = 0;
  do {
    absl::StatusOr<TypedList<ConfigMap>> page = cms.List("team", o);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->items.size(), 3u);
    if (pages == 0) first_rv = page->resource_version;
    EXPECT_EQ(page->resource_version, first_rv);
    for (const auto& cm : page->items) names.insert(cm->metadata().name());
    o.continue_token = page->continue_token;
    ++pages;
  } while (!o.continue_token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.size(), 7u);
  EXPECT_GT(first_rv, 0);

  absl::StatusOr<TypedList<ConfigMap>> all = cms.List("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->items.size(), 8u);
  EXPECT_TRUE(all->continue_token.empty());
}

TEST_P(ClientConformanceTest, LabelAndFieldSelectors) {
  TypedClient<ConfigMap> cms(env_->client());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a", {{"app", "web"}, {"tier", "front"}})).ok());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "b", {{"app", "web"}, {"tier", "back"}})).ok());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "c", {{"app", "db"}})).ok());
  auto names = [&](const ListOptions& o) {
    std::set<std::string> out;
    absl::StatusOr<TypedList<ConfigMap>> l = cms.List("team", o);
    EXPECT_TRUE(l.ok()) << l.status();
    if (l.ok()) {
      for (const auto& cm : l->items) out.insert(cm->metadata().name());
    }
    return out;
  };
  ListOptions o;
  o.label_selector = "app=web";
  EXPECT_EQ(names(o), (std::set<std::string>{"a", "b"}));
  o.label_selector = "app in (web,db),tier!=back";
  EXPECT_EQ(names(o), (std::set<std::string>{"a", "c"}));
  o.label_selector = "!tier";
  EXPECT_EQ(names(o), (std::set<std::string>{"c"}));
  o.label_selector = "";
  o.field_selector = "metadata.name=b";
  EXPECT_EQ(names(o), (std::set<std::string>{"b"}));
  o.field_selector = "metadata.name!=b";
  o.label_selector = "app=web";
  EXPECT_EQ(names(o), (std::set<std::string>{"a"}));
  o.label_selector = "app in (web";
  o.field_selector = "";
  EXPECT_EQ(cms.List("team", o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(ClientConformanceTest, WatchFromResourceVersion) {
  TypedClient<ConfigMap> cms(env_->client());
  absl::StatusOr<std::unique_ptr<ConfigMap>> a = cms.Create(MakeConfigMap("team", "a"));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "b")).ok());
  ConfigMap a2 = **a;
  a2.mutable_data()->at("key") = "v2";
  ASSERT_TRUE(cms.Update(a2).ok());
  ASSERT_TRUE(cms.Create(MakeConfigMap("other", "x")).ok());

  WatchOptions o;
  o.resource_version = (*a)->metadata().resourceversion();
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = cms.Watch("team", o);
  ASSERT_TRUE(w.ok()) << w.status();
  auto next = [&]() -> std::pair<std::string, std::string> {
    std::optional<ObjectEvent> e = (*w)->Next(kEventWait);
    if (!e.has_value()) return {"TIMEOUT", ""};
    if (e->type == "ERROR") return {"ERROR", e->error.ToString()};
    const ConfigMap* cm = dynamic_cast<const ConfigMap*>(e->object.get());
    if (cm == nullptr) return {e->type, "not a ConfigMap"};
    return {e->type, absl::StrCat(cm->metadata().name(), ":", cm->data().at("key"))};
  };
  EXPECT_EQ(next(), std::make_pair(std::string("ADDED"), std::string("b:value")));
  EXPECT_EQ(next(), std::make_pair(std::string("MODIFIED"), std::string("a:v2")));
  // Live events after the replay; the other namespace is not seen.
  ASSERT_TRUE(cms.Create(MakeConfigMap("other", "y")).ok());
  ASSERT_TRUE(cms.Delete("team", "b").ok());
  EXPECT_EQ(next(), std::make_pair(std::string("DELETED"), std::string("b:value")));
  (*w)->Cancel();
  EXPECT_FALSE((*w)->Next(absl::ZeroDuration()).has_value());
}

TEST_P(ClientConformanceTest, WatchWithSelectorsAndInitialState) {
  TypedClient<ConfigMap> cms(env_->client());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a", {{"app", "web"}})).ok());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "b", {{"app", "db"}})).ok());
  WatchOptions o;
  o.selectors.label_selector = "app=web";
  absl::StatusOr<std::unique_ptr<ObjectWatcher>> w = cms.Watch("", o);
  ASSERT_TRUE(w.ok()) << w.status();
  std::optional<ObjectEvent> e = (*w)->Next(kEventWait);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->type, "ADDED") << e->error;
  EXPECT_EQ(api::GetObjectMeta(*e->object)->name(), "a");
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "c", {{"app", "db"}})).ok());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "d", {{"app", "web"}})).ok());
  e = (*w)->Next(kEventWait);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->type, "ADDED") << e->error;
  EXPECT_EQ(api::GetObjectMeta(*e->object)->name(), "d");
}

TEST_P(ClientConformanceTest, WatchIsExpiredAfterCompaction) {
  TypedClient<ConfigMap> cms(env_->client());
  absl::StatusOr<std::unique_ptr<ConfigMap>> a = cms.Create(MakeConfigMap("team", "a"));
  ASSERT_TRUE(a.ok()) << a.status();
  ConfigMap cm = **a;
  for (int i = 0; i < 3; ++i) {
    cm.mutable_data()->at("key") = absl::StrCat("v", i);
    absl::StatusOr<std::unique_ptr<ConfigMap>> u = cms.Update(cm);
    ASSERT_TRUE(u.ok()) << u.status();
    cm = **u;
  }
  absl::StatusOr<int64_t> rev = env_->store()->CurrentRevision();
  ASSERT_TRUE(rev.ok()) << rev.status();
  ASSERT_TRUE(env_->store()->Compact(*rev).ok());
  WatchOptions o;
  o.resource_version = (*a)->metadata().resourceversion();
  absl::Status st = WatchFailure(cms.Watch("team", o));
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 410) << st;
  EXPECT_EQ(api.reason(), "Expired") << st;
  // A watch from the current state still works.
  o.resource_version = cm.metadata().resourceversion();
  EXPECT_TRUE(cms.Watch("team", o).ok());
}

TEST_P(ClientConformanceTest, StatusSubresource) {
  TypedClient<Deployment> deployments(env_->client());
  absl::StatusOr<std::unique_ptr<Deployment>> d =
      deployments.Create(MakeDeployment("team", "web", 2));
  ASSERT_TRUE(d.ok()) << d.status();
  // Status writes change only status.
  Deployment s = **d;
  s.mutable_status()->set_replicas(2);
  s.mutable_status()->set_readyreplicas(1);
  s.mutable_spec()->set_replicas(9);
  absl::StatusOr<std::unique_ptr<Deployment>> after = deployments.UpdateStatus(s);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)->status().readyreplicas(), 1);
  EXPECT_EQ((*after)->spec().replicas(), 2);
  // Main-resource writes ignore status.
  Deployment m = **after;
  m.mutable_status()->set_readyreplicas(7);
  m.mutable_spec()->set_replicas(3);
  absl::StatusOr<std::unique_ptr<Deployment>> main = deployments.Update(m);
  ASSERT_TRUE(main.ok()) << main.status();
  EXPECT_EQ((*main)->spec().replicas(), 3);
  EXPECT_EQ((*main)->status().readyreplicas(), 1);
  EXPECT_EQ((*main)->metadata().generation(), (*after)->metadata().generation() + 1);
  // A status patch.
  absl::StatusOr<std::unique_ptr<Deployment>> patched = deployments.Patch(
      "team", "web", PatchType::kMerge, R"({"status":{"readyReplicas":2}})", /*status=*/true);
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)->status().readyreplicas(), 2);
  // ConfigMaps have no status subresource.
  TypedClient<ConfigMap> cms(env_->client());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a")).ok());
  EXPECT_EQ(cms.Patch("team", "a", PatchType::kMerge, "{}", /*status=*/true).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(ClientConformanceTest, ScaleSubresource) {
  TypedClient<Deployment> deployments(env_->client());
  ASSERT_TRUE(deployments.Create(MakeDeployment("team", "web", 2)).ok());
  Client* c = env_->client();
  absl::StatusOr<std::unique_ptr<Scale>> scale = c->GetScale(*deployments.kind(), "team", "web");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ((*scale)->spec().replicas(), 2);
  EXPECT_EQ((*scale)->metadata().name(), "web");
  (*scale)->mutable_spec()->set_replicas(5);
  absl::StatusOr<std::unique_ptr<Scale>> updated =
      c->UpdateScale(*deployments.kind(), "team", "web", **scale);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)->spec().replicas(), 5);
  EXPECT_EQ((*deployments.Get("team", "web"))->spec().replicas(), 5);
  // A stale resourceVersion on the Scale is a conflict.
  (*scale)->mutable_spec()->set_replicas(6);
  EXPECT_EQ(c->UpdateScale(*deployments.kind(), "team", "web", **scale).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(c->GetScale(*deployments.kind(), "team", "missing").status().code(),
            absl::StatusCode::kNotFound);
  TypedClient<ConfigMap> cms(c);
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a")).ok());
  EXPECT_EQ(c->GetScale(*cms.kind(), "team", "a").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ClientConformanceTest, PatchTypes) {
  TypedClient<ConfigMap> cms(env_->client());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a")).ok());
  absl::StatusOr<std::unique_ptr<ConfigMap>> merged =
      cms.Patch("team", "a", PatchType::kMerge, R"({"data":{"key":null,"new":"1"}})");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ((*merged)->data_size(), 1);
  EXPECT_EQ((*merged)->data().at("new"), "1");
  absl::StatusOr<std::unique_ptr<ConfigMap>> json = cms.Patch(
      "team", "a", PatchType::kJson, R"([{"op":"add","path":"/data/other","value":"2"}])");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ((*json)->data().at("other"), "2");
  EXPECT_EQ(cms.Patch("team", "a", PatchType::kJson,
                      R"([{"op":"test","path":"/data/new",)"
                      R"("value":"wrong"}])")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cms.Patch("team", "a", PatchType::kMerge, "{not json").status().code(),
            absl::StatusCode::kInvalidArgument);

  // Strategic merge: containers merge by name.
  TypedClient<Deployment> deployments(env_->client());
  ASSERT_TRUE(deployments.Create(MakeDeployment("team", "web", 1)).ok());
  absl::StatusOr<std::unique_ptr<Deployment>> smp = deployments.Patch(
      "team", "web", PatchType::kStrategicMerge,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}})");
  ASSERT_TRUE(smp.ok()) << smp.status();
  const auto& containers = (*smp)->spec().template_().spec().containers();
  ASSERT_EQ(containers.size(), 2);
  std::set<std::string> names{containers[0].name(), containers[1].name()};
  EXPECT_EQ(names, (std::set<std::string>{"main", "side"}));
}

TEST_P(ClientConformanceTest, DeletePreconditions) {
  TypedClient<ConfigMap> cms(env_->client());
  ASSERT_TRUE(cms.Create(MakeConfigMap("team", "a")).ok());
  DeleteOptions o;
  o.precondition_uid = "not-the-uid";
  absl::Status st = cms.Delete("team", "a", o);
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  EXPECT_TRUE(cms.Get("team", "a").ok());
}

TEST_P(ClientConformanceTest, ClusterScopedKind) {
  TypedClient<api::core::v1::Namespace> namespaces(env_->client());
  api::core::v1::Namespace ns;
  ns.mutable_metadata()->set_name("blue");
  absl::StatusOr<std::unique_ptr<api::core::v1::Namespace>> created = namespaces.Create(ns);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE((*created)->metadata().has_namespace_());
  absl::StatusOr<std::unique_ptr<api::core::v1::Namespace>> got = namespaces.Get("", "blue");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->metadata().uid(), (*created)->metadata().uid());
}

api::core::v1::Pod MakePod(const std::string& ns, const std::string& name,
                           std::map<std::string, std::string> labels = {}) {
  api::core::v1::Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_(ns);
  for (const auto& [k, v] : labels) (*p.mutable_metadata()->mutable_labels())[k] = v;
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx:1.25");
  return p;
}

api::core::v1::Binding MakeBinding(const std::string& ns, const std::string& pod,
                                   const std::string& node) {
  api::core::v1::Binding b;
  b.mutable_metadata()->set_name(pod);
  b.mutable_metadata()->set_namespace_(ns);
  b.mutable_target()->set_kind("Node");
  b.mutable_target()->set_name(node);
  return b;
}

api::policy::v1::Eviction MakeEviction(const std::string& ns, const std::string& pod) {
  api::policy::v1::Eviction e;
  e.mutable_metadata()->set_name(pod);
  e.mutable_metadata()->set_namespace_(ns);
  return e;
}

TEST_P(ClientConformanceTest, BindPod) {
  using api::core::v1::Pod;
  TypedClient<Pod> pods(env_->client());
  ASSERT_TRUE(pods.Create(MakePod("team", "web")).ok());
  ASSERT_TRUE(pods.Create(MakePod("team", "dry")).ok());
  Client* c = env_->client();

  absl::Status st = c->Bind("team", MakeBinding("team", "web", "node-1"), {});
  ASSERT_TRUE(st.ok()) << st;
  absl::StatusOr<std::unique_ptr<Pod>> bound = pods.Get("team", "web");
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ((*bound)->spec().nodename(), "node-1");
  bool scheduled = false;
  for (const auto& cond : (*bound)->status().conditions()) {
    if (cond.type() == "PodScheduled") scheduled = cond.status() == "True";
  }
  EXPECT_TRUE(scheduled);

  // A second binding is a conflict; the pod stays where it is.
  st = c->Bind("", MakeBinding("team", "web", "node-2"), {});
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 409);
  EXPECT_EQ(api.reason(), "Conflict");
  EXPECT_TRUE(absl::StrContains(api.message(), "pod web is already assigned to node \"node-1\""))
      << api.message();
  EXPECT_EQ((*pods.Get("team", "web"))->spec().nodename(), "node-1");

  // A missing pod, and a binding without a target.
  st = c->Bind("team", MakeBinding("team", "missing", "node-1"), {});
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_EQ(apiserver::ToApiStatus(st).code(), 404);
  st = c->Bind("team", MakeBinding("team", "dry", ""), {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;

  // A dry run changes nothing.
  WriteOptions dry;
  dry.dry_run = true;
  st = c->Bind("team", MakeBinding("team", "dry", "node-1"), dry);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ((*pods.Get("team", "dry"))->spec().nodename(), "");
}

TEST_P(ClientConformanceTest, EvictPodWithDisruptionBudget) {
  using api::core::v1::Pod;
  using api::policy::v1::PodDisruptionBudget;
  TypedClient<Pod> pods(env_->client());
  TypedClient<PodDisruptionBudget> pdbs(env_->client());
  Client* c = env_->client();

  // A running, ready pod guarded by a budget that allows no disruption.
  absl::StatusOr<std::unique_ptr<Pod>> created =
      pods.Create(MakePod("team", "web", {{"app", "web"}}));
  ASSERT_TRUE(created.ok()) << created.status();
  Pod running = **created;
  running.mutable_status()->set_phase("Running");
  auto* ready = running.mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  ASSERT_TRUE(pods.UpdateStatus(running).ok());
  PodDisruptionBudget pdb;
  pdb.mutable_metadata()->set_name("web");
  pdb.mutable_metadata()->set_namespace_("team");
  (*pdb.mutable_spec()->mutable_selector()->mutable_matchlabels())["app"] = "web";
  absl::StatusOr<std::unique_ptr<PodDisruptionBudget>> budget = pdbs.Create(pdb);
  ASSERT_TRUE(budget.ok()) << budget.status();
  PodDisruptionBudget with_status = **budget;
  auto* bs = with_status.mutable_status();
  bs->set_observedgeneration(with_status.metadata().generation());
  bs->set_disruptionsallowed(0);
  bs->set_currenthealthy(1);
  bs->set_desiredhealthy(1);
  bs->set_expectedpods(1);
  absl::StatusOr<std::unique_ptr<PodDisruptionBudget>> blocked = pdbs.UpdateStatus(with_status);
  ASSERT_TRUE(blocked.ok()) << blocked.status();

  absl::Status st = c->Evict("team", MakeEviction("team", "web"), {});
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 429);
  EXPECT_EQ(api.reason(), "TooManyRequests");
  EXPECT_EQ(api.message(), "Cannot evict pod as it would violate the pod's disruption budget.");
  ASSERT_EQ(api.details().causes_size(), 1) << apiserver::ToApiStatusJson(st);
  EXPECT_EQ(api.details().causes(0).reason(), "DisruptionBudget");
  EXPECT_EQ(api.details().causes(0).message(),
            "The disruption budget web needs 1 healthy pods and has 1 currently");
  EXPECT_TRUE(pods.Get("team", "web").ok());

  // One disruption allowed: a dry run keeps the pod and the budget; the eviction deletes the
  // pod and spends the budget.
  PodDisruptionBudget allow = **blocked;
  allow.mutable_status()->set_disruptionsallowed(1);
  ASSERT_TRUE(pdbs.UpdateStatus(allow).ok());
  WriteOptions dry;
  dry.dry_run = true;
  st = c->Evict("", MakeEviction("team", "web"), dry);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(pods.Get("team", "web").ok());
  EXPECT_EQ((*pdbs.Get("team", "web"))->status().disruptionsallowed(), 1);
  st = c->Evict("team", MakeEviction("team", "web"), {});
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(pods.Get("team", "web").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::unique_ptr<PodDisruptionBudget>> spent = pdbs.Get("team", "web");
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_EQ((*spent)->status().disruptionsallowed(), 0);
  EXPECT_TRUE((*spent)->status().disruptedpods().contains("web"));

  // A missing pod.
  st = c->Evict("team", MakeEviction("team", "web"), {});
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_EQ(apiserver::ToApiStatus(st).code(), 404);
}

TEST_P(ClientConformanceTest, EvictPodWithoutBudget) {
  TypedClient<api::core::v1::Pod> pods(env_->client());
  ASSERT_TRUE(pods.Create(MakePod("team", "web")).ok());
  absl::Status st = env_->client()->Evict("team", MakeEviction("team", "web"), {});
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(pods.Get("team", "web").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(ClientConformanceTest, ServerSideApply) {
  TypedClient<ConfigMap> cms(env_->client());
  constexpr char kConfig[] = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: team
data:
  key: one
  extra: x
)";
  auto apply = [&](const std::string& manager, const std::string& body, bool force = false,
                   bool dry_run = false) {
    WriteOptions o;
    o.field_manager = manager;
    o.force = force;
    o.dry_run = dry_run;
    return cms.Patch("team", "settings", PatchType::kApply, body, /*status=*/false, o);
  };

  // A field manager is required.
  absl::Status st = apply("", kConfig).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  meta::Status api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 422);
  ASSERT_EQ(api.details().causes_size(), 1) << apiserver::ToApiStatusJson(st);
  EXPECT_EQ(api.details().causes(0).field(), "fieldManager");
  EXPECT_EQ(cms.Get("team", "settings").status().code(), absl::StatusCode::kNotFound);

  // A dry run creates nothing; the first apply creates the object.
  absl::StatusOr<std::unique_ptr<ConfigMap>> dry = apply("deployer", kConfig, false, true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ((*dry)->data().at("key"), "one");
  EXPECT_EQ(cms.Get("team", "settings").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::unique_ptr<ConfigMap>> created = apply("deployer", kConfig);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)->data().at("key"), "one");
  ASSERT_EQ((*created)->metadata().managedfields_size(), 1);
  EXPECT_EQ((*created)->metadata().managedfields(0).manager(), "deployer");
  EXPECT_EQ((*created)->metadata().managedfields(0).operation(), "Apply");

  // Another manager changing an owned field conflicts, with one cause per field.
  constexpr char kOther[] = R"({"apiVersion":"v1","kind":"ConfigMap",)"
                            R"("metadata":{"name":"settings","namespace":"team"},)"
                            R"("data":{"key":"two"}})";
  st = apply("tuner", kOther).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  api = apiserver::ToApiStatus(st);
  EXPECT_EQ(api.code(), 409);
  EXPECT_EQ(api.reason(), "Conflict");
  ASSERT_EQ(api.details().causes_size(), 1) << apiserver::ToApiStatusJson(st);
  EXPECT_EQ(api.details().causes(0).reason(), "FieldManagerConflict");
  EXPECT_EQ(api.details().causes(0).field(), ".data.key");
  EXPECT_TRUE(absl::StrContains(api.details().causes(0).message(), "deployer"))
      << api.details().causes(0).message();
  EXPECT_EQ((*cms.Get("team", "settings"))->data().at("key"), "one");

  // force takes the field over.
  absl::StatusOr<std::unique_ptr<ConfigMap>> forced = apply("tuner", kOther, /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ((*forced)->data().at("key"), "two");

  // The first manager drops "extra" from its configuration: the field goes; "key" (now the
  // tuner's) stays.
  absl::StatusOr<std::unique_ptr<ConfigMap>> pruned =
      apply("deployer", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n");
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_FALSE((*pruned)->data().contains("extra"));
  EXPECT_EQ((*pruned)->data().at("key"), "two");

  // force belongs to apply only.
  WriteOptions forced_merge;
  forced_merge.force = true;
  st = cms.Patch("team", "settings", PatchType::kMerge, "{}", false, forced_merge).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
}

}  // namespace
}  // namespace rudder::client
