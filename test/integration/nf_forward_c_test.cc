// onvm-nf-forward-c (the forward NF written in C against onvm/nf.h) passes
// the same traffic test as its C++ sibling: a real engine on net_af_packet
// ports in a network namespace, the agent, onvmctl apply, and traffic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <functional>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;

class ForwardCTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kForwardChainYaml).ok());
  }

  std::unique_ptr<Stack> stack_;
};

// The same traffic as the C++ forward NF's test (skeleton_test): 1200
// frames of 64..1518 bytes, IPv4 and IPv6, TCP and UDP, some VLAN tagged,
// come out of `out` byte-identical and in order.
TEST_F(ForwardCTest, ForwardsTrafficByteIdenticalAndInOrder) {
  auto nf = stack_->StartNf("onvm-nf-forward-c", "fwd");
  ASSERT_TRUE(nf.ok()) << nf.status();
  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();

  const std::vector<Frame> sent = GenerateTraffic(1200, /*seed=*/42);
  std::vector<Frame> received;
  constexpr size_t kWindow = 64;  // keeps the engine's af_packet rx ring from overflowing
  size_t next = 0;
  while (received.size() < sent.size()) {
    while (next < sent.size() && next - received.size() < kWindow) {
      ASSERT_TRUE((*in)->Send(sent[next++]).ok());
    }
    std::optional<Frame> f = (*out)->ReceiveOne(seconds(5));
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
  EXPECT_TRUE(
      stack_->WaitMetric("onvm_nf_rx_packets_total", {{"service", "fwd"}, {"instance", "1"}}, n));
  EXPECT_TRUE(
      stack_->WaitMetric("onvm_nf_tx_packets_total", {{"service", "fwd"}, {"instance", "1"}}, n));
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_tx_packets_total", {{"port", "out"}}, n));
  // Its own counter (C API onvm_nf_ctx_add_counter), copied by the engine
  // every ~100 ms: at least one burst, at most one per packet.
  auto bursts = [&] {
    return stack_
        ->Metric("onvm_nf_custom_total",
                 {{"service", "fwd"}, {"instance", "1"}, {"name", "bursts"}})
        .value_or(-1);
  };
  EXPECT_TRUE(WaitFor([&] { return bursts() >= 1; }, std::chrono::seconds(10))) << bursts();
  EXPECT_LE(bursts(), n);
  EXPECT_EQ(stack_->Metric("onvm_nf_dropped_packets_total",
                           {{"service", "fwd"}, {"instance", "1"}, {"reason", "handler"}}),
            0);

  // SIGTERM: a clean stop (exit 0), and the C shutdown callback ran.
  ASSERT_TRUE((*nf)->Signal(SIGTERM));
  std::optional<ExitStatus> st = (*nf)->WaitExit(seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->ok()) << st->ToString() << (*nf)->Log();
  EXPECT_THAT((*nf)->Log(), ::testing::HasSubstr("forwarded 1200 packets"));
}

// The C init callback rejects an argument it does not know: a usage error
// (exit 2) with its message, like the C++ NF.
TEST_F(ForwardCTest, UnknownArgumentIsAUsageError) {
  auto p = Process::Start(BinPath("onvm-nf-forward-c"),
                          {"--engine", stack_->engine_name(), "--service", "fwd", "--bogus"},
                          stack_->tmp().File("nf-bogus.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  std::optional<ExitStatus> st = (*p)->WaitExit(seconds(30));
  ASSERT_TRUE(st.has_value()) << (*p)->Log();
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->code, 2) << (*p)->Log();
  EXPECT_THAT((*p)->Log(), ::testing::HasSubstr("unknown argument \"--bogus\""));
  EXPECT_THAT((*p)->Log(), ::testing::HasSubstr("usage: onvm-nf-forward-c"));
}

}  // namespace
}  // namespace onvm::testing
