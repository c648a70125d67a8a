// onvmctl end to end (in-process) against a fake agent.
#include <sstream>

#include "cli/run.h"
#include "cli/verbs.h"
#include "fake_agent.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace onvm::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kDemo[] = ONVM_SOURCE_DIR "/deploy/examples/demo-chain.yaml";

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunOnvmctl(std::vector<std::string> args, const char* env_server = nullptr,
                  const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  Environment env;
  env.onvm_server = env_server;
  env.in = &in;
  env.out = &out;
  env.err = &err;
  const int code = RunCli(args, env);
  return {code, out.str(), err.str()};
}

class VerbsTest : public ::testing::Test {
 protected:
  Result Ctl(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--server", agent_.address()});
    return RunOnvmctl(std::move(args), nullptr, stdin_text);
  }

  testing::FakeAgent agent_;
};

TEST_F(VerbsTest, EmptyListSaysSoOnStderr) {
  Result r = Ctl({"get", "services"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_EQ(r.err, "No resources found.\n");
}

TEST_F(VerbsTest, ApplyThenGet) {
  Result r = Ctl({"apply", "-f", kDemo});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd created\nchain/demo created\nrule/demo-in created\n");
  EXPECT_EQ(agent_.state().apply_calls, 1);  // One request for the whole file.
  EXPECT_EQ(agent_.state().last_apply.resources_size(), 3);

  r = Ctl({"apply", "-f", kDemo});
  EXPECT_EQ(r.out, "service/fwd unchanged\nchain/demo unchanged\nrule/demo-in unchanged\n");

  r = Ctl({"get", "svc"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   ID   REPLICAS   READY\n"
            "fwd    1    1          0\n");

  r = Ctl({"get", "rules", "-o", "wide"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("demo-in   3    100        inPort=in   chain:demo   0      1\n"));

  r = Ctl({"get", "chain/demo", "-o", "name"});
  EXPECT_EQ(r.out, "chain/demo\n");
}

TEST_F(VerbsTest, ApplyFromStdinReportsConfigured) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemo}).code, 0);
  Result r =
      Ctl({"apply", "-f", "-"},
          "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fwd}\nspec: {replicas: 3}\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd configured\n");
}

TEST_F(VerbsTest, GetOneAsJsonAndListAsYaml) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemo}).code, 0);
  Result r = Ctl({"get", "svc", "fwd", "-o", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{\n    \"apiVersion\": \"onvm/v1\",\n    \"kind\": \"Service\","));

  r = Ctl({"get", "chains", "-oyaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("apiVersion: onvm/v1\nkind: List\nitems:\n  - apiVersion: onvm/v1\n"
                                "    kind: Chain\n"));

  // What get prints, apply takes back.
  r = Ctl({"apply", "-f", "-"}, r.out);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "chain/demo unchanged\n");
}

TEST_F(VerbsTest, ListsAreSortedByName) {
  Result r = Ctl({"apply", "-f", "-"},
                 "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: a}\n---\n"
                 "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: c}\n---\n"
                 "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: b}\n");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Ctl({"get", "svc", "-o", "name"});
  EXPECT_EQ(r.out, "service/a\nservice/b\nservice/c\n");
}

TEST_F(VerbsTest, ServerErrorsExitOne) {
  Result r = Ctl({"get", "rule", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): rule \"nope\" not found\n");
  EXPECT_THAT(r.out, IsEmpty());

  r = Ctl({"apply", "-f", "-"},
          "apiVersion: onvm/v1\nkind: Chain\nmetadata: {name: c}\nspec: {services: [ghost]}\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error from server (NotFound): chain \"c\": spec.services"));
}

TEST_F(VerbsTest, GetSeveralNamesPrintsFoundOnesAndFails) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemo}).code, 0);
  Result r = Ctl({"get", "svc", "fwd", "ghost", "-o", "name"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "service/fwd\n");
  EXPECT_THAT(r.err, HasSubstr("(NotFound): service \"ghost\" not found"));
}

TEST_F(VerbsTest, PortsAndInstances) {
  {
    std::lock_guard lock(agent_.state().mu);
    v1::Port port;
    google::protobuf::TextFormat::ParseFromString(
        R"pb(metadata { name: "wan" }
             status { link_up: true mac: "02:00:00:00:00:01" })pb",
        &port);
    agent_.state().ports["wan"] = port;
    v1::Instance instance;
    google::protobuf::TextFormat::ParseFromString(
        R"pb(metadata { name: "fwd-1" }
             spec { service: "fwd" }
             status { instance_id: 1 pid: 99 state: STARTING })pb",
        &instance);
    agent_.state().instances["fwd-1"] = instance;
  }
  Result r = Ctl({"get", "po"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wan    0    up     02:00:00:00:00:01   0         0\n"));
  r = Ctl({"get", "inst", "fwd-1", "-o", "yaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  // The fake leaves apiVersion and kind out; the CLI fills them in.
  EXPECT_THAT(r.out, StartsWith("apiVersion: onvm/v1\nkind: Instance\n"));
  EXPECT_THAT(r.out, HasSubstr("state: STARTING"));
}

TEST_F(VerbsTest, DeleteByName) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemo}).code, 0);
  Result r = Ctl({"delete", "svc", "fwd"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error from server (Conflict): service \"fwd\" is used by chain \"demo\"\n");

  r = Ctl({"delete", "rule", "demo-in"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "rule/demo-in deleted\n");

  r = Ctl({"delete", "rule", "demo-in"});
  EXPECT_EQ(r.code, 1);
  r = Ctl({"delete", "rule", "demo-in", "--ignore-not-found"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, IsEmpty());
}

TEST_F(VerbsTest, DeleteFromFileGoesInReverseDependencyOrder) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemo}).code, 0);
  Result r = Ctl({"delete", "-f", kDemo});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "rule/demo-in deleted\nchain/demo deleted\nservice/fwd deleted\n");
  EXPECT_THAT(agent_.state().deleted, ElementsAre("rule/demo-in", "chain/demo", "service/fwd"));

  r = Ctl({"delete", "-f", kDemo});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("(NotFound): rule \"demo-in\" not found"));
  EXPECT_THAT(r.err, HasSubstr("(NotFound): service \"fwd\" not found"));
}

TEST_F(VerbsTest, InvalidManifestExitsOneBeforeCallingTheServer) {
  Result r = Ctl({"apply", "-f", "-"}, "apiVersion: onvm/v1\nkind: Service\nmetadata: {}\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: <stdin>: document 1 (Service): metadata.name: required\n");
  EXPECT_EQ(agent_.state().apply_calls, 0);

  r = Ctl({"apply", "-f", "/nonexistent/x.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: the path \"/nonexistent/x.yaml\" does not exist\n");

  r = Ctl({"apply", "-f", "-"}, "# nothing\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: no objects passed to apply\n");
}

TEST_F(VerbsTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"get"},
      {"get", "pods"},
      {"get", "svc", "-o", "xml"},
      {"get", "svc", "-f", "x.yaml"},
      {"get", "--nope"},
      {"apply"},
      {"apply", "-f", kDemo, "extra"},
      {"delete", "port", "wan"},
      {"delete", "svc"},
      {"delete", "-f", kDemo, "svc", "fwd"},
      {"version", "extra"},
  };
  for (const std::vector<std::string>& args : cases) {
    Result r = Ctl(args);
    EXPECT_EQ(r.code, 2) << args.front() << " " << r.err;
    EXPECT_THAT(r.err, HasSubstr("See 'onvmctl --help' for usage."));
  }
  EXPECT_EQ(agent_.state().apply_calls, 0);
}

TEST(CliTest, UnreachableAgentExitsThreeWithOneLine) {
  Result r = RunOnvmctl({"get", "services"}, "unix:/nonexistent-onvm-dir/agent.sock");
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err,
            "onvmctl: cannot reach the onvm agent at unix:/nonexistent-onvm-dir/agent.sock (is "
            "onvm-agent running? check --server or ONVM_SERVER)\n");
  EXPECT_THAT(r.out, IsEmpty());

  r = RunOnvmctl({"--server", "unix:/nonexistent-onvm-dir/b.sock", "delete", "-f", kDemo},
                 "unix:/nonexistent-onvm-dir/a.sock");
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("at unix:/nonexistent-onvm-dir/b.sock ("));
}

TEST(CliTest, EnvironmentSelectsTheServer) {
  testing::FakeAgent agent;
  const std::string address = agent.address();
  Result r = RunOnvmctl({"get", "svc"}, address.c_str());
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(CliTest, HelpAndVersion) {
  Result r = RunOnvmctl({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("onvmctl [--server ADDR] VERB"));
  EXPECT_EQ(RunOnvmctl({"help"}).out, r.out);
  EXPECT_EQ(RunOnvmctl({"get", "-h"}).code, 0);

  r = RunOnvmctl({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("Usage:"));

  r = RunOnvmctl({"version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("Client Version: ") + ClientVersion() + "\n");
  EXPECT_EQ(std::string(ClientVersion()), "0.1.0");
}

}  // namespace
}  // namespace onvm::cli
