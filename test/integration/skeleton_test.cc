// The walking skeleton end to end: a real engine on net_af_packet ports in a
// network namespace, the agent, onvmctl apply, a forward NF, and traffic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;

class SkeletonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kForwardChainYaml).ok());
    auto nf = stack_->StartForwardNf("fwd");
    ASSERT_TRUE(nf.ok()) << nf.status();
    auto in = stack_->OpenPeer("in");
    ASSERT_TRUE(in.ok()) << in.status();
    in_ = *std::move(in);
    auto out = stack_->OpenPeer("out");
    ASSERT_TRUE(out.ok()) << out.status();
    out_ = *std::move(out);
  }

  std::unique_ptr<Stack> stack_;
  std::unique_ptr<RawSocket> in_;
  std::unique_ptr<RawSocket> out_;
};

// 1200 frames of 64..1518 bytes, IPv4 and IPv6, TCP and UDP, some VLAN
// tagged, go in on port `in`, through the chain's NF, and out of port `out`
// byte-identical and in order; the agent's counters equal what was sent.
TEST_F(SkeletonTest, ChainForwardsTrafficByteIdenticalAndInOrder) {
  const std::vector<Frame> sent = GenerateTraffic(1200, /*seed=*/42);
  std::vector<Frame> received;
  // A bounded window keeps the engine's af_packet rx ring from overflowing
  // on a busy 2-core machine: flow control, not a sleep.
  constexpr size_t kWindow = 64;
  size_t next = 0;
  while (received.size() < sent.size()) {
    while (next < sent.size() && next - received.size() < kWindow) {
      ASSERT_TRUE(in_->Send(sent[next++]).ok());
    }
    std::optional<Frame> f = out_->ReceiveOne(seconds(5));
    if (!f.has_value()) break;
    received.push_back(*std::move(f));
  }
  ASSERT_EQ(received.size(), sent.size()) << stack_->Logs();
  int mismatches = 0;
  for (size_t i = 0; i < sent.size() && mismatches < 3; ++i) {
    if (received[i] != sent[i]) {
      ++mismatches;
      ADD_FAILURE() << "frame " << i << " differs\nsent:\n"
                    << HexDump(sent[i]) << "received:\n"
                    << HexDump(received[i]);
    }
  }

  const double n = static_cast<double>(sent.size());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, n))
      << stack_->Metric("onvm_port_rx_packets_total", {{"port", "in"}}).value_or(-1);
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_tx_packets_total", {{"port", "out"}}, n));
  EXPECT_TRUE(
      stack_->WaitMetric("onvm_nf_rx_packets_total", {{"service", "fwd"}, {"instance", "1"}}, n));
  EXPECT_TRUE(
      stack_->WaitMetric("onvm_nf_tx_packets_total", {{"service", "fwd"}, {"instance", "1"}}, n));
  EXPECT_EQ(stack_->Metric("onvm_port_tx_packets_total", {{"port", "in"}}), 0);
  EXPECT_EQ(
      stack_->Metric("onvm_port_dropped_packets_total", {{"port", "in"}, {"reason", "no_match"}}),
      0);
}

// Frames arriving on `out` match no rule: they are dropped and counted,
// never forwarded.
TEST_F(SkeletonTest, UnmatchedPacketsAreDroppedAndCounted) {
  const std::vector<Frame> frames = GenerateTraffic(50, /*seed=*/7);
  ASSERT_TRUE(out_->SendAll(frames).ok());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_dropped_packets_total",
                                 {{"port", "out"}, {"reason", "no_match"}}, 50))
      << stack_->Logs();
  EXPECT_EQ(stack_->Metric("onvm_port_rx_packets_total", {{"port", "out"}}), 50);
  // The engine handles a port's packets in order, so once all 50 drops are
  // counted nothing of them can still be on its way out.
  EXPECT_EQ(stack_->Metric("onvm_port_tx_packets_total", {{"port", "in"}}), 0);
  EXPECT_EQ(stack_->Metric("onvm_nf_rx_packets_total", {{"service", "fwd"}, {"instance", "1"}}), 0);
  EXPECT_FALSE(in_->ReceiveOne(std::chrono::milliseconds(200)).has_value());
}

}  // namespace
}  // namespace onvm::testing
