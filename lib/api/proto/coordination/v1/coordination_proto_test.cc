// Tests of the coordination.k8s.io/v1 schema: Lease times are microsecond MicroTimes.
#include <string>

#include "gtest/gtest.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/coordination/v1/coordination.pb.h"

namespace rudder::api::coordination::v1 {
namespace {

TEST(CoordinationProtoTest, LeaseJsonMatchesKubernetes) {
  Lease l;
  l.mutable_metadata()->set_name("kube-scheduler");
  LeaseSpec* s = l.mutable_spec();
  s->set_holderidentity("node-a_1234");
  s->set_leasedurationseconds(15);
  s->mutable_acquiretime()->set_seconds(1704164645);
  s->mutable_acquiretime()->set_nanos(123456000);
  s->mutable_renewtime()->set_seconds(1704164650);
  s->set_leasetransitions(0);
  absl::StatusOr<std::string> json = EncodeJson(l);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("spec":{"holderIdentity":"node-a_1234","leaseDurationSeconds":15,)"
                       R"("acquireTime":"2024-01-02T03:04:05.123456Z",)"
                       R"("renewTime":"2024-01-02T03:04:10.000000Z","leaseTransitions":0}})"),
            std::string::npos)
      << *json;

  Lease back;
  ASSERT_TRUE(DecodeJson(*json, &back).ok());
  EXPECT_EQ(back.SerializeAsString(), l.SerializeAsString());
  EXPECT_TRUE(back.spec().has_leasetransitions());
}

TEST(CoordinationProtoTest, FieldNumbersAreKubernetes) {
  const auto* d = LeaseSpec::descriptor();
  EXPECT_EQ(d->FindFieldByName("holderIdentity")->number(), 1);
  EXPECT_EQ(d->FindFieldByName("leaseDurationSeconds")->number(), 2);
  EXPECT_EQ(d->FindFieldByName("acquireTime")->number(), 3);
  EXPECT_EQ(d->FindFieldByName("renewTime")->number(), 4);
  EXPECT_EQ(d->FindFieldByName("leaseTransitions")->number(), 5);
  EXPECT_EQ(d->FindFieldByName("strategy")->number(), 6);
  EXPECT_EQ(d->FindFieldByName("preferredHolder")->number(), 7);
}

}  // namespace
}  // namespace rudder::api::coordination::v1
