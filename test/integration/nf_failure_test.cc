// NF failure and back-pressure through a real engine under continuous
// traffic: an NF killed with mbufs in hand gives every one of them back and
// its flows move to the surviving replica; a slow NF's full ring is a
// counted drop that never holds up the other flows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "stack_test.h"
#include "traffic.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class NfFailureTest : public StackTest {
 protected:
  bool InstanceListed(uint32_t id) const {
    auto list = stack_->ListInstances();
    if (!list.ok()) return false;
    for (const auto& inst : list->items()) {
      if (inst.status().instance_id() == id) return true;
    }
    return false;
  }
};

TEST_F(NfFailureTest, KilledNfReturnsEveryMbufItHeldAndItsFlowsMoveToTheSurvivor) {
  ASSERT_TRUE(stack_
                  ->Apply(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: svc}
spec: {replicas: 2}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: c}
spec: {services: [svc], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: all-in}
spec: {priority: 1, match: {inPort: in}, action: {chain: c}}
)")
                  .ok());
  const std::string hold = stack_->tmp().File("hold");
  auto victim = stack_->StartNf("onvm-test-nf", "svc", {"--hold-file", hold});
  ASSERT_TRUE(victim.ok()) << victim.status();
  auto survivor = stack_->StartNf("onvm-test-nf", "svc");
  ASSERT_TRUE(survivor.ok()) << survivor.status();
  ASSERT_TRUE(InstanceListed(1) && InstanceListed(2)) << stack_->Logs();

  // Nothing is in flight yet: what the pool has out now is the baseline
  // (mbufs the ports keep for themselves).
  ASSERT_TRUE(TimeUntil([&] { return MbufsInUse().has_value(); }, seconds(10)))
      << "no onvm_mempool_mbufs_in_use metric\n"
      << stack_->Logs();
  const double baseline = *MbufsInUse();

  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64});
  // Both replicas carry flows before the failure.
  ASSERT_TRUE(TimeUntil(
      [&] {
        return Counter("onvm_nf_rx_packets_total", {{"service", "svc"}, {"instance", "1"}}) > 0 &&
               Counter("onvm_nf_rx_packets_total", {{"service", "svc"}, {"instance", "2"}}) > 0;
      },
      seconds(10)))
      << stack_->Logs();

  // The victim stops with a burst in hand, then dies with it.
  ASSERT_TRUE(WriteFile(hold, "hold\n"));
  ASSERT_TRUE(TimeUntil([&] { return access((hold + ".held").c_str(), F_OK) == 0; }, seconds(10)))
      << (*victim)->Describe();
  int held = 0;
  std::ifstream(hold + ".held") >> held;
  ASSERT_GT(held, 0);
  ASSERT_TRUE((*victim)->Signal(SIGKILL));
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE((*victim)->WaitExit(seconds(5)).has_value());

  // The engine notices within a second and drops the instance.
  std::optional<milliseconds> noticed = TimeUntil([&] { return !InstanceListed(1); }, seconds(5));
  ASSERT_TRUE(noticed.has_value()) << stack_->Logs();
  EXPECT_LE(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed_at)
                .count(),
            1000)
      << "instance 1 still listed " << noticed->count() << " ms after kill -9";

  // Every flow comes out again after the failure, through the survivor.
  std::vector<uint64_t> before(traffic.flows());
  for (uint32_t f = 0; f < traffic.flows(); ++f) before[f] = traffic.received(f);
  ASSERT_TRUE(TimeUntil(
      [&] {
        for (uint32_t f = 0; f < traffic.flows(); ++f) {
          if (traffic.received(f) <= before[f]) return false;
        }
        return true;
      },
      seconds(10)))
      << "some flows never came back after the replica died\n"
      << stack_->Logs();
  traffic.Stop();
  EXPECT_TRUE(stack_->engine().Running()) << stack_->Logs();
  EXPECT_EQ(traffic.foreign(), 0u);

  // Once traffic stops, every mbuf is back: the ones the victim held
  // included (they are counted as nf_gone drops).
  EXPECT_TRUE(TimeUntil([&] { return MbufsInUse() == baseline; }, seconds(10)))
      << "mbufs in use " << MbufsInUse().value_or(-1) << ", baseline " << baseline << "\n"
      << stack_->Logs();
  EXPECT_GE(Counter("onvm_engine_dropped_packets_total", {{"reason", "nf_gone"}}), held);
  EXPECT_TRUE((*survivor)->Running());
}

TEST_F(NfFailureTest, FullRingIsACountedDropAndNeverStallsOtherFlows) {
  // Flows 0..31 go through a slow NF, flows 32..63 through a fast one.
  const uint16_t split = TrafficStream::kFirstSrcPort + 32;
  ASSERT_TRUE(stack_
                  ->Apply(absl::StrCat(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: slow}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: fast}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: slow-chain}
spec: {services: [slow], then: {out: out}}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: fast-chain}
spec: {services: [fast], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: to-slow}
spec:
  priority: 10
  match: {inPort: in, ipProto: udp, srcPorts: ")",
                                       TrafficStream::kFirstSrcPort, "-", split - 1, R"("}
  action: {chain: slow-chain}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: to-fast}
spec:
  priority: 10
  match: {inPort: in, ipProto: udp, srcPorts: ")",
                                       split, "-", TrafficStream::kFirstSrcPort + 63, R"("}
  action: {chain: fast-chain}
)"))
                  .ok());
  // 20 ms per burst of at most 32: ~1,600 packets/s, a quarter of what the
  // stream offers it.
  auto slow = stack_->StartNf("onvm-test-nf", "slow", {"--delay-us", "20000"});
  ASSERT_TRUE(slow.ok()) << slow.status();
  auto fast = stack_->StartNf("onvm-test-nf", "fast");
  ASSERT_TRUE(fast.ok()) << fast.status();

  const Labels slow_nf = {{"service", "slow"}, {"instance", "1"}};
  const Labels fast_nf = {{"service", "fast"}, {"instance", "2"}};
  TrafficStream traffic(in_.get(), out_.get(), {.flows = 64, .frames_per_ms = 12});
  ASSERT_TRUE(TimeUntil(
      [&] {
        return Counter("onvm_nf_dropped_packets_total",
                       {{"service", "slow"}, {"instance", "1"}, {"reason", "ring_full"}}) > 1000;
      },
      seconds(20)))
      << "the slow NF's ring never overflowed\n"
      << stack_->Logs();
  traffic.Stop(seconds(1));

  // The engine read everything that was sent.
  const double sent = static_cast<double>(traffic.sent());
  ASSERT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent))
      << Counter("onvm_port_rx_packets_total", {{"port", "in"}}) << " of " << sent << "\n"
      << stack_->Logs();
  // Let the slow NF finish its ring before counting.
  ASSERT_TRUE(TimeUntil(
      [&] {
        return Counter("onvm_nf_rx_packets_total", slow_nf) ==
               Counter("onvm_nf_tx_packets_total", slow_nf);
      },
      seconds(30)));
  traffic.Stop();

  // The fast flows lost nothing, whatever the slow NF did.
  uint64_t fast_sent = 0, fast_received = 0, slow_received = 0;
  for (uint32_t f = 0; f < 64; ++f) (f < 32 ? slow_received : fast_received) += traffic.received(f);
  fast_sent = traffic.sent() / 2;  // flows are sent round-robin, 64 at a time
  EXPECT_NEAR(static_cast<double>(fast_received), static_cast<double>(fast_sent), 32)
      << stack_->Logs();
  EXPECT_EQ(Counter("onvm_nf_dropped_packets_total",
                    {{"service", "fast"}, {"instance", "2"}, {"reason", "ring_full"}}),
            0);
  // Every slow packet is delivered or counted as ring_full.
  const double ring_full =
      Counter("onvm_nf_dropped_packets_total",
              {{"service", "slow"}, {"instance", "1"}, {"reason", "ring_full"}});
  EXPECT_EQ(Counter("onvm_nf_rx_packets_total", slow_nf) + ring_full,
            Counter("onvm_rule_hits_total", {{"rule", "to-slow"}}));
  EXPECT_EQ(static_cast<double>(slow_received), Counter("onvm_nf_tx_packets_total", slow_nf));
  EXPECT_EQ(static_cast<double>(traffic.received()),
            Counter("onvm_port_tx_packets_total", {{"port", "out"}}));
  EXPECT_EQ(sent, static_cast<double>(traffic.received()) + ring_full) << stack_->Logs();
}

}  // namespace
}  // namespace onvm::testing
