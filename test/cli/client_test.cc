#include "cli/client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm::cli {
namespace {

TEST(ClientTest, ServerFlagBeatsEnvironmentBeatsDefault) {
  EXPECT_EQ(ResolveServer(std::nullopt, nullptr), "127.0.0.1:50051");
  EXPECT_EQ(ResolveServer(std::nullopt, ""), "127.0.0.1:50051");
  EXPECT_EQ(ResolveServer(std::nullopt, "unix:/run/onvm/agent.sock"), "unix:/run/onvm/agent.sock");
  EXPECT_EQ(ResolveServer("10.0.0.1:1", "unix:/run/onvm/agent.sock"), "10.0.0.1:1");
}

TEST(ClientTest, ReasonWords) {
  EXPECT_EQ(ReasonFor(grpc::StatusCode::NOT_FOUND), "NotFound");
  EXPECT_EQ(ReasonFor(grpc::StatusCode::INVALID_ARGUMENT), "BadRequest");
  EXPECT_EQ(ReasonFor(grpc::StatusCode::ALREADY_EXISTS), "AlreadyExists");
  EXPECT_EQ(ReasonFor(grpc::StatusCode::FAILED_PRECONDITION), "Conflict");
  EXPECT_EQ(ReasonFor(grpc::StatusCode::RESOURCE_EXHAUSTED), "ResourceExhausted");
  EXPECT_EQ(ReasonFor(grpc::StatusCode::UNAVAILABLE), "ServiceUnavailable");
  EXPECT_EQ(ReasonFor(grpc::StatusCode::INTERNAL), "InternalError");
}

TEST(ClientTest, Lines) {
  EXPECT_EQ(ServerErrorLine(grpc::Status(grpc::StatusCode::NOT_FOUND, "rule \"x\" not found")),
            "Error from server (NotFound): rule \"x\" not found");
  EXPECT_EQ(UnreachableLine("127.0.0.1:50051"),
            "onvmctl: cannot reach the onvm agent at 127.0.0.1:50051 (is onvm-agent running? "
            "check --server or ONVM_SERVER)");
}

TEST(ClientTest, ConnectFailsFastWhenNothingListens) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      Connect("unix:/nonexistent-onvm-dir/agent.sock", absl::Seconds(10));
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace onvm::cli
