#include "lib/api/patch/strategic_merge_patch.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/testdata/patchtest.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/pointer.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace rudder::api::patch {
namespace {

using testing::HasSubstr;

std::string Write(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

void ExpectJsonEq(const std::string& actual, const std::string& expected) {
  rapidjson::Document a, e;
  a.Parse(actual.c_str());
  e.Parse(expected.c_str());
  ASSERT_FALSE(a.HasParseError()) << actual;
  ASSERT_FALSE(e.HasParseError()) << expected;
  EXPECT_TRUE(a == e) << "actual:   " << actual << "\nexpected: " << expected;
}

const PatchMeta& DeploymentMeta() {
  static const PatchMeta* const meta =
      NewProtoPatchMeta(testdata::Deployment::descriptor()).release();
  return *meta;
}

// A live Deployment.
constexpr char kDeployment[] = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "x", "namespace": "default", "labels": {"app": "web"},
               "annotations": {"deployment.kubernetes.io/revision": "1"},
               "finalizers": ["a", "b"]},
  "spec": {
    "replicas": 1,
    "selector": {"matchLabels": {"app": "web"}},
    "strategy": {"type": "RollingUpdate",
                 "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
    "template": {
      "metadata": {"labels": {"app": "web"}},
      "spec": {
        "containers": [{"name": "c", "image": "busybox:1.36",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}],
        "volumes": [{"name": "v", "hostPath": {"path": "/a"}}],
        "tolerations": [{"key": "k", "effect": "NoSchedule"}]}}},
  "status": {"replicas": 1, "conditions": [{"type": "Available", "status": "True"}]}
})";

struct Check {
  const char* pointer;
  const char* json;  // nullptr: the path must be absent
};

struct Case {
  const char* name;
  const char* patch;
  std::vector<Check> checks;
  absl::StatusCode code = absl::StatusCode::kOk;
  const char* message = "";
  const char* doc = kDeployment;
};

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

std::vector<Case> Cases() {
  return {
      {"kubectl_apply",
       R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},)"
       R"("spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],)"
       R"("containers":[{"image":"busybox:1.37","name":"c"}]}}}})",
       {{"/spec/replicas", "2"},
        {"/metadata/annotations", R"({"deployment.kubernetes.io/revision":"1",)"
                                  R"("kubectl.kubernetes.io/last-applied-configuration":"..."})"},
        {"/spec/template/spec/containers",
         R"([{"name":"c","image":"busybox:1.37","ports":[{"containerPort":80,"protocol":"TCP"}],)"
         R"("env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}])"},
        {"/status/replicas", "1"}}},
      {"label_add",
       R"({"metadata":{"labels":{"a":"b"}}})",
       {{"/metadata/labels", R"({"app":"web","a":"b"})"}}},
      {"label_remove",
       R"({"metadata":{"labels":{"app":null}}})",
       {{"/metadata/labels", "{}"}, {"/metadata/name", R"("x")"}}},
      {"null_for_missing_key_ignored",
       R"({"spec":{"paused":null}})",
       {{"/spec/paused", nullptr}, {"/spec/replicas", "1"}}},
      {"scalar_type_change", R"({"spec":{"replicas":"two"}})", {{"/spec/replicas", R"("two")"}}},
      {"new_container_goes_first",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"d","image":"nginx"}]}}}})",
       {{"/spec/template/spec/containers/0/name", R"("d")"},
        {"/spec/template/spec/containers/1/name", R"("c")"},
        {"/spec/template/spec/containers/2", nullptr}}},
      {"new_container_ordered",
       R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"d"}],"containers":[{"name":"d","image":"nginx"}]}}}})",
       {{"/spec/template/spec/containers/0/name", R"("c")"},
        {"/spec/template/spec/containers/1", R"({"name":"d","image":"nginx"})"}}},
      {"element_delete_directive",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"c","$patch":"delete"}]}}}})",
       {{"/spec/template/spec/containers", "[]"}}},
      {"list_replace_directive",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"z","image":"i"},{"$patch":"replace"}]}}}})",
       {{"/spec/template/spec/containers", R"([{"name":"z","image":"i"}])"}}},
      {"ports_merged_by_number",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]}}}})",
       {{"/spec/template/spec/containers/0/ports",
         R"([{"containerPort":80,"protocol":"TCP","name":"http"},{"containerPort":443}])"},
        {"/spec/template/spec/containers/0/image", R"("busybox:1.36")"}}},
      {"env_merged_by_name",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"B","value":null},{"name":"C","value":"3"}]}]}}}})",
       {{"/spec/template/spec/containers/0/env",
         R"([{"name":"A","value":"1"},{"name":"B"},{"name":"C","value":"3"}])"}}},
      {"list_without_strategy_replaced",
       R"({"spec":{"template":{"spec":{"tolerations":[{"key":"x"}]}}}})",
       {{"/spec/template/spec/tolerations", R"([{"key":"x"}])"}}},
      {"replace_strategy_object",
       R"({"spec":{"selector":{"matchLabels":{"tier":"fe"}}}})",
       {{"/spec/selector", R"({"matchLabels":{"tier":"fe"}})"}}},
      {"map_replace_directive",
       R"({"metadata":{"labels":{"$patch":"replace","only":"me"}}})",
       {{"/metadata/labels", R"({"only":"me"})"}}},
      {"map_delete_directive",
       R"({"metadata":{"labels":{"$patch":"delete"}}})",
       {{"/metadata/labels", "{}"}}},
      {"primitive_merge_list",
       R"({"metadata":{"finalizers":["c","a"]}})",
       {{"/metadata/finalizers", R"(["c","a","b"])"}}},
      {"delete_from_primitive_list",
       R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zz"]}})",
       {{"/metadata/finalizers", R"(["b"])"}}},
      {"set_element_order_primitives",
       R"({"metadata":{"$setElementOrder/finalizers":["b","a","c"],"finalizers":["c"]}})",
       {{"/metadata/finalizers", R"(["b","a","c"])"}}},
      {"set_element_order_reorders_only",
       R"({"metadata":{"$setElementOrder/finalizers":["b","a"]}})",
       {{"/metadata/finalizers", R"(["b","a"])"}}},
      {"retain_keys_clears_others",
       R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}})",
       {{"/spec/strategy", R"({"type":"Recreate"})"}}},
      {"retain_keys_in_list_element",
       R"({"spec":{"template":{"spec":{"volumes":[{"name":"v","emptyDir":{},"$retainKeys":["emptyDir","name"]}]}}}})",
       {{"/spec/template/spec/volumes", R"([{"name":"v","emptyDir":{}}])"}}},
      {"conditions_merged_by_type",
       R"({"status":{"conditions":[{"type":"Progressing","status":"True"}]}})",
       {{"/status/conditions",
         R"([{"type":"Progressing","status":"True"},{"type":"Available","status":"True"}])"}}},
      {"new_subtree_nulls_dropped",
       R"({"spec":{"template":{"metadata":{"annotations":{"a":"1","b":null}}}}})",
       {{"/spec/template/metadata/annotations", R"({"a":"1"})"}}},
      {"new_list_directives_resolved",
       R"({"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"x"},{"name":"j","$patch":"delete"}]}}}})",
       {{"/spec/template/spec/initContainers", R"([{"name":"i","image":"x"}])"}}},
      // Errors.
      {"merge_directive_in_list",
       R"({"spec":{"template":{"spec":{"containers":[{"name":"c","$patch":"merge"}]}}}})",
       {},
       kInvalid,
       "spec.template.spec.containers: merging lists cannot yet be specified"},
      {"unknown_map_directive",
       R"({"metadata":{"$patch":"frob"}})",
       {},
       kInvalid,
       "metadata: unknown patch type: \"frob\""},
      {"missing_merge_key",
       R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})",
       {},
       kInvalid,
       "does not contain declared merge key: name"},
      {"set_order_mismatch",
       R"({"metadata":{"$setElementOrder/finalizers":["a"],"finalizers":["z"]}})",
       {},
       kInvalid,
       "doesn't match $setElementOrder list"},
      {"mixed_element_types",
       R"({"metadata":{"finalizers":[1]}})",
       {},
       kInvalid,
       "metadata.finalizers: list element types are not identical"},
      {"bad_parallel_list_key",
       R"({"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}})",
       {},
       kInvalid,
       "invalid patch format of $deleteFromPrimitiveList"},
      {"retain_keys_violated",
       R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":"1"}}}})",
       {},
       kInvalid,
       "invalid patch format of $retainKeys"},
      {"retain_keys_not_list",
       R"({"spec":{"strategy":{"$retainKeys":"type"}}})",
       {},
       kInvalid,
       "invalid patch format of $retainKeys"},
      {"unknown_field_merged",
       R"({"spec":{"mystery":{"b":2}}})",
       {},
       kInvalid,
       "spec.mystery: unable to find api field in struct "
       "rudder.api.patch.testdata.DeploymentSpec for the json field \"mystery\"",
       R"({"spec":{"mystery":{"a":1}}})"},
      {"lists_of_lists", R"({"metadata":{"finalizers":[["x"]]}})", {}, kInvalid, "lists of lists"},
      {"patch_not_object", "[]", {}, kInvalid, "patch must be a JSON object"},
      {"document_not_object", "{}", {}, kInvalid, "document must be a JSON object", "[1]"},
      {"malformed_patch", R"({"a":)", {}, kInvalid, "patch is not valid JSON"},
  };
}

class StrategicMergePatchTest : public testing::TestWithParam<Case> {};

TEST_P(StrategicMergePatchTest, Applies) {
  const Case& c = GetParam();
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(c.doc, c.patch, DeploymentMeta());
  if (c.code != absl::StatusCode::kOk) {
    ASSERT_FALSE(out.ok()) << *out;
    EXPECT_EQ(out.status().code(), c.code) << out.status();
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(c.message));
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status();
  rapidjson::Document doc;
  doc.Parse(out->c_str());
  ASSERT_FALSE(doc.HasParseError());
  for (const Check& check : c.checks) {
    const rapidjson::Value* v = rapidjson::Pointer(check.pointer).Get(doc);
    if (check.json == nullptr) {
      EXPECT_EQ(v, nullptr) << check.pointer << " in " << *out;
      continue;
    }
    ASSERT_NE(v, nullptr) << check.pointer << " in " << *out;
    ExpectJsonEq(Write(*v), check.json);
  }
}

INSTANTIATE_TEST_SUITE_P(Deployment, StrategicMergePatchTest, testing::ValuesIn(Cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StrategicMergePatch, DomFormLeavesThePatchIntact) {
  rapidjson::Document doc, patch;
  doc.Parse(kDeployment);
  patch.Parse(R"({"spec":{"replicas":5},"metadata":{"labels":{"app":null}}})");
  ASSERT_TRUE(ApplyStrategicMergePatch(doc, patch, DeploymentMeta()).ok());
  EXPECT_EQ(doc["spec"]["replicas"].GetInt(), 5);
  EXPECT_FALSE(doc["metadata"]["labels"].HasMember("app"));
  EXPECT_EQ(patch["spec"]["replicas"].GetInt(), 5);
  EXPECT_TRUE(patch["metadata"]["labels"].HasMember("app"));
}

TEST(StrategicMergePatch, OnePatchMetaServesManyThreads) {
  std::unique_ptr<PatchMeta> meta = NewProtoPatchMeta(testdata::Deployment::descriptor());
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto out = ApplyStrategicMergePatch(
            kDeployment,
            R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}})", *meta);
        results[t] = out.ok() ? *out : out.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& r : results) EXPECT_EQ(r, results[0]);
  EXPECT_THAT(results[0], HasSubstr(R"("image":"x")"));
}

TEST(StrategicMergePatch, SchemalessIsJsonMergePatch) {
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(
      R"({"a":[1,2],"b":{"c":1,"d":2}})", R"({"a":[3],"b":{"d":null}})", SchemalessPatchMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"a":[3],"b":{"c":1}})");
}

TEST(StrategicMergePatch, TableDrivenMeta) {
  auto item = std::make_shared<TablePatchMeta>("Item");
  auto root = std::make_shared<TablePatchMeta>("Root");
  root->AddField("mergingList", FieldKind::kList, "merge", "name", item)
      .AddField("mergingIntList", FieldKind::kList, "merge")
      .AddField("nonMergingList", FieldKind::kList);
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(
      R"({"mergingIntList":[1,2],"nonMergingList":[{"name":"a"}],"mergingList":[{"name":"a","v":1}]})",
      R"({"mergingIntList":[3],"$deleteFromPrimitiveList/mergingIntList":[1],)"
      R"("nonMergingList":[{"name":"b"}],"mergingList":[{"name":"a","w":2}]})",
      *root);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, R"({"mergingIntList":[3,2],"nonMergingList":[{"name":"b"}],)"
                  R"("mergingList":[{"name":"a","v":1,"w":2}]})");
}

TEST(StrategicMergePatch, DepthLimit) {
  PatchLimits limits;
  limits.max_depth = 5;
  absl::Status s = ApplyStrategicMergePatch(R"({})", R"({"a":{"b":{"c":{"d":{"e":{"f":1}}}}}})",
                                            SchemalessPatchMeta(), limits)
                       .status();
  EXPECT_EQ(s.code(), kInvalid);
  EXPECT_THAT(std::string(s.message()), HasSubstr("levels deep"));
}

struct DiffCase {
  const char* name;
  const char* original;
  const char* modified;
  const char* patch;
};

const DiffCase kDiffCases[] = {
    {"kubectl_apply_change",
     R"({"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}}})",
     R"({"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"busybox:1.37"}]}}}})",
     R"({"spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],)"
     R"("containers":[{"image":"busybox:1.37","name":"c"}]}}}})"},
    {"container_removed",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"},{"name":"d","image":"j"}]}}}})",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}})",
     R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],)"
     R"("containers":[{"$patch":"delete","name":"d"}]}}}})"},
    {"container_added",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}})",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i"},{"name":"b","image":"j"}]}}}})",
     R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"b"}],)"
     R"("containers":[{"image":"j","name":"b"}]}}}})"},
    {"containers_reordered",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}})",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"b"},{"name":"a"}]}}}})",
     R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}}})"},
    {"finalizers_changed", R"({"metadata":{"finalizers":["a","b"]}})",
     R"({"metadata":{"finalizers":["b","c"]}})",
     R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],)"
     R"("$setElementOrder/finalizers":["b","c"],"finalizers":["c"]}})"},
    {"strategy_retain_keys",
     R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"1"}}}})",
     R"({"spec":{"strategy":{"type":"Recreate"}}})",
     R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}})"},
    {"label_removed", R"({"metadata":{"labels":{"a":"b","c":"d"}}})",
     R"({"metadata":{"labels":{"c":"d"}}})", R"({"metadata":{"labels":{"a":null}}})"},
    {"atomic_list_replaced", R"({"spec":{"template":{"spec":{"tolerations":[{"key":"a"}]}}}})",
     R"({"spec":{"template":{"spec":{"tolerations":[{"key":"b"}]}}}})",
     R"({"spec":{"template":{"spec":{"tolerations":[{"key":"b"}]}}}})"},
    {"env_value_removed",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"1"}]}]}}}})",
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"A"}]}]}}}})",
     R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],)"
     R"("containers":[{"$setElementOrder/env":[{"name":"A"}],"env":[{"name":"A","value":null}],)"
     R"("name":"c"}]}}}})"},
    // A field with strategy "replace" is always sent whole, as Kubernetes does.
    {"equal_but_replace_strategy", kDeployment, kDeployment,
     R"({"spec":{"selector":{"matchLabels":{"app":"web"}}}})"},
    {"equal", R"({"metadata":{"labels":{"a":"b"}},"spec":{"replicas":1}})",
     R"({"metadata":{"labels":{"a":"b"}},"spec":{"replicas":1}})", "{}"},
};

class TwoWayTest : public testing::TestWithParam<DiffCase> {};

TEST_P(TwoWayTest, CreatesKubernetesPatch) {
  const DiffCase& c = GetParam();
  absl::StatusOr<std::string> p = CreateTwoWayMergePatch(c.original, c.modified, DeploymentMeta());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, c.patch);
}

TEST_P(TwoWayTest, PatchTurnsOriginalIntoModified) {
  const DiffCase& c = GetParam();
  absl::StatusOr<std::string> p = CreateTwoWayMergePatch(c.original, c.modified, DeploymentMeta());
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(c.original, *p, DeploymentMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectJsonEq(*out, c.modified);
}

INSTANTIATE_TEST_SUITE_P(Deployment, TwoWayTest, testing::ValuesIn(kDiffCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TwoWay, Errors) {
  EXPECT_EQ(CreateTwoWayMergePatch("[]", "{}", DeploymentMeta()).status().code(), kInvalid);
  absl::Status s =
      CreateTwoWayMergePatch(R"({"spec":{"template":{"spec":{"containers":[{"image":"a"}]}}}})",
                             R"({"spec":{"template":{"spec":{"containers":[{"image":"b"}]}}}})",
                             DeploymentMeta())
          .status();
  EXPECT_EQ(s.code(), kInvalid);
  EXPECT_THAT(std::string(s.message()), HasSubstr("merge key: name"));
  // Unknown fields are an error only when they differ.
  EXPECT_EQ(*CreateTwoWayMergePatch(R"({"spec":{"x":{"a":1}}})", R"({"spec":{"x":{"a":1}}})",
                                    DeploymentMeta()),
            "{}");
  EXPECT_EQ(CreateTwoWayMergePatch(R"({"spec":{"x":{"a":1}}})", R"({"spec":{"x":{"a":2}}})",
                                   DeploymentMeta())
                .status()
                .code(),
            kInvalid);
}

// kubectl apply: original = last applied configuration, modified = the new file (with the new
// annotation), current = the live object.
constexpr char kLastApplied[] =
    R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},)"
    R"("spec":{"replicas":1,"paused":true,"template":{"spec":{"containers":[)"
    R"({"name":"c","image":"busybox:1.36"},{"name":"d","image":"busybox:1.36"}]}}}})";
constexpr char kLive[] =
    R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","resourceVersion":"7",)"
    R"("annotations":{"kubectl.kubernetes.io/last-applied-configuration":"old"}},)"
    R"("spec":{"replicas":1,"paused":true,"template":{"spec":{"containers":[)"
    R"({"name":"c","image":"busybox:1.36","ports":[{"containerPort":80}]},)"
    R"({"name":"d","image":"busybox:1.36"}]}}},"status":{"replicas":1}})";

TEST(ThreeWay, KubectlApplyChangingImageAndReplicas) {
  const char* modified =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x",)"
      R"("annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},)"
      R"("spec":{"replicas":2,"paused":true,"template":{"spec":{"containers":[)"
      R"({"name":"c","image":"busybox:1.37"},{"name":"d","image":"busybox:1.36"}]}}}})";
  absl::StatusOr<std::string> p =
      CreateThreeWayMergePatch(kLastApplied, modified, kLive, DeploymentMeta());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(
      *p,
      R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},)"
      R"("spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},)"
      R"({"name":"d"}],"containers":[{"image":"busybox:1.37","name":"c"}]}}}})");
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(kLive, *p, DeploymentMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  rapidjson::Document doc;
  doc.Parse(out->c_str());
  // Server-set fields the configuration never had survive.
  EXPECT_EQ(Write(doc["spec"]["template"]["spec"]["containers"][0]),
            R"({"name":"c","image":"busybox:1.37","ports":[{"containerPort":80}]})");
  EXPECT_STREQ(doc["metadata"]["resourceVersion"].GetString(), "7");
  EXPECT_EQ(doc["spec"]["replicas"].GetInt(), 2);
}

TEST(ThreeWay, DroppedFieldsAndElementsAreDeleted) {
  const char* modified = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},)"
                         R"("spec":{"replicas":1,"template":{"spec":{"containers":[)"
                         R"({"name":"c","image":"busybox:1.36"}]}}}})";
  absl::StatusOr<std::string> p =
      CreateThreeWayMergePatch(kLastApplied, modified, kLive, DeploymentMeta());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, R"({"spec":{"paused":null,"template":{"spec":{"$setElementOrder/containers":[)"
                R"({"name":"c"}],"containers":[{"$patch":"delete","name":"d"}]}}}})");
  absl::StatusOr<std::string> out = ApplyStrategicMergePatch(kLive, *p, DeploymentMeta());
  ASSERT_TRUE(out.ok()) << out.status();
  rapidjson::Document doc;
  doc.Parse(out->c_str());
  EXPECT_FALSE(doc["spec"].HasMember("paused"));
  EXPECT_EQ(doc["spec"]["template"]["spec"]["containers"].Size(), 1u);
}

TEST(ThreeWay, ConflictsUnlessOverwrite) {
  const char* live = R"({"spec":{"replicas":5}})";
  const char* original = R"({"spec":{"replicas":1}})";
  const char* modified = R"({"spec":{"replicas":2}})";
  absl::Status s =
      CreateThreeWayMergePatch(original, modified, live, DeploymentMeta(), /*overwrite=*/false)
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("conflict"));
  absl::StatusOr<std::string> p =
      CreateThreeWayMergePatch(original, modified, live, DeploymentMeta(), /*overwrite=*/true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, R"({"spec":{"replicas":2}})");
  // A change to a field the live object did not change is no conflict.
  EXPECT_TRUE(CreateThreeWayMergePatch(R"({"spec":{"paused":false}})",
                                       R"({"spec":{"paused":true}})",
                                       R"({"spec":{"replicas":5,"paused":false}})",
                                       DeploymentMeta(), /*overwrite=*/false)
                  .ok());
}

}  // namespace
}  // namespace rudder::api::patch
