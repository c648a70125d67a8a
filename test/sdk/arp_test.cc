#include "arp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/harness.h"

namespace onvm::examples::arp {
namespace {

using ::onvm::testing::Frame;
using ::onvm::testing::HexDump;
using ::testing::HasSubstr;

const Mac kRequester = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

// An ARP frame (padded to 60 bytes) with optional VLAN tag.
Frame Arp(uint16_t op, const Mac& sha, const Ipv4& spa, const Mac& tha, const Ipv4& tpa,
          const Mac& eth_dst, bool vlan = false) {
  Frame f;
  f.insert(f.end(), eth_dst.begin(), eth_dst.end());
  f.insert(f.end(), sha.begin(), sha.end());
  if (vlan) f.insert(f.end(), {0x81, 0x00, 0x00, 0x64});
  f.insert(f.end(), {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, static_cast<uint8_t>(op)});
  f.insert(f.end(), sha.begin(), sha.end());
  f.insert(f.end(), spa.begin(), spa.end());
  f.insert(f.end(), tha.begin(), tha.end());
  f.insert(f.end(), tpa.begin(), tpa.end());
  f.resize(std::max<size_t>(f.size(), 60), 0);
  return f;
}

const Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const Mac kZero = {};

Config MakeConfig(const std::vector<std::string>& args) {
  auto c = ParseFlags(args);
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

TEST(ArpTest, RequestBecomesReplyInPlace) {
  const Mac ours = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  const Responder r(MakeConfig({"--ip", "192.0.2.1,192.0.2.2", "--mac", "02:aa:bb:cc:dd:ee"}));
  Frame f = Arp(1, kRequester, {192, 0, 2, 100}, kZero, {192, 0, 2, 2}, kBroadcast);
  ASSERT_TRUE(r.Reply(f.data(), f.size()));
  const Frame want = Arp(2, ours, {192, 0, 2, 2}, kRequester, {192, 0, 2, 100}, kRequester);
  EXPECT_EQ(f, want) << HexDump(f) << HexDump(want);
}

TEST(ArpTest, VlanTagIsKept) {
  const Responder r(MakeConfig({"--ip", "10.0.0.1"}));
  Frame f = Arp(1, kRequester, {10, 0, 0, 9}, kZero, {10, 0, 0, 1}, kBroadcast, /*vlan=*/true);
  ASSERT_TRUE(r.Reply(f.data(), f.size()));
  const Mac ours = DefaultMac({10, 0, 0, 1});
  const Frame want =
      Arp(2, ours, {10, 0, 0, 1}, kRequester, {10, 0, 0, 9}, kRequester, /*vlan=*/true);
  EXPECT_EQ(f, want) << HexDump(f) << HexDump(want);
}

TEST(ArpTest, DefaultMacIsLocallyAdministeredAndPerAddress) {
  EXPECT_EQ(DefaultMac({192, 0, 2, 1}), (Mac{0x02, 0x00, 192, 0, 2, 1}));
  const Responder r(MakeConfig({"--ip", "192.0.2.1", "--ip", "192.0.2.7"}));
  const uint8_t a[4] = {192, 0, 2, 7};
  ASSERT_NE(r.Lookup(a), nullptr);
  EXPECT_EQ(*r.Lookup(a), (Mac{0x02, 0x00, 192, 0, 2, 7}));
  const uint8_t b[4] = {192, 0, 2, 8};
  EXPECT_EQ(r.Lookup(b), nullptr);
}

TEST(ArpTest, LeavesEverythingElseAlone) {
  const Responder r(MakeConfig({"--ip", "192.0.2.1"}));
  std::vector<Frame> frames = {
      // For an address that is not ours.
      Arp(1, kRequester, {192, 0, 2, 100}, kZero, {192, 0, 2, 3}, kBroadcast),
      // A reply, not a request.
      Arp(2, kRequester, {192, 0, 2, 100}, kZero, {192, 0, 2, 1}, kBroadcast),
      // A gratuitous announcement of our own address.
      Arp(1, kRequester, {192, 0, 2, 1}, kZero, {192, 0, 2, 1}, kBroadcast),
      // IPv4, not ARP.
      onvm::testing::PacketBuilder().Ipv4("192.0.2.100", "192.0.2.1").Udp(1, 2).Build(),
  };
  Frame not_ethernet = Arp(1, kRequester, {192, 0, 2, 100}, kZero, {192, 0, 2, 1}, kBroadcast);
  not_ethernet[15] = 6;  // htype IEEE 802
  frames.push_back(not_ethernet);
  for (size_t i = 0; i < frames.size(); ++i) {
    Frame f = frames[i];
    EXPECT_FALSE(r.Reply(f.data(), f.size())) << i;
    EXPECT_EQ(f, frames[i]) << i;
  }
  // Cut short anywhere: no reply, no read past the end.
  const Frame full = Arp(1, kRequester, {192, 0, 2, 100}, kZero, {192, 0, 2, 1}, kBroadcast);
  for (size_t len = 0; len < 42; ++len) {
    Frame f(full.begin(), full.begin() + static_cast<long>(len));
    EXPECT_FALSE(r.Reply(f.data(), f.size())) << len;
  }
  Frame exact(full.begin(), full.begin() + 42);
  EXPECT_TRUE(r.Reply(exact.data(), exact.size()));
}

TEST(ArpFlagsTest, Errors) {
  auto msg = [](const std::vector<std::string>& args) {
    return std::string(ParseFlags(args).status().message());
  };
  EXPECT_THAT(msg({}), HasSubstr("--ip is required"));
  EXPECT_THAT(msg({"--ip", "192.0.2.1,300.0.0.1"}), HasSubstr("--ip: '300.0.0.1'"));
  EXPECT_THAT(msg({"--ip", "192.0.2.1,192.0.2.1"}), HasSubstr("given twice"));
  EXPECT_THAT(msg({"--ip", "192.0.2.1", "--mac", "02:00:00:00:00"}), HasSubstr("--mac: '"));
  EXPECT_THAT(msg({"--ip", "192.0.2.1", "--mac", "01:00:5e:00:00:01"}), HasSubstr("multicast"));
  EXPECT_EQ(ParseMac("--mac", "02-AA-bb-cc-dd-ee").value_or(Mac{}),
            (Mac{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}));
}

}  // namespace
}  // namespace onvm::examples::arp
