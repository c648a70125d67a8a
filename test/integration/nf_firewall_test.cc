// onvm-nf-firewall through a real engine: allowed flows come out of `out`
// byte-identical and in order, denied ones never do and are counted as
// handler drops; a bad rule is a usage error naming the rule and field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <functional>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kChain[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: fw}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: guarded}
spec:
  services: [fw]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: guarded}
)";

// Sends `frames` into `in` and collects what comes out of `out`, keeping at
// most a window of frames in flight; `passes[i]` says whether frame i is
// expected out.
std::vector<Frame> Exchange(RawSocket& in, RawSocket& out, const std::vector<Frame>& frames,
                            const std::vector<bool>& passes) {
  constexpr size_t kWindow = 64;
  size_t next = 0;
  size_t expected_sent = 0;
  size_t expected_total = 0;
  for (bool p : passes) expected_total += p;
  std::vector<Frame> received;
  while (received.size() < expected_total) {
    while (next < frames.size() && expected_sent - received.size() < kWindow) {
      if (!in.Send(frames[next]).ok()) return received;
      expected_sent += passes[next++];
    }
    std::optional<Frame> f = out.ReceiveOne(seconds(5));
    if (!f.has_value()) break;
    received.push_back(*std::move(f));
  }
  // Whatever else arrives soon is a frame that should have been dropped.
  for (Frame& f : out.Receive(milliseconds(300))) received.push_back(std::move(f));
  return received;
}

class FirewallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kChain).ok());
  }

  std::unique_ptr<Stack> stack_;
};

TEST_F(FirewallTest, AllowedFlowsPassDeniedFlowsAreDroppedAndCounted) {
  const std::string rules = stack_->tmp().File("fw.rules");
  ASSERT_TRUE(WriteFile(rules,
                        "# ssh is closed, the web is open\n"
                        "deny proto tcp dport 22\n"
                        "allow proto tcp dport 80-443   # http and https\n"));
  // Rules apply in command-line order: the file's, then --deny, then --allow.
  auto nf = stack_->StartNf("onvm-nf-firewall", "fw",
                            {"--rules", rules, "--deny", "10.9.0.0/16", "--allow",
                             "proto udp dport 53", "--default", "deny"});
  ASSERT_TRUE(nf.ok()) << nf.status();
  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();

  struct Kind {
    std::function<void(PacketBuilder&)> build;
    bool passes;
  };
  const std::vector<Kind> kinds = {
      {[](PacketBuilder& b) { b.Ipv4("10.0.0.1", "192.0.2.1").Tcp(1000, 80); }, true},
      {[](PacketBuilder& b) { b.Ipv4("10.0.0.1", "192.0.2.1").Tcp(1001, 22); }, false},
      {[](PacketBuilder& b) { b.Vlan(7).Ipv4("10.0.0.2", "192.0.2.1").Tcp(1002, 443); }, true},
      {[](PacketBuilder& b) { b.Ipv4("10.9.1.1", "192.0.2.1").Udp(1003, 53); }, false},
      {[](PacketBuilder& b) { b.Ipv4("10.0.0.3", "192.0.2.1").Udp(1004, 53); }, true},
      {[](PacketBuilder& b) { b.Ipv4("10.0.0.3", "192.0.2.1").Udp(1005, 54); }, false},
      {[](PacketBuilder& b) { b.Ipv6("2001:db8::1", "2001:db8::2").Tcp(1006, 443); }, true},
      {[](PacketBuilder& b) { b.Ipv6("2001:db8::1", "2001:db8::2").Tcp(1007, 22); }, false},
      {[](PacketBuilder& b) { b.Ipv4("10.0.0.1", "192.0.2.1").IpProto(1); }, false},
  };
  std::vector<Frame> frames;
  std::vector<bool> passes;
  std::vector<Frame> allowed;
  for (uint32_t i = 0; i < 450; ++i) {
    const Kind& k = kinds[(i * 7) % kinds.size()];
    PacketBuilder b;
    k.build(b);
    b.Sequence(i).FrameSize(64 + (i * 37) % 1400);
    frames.push_back(b.Build());
    passes.push_back(k.passes);
    if (k.passes) allowed.push_back(frames.back());
  }
  const std::vector<Frame> received = Exchange(**in, **out, frames, passes);
  ASSERT_EQ(received.size(), allowed.size()) << stack_->Logs();
  for (size_t i = 0; i < allowed.size(); ++i) {
    ASSERT_EQ(received[i], allowed[i]) << "frame " << i << "\nwant:\n"
                                       << HexDump(allowed[i]) << "got:\n"
                                       << HexDump(received[i]);
  }
  const double denied = static_cast<double>(frames.size() - allowed.size());
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_dropped_packets_total",
                                 {{"service", "fw"}, {"instance", "1"}, {"reason", "handler"}},
                                 denied))
      << stack_
             ->Metric("onvm_nf_dropped_packets_total",
                      {{"service", "fw"}, {"instance", "1"}, {"reason", "handler"}})
             .value_or(-1);
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_rx_packets_total", {{"service", "fw"}, {"instance", "1"}},
                                 static_cast<double>(frames.size())));
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_tx_packets_total", {{"port", "out"}},
                                 static_cast<double>(allowed.size())));

  // On SIGTERM it reports per-rule hits.
  ASSERT_TRUE((*nf)->Signal(SIGTERM));
  ASSERT_TRUE((*nf)->WaitExit(seconds(10)).has_value());
  EXPECT_THAT((*nf)->Log(),
              ::testing::HasSubstr("rule 1 \"deny proto tcp dport 22\": 100 packets"));
}

TEST_F(FirewallTest, BadRuleIsAUsageErrorNamingRuleAndField) {
  auto p = Process::Start(BinPath("onvm-nf-firewall"),
                          {"--engine", stack_->engine_name(), "--service", "fw", "--allow",
                           "proto tcp", "--deny", "src 10.0.0.0/8 dport 99999"},
                          stack_->tmp().File("nf-bad.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  std::optional<ExitStatus> st = (*p)->WaitExit(seconds(30));
  ASSERT_TRUE(st.has_value()) << (*p)->Log();
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->code, 2) << (*p)->Log();
  EXPECT_THAT((*p)->Log(),
              ::testing::HasSubstr("--deny \"src 10.0.0.0/8 dport 99999\": dport: '99999'"));
}

}  // namespace
}  // namespace onvm::testing
