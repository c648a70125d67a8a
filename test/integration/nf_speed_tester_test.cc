// onvm-nf-speed_tester through a real engine: it makes packets of its own,
// sends them into a chain [st, fwd, st] that brings them back through a
// forward NF, and reports throughput and latency. Checked: packets made the
// round trip (its counters and the chain's completions), latency was
// measured, it stops by itself after --duration, and every mbuf it took
// went back to the engine's pool.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>

#include "absl/strings/str_cat.h"
#include "stack_test.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;

constexpr char kLoop[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: st}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: fwd}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: loop}
spec:
  services: [st, fwd, st]
  then: {drop: true}
)";

using SpeedTesterTest = StackTest;

TEST_F(SpeedTesterTest, PacketsMakeTheRoundTripThroughAForwardNf) {
  ASSERT_TRUE(stack_->Apply(kLoop).ok()) << stack_->Logs();
  ASSERT_TRUE(stack_->StartForwardNf("fwd").ok()) << stack_->Logs();
  std::optional<double> baseline;
  ASSERT_TRUE(TimeUntil([&] { return (baseline = MbufsInUse()).has_value(); }, seconds(10)));

  auto st =
      stack_->StartNf("onvm-nf-speed_tester", "st",
                      {"--chain", "loop", "--duration", "2", "--flows", "4", "--size", "128"});
  ASSERT_TRUE(st.ok()) << st.status() << stack_->Logs();
  Process& nf = **st;

  // Its own counters, while it runs (the instance goes when it stops).
  const Labels received = {{"service", "st"}, {"instance", "2"}, {"name", "received_packets"}};
  const Labels latency = {{"service", "st"}, {"instance", "2"}, {"name", "latency_ns_sum"}};
  EXPECT_TRUE(TimeUntil([&] { return Counter("onvm_nf_custom_total", received) > 0; }, seconds(5)))
      << stack_->Logs();
  EXPECT_GT(Counter("onvm_nf_custom_total", latency), 0);
  EXPECT_GT(Counter("onvm_nf_rx_packets_total", {{"service", "fwd"}, {"instance", "1"}}), 0);

  // --duration 2: it stops by itself, cleanly, with a final report.
  std::optional<ExitStatus> exit = nf.WaitExit(seconds(20));
  ASSERT_TRUE(exit.has_value()) << nf.Describe();
  EXPECT_TRUE(exit->ok()) << exit->ToString() << nf.Log();
  const std::string log = nf.Log();
  EXPECT_THAT(log, ::testing::HasSubstr("into chain \"loop\""));
  EXPECT_THAT(log, ::testing::ContainsRegex("1\\.[0-9] s: tx [0-9.]+ Mpps"));
  EXPECT_THAT(log, ::testing::ContainsRegex("total: sent [1-9][0-9]* received [1-9][0-9]*"));
  EXPECT_THAT(log, ::testing::ContainsRegex(
                       "total: tx [0-9.]+ Mpps [0-9.]+ Gbit/s, rx [0-9.]+ Mpps [0-9.]+ Gbit/s, "
                       "latency ns: min [1-9][0-9]* avg [1-9][0-9]* p50 [1-9][0-9]* p99 "
                       "[1-9][0-9]* max [1-9][0-9]*"))
      << log;
  // The engine saw the chain completed by the packets that came back.
  EXPECT_GT(Counter("onvm_chain_completed_packets_total", {{"chain", "loop"}}), 0);

  // Every mbuf it allocated is back in the pool.
  EXPECT_TRUE(TimeUntil([&] { return MbufsInUse() == baseline; }, seconds(10)))
      << "in use " << MbufsInUse().value_or(-1) << ", before " << *baseline;
}

// Bad flags are usage errors that name the flag; an unknown chain fails.
TEST_F(SpeedTesterTest, RejectsBadFlagsAndUnknownChains) {
  ASSERT_TRUE(stack_->Apply(kLoop).ok()) << stack_->Logs();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const Case cases[] = {
      {{}, 2, "--chain: required"},
      {{"--chain", "loop", "--size", "59"}, 2, "--size"},
      {{"--chain", "loop", "--burst", "33"}, 2, "--burst"},
      {{"--chain", "nope"}, 1, "has no chain \"nope\""},
  };
  int i = 0;
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--engine", stack_->engine_name(), "--service", "st"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto p = Process::Start(BinPath("onvm-nf-speed_tester"), args,
                            stack_->tmp().File(absl::StrCat("st-bad-", i++, ".log")));
    ASSERT_TRUE(p.ok()) << p.status();
    std::optional<ExitStatus> st = (*p)->WaitExit(seconds(30));
    ASSERT_TRUE(st.has_value()) << (*p)->Log();
    EXPECT_TRUE(st->exited);
    EXPECT_EQ(st->code, c.code) << (*p)->Log();
    EXPECT_THAT((*p)->Log(), ::testing::HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace onvm::testing
