// onvm-nf-payload_scan through a real engine: packets whose payload holds
// one of the patterns are dropped (and counted), the others come out of
// `out` byte-identical and in order; with --action pass, the reverse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kChain[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: scan}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: scanned}
spec:
  services: [scan]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: scanned}
)";

const std::string kText = "EVIL-PAYLOAD";
const std::string kBinary = "\xde\xad\xbe\xef";

bool Holds(const Frame& f, const std::string& s) {
  const std::vector<uint8_t> bytes(s.begin(), s.end());  // char may be signed
  return std::search(f.begin(), f.end(), bytes.begin(), bytes.end()) != f.end();
}

// Frame i: one of several shapes; every third holds a pattern somewhere in
// its payload (the text one, or the binary one, at varying offsets).
Frame Make(uint32_t i, bool* has_pattern) {
  PacketBuilder b;
  switch (i % 5) {
    case 0:
      b.Ipv4("10.0.0.1", "10.0.0.2").Udp(1000, 2000);
      break;
    case 1:
      b.Ipv4("10.0.0.1", "10.0.0.2").Tcp(1000, 80);
      break;
    case 2:
      b.Vlan(9).Ipv6("2001:db8::1", "2001:db8::2").Tcp(1000, 80);
      break;
    case 3:
      b.Ipv6("2001:db8::1", "2001:db8::2").Udp(1000, 2000);
      break;
    default:
      b.EtherType(0x88b5);
      break;  // not IP: scanned after the Ethernet header
  }
  std::vector<uint8_t> payload(static_cast<size_t>(i * 29 % 900), 'x');
  *has_pattern = i % 3 == 0;
  if (*has_pattern) {
    const std::string& p = i % 2 == 0 ? kText : kBinary;
    payload.insert(payload.begin() + static_cast<long>(payload.size() * (i % 7) / 7), p.begin(),
                   p.end());
  }
  return b.Sequence(i).Payload(payload).FrameSize(60).Build();
}

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
  for (Frame& f : out.Receive(milliseconds(300))) received.push_back(std::move(f));
  return received;
}

class PayloadScanTest : public ::testing::TestWithParam<std::string> {
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

TEST_P(PayloadScanTest, MatchingPacketsGetTheAction) {
  const bool drop_matching = GetParam() == "drop";
  auto nf =
      stack_->StartNf("onvm-nf-payload_scan", "scan",
                      {"--pattern", kText, "--hex-pattern", "de:ad:be:ef", "--action", GetParam()});
  ASSERT_TRUE(nf.ok()) << nf.status();
  auto in = stack_->OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack_->OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();

  std::vector<Frame> frames;
  std::vector<bool> passes;
  std::vector<Frame> expected;
  size_t matching = 0;
  for (uint32_t i = 0; i < 400; ++i) {
    bool has = false;
    frames.push_back(Make(i, &has));
    // The generated filler never holds a pattern by accident.
    ASSERT_EQ(Holds(frames.back(), kText) || Holds(frames.back(), kBinary), has) << i;
    matching += has;
    passes.push_back(has != drop_matching);
    if (passes.back()) expected.push_back(frames.back());
  }
  const std::vector<Frame> received = Exchange(**in, **out, frames, passes);
  ASSERT_EQ(received.size(), expected.size()) << stack_->Logs();
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(received[i], expected[i]) << "frame " << i << "\nwant:\n"
                                        << HexDump(expected[i]) << "got:\n"
                                        << HexDump(received[i]);
  }
  const double dropped = static_cast<double>(frames.size() - expected.size());
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_dropped_packets_total",
                                 {{"service", "scan"}, {"instance", "1"}, {"reason", "handler"}},
                                 dropped));
  EXPECT_EQ(drop_matching ? dropped : static_cast<double>(expected.size()),
            static_cast<double>(matching));
}

INSTANTIATE_TEST_SUITE_P(Actions, PayloadScanTest, ::testing::Values("drop", "pass"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace onvm::testing
