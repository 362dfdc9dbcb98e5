// Tests of the meta/v1 schema: Kubernetes' field numbers and the JSON forms of Status,
// WatchEvent, Table and discovery documents through the codec.
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/meta/v1/meta.pb.h"
#include "lib/api/proto/options.pb.h"

namespace rudder::api::meta::v1 {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;

TEST(MetaProtoTest, FieldNumbersAreKubernetes) {
  struct Case {
    const Descriptor* message;
    const char* field;
    int number;
  };
  const std::vector<Case> cases = {
      {ObjectMeta::descriptor(), "name", 1},
      {ObjectMeta::descriptor(), "uid", 5},
      {ObjectMeta::descriptor(), "resourceVersion", 6},
      {ObjectMeta::descriptor(), "deletionGracePeriodSeconds", 10},
      {ObjectMeta::descriptor(), "finalizers", 14},
      {ListMeta::descriptor(), "continue", 3},
      {ListMeta::descriptor(), "remainingItemCount", 4},
      {OwnerReference::descriptor(), "kind", 1},
      {OwnerReference::descriptor(), "blockOwnerDeletion", 7},
      {StatusDetails::descriptor(), "uid", 6},
      {StatusDetails::descriptor(), "retryAfterSeconds", 5},
      {Status::descriptor(), "code", 6},
      {DeleteOptions::descriptor(), "dryRun", 5},
      {ListOptions::descriptor(), "resourceVersionMatch", 10},
      {ListOptions::descriptor(), "limit", 7},
      {ListOptions::descriptor(), "continue", 8},
      {UpdateOptions::descriptor(), "fieldManager", 2},
      {PatchOptions::descriptor(), "force", 2},
      {APIResource::descriptor(), "singularName", 6},
      {APIResource::descriptor(), "storageVersionHash", 10},
      {ManagedFieldsEntry::descriptor(), "fieldsV1", 7},
      {WatchEvent::descriptor(), "object", 2},
  };
  for (const Case& c : cases) {
    const FieldDescriptor* f = c.message->FindFieldByName(c.field);
    ASSERT_NE(f, nullptr) << c.message->name() << "." << c.field;
    EXPECT_EQ(f->number(), c.number) << c.message->name() << "." << c.field;
  }
}

TEST(MetaProtoTest, StatusJson) {
  Status st;
  st.mutable_metadata();
  st.set_status("Failure");
  st.set_message("pods \"x\" not found");
  st.set_reason("NotFound");
  st.mutable_details()->set_name("x");
  st.mutable_details()->set_kind("pods");
  st.set_code(404);
  absl::StatusOr<std::string> json =
      EncodeJson(st, JsonEncodeOptions{.api_version = "v1", .kind = "Status"});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                   R"("message":"pods \"x\" not found","reason":"NotFound",)"
                   R"("details":{"name":"x","kind":"pods"},"code":404})");
}

TEST(MetaProtoTest, WatchEventCarriesTheObjectVerbatim) {
  WatchEvent ev;
  ev.set_type("ADDED");
  ev.mutable_object()->set_raw(R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}})");
  absl::StatusOr<std::string> json = EncodeJson(ev);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(
      *json,
      R"({"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}})");
  WatchEvent back;
  ASSERT_TRUE(DecodeJson(*json, &back).ok());
  EXPECT_EQ(back.type(), "ADDED");
}

TEST(MetaProtoTest, TableCellsAreJsonValues) {
  Table t;
  t.mutable_metadata()->set_resourceversion("7");
  TableColumnDefinition* name = t.add_columndefinitions();
  name->set_name("Name");
  name->set_type("string");
  name->set_format("name");
  name->set_description("Name of the pod");
  name->set_priority(0);
  TableColumnDefinition* restarts = t.add_columndefinitions();
  restarts->set_name("Restarts");
  restarts->set_type("integer");
  restarts->set_format("");
  restarts->set_description("");
  restarts->set_priority(0);
  TableRow* row = t.add_rows();
  row->add_cells()->set_raw(R"("web-0")");
  row->add_cells()->set_raw("3");
  absl::StatusOr<std::string> json =
      EncodeJson(t, JsonEncodeOptions{.api_version = "meta.k8s.io/v1", .kind = "Table"});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            R"({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},)"
            R"("columnDefinitions":[{"name":"Name","type":"string","format":"name",)"
            R"("description":"Name of the pod","priority":0},{"name":"Restarts","type":"integer",)"
            R"("format":"","description":"","priority":0}],"rows":[{"cells":["web-0",3]}]})");
}

TEST(MetaProtoTest, DiscoveryListsPrintWhenEmpty) {
  APIResourceList list;
  list.set_groupversion("v1");
  APIResource* pods = list.add_resources();
  pods->set_name("pods");
  pods->set_singularname("pod");
  pods->set_namespaced(true);
  pods->set_kind("Pod");
  for (const char* v : {"create", "delete", "get", "list", "patch", "update", "watch"}) {
    pods->add_verbs(v);
  }
  pods->add_shortnames("po");
  absl::StatusOr<std::string> json =
      EncodeJson(list, JsonEncodeOptions{.api_version = "v1", .kind = "APIResourceList"});
  ASSERT_TRUE(json.ok()) << json.status();
  // Key order is the codec's concern; check the members and that verbs is a plain list.
  EXPECT_NE(json->find(R"("singularName":"pod")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("verbs":["create","delete","get","list","patch","update","watch"])"),
            std::string::npos)
      << *json;
  EXPECT_NE(json->find(R"("shortNames":["po"])"), std::string::npos) << *json;
  APIGroupList groups;
  json = EncodeJson(groups, JsonEncodeOptions{.api_version = "v1", .kind = "APIGroupList"});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"kind":"APIGroupList","apiVersion":"v1","groups":[]})");
}

}  // namespace
}  // namespace rudder::api::meta::v1
