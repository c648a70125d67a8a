// onvm-nf-arp_responder through a real engine: an ARP request sent into
// `in` for a configured address comes back out of `in` as the right reply;
// everything else goes on along the chain, untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>

#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kChain[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: arp}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: edge}
spec:
  services: [arp]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: edge}
)";

using Ip = std::array<uint8_t, 4>;
const MacAddr kHost = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
const MacAddr kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const MacAddr kZero = {};

Frame Arp(uint16_t op, const MacAddr& eth_dst, const MacAddr& sha, const Ip& spa,
          const MacAddr& tha, const Ip& tpa) {
  Frame f;
  f.insert(f.end(), eth_dst.begin(), eth_dst.end());
  f.insert(f.end(), sha.begin(), sha.end());
  f.insert(f.end(), {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, static_cast<uint8_t>(op)});
  f.insert(f.end(), sha.begin(), sha.end());
  f.insert(f.end(), spa.begin(), spa.end());
  f.insert(f.end(), tha.begin(), tha.end());
  f.insert(f.end(), tpa.begin(), tpa.end());
  f.resize(60, 0);  // minimum Ethernet frame, as a host sends it
  return f;
}

class ArpResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kChain).ok());
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

TEST_F(ArpResponderTest, AnswersForItsAddressesOutOfTheIngressPort) {
  auto nf = stack_->StartNf("onvm-nf-arp_responder", "arp",
                            {"--ip", "192.0.2.1,192.0.2.2", "--mac", "02:aa:bb:cc:dd:ee"});
  ASSERT_TRUE(nf.ok()) << nf.status();
  const MacAddr ours = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  for (const Ip& asked : {Ip{192, 0, 2, 2}, Ip{192, 0, 2, 1}}) {
    ASSERT_TRUE(in_->Send(Arp(1, kBroadcast, kHost, {192, 0, 2, 100}, kZero, asked)).ok());
    std::optional<Frame> reply = in_->ReceiveOne(seconds(5));
    ASSERT_TRUE(reply.has_value()) << stack_->Logs();
    const Frame want = Arp(2, kHost, ours, asked, kHost, {192, 0, 2, 100});
    EXPECT_EQ(*reply, want) << "want:\n" << HexDump(want) << "got:\n" << HexDump(*reply);
  }
  EXPECT_TRUE(out_->Receive(milliseconds(200)).empty());

  // Not ours, and not ARP: on along the chain (out of `out`), untouched.
  const std::vector<Frame> others = {
      Arp(1, kBroadcast, kHost, {192, 0, 2, 100}, kZero, {192, 0, 2, 9}),
      PacketBuilder().Ipv4("192.0.2.100", "192.0.2.1").Udp(1, 2).Sequence(1).Build(),
  };
  for (const Frame& f : others) {
    ASSERT_TRUE(in_->Send(f).ok());
    std::optional<Frame> got = out_->ReceiveOne(seconds(5));
    ASSERT_TRUE(got.has_value()) << stack_->Logs();
    EXPECT_EQ(*got, f);
  }
  EXPECT_TRUE(in_->Receive(milliseconds(200)).empty());
  EXPECT_TRUE(stack_->WaitMetric("onvm_port_tx_packets_total", {{"port", "in"}}, 2));
}

TEST_F(ArpResponderTest, DefaultMacIsDerivedFromTheAddress) {
  auto nf = stack_->StartNf("onvm-nf-arp_responder", "arp", {"--ip", "10.1.2.3"});
  ASSERT_TRUE(nf.ok()) << nf.status();
  ASSERT_TRUE(in_->Send(Arp(1, kBroadcast, kHost, {10, 1, 2, 200}, kZero, {10, 1, 2, 3})).ok());
  std::optional<Frame> reply = in_->ReceiveOne(seconds(5));
  ASSERT_TRUE(reply.has_value()) << stack_->Logs();
  const Frame want =
      Arp(2, kHost, {0x02, 0x00, 10, 1, 2, 3}, {10, 1, 2, 3}, kHost, {10, 1, 2, 200});
  EXPECT_EQ(*reply, want) << "want:\n" << HexDump(want) << "got:\n" << HexDump(*reply);
}

}  // namespace
}  // namespace onvm::testing
