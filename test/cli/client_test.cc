#include "cli/client.h"

#include <cstdio>

#include "cli/connection.h"
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

TEST(ClientTest, ConnectionFlagsBeatEnvironment) {
  EXPECT_EQ(FlagOrEnv(std::nullopt, nullptr), "");
  EXPECT_EQ(FlagOrEnv(std::nullopt, "/etc/onvm/ca.crt"), "/etc/onvm/ca.crt");
  EXPECT_EQ(FlagOrEnv("/a", "/b"), "/a");
}

TEST(ClientTest, LoadConnectionChecksFlagsAndFiles) {
  ConnectionFlags flags;
  flags.server = "127.0.0.1:1";
  absl::StatusOr<Connection> plain = LoadConnection(flags);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->tls);
  EXPECT_TRUE(plain->token.empty());

  flags.tls_cert = "/some/client.crt";
  EXPECT_EQ(LoadConnection(flags).status().code(), absl::StatusCode::kInvalidArgument);
  flags.tls_cert.clear();
  flags.tls_ca = "/nonexistent-onvm-dir/ca.crt";
  const absl::Status missing = LoadConnection(flags).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.message(), ::testing::HasSubstr("--tls-ca /nonexistent-onvm-dir/ca.crt"));

  const std::string dir = ::testing::TempDir();
  const std::string token = dir + "/onvm-client-test-token";
  {
    FILE* f = std::fopen(token.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("  abc123\n", f);
    std::fclose(f);
  }
  flags.tls_ca.clear();
  flags.token_file = token;
  absl::StatusOr<Connection> with_token = LoadConnection(flags);
  ASSERT_TRUE(with_token.ok()) << with_token.status();
  EXPECT_EQ(with_token->token, "abc123");
  std::remove(token.c_str());
}

TEST(ClientTest, TlsUnreachableLineSaysWhatToCheck) {
  Connection c;
  c.server = "10.0.0.1:50051";
  EXPECT_EQ(UnreachableLine(c), UnreachableLine("10.0.0.1:50051"));
  c.tls = true;
  const std::string line = UnreachableLine(c);
  EXPECT_THAT(line, ::testing::HasSubstr("at 10.0.0.1:50051 over TLS"));
  EXPECT_THAT(line, ::testing::HasSubstr("--tls-ca"));
  EXPECT_THAT(line, ::testing::HasSubstr("--tls-cert and --tls-key"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace onvm::cli
