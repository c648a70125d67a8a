// Chain and rule traffic counters in the API: TrafficStatus against a fake
// stats segment, and the whole agent returning them (and never saving them).
#include "agent/traffic_status.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/agent_server.h"
#include "agent/stats_source.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "onvm/names.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "onvm/v1/chain.grpc.pb.h"
#include "onvm/v1/rule.grpc.pb.h"
#include "onvm/v1/service.grpc.pb.h"
#include "test/agent/fake_engine.h"
#include "test/agent/fake_stats.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::UniqueEngine;
using ::onvm::agent::testing::WaitFor;

using ::onvm::agent::testing::FakeEngine;
using ::onvm::agent::testing::FakeStatsSegment;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::onvm::agent::testing::TempDir;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The engine's bounds in seconds, as every chain status must carry them.
const std::vector<double> kBoundsSeconds = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4,
                                            2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 1e-1};

// A chain slot with 10 packets in, 9 completed: 6 in bucket 1, 3 in +Inf.
void AddWebChain(FakeStatsSegment& fake, uint32_t slot) {
  onvm_stats_chain& c = fake.AddChain(slot, "web", 1);
  c.packets = 10;
  c.bytes = 640;
  c.completed = 9;
  c.latency_buckets[1] = 6;
  c.latency_buckets[ONVM_STATS_LATENCY_BUCKETS - 1] = 3;
  c.latency_sum_ns = 1'500'000'000;
}

TEST(TrafficStatusTest, FillsAChainFromTheSlotOfItsName) {
  const std::string engine = UniqueEngine();
  FakeStatsSegment fake(engine);
  fake.AddChain(0, "other", 2).packets = 99;
  fake.AddChain(1, "we", 3).packets = 98;  // a prefix is not the name
  AddWebChain(fake, 7);
  StatsSource source(PathsForEngine(engine));
  TrafficStatus traffic(&source);

  onvm::v1::Chain chain = MakeChain("web", {"fw"});
  chain.mutable_status()->set_id(4);
  traffic.Fill(&chain);
  const onvm::v1::ChainStatus& s = chain.status();
  EXPECT_EQ(s.id(), 4u);  // the agent's, untouched
  EXPECT_EQ(s.packets(), 10u);
  EXPECT_EQ(s.bytes(), 640u);
  EXPECT_EQ(s.completed_packets(), 9u);
  EXPECT_THAT(s.latency_bucket_bounds_seconds(),
              ::testing::Pointwise(::testing::DoubleEq(), kBoundsSeconds));
  EXPECT_THAT(s.latency_bucket_counts(), ElementsAre(0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3));
  EXPECT_DOUBLE_EQ(s.latency_sum_seconds(), 1.5);

  // Filling again replaces, never appends.
  traffic.Fill(&chain);
  EXPECT_EQ(chain.status().latency_bucket_bounds_seconds_size(), 14);
  EXPECT_EQ(chain.status().latency_bucket_counts_size(), 15);
}

TEST(TrafficStatusTest, UnknownNamesAndNoSegmentGiveZerosOfTheSameShape) {
  const std::string engine = UniqueEngine();
  StatsSource source(PathsForEngine(engine));  // no segment (engine not running)
  TrafficStatus traffic(&source);
  google::protobuf::RepeatedPtrField<onvm::v1::Chain> chains;
  *chains.Add() = MakeChain("web", {"fw"});
  chains.Mutable(0)->mutable_status()->set_packets(77);  // stale input is overwritten
  traffic.Fill(&chains);
  EXPECT_EQ(chains.Get(0).status().packets(), 0u);
  EXPECT_EQ(chains.Get(0).status().latency_bucket_bounds_seconds_size(), 14);
  EXPECT_THAT(chains.Get(0).status().latency_bucket_counts(), Each(0u));
  EXPECT_EQ(chains.Get(0).status().latency_bucket_counts_size(), 15);

  FakeStatsSegment fake(engine);
  AddWebChain(fake, 3);
  *chains.Add() = MakeChain("nosuch", {"fw"});
  traffic.Fill(&chains);
  EXPECT_EQ(chains.Get(0).status().packets(), 10u);
  EXPECT_EQ(chains.Get(1).status().packets(), 0u);
  EXPECT_EQ(chains.Get(1).status().latency_bucket_counts_size(), 15);

  // A released slot (the chain was deleted in the engine) counts no more.
  fake.segment()->chains[3].in_use = 0;
  traffic.Fill(&chains);
  EXPECT_EQ(chains.Get(0).status().packets(), 0u);

  // Without a stats source at all (tests), zeros too.
  TrafficStatus none(nullptr);
  onvm::v1::Rule rule = MakeRule("web-in", "web");
  rule.mutable_status()->set_hits(5);
  none.Fill(&rule);
  EXPECT_EQ(rule.status().hits(), 0u);
}

TEST(TrafficStatusTest, FillsRuleHitsAndBytes) {
  const std::string engine = UniqueEngine();
  FakeStatsSegment fake(engine);
  onvm_stats_rule& r = fake.AddRule(40, "web-in");
  r.packets = 12;
  r.bytes = 1200;
  fake.AddRule(2, "other").packets = 1;
  StatsSource source(PathsForEngine(engine));
  TrafficStatus traffic(&source);

  google::protobuf::RepeatedPtrField<onvm::v1::Rule> rules;
  *rules.Add() = MakeRule("other", "web");
  *rules.Add() = MakeRule("web-in", "web");
  *rules.Add() = MakeRule("new", "web");
  traffic.Fill(&rules);
  EXPECT_EQ(rules.Get(0).status().hits(), 1u);
  EXPECT_EQ(rules.Get(1).status().hits(), 12u);
  EXPECT_EQ(rules.Get(1).status().bytes(), 1200u);
  EXPECT_EQ(rules.Get(2).status().hits(), 0u);
  EXPECT_EQ(rules.Get(2).status().bytes(), 0u);
}

// The whole agent: every call that returns a chain or rule carries the
// engine's counters; what a client sends as status is ignored; the state
// file holds ids only.
TEST(AgentTrafficTest, ChainsAndRulesCarryCountersThatAreNeverSaved) {
  TempDir run_dir, state_dir;
  setenv("ONVM_RUN_DIR", run_dir.path().c_str(), 1);
  const std::string engine_name = UniqueEngine();
  FakeEngine engine(PathsForEngine(engine_name).control_socket, {"wan", "lan"});
  FakeStatsSegment fake(engine_name);
  AddWebChain(fake, 5);
  onvm_stats_rule& hits = fake.AddRule(9, "web-in");
  hits.packets = 10;
  hits.bytes = 640;

  AgentOptions options;
  options.engine = engine_name;
  options.listen = absl::StrCat("unix:", run_dir.path(), "/agent.sock");
  options.metrics_listen = "127.0.0.1:0";
  options.state_dir = state_dir.path();
  absl::StatusOr<std::unique_ptr<AgentServer>> agent = AgentServer::Start(options);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE(WaitFor([&] { return engine.config_count() > 0; }, std::chrono::seconds(3)));
  auto channel = grpc::CreateChannel(options.listen, grpc::InsecureChannelCredentials());
  auto services = onvm::v1::Services::NewStub(channel);
  auto chains = onvm::v1::Chains::NewStub(channel);
  auto rules = onvm::v1::Rules::NewStub(channel);

  {
    grpc::ClientContext ctx;
    onvm::v1::CreateServiceRequest request;
    *request.mutable_service() = MakeService("fw");
    onvm::v1::Service reply;
    ASSERT_TRUE(services->CreateService(&ctx, request, &reply).ok());
  }
  onvm::v1::Chain created;
  {
    grpc::ClientContext ctx;
    onvm::v1::CreateChainRequest request;
    *request.mutable_chain() = MakeChain("web", {"fw"});
    // Output-only fields a client sends anyway.
    request.mutable_chain()->mutable_status()->set_packets(123456);
    request.mutable_chain()->mutable_status()->add_latency_bucket_counts(7);
    ASSERT_TRUE(chains->CreateChain(&ctx, request, &created).ok());
  }
  EXPECT_EQ(created.status().packets(), 10u);
  EXPECT_EQ(created.status().latency_bucket_counts_size(), 15);
  onvm::v1::Rule rule;
  {
    grpc::ClientContext ctx;
    onvm::v1::CreateRuleRequest request;
    *request.mutable_rule() = MakeRule("web-in", "web");
    request.mutable_rule()->mutable_status()->set_hits(654321);
    ASSERT_TRUE(rules->CreateRule(&ctx, request, &rule).ok());
  }
  EXPECT_EQ(rule.status().hits(), 10u);

  // The engine counts on; Get and List see it.
  fake.segment()->chains[5].packets = 20;
  fake.segment()->rules[9].packets = 20;
  onvm::v1::Chain got;
  {
    grpc::ClientContext ctx;
    onvm::v1::GetChainRequest request;
    request.set_name("web");
    ASSERT_TRUE(chains->GetChain(&ctx, request, &got).ok());
  }
  EXPECT_EQ(got.status().packets(), 20u);
  EXPECT_EQ(got.status().completed_packets(), 9u);
  EXPECT_DOUBLE_EQ(got.status().latency_sum_seconds(), 1.5);
  onvm::v1::ListChainsResponse listed_chains;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(chains->ListChains(&ctx, {}, &listed_chains).ok());
  }
  ASSERT_EQ(listed_chains.items_size(), 1);
  EXPECT_EQ(listed_chains.items(0).status().packets(), 20u);
  EXPECT_EQ(listed_chains.items(0).status().latency_bucket_counts(1), 6u);
  onvm::v1::Rule got_rule;
  {
    grpc::ClientContext ctx;
    onvm::v1::GetRuleRequest request;
    request.set_name("web-in");
    ASSERT_TRUE(rules->GetRule(&ctx, request, &got_rule).ok());
  }
  EXPECT_EQ(got_rule.status().hits(), 20u);
  EXPECT_EQ(got_rule.status().bytes(), 640u);
  onvm::v1::ListRulesResponse listed_rules;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(rules->ListRules(&ctx, {}, &listed_rules).ok());
  }
  ASSERT_EQ(listed_rules.items_size(), 1);
  EXPECT_EQ(listed_rules.items(0).status().hits(), 20u);

  // Neither the engine's push nor the state file carries counters: ids only.
  const onvm::engine::v1::SetConfig pushed = engine.last_config();
  ASSERT_EQ(pushed.chains_size(), 1);
  EXPECT_EQ(pushed.chains(0).status().packets(), 0u);
  EXPECT_EQ(pushed.chains(0).status().latency_bucket_counts_size(), 0);
  ASSERT_EQ(pushed.rules_size(), 1);
  EXPECT_EQ(pushed.rules(0).status().hits(), 0u);
  std::ifstream file(absl::StrCat(state_dir.path(), "/state.json"));
  std::stringstream saved;
  saved << file.rdbuf();
  ASSERT_THAT(saved.str(), HasSubstr("\"web-in\""));
  for (const char* counter :
       {"packets", "bytes", "completedPackets", "latency", "hits", "123456", "654321"}) {
    EXPECT_THAT(saved.str(), Not(HasSubstr(counter))) << saved.str();
  }
  (*agent)->Shutdown();
}

}  // namespace
}  // namespace onvm::agent
