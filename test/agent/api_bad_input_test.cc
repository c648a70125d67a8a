// Bad input at the gRPC door (issue 10, item 4): every RPC of the public
// API, over a real gRPC connection to a whole in-process agent (against a
// fake engine), with every field out of range, oversized lists, names that
// are empty, huge or not UTF-8, and requests that are not even protobuf.
// Each must fail with the right code and a message naming the field, and
// change nothing: not the listed state, not the engine's configuration,
// not the state file.
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/agent_server.h"
#include "agent/grpc_status.h"
#include "agent/request_errors.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "onvm/control_frame.h"
#include "onvm/engine/v1/control.pb.h"
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

using ::onvm::agent::testing::FakeEngine;
using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;
using ::onvm::agent::testing::TempDir;
using ::testing::HasSubstr;
using Code = grpc::StatusCode;

const std::string kNotUtf8 = "fw\xff\xfe";

class ApiBadInputTest : public testing::AgentFixture {
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
    onvm::v1::ApplyResponse response;
    ASSERT_TRUE(
        Call([&](grpc::ClientContext* c) { return manifests_->Apply(c, base, &response); }).ok());
  }

  // The call fails with `code` and a message holding every one of `parts`,
  // and nothing changed.
  void ExpectRejected(const std::string& what,
                      const std::function<grpc::Status(grpc::ClientContext*)>& call, Code code,
                      const std::vector<std::string>& parts) {
    SCOPED_TRACE(what);
    const std::string listed = Listed();
    const std::string file = StateFile();
    const size_t pushes = engine_->config_count();
    const grpc::Status status = Call(call);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    for (const std::string& part : parts) EXPECT_THAT(status.error_message(), HasSubstr(part));
    // A message quotes at most a little of the request.
    EXPECT_LT(status.error_message().size(), 2100u);
    EXPECT_EQ(Listed(), listed);
    EXPECT_EQ(StateFile(), file);
    EXPECT_EQ(engine_->config_count(), pushes);
  }

  void ExpectCreateServiceRejected(const std::string& what, const onvm::v1::Service& s, Code code,
                                   const std::vector<std::string>& parts) {
    onvm::v1::CreateServiceRequest req;
    *req.mutable_service() = s;
    onvm::v1::Service out;
    ExpectRejected(
        what, [&](grpc::ClientContext* c) { return services_->CreateService(c, req, &out); }, code,
        parts);
    // The same resource through Apply fails the same way.
    onvm::v1::ApplyRequest apply;
    *apply.add_resources()->mutable_service() = s;
    onvm::v1::ApplyResponse resp;
    ExpectRejected(
        what + " (apply)",
        [&](grpc::ClientContext* c) { return manifests_->Apply(c, apply, &resp); }, code, parts);
  }
  void ExpectCreateChainRejected(const std::string& what, const onvm::v1::Chain& chain, Code code,
                                 const std::vector<std::string>& parts) {
    onvm::v1::CreateChainRequest req;
    *req.mutable_chain() = chain;
    onvm::v1::Chain out;
    ExpectRejected(
        what, [&](grpc::ClientContext* c) { return chains_->CreateChain(c, req, &out); }, code,
        parts);
    onvm::v1::ApplyRequest apply;
    *apply.add_resources()->mutable_chain() = chain;
    onvm::v1::ApplyResponse resp;
    ExpectRejected(
        what + " (apply)",
        [&](grpc::ClientContext* c) { return manifests_->Apply(c, apply, &resp); }, code, parts);
  }
  void ExpectCreateRuleRejected(const std::string& what, const onvm::v1::Rule& rule, Code code,
                                const std::vector<std::string>& parts) {
    onvm::v1::CreateRuleRequest req;
    *req.mutable_rule() = rule;
    onvm::v1::Rule out;
    ExpectRejected(
        what, [&](grpc::ClientContext* c) { return rules_->CreateRule(c, req, &out); }, code,
        parts);
    onvm::v1::ApplyRequest apply;
    *apply.add_resources()->mutable_rule() = rule;
    onvm::v1::ApplyResponse resp;
    ExpectRejected(
        what + " (apply)",
        [&](grpc::ClientContext* c) { return manifests_->Apply(c, apply, &resp); }, code, parts);
  }

  // Get and Delete by name, for one kind.
  template <typename GetReq, typename Out, typename DelReq, typename DelResp, typename Stub>
  void ExpectBadNamesRejected(const std::string& kind, Stub* stub,
                              grpc::Status (Stub::*get)(grpc::ClientContext*, const GetReq&, Out*),
                              grpc::Status (Stub::*del)(grpc::ClientContext*, const DelReq&,
                                                        DelResp*)) {
    struct Case {
      std::string name;
      Code code;
      std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {"", Code::INVALID_ARGUMENT, {"name: must not be empty"}},
        {std::string(64, 'a'), Code::INVALID_ARGUMENT, {"name", "longer than 63"}},
        {std::string(1 << 20, 'a'), Code::INVALID_ARGUMENT, {"name", "longer than 63"}},
        {"Fw", Code::INVALID_ARGUMENT, {"name", "not a DNS label"}},
        {std::string("f\0w", 3), Code::INVALID_ARGUMENT, {"name", "not a DNS label"}},
        {kNotUtf8, Code::INVALID_ARGUMENT, {"name", "UTF-8"}},
        {"nosuch", Code::NOT_FOUND, {"\"nosuch\" not found"}},
    };
    for (const Case& c : cases) {
      GetReq g;
      g.set_name(c.name);
      Out out;
      ExpectRejected(
          absl::StrCat("Get", kind, " '", c.name.substr(0, 10), "'"),
          [&](grpc::ClientContext* x) { return (stub->*get)(x, g, &out); }, c.code, c.parts);
      DelReq d;
      d.set_name(c.name);
      DelResp resp;
      ExpectRejected(
          absl::StrCat("Delete", kind, " '", c.name.substr(0, 10), "'"),
          [&](grpc::ClientContext* x) { return (stub->*del)(x, d, &resp); }, c.code, c.parts);
    }
  }
};

TEST_F(ApiBadInputTest, ServicesRefuseEveryBadField) {
  auto with = [](const std::function<void(onvm::v1::Service*)>& change) {
    onvm::v1::Service s = MakeService("x");
    change(&s);
    return s;
  };
  ExpectCreateServiceRejected("empty name", MakeService(""), Code::INVALID_ARGUMENT,
                              {"metadata.name: must not be empty"});
  ExpectCreateServiceRejected("64 characters", MakeService(std::string(64, 'a')),
                              Code::INVALID_ARGUMENT, {"metadata.name", "longer than 63"});
  ExpectCreateServiceRejected("1 MiB name", MakeService(std::string(1 << 20, 'a')),
                              Code::INVALID_ARGUMENT, {"metadata.name", "longer than 63"});
  ExpectCreateServiceRejected("upper case", MakeService("Fw"), Code::INVALID_ARGUMENT,
                              {"metadata.name", "not a DNS label"});
  ExpectCreateServiceRejected("NUL", MakeService(std::string("f\0w", 3)), Code::INVALID_ARGUMENT,
                              {"metadata.name", "not a DNS label"});
  ExpectCreateServiceRejected("escape sequence", MakeService("f\x1b[31mw"), Code::INVALID_ARGUMENT,
                              {"metadata.name", "\\x1b"});
  ExpectCreateServiceRejected("not UTF-8", MakeService(kNotUtf8), Code::INVALID_ARGUMENT,
                              {"onvm.v1.ObjectMeta.name", "UTF-8", "could not be parsed"});
  ExpectCreateServiceRejected("apiVersion", with([](auto* s) { s->set_api_version("onvm/v2"); }),
                              Code::INVALID_ARGUMENT, {"service \"x\": apiVersion", "onvm/v2"});
  ExpectCreateServiceRejected("1 MiB apiVersion",
                              with([](auto* s) { s->set_api_version(std::string(1 << 20, 'v')); }),
                              Code::INVALID_ARGUMENT, {"apiVersion"});
  ExpectCreateServiceRejected("kind", with([](auto* s) { s->set_kind("Chain"); }),
                              Code::INVALID_ARGUMENT, {"service \"x\": kind", "Chain"});
  ExpectCreateServiceRejected("replicas",
                              with([](auto* s) { s->mutable_spec()->set_replicas(~0u); }),
                              Code::INVALID_ARGUMENT, {"spec.replicas", "4294967295"});
  ExpectCreateServiceRejected("args without command", with([](auto* s) {
                                s->mutable_spec()->mutable_launch()->add_args("--x");
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch.command"});
  ExpectCreateServiceRejected("env key with =", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                (*l->mutable_env())["A=B"] = "c";
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch.env", "A=B"});
  ExpectCreateServiceRejected("empty env key", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                (*l->mutable_env())[""] = "c";
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch.env"});
  ExpectCreateServiceRejected(
      "NUL in command", with([](auto* s) {
        s->mutable_spec()->mutable_launch()->set_command(std::string("nf\0x", 4));
      }),
      Code::INVALID_ARGUMENT, {"spec.launch.command", "NUL"});
  ExpectCreateServiceRejected("NUL in an arg", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                l->add_args("ok");
                                l->add_args(std::string("a\0b", 3));
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch.args[1]", "NUL"});
  ExpectCreateServiceRejected("NUL in an env value", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                (*l->mutable_env())["K"] = std::string("a\0b", 3);
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch.env[K]", "NUL"});
  ExpectCreateServiceRejected("not UTF-8 in an arg", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                l->add_args(kNotUtf8);
                              }),
                              Code::INVALID_ARGUMENT, {"onvm.v1.LaunchSpec.args", "UTF-8"});
  ExpectCreateServiceRejected("100,000 args", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                for (int i = 0; i < 100000; ++i) l->add_args("--flag");
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch", "exceed the limit"});
  ExpectCreateServiceRejected(
      "1 MiB command", with([](auto* s) {
        s->mutable_spec()->mutable_launch()->set_command(std::string(1 << 20, 'c'));
      }),
      Code::INVALID_ARGUMENT, {"spec.launch", "exceed the limit"});
  ExpectCreateServiceRejected("grace period", with([](auto* s) {
                                auto* l = s->mutable_spec()->mutable_launch();
                                l->set_command("nf");
                                l->set_grace_period_seconds(301);
                              }),
                              Code::INVALID_ARGUMENT, {"spec.launch.grace_period_seconds", "301"});
  ExpectCreateServiceRejected("core out of range", with([](auto* s) {
                                s->mutable_spec()->mutable_placement()->add_cores(1024);
                              }),
                              Code::INVALID_ARGUMENT, {"spec.placement.cores[0]", "1024"});
  ExpectCreateServiceRejected("core twice", with([](auto* s) {
                                auto* p = s->mutable_spec()->mutable_placement();
                                p->add_cores(3);
                                p->add_cores(1);
                                p->add_cores(3);
                              }),
                              Code::INVALID_ARGUMENT, {"spec.placement.cores[2]", "twice"});
  ExpectCreateServiceRejected("2,000 cores", with([](auto* s) {
                                for (int i = 0; i < 2000; ++i) {
                                  s->mutable_spec()->mutable_placement()->add_cores(i % 1000);
                                }
                              }),
                              Code::INVALID_ARGUMENT, {"spec.placement.cores", "limit"});
  ExpectCreateServiceRejected(
      "core mode",
      with([](auto* s) { s->mutable_spec()->set_core_mode(static_cast<onvm::v1::CoreMode>(7)); }),
      Code::INVALID_ARGUMENT, {"spec.core_mode", "7"});
  {
    onvm::v1::Service out;
    ExpectRejected("CreateService without a service",
                   [&](grpc::ClientContext* c) { return services_->CreateService(c, {}, &out); },
                   Code::INVALID_ARGUMENT, {"service: must be set"});
    // A different service under an existing name.
    onvm::v1::CreateServiceRequest dup;
    *dup.mutable_service() = MakeService("fw", 5);
    ExpectRejected("existing name",
                   [&](grpc::ClientContext* c) { return services_->CreateService(c, dup, &out); },
                   Code::ALREADY_EXISTS, {"service \"fw\"", "already exists"});
  }

  // UpdateService: every way a mask or a value can be wrong.
  auto update = [&](const std::string& what, const onvm::v1::Service& s,
                    const std::vector<std::string>& paths, Code code,
                    const std::vector<std::string>& parts) {
    onvm::v1::UpdateServiceRequest req;
    *req.mutable_service() = s;
    for (const std::string& p : paths) req.mutable_update_mask()->add_paths(p);
    onvm::v1::Service out;
    ExpectRejected(
        what, [&](grpc::ClientContext* c) { return services_->UpdateService(c, req, &out); }, code,
        parts);
  };
  update("no mask", MakeService("fw", 3), {}, Code::INVALID_ARGUMENT, {"update_mask", "at least"});
  update("output-only path", MakeService("fw", 3), {"status.id"}, Code::INVALID_ARGUMENT,
         {"update_mask", "\"status.id\""});
  update("unknown path", MakeService("fw", 3), {"spec.nosuch"}, Code::INVALID_ARGUMENT,
         {"\"spec.nosuch\""});
  update("unknown service", MakeService("ghost", 3), {"spec.replicas"}, Code::NOT_FOUND,
         {"service \"ghost\" not found"});
  update("bad name", MakeService("Ghost", 3), {"spec.replicas"}, Code::INVALID_ARGUMENT,
         {"metadata.name"});
  update("replicas out of range", MakeService("fw", ~0u), {"spec.replicas"}, Code::INVALID_ARGUMENT,
         {"service \"fw\": spec.replicas"});
  update("launch args without command", with([](auto* s) {
           s->mutable_metadata()->set_name("fw");
           s->mutable_spec()->mutable_launch()->add_args("--x");
         }),
         {"spec.launch"}, Code::INVALID_ARGUMENT, {"spec.launch.command"});
  {
    onvm::v1::Service out;
    ExpectRejected("UpdateService without a service",
                   [&](grpc::ClientContext* c) { return services_->UpdateService(c, {}, &out); },
                   Code::INVALID_ARGUMENT, {"service: must be set"});
    onvm::v1::DeleteServiceRequest del;
    del.set_name("mon");
    onvm::v1::DeleteServiceResponse resp;
    ExpectRejected("delete in use",
                   [&](grpc::ClientContext* c) { return services_->DeleteService(c, del, &resp); },
                   Code::FAILED_PRECONDITION,
                   {"service \"mon\"", "chain \"web\" (spec.services[1])"});
  }
  ExpectBadNamesRejected("Service", services_.get(), &onvm::v1::Services::Stub::GetService,
                         &onvm::v1::Services::Stub::DeleteService);
}

TEST_F(ApiBadInputTest, ChainsRefuseEveryBadField) {
  auto with = [](const std::function<void(onvm::v1::Chain*)>& change) {
    onvm::v1::Chain c = MakeChain("c", {"fw"}, "lan");
    change(&c);
    return c;
  };
  ExpectCreateChainRejected("no services", MakeChain("c", {}), Code::INVALID_ARGUMENT,
                            {"chain \"c\": spec.services", "at least one"});
  ExpectCreateChainRejected("256 services", with([](auto* c) {
                              for (int i = 0; i < 255; ++i) c->mutable_spec()->add_services("fw");
                            }),
                            Code::INVALID_ARGUMENT, {"spec.services", "256 services", "255"});
  ExpectCreateChainRejected("10,000 services", with([](auto* c) {
                              for (int i = 0; i < 9999; ++i) c->mutable_spec()->add_services("mon");
                            }),
                            Code::INVALID_ARGUMENT, {"spec.services", "10000 services", "255"});
  ExpectCreateChainRejected("bad service name", MakeChain("c", {"fw", "mon", "Web_1"}, "lan"),
                            Code::INVALID_ARGUMENT, {"spec.services[2]", "not a DNS label"});
  ExpectCreateChainRejected("empty service name", MakeChain("c", {"fw", ""}, "lan"),
                            Code::INVALID_ARGUMENT, {"spec.services[1]", "must not be empty"});
  ExpectCreateChainRejected("unknown service", MakeChain("c", {"fw", "nosuch"}, "lan"),
                            Code::NOT_FOUND, {"spec.services[1]", "'nosuch' does not exist"});
  ExpectCreateChainRejected("service name not UTF-8", MakeChain("c", {kNotUtf8}, "lan"),
                            Code::INVALID_ARGUMENT, {"onvm.v1.ChainSpec.services", "UTF-8"});
  ExpectCreateChainRejected("no then", with([](auto* c) { c->mutable_spec()->clear_then(); }),
                            Code::INVALID_ARGUMENT, {"spec.then", "{out: PORT} or {drop: true}"});
  ExpectCreateChainRejected(
      "drop false", with([](auto* c) { c->mutable_spec()->mutable_then()->set_drop(false); }),
      Code::INVALID_ARGUMENT, {"spec.then.drop", "must be true"});
  ExpectCreateChainRejected(
      "bad out", with([](auto* c) { c->mutable_spec()->mutable_then()->set_out("LAN"); }),
      Code::INVALID_ARGUMENT, {"spec.then.out", "not a DNS label"});
  ExpectCreateChainRejected(
      "unknown out", with([](auto* c) { c->mutable_spec()->mutable_then()->set_out("eth9"); }),
      Code::NOT_FOUND, {"spec.then.out", "'eth9' does not exist", "lan, wan"});
  ExpectCreateChainRejected("bad name", MakeChain("-c", {"fw"}, "lan"), Code::INVALID_ARGUMENT,
                            {"metadata.name", "start and end"});
  {
    onvm::v1::Chain out;
    ExpectRejected("CreateChain without a chain",
                   [&](grpc::ClientContext* c) { return chains_->CreateChain(c, {}, &out); },
                   Code::INVALID_ARGUMENT, {"chain: must be set"});
    onvm::v1::DeleteChainRequest del;
    del.set_name("web");
    onvm::v1::DeleteChainResponse resp;
    ExpectRejected("delete in use",
                   [&](grpc::ClientContext* c) { return chains_->DeleteChain(c, del, &resp); },
                   Code::FAILED_PRECONDITION,
                   {"chain \"web\"", "rule \"web-in\" (spec.action.chain)"});
  }
  ExpectBadNamesRejected("Chain", chains_.get(), &onvm::v1::Chains::Stub::GetChain,
                         &onvm::v1::Chains::Stub::DeleteChain);
}

TEST_F(ApiBadInputTest, RulesRefuseEveryBadField) {
  auto with = [](const std::function<void(onvm::v1::Rule*)>& change) {
    onvm::v1::Rule r = MakeRule("r", "web");
    change(&r);
    return r;
  };
  auto match = [&](const std::function<void(onvm::v1::Match*)>& change) {
    return with([&](onvm::v1::Rule* r) { change(r->mutable_spec()->mutable_match()); });
  };
  ExpectCreateRuleRejected("priority 65536", MakeRule("r", "web", 65536), Code::INVALID_ARGUMENT,
                           {"rule \"r\": spec.priority", "65536"});
  ExpectCreateRuleRejected("priority 2^32-1", MakeRule("r", "web", ~0u), Code::INVALID_ARGUMENT,
                           {"spec.priority", "4294967295"});
  struct MatchCase {
    std::string field;  // as in the message
    std::function<void(onvm::v1::Match*)> set;
    Code code = Code::INVALID_ARGUMENT;
  };
  const std::vector<MatchCase> cases = {
      {"spec.match.inPort", [](auto* m) { m->set_in_port("Wan"); }},
      {"spec.match.inPort", [](auto* m) { m->set_in_port("eth9"); }, Code::NOT_FOUND},
      {"spec.match.ethType", [](auto* m) { m->set_eth_type("bogus"); }},
      {"spec.match.ethType", [](auto* m) { m->set_eth_type("0x10000"); }},
      {"spec.match.ethType", [](auto* m) { m->set_eth_type("-1"); }},
      {"spec.match.ethType", [](auto* m) { m->set_eth_type("0x8100"); }},
      {"spec.match.vlanId", [](auto* m) { m->set_vlan_id(4096); }},
      {"spec.match.vlanId", [](auto* m) { m->set_vlan_id(~0u); }},
      {"spec.match.srcPrefix", [](auto* m) { m->set_src_prefix("10.0.0.0/33"); }},
      {"spec.match.srcPrefix", [](auto* m) { m->set_src_prefix("10.0.0.256/8"); }},
      {"spec.match.srcPrefix", [](auto* m) { m->set_src_prefix("10.0.0.0/-1"); }},
      {"spec.match.srcPrefix", [](auto* m) { m->set_src_prefix("2001:db8::/129"); }},
      {"spec.match.srcPrefix", [](auto* m) { m->set_src_prefix(std::string(1 << 20, '1')); }},
      {"spec.match.dstPrefix", [](auto* m) { m->set_dst_prefix("garbage"); }},
      {"spec.match.dstPrefix", [](auto* m) { m->set_dst_prefix(std::string("10.0.0.1\0", 9)); }},
      {"spec.match.ipProto", [](auto* m) { m->set_ip_proto("256"); }},
      {"spec.match.ipProto", [](auto* m) { m->set_ip_proto("tcpx"); }},
      {"spec.match.ipProto", [](auto* m) { m->set_ip_proto("-1"); }},
      {"spec.match.srcPorts", [](auto* m) { m->set_src_ports("65536"); }},
      {"spec.match.srcPorts", [](auto* m) { m->set_src_ports("5-3"); }},
      {"spec.match.srcPorts", [](auto* m) { m->set_src_ports("1-2-3"); }},
      {"spec.match.dstPorts", [](auto* m) { m->set_dst_ports("http"); }},
      {"spec.match.dstPorts", [](auto* m) { m->set_dst_ports("99999999999999999999"); }},
      {"spec.match.dstPorts", [](auto* m) { m->set_dst_ports(" 80"); }},
      {"onvm.v1.Match.src_prefix", [](auto* m) { m->set_src_prefix("10.0.0.0/8\xff"); }},
  };
  for (const MatchCase& c : cases) {
    onvm::v1::Rule r = match(c.set);
    ExpectCreateRuleRejected(r.spec().match().ShortDebugString().substr(0, 60), r, c.code,
                             {c.field});
  }
  ExpectCreateRuleRejected("no action", with([](auto* r) { r->mutable_spec()->clear_action(); }),
                           Code::INVALID_ARGUMENT, {"rule \"r\": spec.action"});
  ExpectCreateRuleRejected(
      "drop false", with([](auto* r) { r->mutable_spec()->mutable_action()->set_drop(false); }),
      Code::INVALID_ARGUMENT, {"spec.action.drop", "must be true"});
  ExpectCreateRuleRejected("unknown chain", MakeRule("r", "nosuch"), Code::NOT_FOUND,
                           {"spec.action.chain", "'nosuch' does not exist"});
  ExpectCreateRuleRejected("bad chain name", MakeRule("r", "Web"), Code::INVALID_ARGUMENT,
                           {"spec.action.chain", "not a DNS label"});
  ExpectCreateRuleRejected(
      "unknown out", with([](auto* r) { r->mutable_spec()->mutable_action()->set_out("eth9"); }),
      Code::NOT_FOUND, {"spec.action.out", "'eth9'"});
  {
    onvm::v1::Rule out;
    ExpectRejected("CreateRule without a rule",
                   [&](grpc::ClientContext* c) { return rules_->CreateRule(c, {}, &out); },
                   Code::INVALID_ARGUMENT, {"rule: must be set"});
  }
  ExpectBadNamesRejected("Rule", rules_.get(), &onvm::v1::Rules::Stub::GetRule,
                         &onvm::v1::Rules::Stub::DeleteRule);
}

TEST_F(ApiBadInputTest, ApplyRefusesBadSetsWhole) {
  onvm::v1::ApplyResponse resp;
  auto apply = [&](const std::string& what, const onvm::v1::ApplyRequest& req, Code code,
                   const std::vector<std::string>& parts) {
    ExpectRejected(
        what, [&](grpc::ClientContext* c) { return manifests_->Apply(c, req, &resp); }, code,
        parts);
  };
  {
    // Valid resources, then a bad one: none is applied.
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService("new-1");
    *req.add_resources()->mutable_chain() = MakeChain("new-c", {"new-1"}, "wan");
    *req.add_resources()->mutable_rule() = MakeRule("new-r", "new-c", 70000);
    apply("bad last", req, Code::INVALID_ARGUMENT, {"rule \"new-r\": spec.priority"});
  }
  {
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService("new-1");
    req.add_resources();
    apply("no kind", req, Code::INVALID_ARGUMENT, {"resources[1]", "a service, a chain or a rule"});
  }
  {
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService("new-1");
    *req.add_resources()->mutable_service() = MakeService("new-1", 2);
    apply("twice", req, Code::INVALID_ARGUMENT, {"resources[1]", "also given at resources[0]"});
  }
  {
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService("");
    apply("no name", req, Code::INVALID_ARGUMENT, {"resources[0]", "metadata.name"});
  }
  {
    // 100,000 services in one request: more than there are ids.
    onvm::v1::ApplyRequest req;
    for (int i = 0; i < 100000; ++i)
      *req.add_resources()->mutable_service() = MakeService(absl::StrCat("s", i));
    const auto start = std::chrono::steady_clock::now();
    apply("100,000 services", req, Code::RESOURCE_EXHAUSTED, {"service ids are in use"});
    std::printf("100,000 services refused in %ld ms\n",
                static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count()));
  }
  {
    // 20,000 rules: more than the engine's rule slots.
    onvm::v1::ApplyRequest req;
    for (int i = 0; i < 20000; ++i)
      *req.add_resources()->mutable_rule() = MakeRule(absl::StrCat("r", i), "web");
    apply("20,000 rules", req, Code::RESOURCE_EXHAUSTED, {"rule ids are in use"});
  }
  {
    // A chain with 10,000 services, among good resources.
    onvm::v1::ApplyRequest req;
    *req.add_resources()->mutable_service() = MakeService("new-1");
    onvm::v1::Chain* c = req.add_resources()->mutable_chain();
    *c = MakeChain("long", {}, "lan");
    for (int i = 0; i < 10000; ++i) c->mutable_spec()->add_services("new-1");
    apply("10,000-service chain", req, Code::INVALID_ARGUMENT,
          {"chain \"long\": spec.services", "10000 services"});
  }
  {
    // Over gRPC's 4 MiB request limit: refused before the agent sees it.
    onvm::v1::ApplyRequest req;
    onvm::v1::Service s = MakeService("big");
    s.mutable_spec()->mutable_launch()->set_command(std::string(5 << 20, 'x'));
    *req.add_resources()->mutable_service() = s;
    apply("5 MiB request", req, Code::RESOURCE_EXHAUSTED, {"larger than max"});
  }
}

TEST_F(ApiBadInputTest, DesiredStateTooBigToListOrSendIsRefused) {
  // Services of almost 64 KiB each, 20 to a request: the third request would
  // take the state past what one List response (and the engine's control
  // frame) can carry.
  auto batch = [](int first) {
    onvm::v1::ApplyRequest req;
    for (int i = first; i < first + 20; ++i) {
      onvm::v1::Service s = MakeService(absl::StrCat("big-", i));
      s.mutable_spec()->mutable_launch()->set_command("nf");
      s.mutable_spec()->mutable_launch()->add_args(std::string(60000, 'a'));
      *req.add_resources()->mutable_service() = s;
    }
    return req;
  };
  onvm::v1::ApplyResponse resp;
  for (int first : {0, 20}) {
    ASSERT_TRUE(Call([&](grpc::ClientContext* c) {
                  return manifests_->Apply(c, batch(first), &resp);
                }).ok());
  }
  ExpectRejected("state over the limit",
                 [&](grpc::ClientContext* c) { return manifests_->Apply(c, batch(40), &resp); },
                 Code::RESOURCE_EXHAUSTED, {"desired state", "3145728 bytes"});
  // What was stored can still be listed, and the engine still takes changes.
  onvm::v1::ListServicesResponse listed;
  ASSERT_TRUE(
      Call([&](grpc::ClientContext* c) { return services_->ListServices(c, {}, &listed); }).ok());
  EXPECT_EQ(listed.items_size(), 42);
  const size_t pushes = engine_->config_count();
  onvm::v1::CreateServiceRequest small;
  *small.mutable_service() = MakeService("small");
  onvm::v1::Service out;
  ASSERT_TRUE(
      Call([&](grpc::ClientContext* c) { return services_->CreateService(c, small, &out); }).ok());
  EXPECT_EQ(engine_->config_count(), pushes + 1);
}

TEST_F(ApiBadInputTest, PortsAndInstancesRefuseBadNames) {
  for (const std::string& name : {std::string(), std::string(100, 'p'), std::string("Wan"),
                                  kNotUtf8, std::string("nosuch")}) {
    onvm::v1::GetPortRequest p;
    p.set_name(name);
    onvm::v1::Port port;
    const Code code = name == "nosuch" ? Code::NOT_FOUND : Code::INVALID_ARGUMENT;
    const std::string says = name == "nosuch" ? "not found" : (name == kNotUtf8 ? "UTF-8" : "name");
    ExpectRejected(absl::StrCat("GetPort '", name.substr(0, 10), "'"),
                   [&](grpc::ClientContext* c) { return ports_->GetPort(c, p, &port); }, code,
                   {says});
    onvm::v1::GetInstanceRequest i;
    i.set_name(name);
    onvm::v1::Instance instance;
    ExpectRejected(absl::StrCat("GetInstance '", name.substr(0, 10), "'"),
                   [&](grpc::ClientContext* c) { return instances_->GetInstance(c, i, &instance); },
                   code, {says});
  }
}

// Bytes that are not a request message at all: INVALID_ARGUMENT naming the
// method, never INTERNAL with no message.
TEST_F(ApiBadInputTest, RequestsThatAreNotProtobufAreRefusedClearly) {
  grpc::GenericStub generic(channel_);
  struct Case {
    std::string method;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      // Field 1 (service) as a length-delimited field running past the end.
      {"/onvm.v1.Services/CreateService", std::string("\x0a\x7f\x01", 3)},
      // A varint that never ends.
      {"/onvm.v1.Manifests/Apply", std::string(12, '\xff')},
      // Wire type 7 does not exist.
      {"/onvm.v1.Rules/GetRule", std::string("\x0f", 1)},
      // An end-group tag with no group.
      {"/onvm.v1.Chains/ListChains", std::string("\x0c", 1)},
  };
  for (const Case& c : cases) {
    const std::string listed = Listed();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(c.bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    generic.UnaryCall(&ctx, c.method, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        std::lock_guard<std::mutex> lock(mu);
                        status = std::move(s);
                        done = true;
                        cv.notify_one();
                      });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    EXPECT_EQ(status.error_code(), Code::INVALID_ARGUMENT)
        << c.method << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.method));
    EXPECT_THAT(status.error_message(), HasSubstr("not a well-formed protobuf"));
    EXPECT_EQ(Listed(), listed);
  }
}

TEST(ToGrpcTest, LongMessagesAreCutOnACharacterBoundary) {
  std::string message = "rule \"r\": spec.match.srcPrefix: '";
  while (message.size() < 5000) message += "\xc3\xa9";  // é
  const grpc::Status st = ToGrpc(absl::InvalidArgumentError(message));
  EXPECT_EQ(st.error_code(), Code::INVALID_ARGUMENT);
  EXPECT_LE(st.error_message().size(), kMaxStatusMessageBytes + 16);
  EXPECT_THAT(st.error_message(), HasSubstr("spec.match.srcPrefix"));
  const std::string cut = st.error_message().substr(0, st.error_message().size() - 9);
  EXPECT_THAT(st.error_message(), ::testing::EndsWith("... (cut)"));
  EXPECT_EQ(cut.back(), '\xa9');  // a whole é last
  EXPECT_EQ(ToGrpc(absl::NotFoundError("short")).error_message(), "short");
}

TEST(ParseErrorMessageTest, NamesTheFieldWhenProtobufDoes) {
  EXPECT_EQ(ParseErrorMessage("/onvm.v1.Services/CreateService",
                              "String field 'onvm.v1.ObjectMeta.name' contains invalid UTF-8 data "
                              "when parsing a protocol buffer. Use the 'bytes' type if you intend "
                              "to send raw bytes. "),
            "the request to /onvm.v1.Services/CreateService could not be parsed: field "
            "onvm.v1.ObjectMeta.name is not valid UTF-8 (string fields must be UTF-8)");
  EXPECT_THAT(ParseErrorMessage("/m", ""), HasSubstr("not a well-formed protobuf"));
}

// The agent's side of the control socket: something at the engine's socket
// that answers garbage (a huge length, bytes that are not a Response, a
// reply to another request, a reply with no state, nothing at all). The
// agent stays up, says the engine is unreachable, and keeps serving and
// saving its desired state.
TEST(EngineRepliesTest, AnEngineThatAnswersGarbageLeavesTheAgentServing) {
  TempDir run_dir;
  TempDir state_dir;
  setenv("ONVM_RUN_DIR", run_dir.path().c_str(), 1);
  const std::string engine = absl::StrCat("garbage-", getpid());
  const std::string socket_path = PathsForEngine(engine).control_socket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path.c_str());
  const int listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listen_fd, 0);
  ASSERT_EQ(::bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listen_fd, 8), 0);
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::thread garbage([&] {
    // Reply k to a request with sequence number `seq`.
    auto reply = [](int k, uint64_t seq) -> std::string {
      onvm::engine::v1::Response r;
      switch (k % 5) {
        case 0:
          return std::string("\xff\xff\xff\x7f", 4);  // 2 GiB announced
        case 1:
          return std::string("\x04\x00\x00\x00\xff\xff\xff\xff", 8);  // not a Response
        case 2:
          r.set_seq(seq + 1);  // the answer to another request
          r.mutable_state()->set_boot_id("x");
          return EncodeFrame(r);
        case 3:
          r.set_seq(seq);  // OK, but no state
          return EncodeFrame(r);
        default:
          return "";  // hang up
      }
    };
    while (!stop.load()) {
      pollfd p{listen_fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      onvm::engine::v1::Request request;
      if (ReadFrame(fd, &request, std::chrono::seconds(1)).ok()) {
        const std::string r = reply(answered.load(), request.seq());
        ::send(fd, r.data(), r.size(), MSG_NOSIGNAL);
        answered.fetch_add(1);
      }
      ::close(fd);
    }
  });

  AgentOptions options;
  options.engine = engine;
  options.listen = absl::StrCat("unix:", run_dir.path(), "/agent.sock");
  options.metrics_listen = "127.0.0.1:0";
  options.state_dir = state_dir.path();
  absl::StatusOr<std::unique_ptr<AgentServer>> agent = AgentServer::Start(options);
  ASSERT_TRUE(agent.ok()) << agent.status();
  // The reconciler tries twice a second: every kind of garbage once.
  EXPECT_TRUE(WaitFor([&] { return answered.load() >= 5; }, std::chrono::seconds(15)));

  auto channel = grpc::CreateChannel(options.listen, grpc::InsecureChannelCredentials());
  auto engine_api = onvm::v1::Engine::NewStub(channel);
  auto services = onvm::v1::Services::NewStub(channel);
  {
    grpc::ClientContext ctx;
    onvm::v1::EngineInfo info;
    ASSERT_TRUE(engine_api->GetEngine(&ctx, {}, &info).ok());
    EXPECT_FALSE(info.connected());
  }
  {
    // Services need no port, so the change is saved for later delivery.
    grpc::ClientContext ctx;
    onvm::v1::CreateServiceRequest req;
    *req.mutable_service() = MakeService("fw");
    onvm::v1::Service out;
    const grpc::Status st = services->CreateService(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    onvm::v1::ListServicesResponse listed;
    ASSERT_TRUE(services->ListServices(&ctx, {}, &listed).ok());
    EXPECT_EQ(listed.items_size(), 1);
  }
  stop = true;
  garbage.join();
  ::close(listen_fd);
  (*agent)->Shutdown();
}

TEST(AgentOptionsTest, BadFlagsFailAtStartWithAClearError) {
  TempDir dir;
  setenv("ONVM_RUN_DIR", dir.path().c_str(), 1);
  struct Case {
    std::function<void(AgentOptions*)> set;
    absl::StatusCode code;
    std::string says;
  };
  const std::string file = absl::StrCat(dir.path(), "/plain-file");
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  const std::string corrupt = absl::StrCat(dir.path(), "/corrupt");
  ASSERT_EQ(::mkdir(corrupt.c_str(), 0700), 0);
  f = std::fopen(absl::StrCat(corrupt, "/state.json").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "{\"formatVersion\": 1, \"services\": [{\"metadata\": {\"name\": \"Bad_Name\"}, "
      "\"status\": {\"id\": 1}}]}",
      f);
  std::fclose(f);
  const std::vector<Case> cases = {
      {[](auto* o) { o->engine = "Bad_Name"; }, absl::StatusCode::kInvalidArgument, "--engine"},
      {[](auto* o) { o->engine = ""; }, absl::StatusCode::kInvalidArgument, "--engine"},
      {[](auto* o) { o->engine = std::string(300, 'e'); }, absl::StatusCode::kInvalidArgument,
       "--engine"},
      {[&](auto* o) { o->state_dir = file; }, absl::StatusCode::kFailedPrecondition, file},
      {[&](auto* o) { o->state_dir = corrupt; }, absl::StatusCode::kInvalidArgument, "Bad_Name"},
      {[](auto* o) { o->metrics_listen = "no-port"; }, absl::StatusCode::kUnavailable, "no-port"},
      {[](auto* o) { o->listen = "256.1.1.1:http"; }, absl::StatusCode::kUnavailable,
       "256.1.1.1:http"},
  };
  for (const Case& c : cases) {
    AgentOptions options;
    options.engine = "e";
    options.listen = absl::StrCat("unix:", dir.path(), "/agent.sock");
    options.metrics_listen = "127.0.0.1:0";
    options.state_dir = absl::StrCat(dir.path(), "/state");
    c.set(&options);
    absl::StatusOr<std::unique_ptr<AgentServer>> agent = AgentServer::Start(options);
    ASSERT_FALSE(agent.ok()) << c.says;
    EXPECT_EQ(agent.status().code(), c.code) << agent.status();
    EXPECT_THAT(std::string(agent.status().message()), HasSubstr(c.says));
  }
}

}  // namespace
}  // namespace onvm::agent
