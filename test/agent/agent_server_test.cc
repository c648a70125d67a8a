// The whole agent in-process: gRPC API, store, persistence and reconciler
// against a fake engine control socket.
#include "agent/agent_server.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "onvm/names.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "onvm/v1/instance.grpc.pb.h"
#include "onvm/v1/port.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "test/agent/agent_fixture.h"
#include "test/agent/fake_engine.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::WaitFor;

using ::grpc::health::v1::HealthCheckResponse;
using ::onvm::agent::testing::FakeEngine;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::testing::HasSubstr;

// The agent fixture, plus calls by resource and the health service.
class AgentServerTest : public testing::AgentFixture {
 protected:
  grpc::Status CreateService(const onvm::v1::Service& s, onvm::v1::Service* out = nullptr) {
    grpc::ClientContext ctx;
    onvm::v1::CreateServiceRequest request;
    *request.mutable_service() = s;
    onvm::v1::Service reply;
    grpc::Status status = services_->CreateService(&ctx, request, &reply);
    if (out != nullptr) *out = reply;
    return status;
  }
  grpc::Status CreateChain(const onvm::v1::Chain& c) {
    grpc::ClientContext ctx;
    onvm::v1::CreateChainRequest request;
    *request.mutable_chain() = c;
    onvm::v1::Chain reply;
    return chains_->CreateChain(&ctx, request, &reply);
  }
  grpc::Status CreateRule(const onvm::v1::Rule& r) {
    grpc::ClientContext ctx;
    onvm::v1::CreateRuleRequest request;
    *request.mutable_rule() = r;
    onvm::v1::Rule reply;
    return rules_->CreateRule(&ctx, request, &reply);
  }
  grpc::Status GetService(const std::string& name, onvm::v1::Service* out) {
    grpc::ClientContext ctx;
    onvm::v1::GetServiceRequest request;
    request.set_name(name);
    return services_->GetService(&ctx, request, out);
  }

  // The health status of `service`, or UNKNOWN if the check failed.
  HealthCheckResponse::ServingStatus Health(const std::string& service) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse reply;
    if (!health_->Check(&ctx, request, &reply).ok()) return HealthCheckResponse::UNKNOWN;
    return reply.status();
  }
};

TEST_F(AgentServerTest, ChangesReachTheEngineBeforeTheCallReturns) {
  onvm::v1::Service fw;
  ASSERT_TRUE(CreateService(MakeService("fw"), &fw).ok());
  EXPECT_EQ(fw.status().id(), 1u);
  EXPECT_EQ(fw.kind(), "Service");
  ASSERT_EQ(engine_->last_config().services_size(), 1);
  EXPECT_EQ(engine_->last_config().services(0).status().id(), 1u);

  ASSERT_TRUE(CreateChain(MakeChain("web", {"fw"}, "lan")).ok());
  ASSERT_TRUE(CreateRule(MakeRule("web-in", "web")).ok());
  const onvm::engine::v1::SetConfig config = engine_->last_config();
  EXPECT_EQ(config.chains_size(), 1);
  EXPECT_EQ(config.rules_size(), 1);
  EXPECT_EQ(config.generation(), 3u);

  grpc::Status bad_port = CreateChain(MakeChain("other", {"fw"}, "eth9"));
  EXPECT_EQ(bad_port.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(bad_port.error_message(), HasSubstr("chain \"other\": spec.then.out"));
}

TEST_F(AgentServerTest, EngineRefusalIsReturnedAndNothingChanges) {
  const size_t pushes = engine_->config_count();
  engine_->RejectNext(absl::InvalidArgumentError("no room for this"));
  grpc::Status status = CreateService(MakeService("fw"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no room for this"));
  onvm::v1::Service out;
  EXPECT_EQ(GetService("fw", &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(engine_->config_count(), pushes);
}

TEST_F(AgentServerTest, RestartedEngineGetsTheStateAgain) {
  ASSERT_TRUE(CreateService(MakeService("fw")).ok());
  const size_t pushes = engine_->config_count();
  engine_->Restart("boot-2");
  ASSERT_TRUE(WaitFor([&] { return engine_->config_count() > pushes; }, std::chrono::seconds(3)));
  EXPECT_EQ(engine_->last_config().services_size(), 1);
}

TEST_F(AgentServerTest, HealthIsServingOnlyWhileTheEngineRunsTheDesiredState) {
  ASSERT_TRUE(
      WaitFor([&] { return Health("") == HealthCheckResponse::SERVING; }, std::chrono::seconds(3)));
  for (const char* service :
       {"onvm.v1.Services", "onvm.v1.Chains", "onvm.v1.Rules", "onvm.v1.Manifests",
        "onvm.v1.Events", "onvm.v1.Ports", "onvm.v1.Instances", "onvm.v1.Engine"}) {
    EXPECT_EQ(Health(service), HealthCheckResponse::SERVING) << service;
  }
  EXPECT_EQ(Health("onvm.v1.NoSuchService"), HealthCheckResponse::UNKNOWN);

  // The engine goes away: the node's data path is not known to be right, and
  // what reads the engine cannot answer; the desired state still can.
  engine_.reset();
  ASSERT_TRUE(WaitFor([&] { return Health("") == HealthCheckResponse::NOT_SERVING; },
                      std::chrono::seconds(3)));
  EXPECT_EQ(Health("onvm.v1.Ports"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("onvm.v1.Instances"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("onvm.v1.Engine"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("onvm.v1.Services"), HealthCheckResponse::SERVING);
  ASSERT_TRUE(CreateService(MakeService("fw")).ok());

  // A new engine: SERVING again only once it runs the state, service included.
  engine_ = std::make_unique<FakeEngine>(PathsForEngine(engine_name_).control_socket,
                                         std::vector<std::string>{"wan", "lan"});
  ASSERT_TRUE(
      WaitFor([&] { return Health("") == HealthCheckResponse::SERVING; }, std::chrono::seconds(3)));
  ASSERT_GT(engine_->config_count(), 0u);
  EXPECT_EQ(engine_->last_config().services_size(), 1);
  EXPECT_EQ(Health("onvm.v1.Ports"), HealthCheckResponse::SERVING);
}

TEST_F(AgentServerTest, StateSurvivesAnAgentRestart) {
  onvm::v1::ApplyRequest request;
  *request.add_resources()->mutable_rule() = MakeRule("web-in", "web");
  *request.add_resources()->mutable_chain() = MakeChain("web", {"fw"}, "wan");
  *request.add_resources()->mutable_service() = MakeService("fw");
  {
    grpc::ClientContext ctx;
    onvm::v1::ApplyResponse response;
    ASSERT_TRUE(manifests_->Apply(&ctx, request, &response).ok());
    EXPECT_EQ(response.results(0).outcome(), onvm::v1::ApplyResult::CREATED);
  }
  agent_->Shutdown();
  agent_.reset();
  StartAgent();
  grpc::ClientContext ctx;
  onvm::v1::ListRulesResponse rules;
  ASSERT_TRUE(rules_->ListRules(&ctx, onvm::v1::ListRulesRequest(), &rules).ok());
  ASSERT_EQ(rules.items_size(), 1);
  EXPECT_EQ(rules.items(0).metadata().name(), "web-in");
  EXPECT_EQ(rules.items(0).api_version(), "onvm/v1");
  // Applying the same manifest again changes nothing.
  grpc::ClientContext ctx2;
  onvm::v1::ApplyResponse again;
  ASSERT_TRUE(manifests_->Apply(&ctx2, request, &again).ok());
  for (const auto& result : again.results()) {
    EXPECT_EQ(result.outcome(), onvm::v1::ApplyResult::UNCHANGED);
  }
}

TEST_F(AgentServerTest, PortsAndInstancesComeFromTheEngine) {
  {
    grpc::ClientContext ctx;
    onvm::v1::ListPortsResponse ports;
    ASSERT_TRUE(ports_->ListPorts(&ctx, onvm::v1::ListPortsRequest(), &ports).ok());
    ASSERT_EQ(ports.items_size(), 2);
    EXPECT_EQ(ports.items(0).metadata().name(), "lan");
    EXPECT_EQ(ports.items(0).kind(), "Port");
    EXPECT_EQ(ports.items(1).spec().devargs(), "net_null0");
  }
  {
    grpc::ClientContext ctx;
    onvm::v1::GetPortRequest request;
    request.set_name("nope");
    onvm::v1::Port port;
    EXPECT_EQ(ports_->GetPort(&ctx, request, &port).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  ASSERT_TRUE(CreateService(MakeService("fw")).ok());
  engine_->AddInstance("fw", 4);
  onvm::v1::Instance instance;
  ASSERT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext ctx;
        onvm::v1::GetInstanceRequest request;
        request.set_name("fw-4");
        return instances_->GetInstance(&ctx, request, &instance).ok();
      },
      std::chrono::seconds(3)));
  EXPECT_EQ(instance.kind(), "Instance");
  EXPECT_EQ(instance.spec().service(), "fw");
  EXPECT_EQ(instance.status().state(), onvm::v1::InstanceStatus::RUNNING);
  onvm::v1::Service fw;
  ASSERT_TRUE(GetService("fw", &fw).ok());
  EXPECT_EQ(fw.status().ready_replicas(), 1u);
}

TEST_F(AgentServerTest, GetEngineDescribesTheEngineAndItsGenerations) {
  ASSERT_TRUE(CreateService(MakeService("fw")).ok());
  grpc::ClientContext ctx;
  onvm::v1::EngineInfo info;
  ASSERT_TRUE(engine_api_->GetEngine(&ctx, onvm::v1::GetEngineRequest(), &info).ok());
  EXPECT_EQ(info.name(), engine_name_);
  EXPECT_TRUE(info.connected());
  EXPECT_EQ(info.boot_id(), "boot-1");
  EXPECT_EQ(info.agent_version(), "0.1.0");
  EXPECT_EQ(info.desired_generation(), 1u);
  // The fake engine has no stats segment: no start time.
  EXPECT_FALSE(info.has_started_at());
  EXPECT_EQ(info.uptime_seconds(), 0u);

  engine_.reset();  // the engine goes away
  ASSERT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext c;
        return engine_api_->GetEngine(&c, onvm::v1::GetEngineRequest(), &info).ok() &&
               !info.connected();
      },
      std::chrono::seconds(5)));
  EXPECT_EQ(info.name(), engine_name_);
  EXPECT_TRUE(info.boot_id().empty());
  EXPECT_EQ(info.desired_generation(), 1u);
}

TEST_F(AgentServerTest, UpdateServiceOverGrpc) {
  ASSERT_TRUE(CreateService(MakeService("fw")).ok());
  onvm::v1::UpdateServiceRequest request;
  *request.mutable_service() = MakeService("fw", 3);
  request.mutable_update_mask()->add_paths("spec.replicas");
  onvm::v1::Service out;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(services_->UpdateService(&ctx, request, &out).ok());
  }
  EXPECT_EQ(out.spec().replicas(), 3u);
  EXPECT_EQ(out.metadata().generation(), 2u);
  EXPECT_EQ(engine_->last_config().services(0).spec().replicas(), 3u);

  // Placement and core mode, each by its own path; replicas stay.
  onvm::v1::UpdateServiceRequest placement;
  *placement.mutable_service() = MakeService("fw", 9);
  placement.mutable_service()->mutable_spec()->mutable_placement()->add_cores(2);
  placement.mutable_service()->mutable_spec()->set_core_mode(onvm::v1::SHARED);
  placement.mutable_update_mask()->add_paths("spec.placement");
  placement.mutable_update_mask()->add_paths("spec.core_mode");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(services_->UpdateService(&ctx, placement, &out).ok());
  }
  EXPECT_EQ(out.spec().replicas(), 3u);
  ASSERT_EQ(out.spec().placement().cores_size(), 1);
  EXPECT_EQ(out.spec().placement().cores(0), 2u);
  EXPECT_EQ(out.spec().core_mode(), onvm::v1::SHARED);
  EXPECT_EQ(out.metadata().generation(), 3u);

  request.mutable_update_mask()->set_paths(0, "status.id");
  {
    grpc::ClientContext ctx;
    grpc::Status status = services_->UpdateService(&ctx, request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("\"status.id\""));
  }
  request.mutable_service()->mutable_metadata()->set_name("ghost");
  request.mutable_update_mask()->set_paths(0, "spec.replicas");
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(services_->UpdateService(&ctx, request, &out).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(services_->UpdateService(&ctx, onvm::v1::UpdateServiceRequest(), &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace onvm::agent
