#include "lib/api/labels/label_selector_proto.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace rudder::api::labels {
namespace {

TEST(LabelSelectorProtoTest, ConvertsLikeTheStructForm) {
  EXPECT_TRUE(
      LabelSelectorAsSelector(static_cast<const meta::v1::LabelSelector*>(nullptr))->IsNothing());
  meta::v1::LabelSelector empty;
  EXPECT_TRUE(LabelSelectorAsSelector(&empty)->Empty());

  meta::v1::LabelSelector ls;
  (*ls.mutable_matchlabels())["app"] = "web";
  meta::v1::LabelSelectorRequirement* e = ls.add_matchexpressions();
  e->set_key("tier");
  e->set_operator_("NotIn");
  e->add_values("db");
  e->add_values("cache");
  absl::StatusOr<Selector> sel = LabelSelectorAsSelector(&ls);
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(sel->String(), "app=web,tier notin (cache,db)");
  EXPECT_TRUE(sel->Matches(std::map<std::string, std::string>{{"app", "web"}}));

  e->set_operator_("Gt");
  EXPECT_EQ(LabelSelectorAsSelector(&ls).status().message(),
            "\"Gt\" is not a valid label selector operator");
}

}  // namespace
}  // namespace rudder::api::labels
