// Many gRPC clients at once against one agent; the tsan gate runs this under
// ThreadSanitizer. Writers each own their resources and churn them (create,
// update, apply, delete), readers list and get, and a watcher follows the
// events. Every call must succeed, and afterwards the agent and the engine
// hold exactly what the writers left.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "onvm/v1/event.grpc.pb.h"
#include "test/agent/agent_fixture.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::Eventually;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;

constexpr int kWriters = 8;
constexpr int kReaders = 4;
constexpr int kRounds = 5;

class ConcurrencyTest : public testing::AgentFixture {
 protected:
  std::string Target() const { return absl::StrCat("unix:", run_dir_.path(), "/agent.sock"); }

  void Fail(std::string what) {
    std::lock_guard<std::mutex> lock(errors_mu_);
    errors_.push_back(std::move(what));
  }
  void Check(const grpc::Status& status, const std::string& what) {
    if (!status.ok()) Fail(absl::StrCat(what, ": ", status.error_message()));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
  }

  void Writer(int w) {
    // A channel of its own: separate connections, as separate clients have.
    auto channel = grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials());
    auto services = onvm::v1::Services::NewStub(channel);
    auto chains = onvm::v1::Chains::NewStub(channel);
    auto rules = onvm::v1::Rules::NewStub(channel);
    auto manifests = onvm::v1::Manifests::NewStub(channel);
    const std::string svc = absl::StrCat("w", w, "-svc");
    const std::string chain = absl::StrCat("w", w, "-chain");
    const std::string rule = absl::StrCat("w", w, "-rule");
    for (int round = 0; round < kRounds; ++round) {
      const std::string at = absl::StrCat("writer ", w, " round ", round, ": ");
      onvm::v1::Service s;
      onvm::v1::CreateServiceRequest cs;
      *cs.mutable_service() = MakeService(svc);
      Check(services->CreateService(Ctx().get(), cs, &s), at + "CreateService");
      onvm::v1::Chain c;
      onvm::v1::CreateChainRequest cc;
      *cc.mutable_chain() = MakeChain(chain, {svc});
      Check(chains->CreateChain(Ctx().get(), cc, &c), at + "CreateChain");
      onvm::v1::Rule r;
      onvm::v1::CreateRuleRequest cr;
      *cr.mutable_rule() = MakeRule(rule, chain, 100 + w);
      cr.mutable_rule()->mutable_spec()->mutable_match()->set_dst_ports(absl::StrCat(1000 + w));
      Check(rules->CreateRule(Ctx().get(), cr, &r), at + "CreateRule");
      onvm::v1::UpdateServiceRequest us;
      *us.mutable_service() = MakeService(svc, round + 2);
      us.mutable_update_mask()->add_paths("spec.replicas");
      Check(services->UpdateService(Ctx().get(), us, &s), at + "UpdateService");
      onvm::v1::ApplyRequest apply;
      *apply.add_resources()->mutable_service() = MakeService(absl::StrCat("w", w, "-a"), round);
      onvm::v1::ApplyResponse applied;
      Check(manifests->Apply(Ctx().get(), apply, &applied), at + "Apply");
      onvm::v1::DeleteRuleRequest dr;
      dr.set_name(rule);
      onvm::v1::DeleteRuleResponse dr_out;
      Check(rules->DeleteRule(Ctx().get(), dr, &dr_out), at + "DeleteRule");
      onvm::v1::DeleteChainRequest dc;
      dc.set_name(chain);
      onvm::v1::DeleteChainResponse dc_out;
      Check(chains->DeleteChain(Ctx().get(), dc, &dc_out), at + "DeleteChain");
      onvm::v1::DeleteServiceRequest ds;
      ds.set_name(svc);
      onvm::v1::DeleteServiceResponse ds_out;
      Check(services->DeleteService(Ctx().get(), ds, &ds_out), at + "DeleteService");
    }
  }

  void Reader(int n, const std::atomic<bool>* done) {
    auto channel = grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials());
    auto services = onvm::v1::Services::NewStub(channel);
    auto chains = onvm::v1::Chains::NewStub(channel);
    auto rules = onvm::v1::Rules::NewStub(channel);
    auto instances = onvm::v1::Instances::NewStub(channel);
    auto engine = onvm::v1::Engine::NewStub(channel);
    const std::string at = absl::StrCat("reader ", n, ": ");
    while (!done->load()) {
      onvm::v1::ListServicesRequest ls;
      ls.set_page_size(3);  // pages, while the set changes underneath
      onvm::v1::ListServicesResponse ls_out;
      Check(services->ListServices(Ctx().get(), ls, &ls_out), at + "ListServices");
      onvm::v1::ListChainsResponse lc_out;
      Check(chains->ListChains(Ctx().get(), {}, &lc_out), at + "ListChains");
      onvm::v1::ListRulesResponse lr_out;
      Check(rules->ListRules(Ctx().get(), {}, &lr_out), at + "ListRules");
      onvm::v1::ListInstancesResponse li_out;
      Check(instances->ListInstances(Ctx().get(), {}, &li_out), at + "ListInstances");
      onvm::v1::EngineInfo info;
      Check(engine->GetEngine(Ctx().get(), {}, &info), at + "GetEngine");
    }
  }

  std::mutex errors_mu_;
  std::vector<std::string> errors_;
};

TEST_F(ConcurrencyTest, ManyClientsChangeAndReadTheStateAtOnce) {
  std::atomic<bool> done{false};
  std::atomic<int> events{0};
  // A watcher, cancelled at the end.
  grpc::ClientContext watch_ctx;
  auto events_stub =
      onvm::v1::Events::NewStub(grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials()));
  auto stream = events_stub->WatchEvents(&watch_ctx, {});
  std::thread watcher([&] {
    onvm::v1::Event e;
    while (stream->Read(&e)) events.fetch_add(1);
  });

  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) readers.emplace_back([&, i] { Reader(i, &done); });
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) writers.emplace_back([&, i] { Writer(i); });
  for (std::thread& t : writers) t.join();
  done.store(true);
  for (std::thread& t : readers) t.join();
  // Every writer's last Apply (4 writes per round before it) shows up as an
  // event; wait for the watcher to have seen that many, then hang up.
  EXPECT_TRUE(Eventually([&] { return events.load() >= kWriters * kRounds; }));
  watch_ctx.TryCancel();
  watcher.join();
  stream->Finish();

  for (const std::string& e : errors_) ADD_FAILURE() << e;
  // What is left: each writer's applied service, at its last replica count.
  onvm::v1::ListServicesResponse listed;
  ASSERT_TRUE(
      Call([&](grpc::ClientContext* c) { return services_->ListServices(c, {}, &listed); }).ok());
  ASSERT_EQ(listed.items_size(), kWriters) << listed.DebugString();
  for (const onvm::v1::Service& s : listed.items()) {
    EXPECT_EQ(s.spec().replicas(), static_cast<uint32_t>(kRounds - 1)) << s.DebugString();
  }
  onvm::v1::ListChainsResponse chains;
  ASSERT_TRUE(
      Call([&](grpc::ClientContext* c) { return chains_->ListChains(c, {}, &chains); }).ok());
  EXPECT_EQ(chains.items_size(), 0);
  onvm::v1::ListRulesResponse rules;
  ASSERT_TRUE(Call([&](grpc::ClientContext* c) { return rules_->ListRules(c, {}, &rules); }).ok());
  EXPECT_EQ(rules.items_size(), 0);
  // The engine runs the same state.
  ASSERT_TRUE(Eventually([&] { return engine_->last_config().services_size() == kWriters; }));
  EXPECT_EQ(engine_->last_config().chains_size(), 0);
  EXPECT_EQ(engine_->last_config().rules_size(), 0);
}

}  // namespace
}  // namespace onvm::agent
