// Shared-core NFs (--shared-core) through a real engine: two NFs of a chain
// share one CPU, use next to none of it while idle, and are woken by the
// engine when packets come (not by their periodic check), so that sparse
// packets pass through both in well under the check period.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// CPU seconds (user + system) the process has used so far.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after ')'.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST(SharedCoreTest, IdleNfsSleepAndTheEngineWakesThemForEachPacket) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
  auto stack_or = Stack::Start();
  ASSERT_TRUE(stack_or.ok()) << stack_or.status();
  Stack& stack = **stack_or;
  ASSERT_TRUE(stack
                  .Apply(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: a}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: b}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: ab}
spec: {services: [a, b], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: all}
spec: {priority: 1, match: {inPort: in}, action: {chain: ab}}
)")
                  .ok());
  // Both on the same CPU (the last one; the engine's worker polls another
  // where there are two).
  const std::string cpu = absl::StrCat(sysconf(_SC_NPROCESSORS_ONLN) - 1);
  auto a = stack.StartNf("onvm-test-nf", "a", {"--shared-core", "--core", cpu});
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = stack.StartNf("onvm-test-nf", "b", {"--shared-core", "--core", cpu});
  ASSERT_TRUE(b.ok()) << b.status();

  // Idle: asleep, not polling. A polling NF would use its whole share of
  // the CPU (about a second each over these two).
  const double a0 = CpuSeconds((*a)->pid()), b0 = CpuSeconds((*b)->pid());
  std::this_thread::sleep_for(seconds(2));  // the interval measured, not a wait for a condition
  const double a_used = CpuSeconds((*a)->pid()) - a0, b_used = CpuSeconds((*b)->pid()) - b0;
  std::printf("idle shared-core NFs used %.3f s and %.3f s of CPU in 2 s\n", a_used, b_used);
  EXPECT_LT(a_used, 0.2);
  EXPECT_LT(b_used, 0.2);

  // Sparse packets: each finds both NFs asleep. Woken by the engine, a
  // packet crosses both in far less than their 100 ms self-check period.
  auto in = stack.OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack.OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();
  constexpr int kPackets = 40;
  for (int i = 0; i < kPackets; ++i) {
    ASSERT_TRUE((*in)
                    ->Send(PacketBuilder()
                               .Ipv4("10.0.0.1", "10.0.0.2")
                               .Udp(1000, 2000)
                               .Sequence(static_cast<uint32_t>(i))
                               .FrameSize(128)
                               .Build())
                    .ok());
    ASSERT_TRUE((*out)->ReceiveOne(seconds(5)).has_value()) << "packet " << i << "\n"
                                                            << stack.Logs();
    // Pacing: let both NFs fall asleep again before the next packet.
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(stack.WaitMetric("onvm_chain_completed_packets_total", {{"chain", "ab"}}, kPackets));
  const double fast =
      stack.Metric("onvm_chain_latency_seconds_bucket", {{"chain", "ab"}, {"le", "0.01"}})
          .value_or(-1);
  std::printf("%.0f of %d packets crossed the two sleeping NFs in under 10 ms\n", fast, kPackets);
  EXPECT_GE(fast, 0.9 * kPackets) << stack.Logs();
}

}  // namespace
}  // namespace onvm::testing
