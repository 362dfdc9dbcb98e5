// The proto macro's output links and behaves: messages round-trip, a gRPC service serves.
#include <memory>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tools/testdata/greeter.grpc.pb.h"
#include "tools/testdata/greeting.pb.h"

namespace rudder::tools::testdata {
namespace {

TEST(ProtoMacroTest, MessagesRoundTripThroughTheWireFormat) {
  Greeting g;
  g.set_text("hello");
  g.mutable_at()->set_seconds(42);
  Greeting back;
  ASSERT_TRUE(back.ParseFromString(g.SerializeAsString()));
  EXPECT_EQ(back.text(), "hello");
  EXPECT_EQ(back.at().seconds(), 42);
}

class EchoService final : public Greeter::Service {
  grpc::Status Greet(grpc::ServerContext*, const Greeting* in, Greeting* out) override {
    out->set_text("re: " + in->text());
    return grpc::Status::OK;
  }
};

TEST(ProtoMacroTest, GeneratedServiceAnswersOverInProcessChannel) {
  EchoService service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = Greeter::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext ctx;
  Greeting in, out;
  in.set_text("hi");
  grpc::Status s = stub->Greet(&ctx, in, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.text(), "re: hi");
  server->Shutdown();
}

}  // namespace
}  // namespace rudder::tools::testdata
