// A whole in-process agent (gRPC over a unix socket, store, state file,
// reconciler) against a FakeEngine with ports "wan" and "lan", and helpers
// to see whether a call changed anything: what List returns, the state
// file, the engine's configurations and the desired generation.
#ifndef ONVM_TEST_AGENT_AGENT_FIXTURE_H_
#define ONVM_TEST_AGENT_AGENT_FIXTURE_H_

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/agent_server.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "onvm/file_contents.h"
#include "onvm/names.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "test/agent/fake_engine.h"
#include "test/agent/test_util.h"

namespace onvm::agent::testing {

// Polls `done` (the agent and the engine talk on their own threads; there
// is nothing to wait on but the outcome).
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return WaitFor(done, timeout);
}

// Members are public so that helpers outside the test body can make calls.
class AgentFixture : public ::testing::Test {
 public:
  void SetUp() override {
    setenv("ONVM_RUN_DIR", run_dir_.path().c_str(), 1);
    engine_name_ = UniqueEngine();
    engine_ = std::make_unique<FakeEngine>(PathsForEngine(engine_name_).control_socket,
                                           std::vector<std::string>{"wan", "lan"});
    StartAgent();
  }

  // Starts an agent on the fixture's engine, socket and state directory
  // (again after agent_->Shutdown(), to test a restart), connects the stubs
  // and waits until its reconciler has handed the engine the desired state.
  void StartAgent() {
    const size_t pushes = engine_->config_count();
    AgentOptions options;
    options.engine = engine_name_;
    options.listen = absl::StrCat("unix:", run_dir_.path(), "/agent.sock");
    options.metrics_listen = "127.0.0.1:0";
    options.state_dir = state_dir_.path();
    absl::StatusOr<std::unique_ptr<AgentServer>> agent = AgentServer::Start(options);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    channel_ = grpc::CreateChannel(options.listen, grpc::InsecureChannelCredentials());
    services_ = onvm::v1::Services::NewStub(channel_);
    chains_ = onvm::v1::Chains::NewStub(channel_);
    rules_ = onvm::v1::Rules::NewStub(channel_);
    manifests_ = onvm::v1::Manifests::NewStub(channel_);
    ports_ = onvm::v1::Ports::NewStub(channel_);
    instances_ = onvm::v1::Instances::NewStub(channel_);
    engine_api_ = onvm::v1::Engine::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
    ASSERT_TRUE(Eventually([&] { return engine_->config_count() > pushes; }));
  }

  void TearDown() override {
    if (agent_ != nullptr) agent_->Shutdown();
  }

  // Runs one call with a fresh context and a deadline.
  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& call) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return call(&ctx);
  }

  grpc::Status Apply(const onvm::v1::ApplyRequest& request,
                     onvm::v1::ApplyResponse* response = nullptr) {
    onvm::v1::ApplyResponse ignored;
    return Call([&](grpc::ClientContext* c) {
      return manifests_->Apply(c, request, response != nullptr ? response : &ignored);
    });
  }

  // Every service, chain and rule the agent lists, all pages.
  std::string Listed() {
    std::string out;
    std::string token;
    do {
      onvm::v1::ListServicesRequest req;
      req.set_page_token(token);
      onvm::v1::ListServicesResponse resp;
      EXPECT_TRUE(Call([&](grpc::ClientContext* c) {
                    return services_->ListServices(c, req, &resp);
                  }).ok());
      out += resp.DebugString();
      token = resp.next_page_token();
    } while (!token.empty());
    do {
      onvm::v1::ListChainsRequest req;
      req.set_page_token(token);
      onvm::v1::ListChainsResponse resp;
      EXPECT_TRUE(
          Call([&](grpc::ClientContext* c) { return chains_->ListChains(c, req, &resp); }).ok());
      out += resp.DebugString();
      token = resp.next_page_token();
    } while (!token.empty());
    do {
      onvm::v1::ListRulesRequest req;
      req.set_page_token(token);
      onvm::v1::ListRulesResponse resp;
      EXPECT_TRUE(
          Call([&](grpc::ClientContext* c) { return rules_->ListRules(c, req, &resp); }).ok());
      out += resp.DebugString();
      token = resp.next_page_token();
    } while (!token.empty());
    return out;
  }

  // The state file's bytes; empty if there is none.
  std::string StateFile() const {
    return ReadFileContents(absl::StrCat(state_dir_.path(), "/state.json")).value_or("");
  }

  uint64_t DesiredGeneration() {
    onvm::v1::EngineInfo info;
    EXPECT_TRUE(
        Call([&](grpc::ClientContext* c) { return engine_api_->GetEngine(c, {}, &info); }).ok());
    return info.desired_generation();
  }

  // Everything a change would touch, to compare before and after a call.
  struct Observed {
    std::string listed;
    std::string file;
    size_t pushes = 0;
    uint64_t generation = 0;
    bool operator==(const Observed&) const = default;
  };
  Observed Observe() {
    return {Listed(), StateFile(), engine_->config_count(), DesiredGeneration()};
  }

  TempDir run_dir_;
  TempDir state_dir_;
  std::string engine_name_;
  std::unique_ptr<FakeEngine> engine_;
  std::unique_ptr<AgentServer> agent_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<onvm::v1::Services::Stub> services_;
  std::unique_ptr<onvm::v1::Chains::Stub> chains_;
  std::unique_ptr<onvm::v1::Rules::Stub> rules_;
  std::unique_ptr<onvm::v1::Manifests::Stub> manifests_;
  std::unique_ptr<onvm::v1::Ports::Stub> ports_;
  std::unique_ptr<onvm::v1::Instances::Stub> instances_;
  std::unique_ptr<onvm::v1::Engine::Stub> engine_api_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace onvm::agent::testing

#endif  // ONVM_TEST_AGENT_AGENT_FIXTURE_H_
