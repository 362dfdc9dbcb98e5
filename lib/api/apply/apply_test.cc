#include "lib/api/apply/apply.h"

#include <string>

#include "gtest/gtest.h"
#include "lib/api/patch/internal/json_util.h"
#include "lib/api/proto/apps/v1/apps.pb.h"
#include "lib/api/proto/core/v1/core.pb.h"

namespace rudder::api::apply {
namespace {

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

std::string Text(const rapidjson::Value& v) { return patch_internal::WriteJson(v); }

const Schema& Deployments() {
  static const Schema* s = Schema::ForMessage(apps::v1::Deployment::descriptor()).release();
  return *s;
}

WriteOptions Opts(const std::string& manager, bool force = false) {
  WriteOptions o;
  o.manager = manager;
  o.api_version = "apps/v1";
  o.force = force;
  o.now = absl::FromUnixSeconds(1700000000);
  return o;
}

constexpr char kConfig[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},
      "spec":{"containers":[{"name":"c","image":"busybox:1.36","args":["a","b"],
        "ports":[{"containerPort":80}],"env":[{"name":"A","value":"1"}]}]}}}})";

TEST(ToFieldSetTest, DeploymentInKubernetesFormat) {
  rapidjson::Document config = Json(kConfig);
  absl::StatusOr<FieldSet> set = ToFieldSet(Deployments(), config);
  ASSERT_TRUE(set.ok()) << set.status();
  set->Difference(StrippedFields());
  // The selector is an atomic struct; containers are keyed by name, ports by containerPort and
  // protocol (defaulted to TCP), env by name; args is atomic.
  EXPECT_EQ(
      set->ToJson(),
      R"({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},)"
      R"("f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":)"
      R"({"k:{\"name\":\"c\"}":{".":{},"f:args":{},"f:env":{"k:{\"name\":\"A\"}":)"
      R"({".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":)"
      R"({"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})");
}

TEST(ToFieldSetTest, RejectsItemsWithoutKeysAndDuplicates) {
  rapidjson::Document no_key =
      Json(R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})");
  absl::StatusOr<FieldSet> s = ToFieldSet(Deployments(), no_key);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("omits key field \"name\""), std::string::npos) << s.status();
  rapidjson::Document dup =
      Json(R"({"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"a"}]}}}})");
  s = ToFieldSet(Deployments(), dup);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("duplicate entries"), std::string::npos) << s.status();
}

TEST(MergeTest, MergesByKindRules) {
  rapidjson::Document live = Json(R"({"metadata":{"labels":{"app":"web","team":"x"}},
    "spec":{"replicas":1,"template":{"spec":{"containers":[
      {"name":"side","image":"s"},
      {"name":"c","image":"old","args":["x","y","z"],"env":[{"name":"B","value":"2"}]}]}}}})");
  rapidjson::Document config = Json(R"({"metadata":{"labels":{"app":"api"}},
    "spec":{"replicas":3,"template":{"spec":{"containers":[
      {"name":"c","image":"new","args":["a"],"env":[{"name":"A","value":"1"}]},
      {"name":"d","image":"d"}]}}}})");
  rapidjson::Document out;
  Merge(Deployments(), &live, config, out);
  EXPECT_EQ(Text(out),
            R"({"metadata":{"labels":{"app":"api","team":"x"}},"spec":{"replicas":3,"template":)"
            R"({"spec":{"containers":[{"name":"side","image":"s"},{"name":"c","image":"new",)"
            R"("args":["a"],"env":[{"name":"B","value":"2"},{"name":"A","value":"1"}]},)"
            R"({"name":"d","image":"d"}]}}}})");
}

TEST(ApplyTest, CreateRecordsApplyEntry) {
  rapidjson::Document config = Json(kConfig);
  absl::StatusOr<ApplyResult> r = Apply(Deployments(), nullptr, config, {}, Opts("kubectl"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->conflicts.empty());
  ASSERT_EQ(r->managers.size(), 1u);
  EXPECT_EQ(r->managers[0].manager, "kubectl");
  EXPECT_EQ(r->managers[0].operation, "Apply");
  EXPECT_EQ(r->managers[0].time, absl::FromUnixSeconds(1700000000));
  EXPECT_TRUE(r->managers[0].fields.Has({"f:spec", "f:replicas"}));
  EXPECT_FALSE(r->managers[0].fields.Has({"f:metadata", "f:name"}));
  EXPECT_TRUE(patch_internal::JsonEqual(r->object, config));
}

TEST(ApplyTest, FieldsDroppedFromConfigAreRemovedUnlessOwnedByOthers) {
  rapidjson::Document config = Json(kConfig);
  absl::StatusOr<ApplyResult> first = Apply(Deployments(), nullptr, config, {}, Opts("kubectl"));
  ASSERT_TRUE(first.ok());
  // Another manager (an Update) also sets metadata.labels.team and owns the env var A.
  rapidjson::Document live = Json(Text(first->object));
  live["metadata"]["labels"].AddMember("team", "x", live.GetAllocator());
  Managers managers = Update(Deployments(), &first->object, live, first->managers, Opts("editor"));
  ASSERT_EQ(managers.size(), 2u);
  // Re-apply without replicas, the label app, container args and env.
  rapidjson::Document next = Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},
    "spec":{"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"c","image":"busybox:1.37"}]}}}})");
  absl::StatusOr<ApplyResult> r = Apply(Deployments(), &live, next, managers, Opts("kubectl"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->conflicts.empty());
  const rapidjson::Value& spec = r->object["spec"];
  EXPECT_FALSE(spec.HasMember("replicas"));
  EXPECT_EQ(Text(r->object["metadata"]["labels"]), R"({"team":"x"})");
  const rapidjson::Value& c = spec["template"]["spec"]["containers"][0];
  EXPECT_EQ(Text(c), R"({"name":"c","image":"busybox:1.37"})");
}

TEST(ApplyTest, ConflictWithUpdateManagerUnlessSameValueOrForced) {
  // kubectl (client-side apply) created the object: it owns every field as an Update.
  rapidjson::Document created = Json(kConfig);
  Managers managers =
      Update(Deployments(), nullptr, created, {}, Opts("kubectl-client-side-apply"));
  ASSERT_EQ(managers.size(), 1u);
  EXPECT_TRUE(managers[0].fields.Has({"f:spec", "f:replicas"}));

  // Same value: no conflict, shared ownership.
  rapidjson::Document same = Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"replicas":2}})");
  absl::StatusOr<ApplyResult> r = Apply(Deployments(), &created, same, managers, Opts("ssa"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->conflicts.empty());
  ASSERT_EQ(r->managers.size(), 2u);
  for (const ManagedEntry& m : r->managers) EXPECT_TRUE(m.fields.Has({"f:spec", "f:replicas"}));

  // A different value: a conflict naming the other manager and the field.
  rapidjson::Document diff = Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"replicas":5}})");
  r = Apply(Deployments(), &created, diff, managers, Opts("ssa"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->conflicts.size(), 1u);
  EXPECT_EQ(r->conflicts[0].manager, R"("kubectl-client-side-apply" using apps/v1)");
  EXPECT_EQ(r->conflicts[0].field, ".spec.replicas");
  EXPECT_EQ(ConflictMessage(r->conflicts),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
            "apps/v1: .spec.replicas");

  // Forced: the applier takes the field over.
  r = Apply(Deployments(), &created, diff, managers, Opts("ssa", /*force=*/true));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->conflicts.empty());
  EXPECT_EQ(r->object["spec"]["replicas"].GetInt(), 5);
  for (const ManagedEntry& m : r->managers) {
    EXPECT_EQ(m.fields.Has({"f:spec", "f:replicas"}), m.manager == "ssa") << m.manager;
  }
}

TEST(ApplyTest, ConflictBetweenAppliers) {
  rapidjson::Document a = Json(R"({"metadata":{"name":"web"},"spec":{"replicas":1}})");
  absl::StatusOr<ApplyResult> first = Apply(Deployments(), nullptr, a, {}, Opts("one"));
  ASSERT_TRUE(first.ok());
  rapidjson::Document b = Json(R"({"metadata":{"name":"web"},"spec":{"replicas":2}})");
  absl::StatusOr<ApplyResult> r =
      Apply(Deployments(), &first->object, b, first->managers, Opts("two"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->conflicts.size(), 1u);
  EXPECT_EQ(r->conflicts[0].manager, "\"one\"");
}

TEST(UpdateTest, OwnsWhatItChangesAndTakesItFromOthers) {
  rapidjson::Document a =
      Json(R"({"metadata":{"name":"web"},"spec":{"replicas":1,"paused":true}})");
  absl::StatusOr<ApplyResult> first = Apply(Deployments(), nullptr, a, {}, Opts("applier"));
  ASSERT_TRUE(first.ok());
  rapidjson::Document next =
      Json(R"({"metadata":{"name":"web","labels":{"x":"y"}},"spec":{"replicas":3}})");
  Managers m = Update(Deployments(), &first->object, next, first->managers, Opts("scaler"));
  // The applier lost replicas (taken) and paused (removed): owning nothing, it is dropped.
  ASSERT_EQ(m.size(), 1u);
  const ManagedEntry& scaler = m[0];
  // The new labels map is owned with its "." member.
  EXPECT_EQ(scaler.fields.ToJson(),
            R"({"f:metadata":{"f:labels":{".":{},"f:x":{}}},"f:spec":{"f:replicas":{}}})");
  EXPECT_EQ(scaler.operation, "Update");
  // A write that changes nothing records nothing.
  Managers same = Update(Deployments(), &next, next, m, Opts("other"));
  EXPECT_EQ(same.size(), m.size());
}

TEST(CustomResourceTest, ListTypesFromSchema) {
  absl::StatusOr<std::unique_ptr<Schema>> s = Schema::ForCustomResource(R"({
    "type":"object","properties":{"spec":{"type":"object","properties":{
      "items":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["id"],
        "items":{"type":"object","properties":{"id":{"type":"string"},"v":{"type":"integer"}}}},
      "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
      "plain":{"type":"array","items":{"type":"string"}},
      "sel":{"type":"object","x-kubernetes-map-type":"atomic","properties":{"a":{"type":"string"}}}
    }}}})");
  ASSERT_TRUE(s.ok()) << s.status();
  rapidjson::Document obj = Json(R"({"apiVersion":"x/v1","kind":"K",
    "metadata":{"name":"a","labels":{"l":"1"}},
    "spec":{"items":[{"id":"one","v":1}],"tags":["t"],"plain":["p"],"sel":{"a":"b"}}})");
  absl::StatusOr<FieldSet> set = ToFieldSet(**s, obj);
  ASSERT_TRUE(set.ok()) << set.status();
  set->Difference(StrippedFields());
  EXPECT_EQ(set->ToJson(),
            R"({"f:metadata":{"f:labels":{"f:l":{}}},"f:spec":{"f:items":{"k:{\"id\":\"one\"}":)"
            R"({".":{},"f:id":{},"f:v":{}}},"f:plain":{},"f:sel":{},"f:tags":{"v:\"t\"":{}}}})");
  rapidjson::Document live =
      Json(R"({"spec":{"items":[{"id":"two","v":2}],"plain":["q"],"tags":["u"]}})");
  rapidjson::Document out;
  Merge(**s, &live, obj, out);
  EXPECT_EQ(Text(out["spec"]["items"]), R"([{"id":"two","v":2},{"id":"one","v":1}])");
  EXPECT_EQ(Text(out["spec"]["plain"]), R"(["p"])");
  EXPECT_EQ(Text(out["spec"]["tags"]), R"(["u","t"])");

  EXPECT_EQ(Schema::ForCustomResource(R"({"type":"object","properties":{"a":{"type":"array",)"
                                      R"("x-kubernetes-list-type":"map"}}})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Schema::ForCustomResource("{").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ManagedFieldsTest, EncodeDecodeInKubernetesOrder) {
  Managers m;
  FieldSet f;
  f.Insert({"f:spec", "f:replicas"});
  m.push_back({"b", "Update", "apps/v1", "", absl::FromUnixSeconds(10), f});
  m.push_back({"a", "Update", "apps/v1", "status", absl::FromUnixSeconds(5), f});
  m.push_back({"z", "Apply", "apps/v1", "", absl::FromUnixSeconds(20), f});
  meta::v1::ObjectMeta meta;
  EncodeManagedFields(m, meta.mutable_managedfields());
  ASSERT_EQ(meta.managedfields_size(), 3);
  EXPECT_EQ(meta.managedfields(0).manager(), "z");
  EXPECT_EQ(meta.managedfields(1).manager(), "a");
  EXPECT_EQ(meta.managedfields(1).subresource(), "status");
  EXPECT_EQ(meta.managedfields(2).manager(), "b");
  EXPECT_EQ(meta.managedfields(0).fieldstype(), "FieldsV1");
  EXPECT_EQ(meta.managedfields(0).fieldsv1().raw(), R"({"f:spec":{"f:replicas":{}}})");
  absl::StatusOr<Managers> back = DecodeManagedFields(meta.managedfields());
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].fields, f);
  EXPECT_EQ((*back)[1].time, absl::FromUnixSeconds(5));

  meta.mutable_managedfields(0)->set_fieldstype("FieldsV2");
  EXPECT_EQ(DecodeManagedFields(meta.managedfields()).status().code(),
            absl::StatusCode::kInvalidArgument);
  meta::v1::ObjectMeta reset;
  reset.add_managedfields();
  EXPECT_TRUE(IsResetManagedFields(reset.managedfields()));
  EXPECT_FALSE(IsResetManagedFields(meta.managedfields()));
}

}  // namespace
}  // namespace rudder::api::apply
