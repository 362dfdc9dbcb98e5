#include "lib/api/patch/patch_meta.h"

#include <memory>

#include "gtest/gtest.h"
#include "lib/api/patch/proto_patch_meta.h"
#include "lib/api/patch/testdata/patchtest.pb.h"

namespace rudder::api::patch {
namespace {

using testdata::Deployment;

TEST(PatchStrategy, Parse) {
  auto s = PatchStrategy::Parse("merge,retainKeys");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->merge);
  EXPECT_TRUE(s->retain_keys);
  EXPECT_FALSE(s->replace);
  s = PatchStrategy::Parse("retainKeys,replace");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->replace && s->retain_keys);
  EXPECT_TRUE(PatchStrategy::Parse("").ok());
  EXPECT_EQ(PatchStrategy::Parse("merge,replace").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PatchStrategy::Parse("a,b,c").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PatchStrategy::Parse("sideways").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProtoPatchMeta, ReadsFieldOptionsAlongTheSchema) {
  std::unique_ptr<PatchMeta> meta = NewProtoPatchMeta(Deployment::descriptor());
  EXPECT_EQ(meta->Name(), "rudder.api.patch.testdata.Deployment");
  auto spec = meta->Lookup("spec");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kind, FieldKind::kObject);
  auto strategy = spec->children->Lookup("strategy");
  ASSERT_TRUE(strategy.ok());
  EXPECT_TRUE(strategy->strategy.retain_keys);
  EXPECT_FALSE(strategy->strategy.merge);
  auto selector = spec->children->Lookup("selector");
  ASSERT_TRUE(selector.ok());
  EXPECT_TRUE(selector->strategy.replace);

  auto pod = spec->children->Lookup("template")->children->Lookup("spec");
  ASSERT_TRUE(pod.ok());
  auto containers = pod->children->Lookup("containers");
  ASSERT_TRUE(containers.ok());
  EXPECT_EQ(containers->kind, FieldKind::kList);
  EXPECT_TRUE(containers->strategy.merge);
  EXPECT_EQ(containers->merge_key, "name");
  auto ports = containers->children->Lookup("ports");
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(ports->merge_key, "containerPort");
  auto command = containers->children->Lookup("command");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->kind, FieldKind::kList);
  EXPECT_FALSE(command->strategy.merge);
  auto volumes = pod->children->Lookup("volumes");
  ASSERT_TRUE(volumes.ok());
  EXPECT_TRUE(volumes->strategy.merge && volumes->strategy.retain_keys);

  auto labels = meta->Lookup("metadata")->children->Lookup("labels");
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->kind, FieldKind::kObject);
  auto any_label = labels->children->Lookup("app.kubernetes.io/name");
  ASSERT_TRUE(any_label.ok());
  EXPECT_EQ(any_label->kind, FieldKind::kPrimitive);
  auto finalizers = meta->Lookup("metadata")->children->Lookup("finalizers");
  ASSERT_TRUE(finalizers.ok());
  EXPECT_TRUE(finalizers->strategy.merge);
  EXPECT_EQ(finalizers->merge_key, "");

  auto missing = meta->Lookup("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(missing.status().message()).find("nope"), std::string::npos);
}

TEST(ProtoPatchMeta, InvalidStrategyIsReportedOnLookup) {
  std::unique_ptr<PatchMeta> meta = NewProtoPatchMeta(testdata::BadStrategy::descriptor());
  EXPECT_EQ(meta->Lookup("items").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TablePatchMeta, FieldsAndDefault) {
  auto container = std::make_shared<TablePatchMeta>("Container");
  container->AddField("ports", FieldKind::kList, "merge", "containerPort");
  TablePatchMeta spec("PodSpec");
  spec.AddField("containers", FieldKind::kList, "merge", "name", container);
  auto c = spec.Lookup("containers");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->children, container.get());
  EXPECT_EQ(c->children->Lookup("ports")->merge_key, "containerPort");
  EXPECT_EQ(spec.Lookup("x").status().code(), absl::StatusCode::kNotFound);

  TablePatchMeta map("map");
  map.SetDefaultField(FieldKind::kPrimitive);
  EXPECT_EQ(map.Lookup("anything")->kind, FieldKind::kPrimitive);
  EXPECT_EQ(map.Lookup("anything")->children, &SchemalessPatchMeta());

  TablePatchMeta bad("bad");
  bad.AddField("x", FieldKind::kList, "zigzag");
  EXPECT_EQ(bad.Lookup("x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SchemalessPatchMeta, EverythingIsAnyWithoutStrategy) {
  auto info = SchemalessPatchMeta().Lookup("whatever");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, FieldKind::kAny);
  EXPECT_FALSE(info->strategy.merge);
  EXPECT_EQ(info->children, &SchemalessPatchMeta());
}

}  // namespace
}  // namespace rudder::api::patch
