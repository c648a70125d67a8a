// validate_only, request_id and Apply's prune on every mutating call, over
// gRPC to a whole in-process agent (issue 7): a dry run answers exactly
// what the real call answers and changes nothing; a retried request_id
// replays the first result without applying again.
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "test/agent/agent_fixture.h"

namespace onvm::agent {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::onvm::agent::testing::AgentFixture;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::testing::HasSubstr;
using ::testing::Not;
using Code = grpc::StatusCode;

// One mutating call, runnable as a dry run or for real, with an optional
// request_id; the response goes to *response.
using Mutation = std::function<grpc::Status(AgentFixture*, bool validate_only,
                                            const std::string& request_id, std::string* response)>;

class WriteOptionsTest : public AgentFixture {
 protected:
  void SetUp() override {
    AgentFixture::SetUp();
    if (HasFatalFailure()) return;
    // fw, mon, the chain web (fw, mon -> lan) and the rule web-in.
    onvm::v1::ApplyRequest base;
    *base.add_resources()->mutable_service() = MakeService("fw");
    *base.add_resources()->mutable_service() = MakeService("mon");
    *base.add_resources()->mutable_chain() = MakeChain("web", {"fw", "mon"}, "lan");
    *base.add_resources()->mutable_rule() = MakeRule("web-in", "web");
    ASSERT_TRUE(Apply(base).ok());
  }
};

Mutation CreateService(const onvm::v1::Service& s) {
  return [s](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::CreateServiceRequest req;
    *req.mutable_service() = s;
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::Service resp;
    grpc::Status st =
        f->Call([&](grpc::ClientContext* c) { return f->services_->CreateService(c, req, &resp); });
    *out = resp.DebugString();
    return st;
  };
}

Mutation UpdateReplicas(const std::string& name, uint32_t replicas,
                        const std::string& path = "spec.replicas") {
  return [=](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::UpdateServiceRequest req;
    req.mutable_service()->mutable_metadata()->set_name(name);
    req.mutable_service()->mutable_spec()->set_replicas(replicas);
    req.mutable_update_mask()->add_paths(path);
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::Service resp;
    grpc::Status st =
        f->Call([&](grpc::ClientContext* c) { return f->services_->UpdateService(c, req, &resp); });
    *out = resp.DebugString();
    return st;
  };
}

Mutation DeleteService(const std::string& name) {
  return [=](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::DeleteServiceRequest req;
    req.set_name(name);
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::DeleteServiceResponse resp;
    out->clear();
    return f->Call(
        [&](grpc::ClientContext* c) { return f->services_->DeleteService(c, req, &resp); });
  };
}

Mutation CreateChain(const onvm::v1::Chain& chain) {
  return [chain](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::CreateChainRequest req;
    *req.mutable_chain() = chain;
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::Chain resp;
    grpc::Status st =
        f->Call([&](grpc::ClientContext* c) { return f->chains_->CreateChain(c, req, &resp); });
    *out = resp.DebugString();
    return st;
  };
}

Mutation DeleteChain(const std::string& name) {
  return [=](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::DeleteChainRequest req;
    req.set_name(name);
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::DeleteChainResponse resp;
    out->clear();
    return f->Call([&](grpc::ClientContext* c) { return f->chains_->DeleteChain(c, req, &resp); });
  };
}

Mutation CreateRule(const onvm::v1::Rule& rule) {
  return [rule](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::CreateRuleRequest req;
    *req.mutable_rule() = rule;
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::Rule resp;
    grpc::Status st =
        f->Call([&](grpc::ClientContext* c) { return f->rules_->CreateRule(c, req, &resp); });
    *out = resp.DebugString();
    return st;
  };
}

Mutation DeleteRule(const std::string& name) {
  return [=](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::DeleteRuleRequest req;
    req.set_name(name);
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::DeleteRuleResponse resp;
    out->clear();
    return f->Call([&](grpc::ClientContext* c) { return f->rules_->DeleteRule(c, req, &resp); });
  };
}

Mutation ApplySet(const onvm::v1::ApplyRequest& request) {
  return [request](AgentFixture* f, bool dry, const std::string& id, std::string* out) {
    onvm::v1::ApplyRequest req = request;
    req.set_validate_only(dry);
    req.set_request_id(id);
    onvm::v1::ApplyResponse resp;
    grpc::Status st = f->Apply(req, &resp);
    *out = resp.DebugString();
    return st;
  };
}

onvm::v1::Rule RuleOut(const std::string& name, const std::string& port) {
  onvm::v1::Rule r = MakeRule(name, "");
  r.mutable_spec()->mutable_action()->set_out(port);
  return r;
}

struct Case {
  std::string what;
  Mutation call;
  Code code;
  std::string says;  // part of the message
};

// Each call, as a dry run, answers what it answers for real (the same code
// and message, or the same response), and changes nothing. The real call
// runs afterwards from the same state, so that the answers can be compared;
// each case starts from the base state (the real successes are undone by
// the case list's order: a case that changes state is last of its kind or
// followed by its undo).
TEST_F(WriteOptionsTest, DryRunAnswersLikeTheRealCallAndChangesNothing) {
  onvm::v1::ApplyRequest bad_ref;
  *bad_ref.add_resources()->mutable_chain() = MakeChain("c2", {"nosuch"});
  onvm::v1::ApplyRequest prune_in_use;  // fw stays, mon is pruned but web uses it
  *prune_in_use.add_resources()->mutable_service() = MakeService("fw");
  prune_in_use.set_prune(true);
  onvm::v1::ApplyRequest dup;
  *dup.add_resources()->mutable_service() = MakeService("a");
  *dup.add_resources()->mutable_service() = MakeService("a");

  const std::vector<Case> rejected = {
      {"create service: bad name", CreateService(MakeService("Bad_Name")), Code::INVALID_ARGUMENT,
       "metadata.name"},
      {"create service: other spec", CreateService(MakeService("fw", 7)), Code::ALREADY_EXISTS,
       "service \"fw\""},
      {"update: unknown service", UpdateReplicas("nosuch", 2), Code::NOT_FOUND,
       "service \"nosuch\""},
      {"update: bad mask", UpdateReplicas("fw", 2, "spec.id"), Code::INVALID_ARGUMENT,
       "update_mask"},
      {"delete service: in use", DeleteService("fw"), Code::FAILED_PRECONDITION, "in use"},
      {"delete service: unknown", DeleteService("nosuch"), Code::NOT_FOUND, "nosuch"},
      {"create chain: unknown service", CreateChain(MakeChain("c2", {"nosuch"})), Code::NOT_FOUND,
       "nosuch"},
      {"create chain: unknown port", CreateChain(MakeChain("c2", {"fw"}, "nosuch")),
       Code::NOT_FOUND, "nosuch"},
      {"delete chain: in use", DeleteChain("web"), Code::FAILED_PRECONDITION, "in use"},
      {"create rule: unknown chain", CreateRule(MakeRule("r2", "nosuch")), Code::NOT_FOUND,
       "nosuch"},
      {"create rule: unknown port", CreateRule(RuleOut("r2", "nosuch")), Code::NOT_FOUND, "nosuch"},
      {"delete rule: unknown", DeleteRule("nosuch"), Code::NOT_FOUND, "nosuch"},
      {"apply: unknown service", ApplySet(bad_ref), Code::NOT_FOUND, "nosuch"},
      {"apply: twice the same", ApplySet(dup), Code::INVALID_ARGUMENT, "resources[1]"},
      {"apply: prune in use", ApplySet(prune_in_use), Code::FAILED_PRECONDITION,
       "cannot prune service \"mon\""},
  };
  for (const Case& c : rejected) {
    SCOPED_TRACE(c.what);
    const Observed before = Observe();
    std::string dry_out, real_out;
    const grpc::Status dry = c.call(this, true, "", &dry_out);
    EXPECT_EQ(dry.error_code(), c.code) << dry.error_message();
    EXPECT_THAT(dry.error_message(), HasSubstr(c.says));
    EXPECT_EQ(Observe(), before);
    const grpc::Status real = c.call(this, false, "", &real_out);
    EXPECT_EQ(real.error_code(), dry.error_code());
    EXPECT_EQ(real.error_message(), dry.error_message());
    EXPECT_EQ(Observe(), before);
  }

  onvm::v1::ApplyRequest set;
  *set.add_resources()->mutable_service() = MakeService("fw", 3);  // configured
  *set.add_resources()->mutable_service() = MakeService("new");    // created
  *set.add_resources()->mutable_chain() = MakeChain("web", {"fw", "mon"}, "lan");
  // Successes, each followed by its undo (run for real after the dry run).
  const std::vector<std::pair<std::string, Mutation>> accepted = {
      {"create service", CreateService(MakeService("extra", 2))},
      {"delete service (undo)", DeleteService("extra")},
      {"update service", UpdateReplicas("fw", 5)},
      {"update service (undo)", UpdateReplicas("fw", 1)},
      {"create chain", CreateChain(MakeChain("c2", {"mon"}, "wan"))},
      {"create rule", CreateRule(MakeRule("r2", "c2"))},
      {"delete rule (undo)", DeleteRule("r2")},
      {"delete chain (undo)", DeleteChain("c2")},
      {"apply", ApplySet(set)},
  };
  for (const auto& [what, call] : accepted) {
    SCOPED_TRACE(what);
    const Observed before = Observe();
    std::string dry_out, real_out;
    const grpc::Status dry = call(this, true, "", &dry_out);
    ASSERT_TRUE(dry.ok()) << dry.error_message();
    EXPECT_EQ(Observe(), before);
    const grpc::Status real = call(this, false, "", &real_out);
    ASSERT_TRUE(real.ok()) << real.error_message();
    // The same answer: ids, generations, outcomes.
    EXPECT_EQ(dry_out, real_out);
    EXPECT_NE(Observe(), before);
  }
}

TEST_F(WriteOptionsTest, DryRunOfApplyReportsOutcomesAndNextGeneration) {
  onvm::v1::ApplyRequest req;
  *req.add_resources()->mutable_service() = MakeService("fw");      // unchanged
  *req.add_resources()->mutable_service() = MakeService("mon", 2);  // configured
  *req.add_resources()->mutable_service() = MakeService("new");     // created
  req.set_validate_only(true);
  const Observed before = Observe();
  onvm::v1::ApplyResponse resp;
  ASSERT_TRUE(Apply(req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 3);
  EXPECT_EQ(resp.results(0).outcome(), onvm::v1::ApplyResult::UNCHANGED);
  EXPECT_EQ(resp.results(1).outcome(), onvm::v1::ApplyResult::CONFIGURED);
  EXPECT_EQ(resp.results(2).outcome(), onvm::v1::ApplyResult::CREATED);
  EXPECT_EQ(resp.generation(), before.generation + 1);
  EXPECT_EQ(Observe(), before);
}

TEST_F(WriteOptionsTest, PruneDeletesWhatTheSetLacksOfItsKindsOnly) {
  // Services fw and mon stay (the set names them); chain web and rule web-in
  // go; a rule kind is in the set, so web-in is pruned with web.
  onvm::v1::ApplyRequest req;
  *req.add_resources()->mutable_service() = MakeService("fw");
  *req.add_resources()->mutable_service() = MakeService("mon");
  *req.add_resources()->mutable_chain() = MakeChain("other", {"fw"}, "wan");
  *req.add_resources()->mutable_rule() = MakeRule("other-in", "other");
  req.set_prune(true);

  req.set_validate_only(true);
  const Observed before = Observe();
  onvm::v1::ApplyResponse dry;
  ASSERT_TRUE(Apply(req, &dry).ok());
  EXPECT_EQ(Observe(), before);

  req.set_validate_only(false);
  onvm::v1::ApplyResponse real;
  ASSERT_TRUE(Apply(req, &real).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(dry, real)) << dry.DebugString() << real.DebugString();
  std::vector<std::string> pruned;
  for (const auto& r : real.results()) {
    if (r.outcome() == onvm::v1::ApplyResult::PRUNED) pruned.push_back(r.kind() + "/" + r.name());
  }
  EXPECT_THAT(pruned, ::testing::UnorderedElementsAre("Chain/web", "Rule/web-in"));
  const std::string listed = Listed();
  EXPECT_THAT(listed, Not(HasSubstr("\"web\"")));
  EXPECT_THAT(listed, Not(HasSubstr("\"web-in\"")));
  EXPECT_THAT(listed, HasSubstr("\"other-in\""));

  // Only services in the set: chains and rules are left alone, and mon
  // (unused now) goes.
  onvm::v1::ApplyRequest services_only;
  *services_only.add_resources()->mutable_service() = MakeService("fw");
  services_only.set_prune(true);
  onvm::v1::ApplyResponse resp;
  ASSERT_TRUE(Apply(services_only, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  EXPECT_EQ(resp.results(1).name(), "mon");
  EXPECT_EQ(resp.results(1).outcome(), onvm::v1::ApplyResult::PRUNED);
  EXPECT_THAT(Listed(), HasSubstr("\"other-in\""));
}

TEST_F(WriteOptionsTest, RetriedRequestIdReplaysTheFirstResult) {
  const std::string id = "6f1c2a9e-4b7d-4e43-9a51-0c2d8e7f1a3b";
  std::string first, again;
  // Delete is not idempotent by itself: a second delete is NOT_FOUND.
  ASSERT_TRUE(DeleteRule("web-in")(this, false, id, &first).ok());
  const Observed after_first = Observe();
  const grpc::Status retry = DeleteRule("web-in")(this, false, id, &again);
  EXPECT_TRUE(retry.ok()) << retry.error_message();
  EXPECT_EQ(Observe(), after_first);  // no generation bump, no push, no write
  // Without the id it is a new request.
  EXPECT_EQ(DeleteRule("web-in")(this, false, "", &again).error_code(), Code::NOT_FOUND);

  // A create returns the stored response, even after the resource changed.
  const std::string id2 = "create-extra-1";
  ASSERT_TRUE(CreateService(MakeService("extra"))(this, false, id2, &first).ok());
  ASSERT_TRUE(UpdateReplicas("extra", 4)(this, false, "", &again).ok());
  const Observed before_retry = Observe();
  ASSERT_TRUE(CreateService(MakeService("extra"))(this, false, id2, &again).ok());
  EXPECT_EQ(again, first);
  EXPECT_EQ(Observe(), before_retry);

  // An apply, the same.
  onvm::v1::ApplyRequest set;
  *set.add_resources()->mutable_service() = MakeService("extra2");
  ASSERT_TRUE(ApplySet(set)(this, false, "apply_1", &first).ok());
  const Observed after_apply = Observe();
  ASSERT_TRUE(ApplySet(set)(this, false, "apply_1", &again).ok());
  EXPECT_EQ(again, first);
  EXPECT_EQ(Observe(), after_apply);

  // An error is replayed too, though the request would now pass.
  const grpc::Status missing =
      CreateChain(MakeChain("late", {"later"}))(this, false, "chain-late", &first);
  EXPECT_EQ(missing.error_code(), Code::NOT_FOUND);
  ASSERT_TRUE(CreateService(MakeService("later"))(this, false, "", &again).ok());
  const grpc::Status replayed =
      CreateChain(MakeChain("late", {"later"}))(this, false, "chain-late", &again);
  EXPECT_EQ(replayed.error_code(), Code::NOT_FOUND);
  EXPECT_EQ(replayed.error_message(), missing.error_message());
}

TEST_F(WriteOptionsTest, RequestIdWithAnotherRequestIsRefused) {
  std::string out;
  ASSERT_TRUE(CreateService(MakeService("extra"))(this, false, "id-1", &out).ok());
  const Observed before = Observe();
  const std::vector<std::pair<std::string, Mutation>> others = {
      {"other body", CreateService(MakeService("extra", 9))},
      {"other method", DeleteService("extra")},
      {"dry run of the same", CreateService(MakeService("extra"))},
  };
  for (const auto& [what, call] : others) {
    SCOPED_TRACE(what);
    const grpc::Status st = call(this, what == "dry run of the same", "id-1", &out);
    EXPECT_EQ(st.error_code(), Code::INVALID_ARGUMENT);
    EXPECT_THAT(st.error_message(), HasSubstr("request_id \"id-1\""));
    EXPECT_EQ(Observe(), before);
  }
}

TEST_F(WriteOptionsTest, MalformedRequestIdIsRefusedBeforeAnythingElse) {
  const std::vector<std::string> bad = {
      std::string(65, 'a'), "has space", "semi;colon", "dots.are.not.allowed", "fw\xff",
  };
  for (const std::string& id : bad) {
    SCOPED_TRACE(id);
    const Observed before = Observe();
    std::string out;
    for (const Mutation& call :
         {CreateService(MakeService("ok-name")), DeleteRule("web-in"), UpdateReplicas("fw", 2),
          CreateChain(MakeChain("c3", {"fw"})), DeleteChain("web"),
          CreateRule(MakeRule("r", "web")), DeleteService("fw"), ApplySet({})}) {
      const grpc::Status st = call(this, false, id, &out);
      // A string field that is not UTF-8 does not even parse; gRPC's own
      // answer then names the field through the parse-error interceptor.
      EXPECT_EQ(st.error_code(), Code::INVALID_ARGUMENT);
      EXPECT_THAT(st.error_message(), HasSubstr("request_id"));
    }
    EXPECT_EQ(Observe(), before);
  }
}

}  // namespace
}  // namespace onvm::agent
