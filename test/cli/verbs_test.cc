// onvmctl end to end (in-process) against a fake agent.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/run.h"
#include "cli/verbs.h"
#include "fake_agent.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "test/cli/cli_test_util.h"

namespace onvm::cli {
namespace {

using ::onvm::cli::testing::kDemoManifest;

using ::onvm::cli::testing::RunOnvmctl;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

using Result = ::onvm::cli::testing::CliResult;

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
  Result r = Ctl({"apply", "-f", kDemoManifest});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd created\nchain/demo created\nrule/demo-in created\n");
  EXPECT_EQ(agent_.state().apply_calls, 1);  // One request for the whole file.
  EXPECT_EQ(agent_.state().last_apply.resources_size(), 3);

  r = Ctl({"apply", "-f", kDemoManifest});
  EXPECT_EQ(r.out, "service/fwd unchanged\nchain/demo unchanged\nrule/demo-in unchanged\n");

  r = Ctl({"get", "svc"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   ID   REPLICAS   READY\n"
            "fwd    1    1          0\n");

  r = Ctl({"get", "rules", "-o", "wide"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(
      r.out,
      HasSubstr("demo-in   3    100        inPort=in   chain:demo   0      0       1            "
                "grpc\n"));

  r = Ctl({"get", "chain/demo", "-o", "name"});
  EXPECT_EQ(r.out, "chain/demo\n");
}

TEST_F(VerbsTest, ApplyFromStdinReportsConfigured) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
  Result r =
      Ctl({"apply", "-f", "-"},
          "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: fwd}\nspec: {replicas: 3}\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd configured\n");
}

TEST_F(VerbsTest, GetOneAsJsonAndListAsYaml) {
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
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
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
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
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
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
  ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
  Result r = Ctl({"delete", "-f", kDemoManifest});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "rule/demo-in deleted\nchain/demo deleted\nservice/fwd deleted\n");
  EXPECT_THAT(agent_.state().deleted, ElementsAre("rule/demo-in", "chain/demo", "service/fwd"));

  r = Ctl({"delete", "-f", kDemoManifest});
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
      {"apply", "-f", kDemoManifest, "extra"},
      {"delete", "port", "wan"},
      {"delete", "svc"},
      {"delete", "-f", kDemoManifest, "svc", "fwd"},
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

  r = RunOnvmctl({"--server", "unix:/nonexistent-onvm-dir/b.sock", "delete", "-f", kDemoManifest},
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

  EXPECT_EQ(std::string(ClientVersion()), "0.1.0");
}

// --- version, describe, scale, top, completion ---

Result RunTty(std::vector<std::string> args, int max_refreshes) {
  std::istringstream in;
  std::ostringstream out, err;
  Environment env;
  env.in = &in;
  env.out = &out;
  env.err = &err;
  env.out_is_tty = true;
  env.top_max_refreshes = max_refreshes;
  const int code = RunCli(args, env);
  return {code, out.str(), err.str()};
}

constexpr char kUnreachable[] = "unix:/nonexistent-onvm-dir/agent.sock";

// The whitespace-separated cells of the first line of `text` whose first
// cell is `first`.
std::vector<std::string> Row(const std::string& text, absl::string_view first) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

TEST_F(VerbsTest, VersionShowsClientAndServer) {
  {
    std::lock_guard lock(agent_.state().mu);
    google::protobuf::TextFormat::ParseFromString(
        R"pb(name: "default"
             connected: true
             boot_id: "b-1"
             dpdk_version: "DPDK 23.11.0"
             agent_version: "0.1.0")pb",
        &agent_.state().engine);
  }
  Result r = Ctl({"version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Client Version: 0.1.0\n"
            "Server Version: 0.1.0, engine default (DPDK 23.11.0, boot id b-1)\n");
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().engine.set_connected(false);
  }
  r = Ctl({"version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Server Version: 0.1.0, engine default (not connected)\n"));
}

TEST(CliTest, VersionWithoutAgentPrintsClientThenExitsThree) {
  Result r = RunOnvmctl({"version"}, kUnreachable);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "Client Version: 0.1.0\n");
  EXPECT_THAT(r.err, StartsWith("onvmctl: cannot reach the onvm agent at "));
}

class NewVerbsTest : public VerbsTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(Ctl({"apply", "-f", kDemoManifest}).code, 0);
    std::lock_guard lock(agent_.state().mu);
    FakeState& s = agent_.state();
    google::protobuf::TextFormat::ParseFromString(
        R"pb(metadata { name: "in" }
             spec { devargs: "net_null0" }
             status {
               link_up: true
               mac: "02:00:00:00:00:01"
               rx_packets: 1234
               rx_bytes: 98765
               no_match_dropped: 7
             })pb",
        &s.ports["in"]);
    google::protobuf::TextFormat::ParseFromString(R"pb(metadata { name: "out" }
                                                       status { tx_packets: 1200 })pb",
                                                  &s.ports["out"]);
    google::protobuf::TextFormat::ParseFromString(
        R"pb(metadata { name: "fwd-1" }
             spec { service: "fwd" }
             status {
               instance_id: 1
               pid: 99
               state: RUNNING
               rx_packets: 1200
               tx_packets: 1199
               dropped_by_handler: 1
               cpu: 3
             })pb",
        &s.instances["fwd-1"]);
    google::protobuf::TextFormat::ParseFromString(R"pb(metadata { name: "other-1" }
                                                       spec { service: "other" }
                                                       status { pid: 5 })pb",
                                                  &s.instances["other-1"]);
    s.services["fwd"].mutable_status()->set_ready_replicas(1);
  }
  using FakeState = testing::FakeState;
};

TEST_F(NewVerbsTest, DescribeShowsSpecStatusAndCounters) {
  Result r = Ctl({"describe", "svc", "fwd"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("Name:"));
  EXPECT_THAT(r.out, HasSubstr("\nKind:              Service\n"));
  EXPECT_THAT(r.out, HasSubstr("\nSpec:\n  Replicas:        1\n"));
  EXPECT_THAT(r.out, HasSubstr("  Ready Replicas:  1\n"));
  EXPECT_THAT(r.out, HasSubstr("Instances:\n  NAME    STATE     PID   RX PACKETS   TX PACKETS   "
                               "DROPPED\n  fwd-1   running   99    1200         1199         1\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("other-1")));

  {
    std::lock_guard lock(agent_.state().mu);
    v1::ChainStatus* s = agent_.state().chains["demo"].mutable_status();
    s->set_packets(1200);
    s->set_completed_packets(1200);
    s->set_bytes(76800);
    // 1 to 2 us: 1000 packets; 2 to 5 us: 200; none slower.
    for (double bound : {1e-6, 2e-6, 5e-6}) s->add_latency_bucket_bounds_seconds(bound);
    for (uint64_t count : {0, 1000, 200, 0}) s->add_latency_bucket_counts(count);
  }
  r = Ctl({"describe", "chain/demo"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  Services:     fwd\n"));
  EXPECT_THAT(r.out, HasSubstr("  Then:         out:"));
  // p50: rank 600, 600 of 1000 into (1, 2] us; p90: rank 1080, 80 of 200
  // into (2, 5] us; p99: rank 1188, 188 of 200.
  EXPECT_THAT(r.out, HasSubstr("Counters:\n  Packets:      1200\n  Completed:    1200\n"
                               "  Bytes:        76800\n  Latency p50:  1.60us\n"
                               "  Latency p90:  3.20us\n  Latency p99:  4.82us\n"));
  EXPECT_THAT(r.out, HasSubstr("Path:\n  #   SERVICE"));
  EXPECT_THAT(r.out, HasSubstr("  1   fwd "));

  r = Ctl({"describe", "po", "in"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  Link:              up\n"));
  EXPECT_THAT(r.out,
              HasSubstr("Counters:\n  RX Packets:        1234\n  RX Bytes:          98765\n"));
  EXPECT_THAT(r.out, HasSubstr("  No-Match Dropped:  7\n"));

  r = Ctl({"describe", "inst", "fwd-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  Dropped (By Handler):  1\n"));
  EXPECT_THAT(r.out, HasSubstr("\n  CPU:                   3\n"));

  r = Ctl({"describe", "rule", "demo-in"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  Action:    chain:demo\n"));
  EXPECT_THAT(r.out, HasSubstr("Counters:\n  Hits:      0\n  Bytes:     0\n"));

  // Two names: two descriptions, one blank line apart; a missing one fails.
  r = Ctl({"describe", "ports", "in", "nope", "out"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("\n\nName:"));
  EXPECT_THAT(r.err, HasSubstr("Error from server (NotFound): port \"nope\" not found"));
}

TEST_F(NewVerbsTest, ScaleUpdatesReplicasThroughTheMask) {
  Result r = Ctl({"scale", "svc", "fwd", "--replicas", "3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd scaled\n");
  {
    std::lock_guard lock(agent_.state().mu);
    const v1::UpdateServiceRequest& u = agent_.state().last_update;
    EXPECT_THAT(u.update_mask().paths(), ElementsAre("spec.replicas"));
    EXPECT_EQ(u.service().metadata().name(), "fwd");
    EXPECT_EQ(agent_.state().services["fwd"].spec().replicas(), 3u);
    agent_.state().services["fwd"].mutable_status()->set_ready_replicas(3);
  }
  r = Ctl({"scale", "service/fwd", "--replicas=3", "--wait"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "service/fwd scaled\nservice/fwd has 3 ready replicas\n");

  r = Ctl({"scale", "svc", "fwd", "--replicas", "4", "--wait", "--timeout", "300ms"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "service/fwd scaled\n");
  EXPECT_THAT(r.err, HasSubstr("error: timed out after 300ms waiting for service/fwd to have 4 "
                               "ready replicas (it has 3)"));

  r = Ctl({"scale", "svc", "ghost", "--replicas", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("(NotFound): service \"ghost\" not found"));
  r = Ctl({"scale", "svc", "fwd", "--replicas", "1000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("spec.replicas"));
}

TEST_F(NewVerbsTest, TopPrintsRatesOnceWhenNotATerminal) {
  {
    std::lock_guard lock(agent_.state().mu);
    agent_.state().counter_step = 1000;
    // The engine's bounds: the fake's packets land in (10, 20] us.
    v1::ChainStatus* s = agent_.state().chains["demo"].mutable_status();
    for (double bound :
         {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 1e-1}) {
      s->add_latency_bucket_bounds_seconds(bound);
    }
    s->mutable_latency_bucket_counts()->Resize(15, 0);
  }
  Result r = Ctl({"top", "--interval", "200ms"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("PORT   LINK   RX PPS"));
  EXPECT_THAT(r.out, HasSubstr("\nINSTANCE   SERVICE   STATE"));
  EXPECT_THAT(r.out, HasSubstr("\nCHAIN   IN PPS   COMPLETED PPS   IN BPS   P50      P99\n"));
  EXPECT_THAT(r.out, HasSubstr("\nRULE      ACTION       HITS/S   BPS\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("\033[")));
  // Every packet of the interval took 10 to 20 us.
  std::vector<std::string> chain = Row(r.out, "demo");
  ASSERT_EQ(chain.size(), 6u) << r.out;
  EXPECT_EQ(chain[4], "15.0us");
  EXPECT_EQ(chain[5], "19.9us");
  std::vector<std::string> rule = Row(r.out, "demo-in");
  ASSERT_EQ(rule.size(), 4u) << r.out;
  EXPECT_EQ(rule[1], "chain:demo");
  for (size_t column : {1, 2}) {
    double pps = 0;
    ASSERT_TRUE(absl::SimpleAtod(chain[column], &pps)) << r.out;
    EXPECT_GT(pps, 1000);
    EXPECT_LE(pps, 5100);
  }
  double hits = 0;
  ASSERT_TRUE(absl::SimpleAtod(rule[2], &hits)) << r.out;
  EXPECT_GT(hits, 1000);
  EXPECT_LE(hits, 5100);
  // 1000 packets per 200 ms sample: about 5000 pps (timing on a busy
  // machine makes it less).
  bool found = false;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (cells.size() >= 6 && cells[0] == "fwd-1") {
      double pps = 0;
      ASSERT_TRUE(absl::SimpleAtod(cells[3], &pps)) << line;
      EXPECT_GT(pps, 1000);
      EXPECT_LE(pps, 5100);
      found = true;
    }
    if (cells.size() >= 7 && cells[0] == "in") {
      EXPECT_EQ(cells[1], "up");
      // 100 bytes a packet: about 4 Mbit/s, in SI units.
      EXPECT_THAT(cells[3], ::testing::EndsWith("M")) << line;
    }
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(NewVerbsTest, TopOnATerminalRefreshesInPlace) {
  Result r = RunTty({"--server", agent_.address(), "top", "--interval", "50ms"}, 2);
  ASSERT_EQ(r.code, 0) << r.err;
  size_t clears = 0;
  for (size_t at = r.out.find("\033[H\033[2J"); at != std::string::npos;
       at = r.out.find("\033[H\033[2J", at + 1)) {
    ++clears;
  }
  EXPECT_EQ(clears, 2u);
  EXPECT_THAT(r.out, HasSubstr("(Ctrl-C to quit)"));
  EXPECT_THAT(r.out, HasSubstr("fwd-1"));
}

TEST(CliTest, CompletionScripts) {
  Result r = RunOnvmctl({"completion", "bash"}, kUnreachable);  // needs no agent
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("complete -F _onvmctl onvmctl"));
  for (const char* word : {"describe", "scale", "completion", "svc", "instances", "--replicas",
                           "--wait", "--interval", "--ignore-not-found", "-o"}) {
    EXPECT_THAT(r.out, HasSubstr(word));
  }
  char path[] = "/tmp/onvmctl-completion-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << r.out;
  EXPECT_EQ(std::system(("bash -n " + std::string(path)).c_str()), 0);
  // The function completes verbs and kind aliases.
  const std::string probe = std::string("bash -c 'source ") + path +
                            "; COMP_WORDS=(onvmctl get sv); COMP_CWORD=2; _onvmctl; "
                            "[[ \"${COMPREPLY[*]}\" == svc ]] || exit 1; "
                            "COMP_WORDS=(onvmctl -s x de); COMP_CWORD=3; _onvmctl; "
                            "[[ \"${COMPREPLY[*]}\" == \"describe delete\" ]]'";
  EXPECT_EQ(std::system(probe.c_str()), 0);
  std::remove(path);

  r = RunOnvmctl({"completion", "zsh"}, kUnreachable);
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, StartsWith("#compdef onvmctl\n"));
}

TEST_F(NewVerbsTest, NewVerbsUsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"describe"},
      {"describe", "svc"},
      {"describe", "pods", "x"},
      {"describe", "svc", "fwd", "-o", "json"},
      {"scale", "svc", "fwd"},
      {"scale", "chain", "demo", "--replicas", "1"},
      {"scale", "svc", "--replicas", "1"},
      {"scale", "svc", "a", "b", "--replicas", "1"},
      {"scale", "svc", "fwd", "--replicas", "many"},
      {"scale", "svc", "fwd", "--replicas", "-1"},
      {"scale", "svc", "fwd", "--replicas", "1", "--timeout", "2s"},
      {"scale", "svc", "fwd", "--replicas", "1", "--wait", "--timeout", "soon"},
      {"scale", "svc", "fwd", "--replicas", "1", "--wait=maybe"},
      {"top", "ports"},
      {"top", "--interval", "0s"},
      {"top", "--replicas", "2"},
      {"version", "--wait"},
      {"completion"},
      {"completion", "fish"},
      {"completion", "bash", "zsh"},
  };
  for (const std::vector<std::string>& args : cases) {
    Result r = Ctl(args);
    EXPECT_EQ(r.code, 2) << absl::StrJoin(args, " ") << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("See 'onvmctl --help' for usage."));
  }
  std::lock_guard lock(agent_.state().mu);
  EXPECT_EQ(agent_.state().update_calls, 0);
}

}  // namespace
}  // namespace onvm::cli
