#include "agent/state_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/agent/test_util.h"

namespace onvm::agent {
namespace {

using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::testing::HasSubstr;

class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest() { Reset(DesiredState{}); }

  void Reset(DesiredState initial) {
    StateStore::Hooks hooks;
    hooks.port_names = [this]() -> absl::StatusOr<PortNames> {
      if (!engine_seen_) return absl::UnavailableError("engine \"test\" never reachable");
      return ports_;
    };
    hooks.push = [this](const AgentState& s) {
      pushed_.push_back(s);
      return push_result_;
    };
    hooks.persist = [this](const AgentState& s) {
      if (persist_result_.ok()) persisted_ = s;
      return persist_result_;
    };
    store_ = std::make_unique<StateStore>(std::move(initial), std::move(hooks));
  }

  std::string Dump() const { return store_->Snapshot().DebugString(); }

  // Builds fw, mon, the chain web (fw, mon -> lan) and the rule web-in.
  void Populate() {
    ASSERT_TRUE(store_->CreateService(MakeService("fw")).ok());
    ASSERT_TRUE(store_->CreateService(MakeService("mon")).ok());
    ASSERT_TRUE(store_->CreateChain(MakeChain("web", {"fw", "mon"}, "lan")).ok());
    ASSERT_TRUE(store_->CreateRule(MakeRule("web-in", "web")).ok());
  }

  // Runs `op`, which must fail with `code` and a message containing every
  // one of `parts`, and checks that nothing changed: state, engine, file.
  // `engine_asked`: the engine was offered the change (and refused it).
  void ExpectRejected(const std::function<absl::Status()>& op, absl::StatusCode code,
                      const std::vector<std::string>& parts, bool engine_asked = false) {
    const std::string before = Dump();
    const size_t pushes = pushed_.size();
    const AgentState saved = persisted_;
    absl::Status status = op();
    EXPECT_EQ(status.code(), code) << status;
    for (const std::string& part : parts)
      EXPECT_THAT(std::string(status.message()), HasSubstr(part));
    EXPECT_EQ(Dump(), before);
    EXPECT_EQ(pushed_.size(), pushes + (engine_asked ? 1 : 0));
    EXPECT_EQ(persisted_.DebugString(), saved.DebugString());
  }

  bool engine_seen_ = true;
  PortNames ports_ = {"wan", "lan"};
  absl::Status push_result_;
  absl::Status persist_result_;
  std::vector<AgentState> pushed_;
  AgentState persisted_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateStoreTest, CreateFillsKindIdsAndGeneration) {
  absl::StatusOr<onvm::v1::Service> fw = store_->CreateService(MakeService("fw"));
  ASSERT_TRUE(fw.ok()) << fw.status();
  EXPECT_EQ(fw->api_version(), "onvm/v1");
  EXPECT_EQ(fw->kind(), "Service");
  EXPECT_EQ(fw->status().id(), 1u);
  EXPECT_EQ(fw->metadata().generation(), 1u);
  absl::StatusOr<onvm::v1::Chain> web = store_->CreateChain(MakeChain("web", {"fw"}, "lan"));
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->kind(), "Chain");
  EXPECT_EQ(web->status().id(), 1u);
  absl::StatusOr<onvm::v1::Rule> rule = store_->CreateRule(MakeRule("web-in", "web"));
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->kind(), "Rule");
  EXPECT_EQ(rule->status().id(), 1u);
  EXPECT_EQ(store_->generation(), 3u);
  // Every change was pushed and saved, the last one with everything.
  ASSERT_EQ(pushed_.size(), 3u);
  EXPECT_EQ(pushed_.back().rules_size(), 1);
  EXPECT_EQ(persisted_.generation(), 3u);
  EXPECT_EQ(store_->GetRule("web-in")->status().id(), 1u);
}

TEST_F(StateStoreTest, CreateIgnoresOutputOnlyFields) {
  onvm::v1::Service in = MakeService("fw");
  in.mutable_status()->set_id(77);
  in.mutable_metadata()->set_generation(9);
  absl::StatusOr<onvm::v1::Service> fw = store_->CreateService(in);
  ASSERT_TRUE(fw.ok());
  EXPECT_EQ(fw->status().id(), 1u);
  EXPECT_EQ(fw->metadata().generation(), 1u);
}

TEST_F(StateStoreTest, CreateIsIdempotent) {
  Populate();
  const std::string before = Dump();
  const size_t pushes = pushed_.size();
  absl::StatusOr<onvm::v1::Rule> again = store_->CreateRule(MakeRule("web-in", "web"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status().id(), 1u);
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(pushed_.size(), pushes);
}

TEST_F(StateStoreTest, CreateWithDifferentSpecIsAlreadyExists) {
  Populate();
  ExpectRejected([&] { return store_->CreateRule(MakeRule("web-in", "web", 5)).status(); },
                 absl::StatusCode::kAlreadyExists, {"rule \"web-in\"", "already exists"});
}

TEST_F(StateStoreTest, BadPrefixNamesFieldAndResource) {
  Populate();
  onvm::v1::Rule rule = MakeRule("web-in2", "web");
  rule.mutable_spec()->mutable_match()->set_dst_prefix("10.0.0.0/33");
  absl::Status status = store_->CreateRule(rule).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "rule \"web-in2\": spec.match.dstPrefix: '10.0.0.0/33' has a prefix length outside "
            "0..32");
}

TEST_F(StateStoreTest, RejectionsLeaveEverythingUnchanged) {
  Populate();
  using Code = absl::StatusCode;
  ExpectRejected([&] { return store_->CreateService(MakeService("Bad_Name")).status(); },
                 Code::kInvalidArgument, {"metadata.name"});
  ExpectRejected([&] { return store_->CreateService(MakeService("")).status(); },
                 Code::kInvalidArgument, {"metadata.name", "must not be empty"});
  ExpectRejected(
      [&] {
        onvm::v1::Service s = MakeService("x");
        s.set_api_version("onvm/v2");
        return store_->CreateService(s).status();
      },
      Code::kInvalidArgument, {"apiVersion"});
  ExpectRejected(
      [&] {
        onvm::v1::Service s = MakeService("x");
        s.set_kind("Chain");
        return store_->CreateService(s).status();
      },
      Code::kInvalidArgument, {"service \"x\": kind"});
  ExpectRejected(
      [&] {
        onvm::v1::Service s = MakeService("x");
        s.mutable_spec()->mutable_launch()->add_args("--x");
        return store_->CreateService(s).status();
      },
      Code::kInvalidArgument, {"spec.launch.command"});
  ExpectRejected(
      [&] {
        onvm::v1::Rule r = MakeRule("r", "web");
        r.mutable_spec()->set_priority(70000);
        return store_->CreateRule(r).status();
      },
      Code::kInvalidArgument, {"rule \"r\": spec.priority"});
  ExpectRejected(
      [&] {
        onvm::v1::Rule r = MakeRule("r", "web");
        r.mutable_spec()->clear_action();
        return store_->CreateRule(r).status();
      },
      Code::kInvalidArgument, {"rule \"r\": spec.action"});
  ExpectRejected(
      [&] {
        onvm::v1::Rule r = MakeRule("r", "web");
        r.mutable_spec()->mutable_match()->set_ip_proto("bogus");
        return store_->CreateRule(r).status();
      },
      Code::kInvalidArgument, {"spec.match.ipProto"});
  ExpectRejected([&] { return store_->CreateChain(MakeChain("c", {})).status(); },
                 Code::kInvalidArgument, {"chain \"c\": spec.services"});
  ExpectRejected(
      [&] {
        onvm::v1::Chain c = MakeChain("c", {"fw"});
        c.mutable_spec()->clear_then();
        return store_->CreateChain(c).status();
      },
      Code::kInvalidArgument, {"chain \"c\": spec.then"});
  ExpectRejected(
      [&] {
        return store_->CreateChain(MakeChain("c", {"fw", "nope"})).status();
      },
      Code::kNotFound, {"chain \"c\": spec.services[1]", "'nope'"});
  ExpectRejected([&] { return store_->CreateChain(MakeChain("c", {"fw"}, "eth9")).status(); },
                 Code::kNotFound, {"chain \"c\": spec.then.out", "'eth9'", "lan, wan"});
  ExpectRejected([&] { return store_->CreateRule(MakeRule("r", "nope")).status(); },
                 Code::kNotFound, {"rule \"r\": spec.action.chain", "'nope'"});
  ExpectRejected(
      [&] {
        onvm::v1::Rule r = MakeRule("r", "web");
        r.mutable_spec()->mutable_action()->set_out("eth9");
        return store_->CreateRule(r).status();
      },
      Code::kNotFound, {"rule \"r\": spec.action.out"});
  ExpectRejected(
      [&] {
        onvm::v1::Rule r = MakeRule("r", "web");
        r.mutable_spec()->mutable_match()->set_in_port("eth9");
        return store_->CreateRule(r).status();
      },
      Code::kNotFound, {"rule \"r\": spec.match.inPort"});
  ExpectRejected([&] { return store_->DeleteRule(""); }, Code::kInvalidArgument,
                 {"name: must not be empty"});
  ExpectRejected([&] { return store_->DeleteRule("nope"); }, Code::kNotFound,
                 {"rule \"nope\" not found"});
  ExpectRejected([&] { return store_->DeleteService("mon"); }, Code::kFailedPrecondition,
                 {"service \"mon\"", "chain \"web\" (spec.services[1])"});
  ExpectRejected([&] { return store_->DeleteChain("web"); }, Code::kFailedPrecondition,
                 {"chain \"web\"", "rule \"web-in\" (spec.action.chain)"});
}

TEST_F(StateStoreTest, PortReferencesNeedTheEngine) {
  ASSERT_TRUE(store_->CreateService(MakeService("fw")).ok());
  engine_seen_ = false;
  ExpectRejected([&] { return store_->CreateChain(MakeChain("c", {"fw"}, "lan")).status(); },
                 absl::StatusCode::kUnavailable, {"chain \"c\": spec.then.out", "never reachable"});
  // Resources that name no port do not need the engine.
  EXPECT_TRUE(store_->CreateChain(MakeChain("d", {"fw"})).ok());
}

TEST_F(StateStoreTest, EngineRefusalRollsBack) {
  Populate();
  push_result_ = absl::InvalidArgumentError("engine \"test\" refused the configuration: no");
  ExpectRejected([&] { return store_->CreateService(MakeService("extra")).status(); },
                 absl::StatusCode::kInvalidArgument, {"service \"extra\"", "refused"},
                 /*engine_asked=*/true);
  EXPECT_EQ(store_->GetService("extra").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StateStoreTest, PersistFailureRollsBack) {
  Populate();
  const std::string before = Dump();
  persist_result_ = absl::InternalError("disk full");
  absl::Status status = store_->DeleteRule("web-in");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(status.message()), HasSubstr("disk full"));
  EXPECT_TRUE(store_->GetRule("web-in").ok());
  // The engine was handed the state back, under a new generation.
  ASSERT_GE(pushed_.size(), 2u);
  EXPECT_EQ(pushed_.back().rules_size(), 1);
  EXPECT_GT(pushed_.back().generation(), pushed_[pushed_.size() - 2].generation());
}

TEST_F(StateStoreTest, DeleteOrderRespectsUsers) {
  Populate();
  EXPECT_TRUE(store_->DeleteRule("web-in").ok());
  EXPECT_TRUE(store_->DeleteChain("web").ok());
  EXPECT_TRUE(store_->DeleteService("fw").ok());
  EXPECT_TRUE(store_->ListChains().empty());
  EXPECT_EQ(store_->ListServices().size(), 1u);
}

TEST_F(StateStoreTest, IdsAreNotReusedAfterDelete) {
  ASSERT_EQ(store_->CreateService(MakeService("a"))->status().id(), 1u);
  ASSERT_TRUE(store_->DeleteService("a").ok());
  EXPECT_EQ(store_->CreateService(MakeService("b"))->status().id(), 2u);
  EXPECT_EQ(store_->CreateService(MakeService("a"))->status().id(), 3u);
  EXPECT_EQ(store_->Snapshot().next_service_id(), 4u);
}

TEST_F(StateStoreTest, IdsRunOut) {
  DesiredState full;
  for (uint32_t id = 1; id <= kMaxIdsPerKind; ++id) {
    onvm::v1::Service s = MakeService(absl::StrCat("s", id));
    s.mutable_status()->set_id(id);
    full.services[s.metadata().name()] = s;
  }
  Reset(std::move(full));
  ExpectRejected([&] { return store_->CreateService(MakeService("one-more")).status(); },
                 absl::StatusCode::kResourceExhausted, {"service \"one-more\"", "4095"});
  // Other kinds have their own ids.
  EXPECT_TRUE(store_->CreateChain(MakeChain("c", {"s1"})).ok());
}

TEST_F(StateStoreTest, ChainsAndRulesRunOutAtTheEnginesLimits) {
  DesiredState full;
  onvm::v1::Service svc = MakeService("s");
  svc.mutable_status()->set_id(1);
  full.services["s"] = svc;
  for (uint32_t id = 1; id <= ONVM_MAX_CHAINS; ++id) {
    onvm::v1::Chain c = MakeChain(absl::StrCat("c", id), {"s"});
    c.mutable_status()->set_id(id);
    full.chains[c.metadata().name()] = c;
  }
  // Rule ids go past the 4095 of services and chains.
  for (uint32_t id = 1; id < ONVM_MAX_RULES; ++id) {
    onvm::v1::Rule r = MakeRule(absl::StrCat("r", id), "c1");
    r.mutable_status()->set_id(id);
    full.rules[r.metadata().name()] = r;
  }
  Reset(std::move(full));
  ExpectRejected([&] { return store_->CreateChain(MakeChain("one-more", {"s"})).status(); },
                 absl::StatusCode::kResourceExhausted, {"chain \"one-more\"", "1024"});
  absl::StatusOr<onvm::v1::Rule> last = store_->CreateRule(MakeRule("last", "c1"));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->status().id(), uint32_t{ONVM_MAX_RULES});
  ExpectRejected([&] { return store_->CreateRule(MakeRule("one-more", "c1")).status(); },
                 absl::StatusCode::kResourceExhausted, {"rule \"one-more\"", "16384"});
}

TEST(AllocateIdTest, WrapsToTheNextFreeId) {
  absl::flat_hash_set<uint32_t> used = {kMaxIdsPerKind, 1, 2};
  uint32_t next = kMaxIdsPerKind;
  absl::StatusOr<uint32_t> id = AllocateId("rule", &used, &next);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 3u);
  EXPECT_EQ(next, 4u);
  EXPECT_TRUE(used.contains(3));
}

onvm::v1::ApplyRequest Request(std::initializer_list<onvm::v1::Resource> resources) {
  onvm::v1::ApplyRequest request;
  for (const auto& r : resources) *request.add_resources() = r;
  return request;
}

onvm::v1::Resource Res(const onvm::v1::Service& s) {
  onvm::v1::Resource r;
  *r.mutable_service() = s;
  return r;
}
onvm::v1::Resource Res(const onvm::v1::Chain& c) {
  onvm::v1::Resource r;
  *r.mutable_chain() = c;
  return r;
}
onvm::v1::Resource Res(const onvm::v1::Rule& rule) {
  onvm::v1::Resource r;
  *r.mutable_rule() = rule;
  return r;
}

TEST_F(StateStoreTest, ApplyResolvesReferencesWithinTheRequestInAnyOrder) {
  absl::StatusOr<onvm::v1::ApplyResponse> response = store_->Apply(
      Request({Res(MakeRule("web-in", "web")), Res(MakeChain("web", {"fw", "mon"}, "lan")),
               Res(MakeService("mon")), Res(MakeService("fw"))}));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->results_size(), 4);
  for (const auto& result : response->results()) {
    EXPECT_EQ(result.outcome(), onvm::v1::ApplyResult::CREATED) << result.name();
  }
  EXPECT_EQ(response->results(0).kind(), "Rule");
  EXPECT_EQ(response->results(0).name(), "web-in");
  EXPECT_EQ(response->generation(), 1u);
  EXPECT_EQ(pushed_.size(), 1u);
  // Ids in request order per kind.
  EXPECT_EQ(store_->GetService("mon")->status().id(), 1u);
  EXPECT_EQ(store_->GetService("fw")->status().id(), 2u);
}

TEST_F(StateStoreTest, ApplyReportsUnchangedAndConfigured) {
  Populate();
  const uint32_t rule_id = store_->GetRule("web-in")->status().id();
  const uint64_t generation = store_->generation();
  absl::StatusOr<onvm::v1::ApplyResponse> same =
      store_->Apply(Request({Res(MakeService("fw")), Res(MakeRule("web-in", "web"))}));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->results(0).outcome(), onvm::v1::ApplyResult::UNCHANGED);
  EXPECT_EQ(same->results(1).outcome(), onvm::v1::ApplyResult::UNCHANGED);
  EXPECT_EQ(same->generation(), generation);

  absl::StatusOr<onvm::v1::ApplyResponse> changed =
      store_->Apply(Request({Res(MakeService("fw")), Res(MakeRule("web-in", "web", 7))}));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->results(0).outcome(), onvm::v1::ApplyResult::UNCHANGED);
  EXPECT_EQ(changed->results(1).outcome(), onvm::v1::ApplyResult::CONFIGURED);
  EXPECT_EQ(changed->generation(), generation + 1);
  absl::StatusOr<onvm::v1::Rule> rule = store_->GetRule("web-in");
  EXPECT_EQ(rule->spec().priority(), 7u);
  EXPECT_EQ(rule->status().id(), rule_id);
  EXPECT_EQ(rule->metadata().generation(), 2u);
}

TEST_F(StateStoreTest, ApplyIsAllOrNone) {
  Populate();
  using Code = absl::StatusCode;
  // The bad chain comes last; the new service before it must not stay.
  ExpectRejected(
      [&] {
        return store_
            ->Apply(Request({Res(MakeService("new")), Res(MakeChain("c", {"new", "ghost"}))}))
            .status();
      },
      Code::kNotFound, {"chain \"c\": spec.services[1]"});
  ExpectRejected(
      [&] {
        onvm::v1::Rule bad = MakeRule("web-in", "web");
        bad.mutable_spec()->mutable_match()->set_src_prefix("nonsense");
        return store_->Apply(Request({Res(MakeService("new")), Res(bad)})).status();
      },
      Code::kInvalidArgument, {"rule \"web-in\": spec.match.srcPrefix"});
  ExpectRejected(
      [&] {
        return store_->Apply(Request({Res(MakeService("new")), Res(MakeService("new"))})).status();
      },
      Code::kInvalidArgument, {"resources[1]", "service \"new\"", "resources[0]"});
  ExpectRejected(
      [&] {
        return store_->Apply(Request({Res(MakeService("new")), onvm::v1::Resource()})).status();
      },
      Code::kInvalidArgument, {"resources[1]"});
  ExpectRejected([&] { return store_->Apply(Request({Res(MakeService(""))})).status(); },
                 Code::kInvalidArgument, {"resources[0]: service: metadata.name"});
  push_result_ = absl::FailedPreconditionError("engine refused");
  ExpectRejected([&] { return store_->Apply(Request({Res(MakeService("new"))})).status(); },
                 Code::kFailedPrecondition, {"engine refused"}, /*engine_asked=*/true);
}

google::protobuf::FieldMask Mask(std::initializer_list<std::string> paths) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  return mask;
}

TEST_F(StateStoreTest, UpdateServiceReplacesMaskedFieldsOnly) {
  Populate();
  const uint64_t generation = store_->generation();
  onvm::v1::Service change = MakeService("fw", 3);
  change.mutable_spec()->mutable_launch()->set_command("/usr/bin/nf");  // not in the mask
  absl::StatusOr<onvm::v1::Service> fw = store_->UpdateService(change, Mask({"spec.replicas"}));
  ASSERT_TRUE(fw.ok()) << fw.status();
  EXPECT_EQ(fw->spec().replicas(), 3u);
  EXPECT_FALSE(fw->spec().has_launch());
  EXPECT_EQ(fw->metadata().generation(), 2u);
  EXPECT_EQ(fw->status().id(), 1u);
  EXPECT_EQ(store_->generation(), generation + 1);
  EXPECT_EQ(persisted_.generation(), generation + 1);
  ASSERT_FALSE(pushed_.empty());
  EXPECT_EQ(pushed_.back().generation(), generation + 1);
  EXPECT_EQ(store_->GetService("fw")->spec().replicas(), 3u);

  // spec.launch replaces the whole launch spec and leaves replicas alone.
  change = MakeService("fw", 7);
  change.mutable_spec()->mutable_launch()->set_command("/usr/bin/nf");
  change.mutable_spec()->mutable_launch()->add_args("--fast");
  fw = store_->UpdateService(change, Mask({"spec.launch"}));
  ASSERT_TRUE(fw.ok()) << fw.status();
  EXPECT_EQ(fw->spec().replicas(), 3u);
  EXPECT_EQ(fw->spec().launch().command(), "/usr/bin/nf");
  EXPECT_EQ(fw->metadata().generation(), 3u);

  // An unset launch under the mask clears it; both paths at once.
  fw = store_->UpdateService(MakeService("fw", 2), Mask({"spec.launch", "spec.replicas"}));
  ASSERT_TRUE(fw.ok()) << fw.status();
  EXPECT_FALSE(fw->spec().has_launch());
  EXPECT_EQ(fw->spec().replicas(), 2u);
  EXPECT_EQ(store_->GetService("mon")->metadata().generation(), 1u);
}

TEST_F(StateStoreTest, NoOpUpdateKeepsTheGeneration) {
  Populate();
  const uint64_t generation = store_->generation();
  const size_t pushes = pushed_.size();
  absl::StatusOr<onvm::v1::Service> fw =
      store_->UpdateService(MakeService("fw", 1), Mask({"spec.replicas"}));
  ASSERT_TRUE(fw.ok()) << fw.status();
  EXPECT_EQ(fw->metadata().generation(), 1u);
  EXPECT_EQ(store_->generation(), generation);
  EXPECT_EQ(pushed_.size(), pushes);
}

TEST_F(StateStoreTest, RejectedUpdatesChangeNothing) {
  Populate();
  using Code = absl::StatusCode;
  ExpectRejected(
      [&] { return store_->UpdateService(MakeService("fw", 2), Mask({"spec.foo"})).status(); },
      Code::kInvalidArgument, {"service \"fw\"", "update_mask", "\"spec.foo\""});
  ExpectRejected(
      [&] {
        return store_->UpdateService(MakeService("fw", 2), Mask({"spec.replicas", "metadata.name"}))
            .status();
      },
      Code::kInvalidArgument, {"\"metadata.name\"", "spec.replicas, spec.launch"});
  ExpectRejected([&] { return store_->UpdateService(MakeService("fw", 2), Mask({})).status(); },
                 Code::kInvalidArgument, {"update_mask", "at least one"});
  ExpectRejected(
      [&] {
        return store_->UpdateService(MakeService("ghost", 2), Mask({"spec.replicas"})).status();
      },
      Code::kNotFound, {"service \"ghost\" not found"});
  ExpectRejected(
      [&] {
        return store_->UpdateService(MakeService("Bad_Name"), Mask({"spec.replicas"})).status();
      },
      Code::kInvalidArgument, {"metadata.name"});
  ExpectRejected(
      [&] {
        return store_->UpdateService(MakeService("fw", 100000), Mask({"spec.replicas"})).status();
      },
      Code::kInvalidArgument, {"service \"fw\": spec.replicas"});
  ExpectRejected(
      [&] {
        onvm::v1::Service s = MakeService("fw");
        s.mutable_spec()->mutable_launch()->add_args("--no-command");
        return store_->UpdateService(s, Mask({"spec.launch"})).status();
      },
      Code::kInvalidArgument, {"spec.launch.command"});
  push_result_ = absl::FailedPreconditionError("engine refused");
  ExpectRejected(
      [&] { return store_->UpdateService(MakeService("fw", 4), Mask({"spec.replicas"})).status(); },
      Code::kFailedPrecondition, {"engine refused"}, /*engine_asked=*/true);
  push_result_ = absl::OkStatus();
  persist_result_ = absl::InternalError("disk full");
  absl::Status status =
      store_->UpdateService(MakeService("fw", 4), Mask({"spec.replicas"})).status();
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_EQ(store_->GetService("fw")->spec().replicas(), 1u);
}

}  // namespace
}  // namespace onvm::agent
