#include "nat_rewrite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "harness/harness.h"
#include "nat_table.h"
#include "onvm/packet_key.h"

namespace onvm::examples::nat {
namespace {

using ::onvm::testing::CheckFrame;
using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;
using ::testing::HasSubstr;

constexpr uint8_t kExternal[4] = {203, 0, 113, 7};

PacketKey KeyOf(const Frame& f) {
  PacketKey key;
  ParsePacket(f.data(), f.size(), &key);
  return key;
}

ViewResult ViewOf(Frame& f, Ipv4L4* view) {
  const PacketKey key = KeyOf(f);
  return GetIpv4L4(f.data(), f.size(), key, view);
}

TEST(ChecksumTest, IncrementalUpdateEqualsRecomputation) {
  std::mt19937 rng(1);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> data(2 + 2 * (rng() % 32));
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    const uint16_t before = InternetChecksum(data.data(), data.size());
    const size_t word = 2 * (rng() % (data.size() / 2));
    const uint16_t from = Load16(&data[word]);
    // Include the extremes: 0x0000 and 0xffff words.
    const uint16_t to = round % 7 == 0    ? 0
                        : round % 11 == 0 ? 0xffff
                                          : static_cast<uint16_t>(rng());
    Store16(&data[word], to);
    // All-zero data has two valid checksums (0 and 0xffff); real headers
    // never are all zero.
    if (std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; })) continue;
    const uint16_t after = InternetChecksum(data.data(), data.size());
    const uint16_t updated = ChecksumUpdate16(before, from, to);
    // One's complement has two zeros; both verify.
    EXPECT_TRUE(updated == after || (updated ^ after) == 0xffff) << round;
    // The data with the updated checksum sums to zero.
    data.push_back(static_cast<uint8_t>(updated >> 8));
    data.push_back(static_cast<uint8_t>(updated));
    EXPECT_EQ(InternetChecksum(data.data(), data.size()) & 0xffff, 0) << round;
  }
}

TEST(GetIpv4L4Test, WhatTheNatTranslates) {
  Ipv4L4 v;
  Frame tcp = PacketBuilder().Ipv4("10.0.0.1", "192.0.2.1").Tcp(1000, 80).Build();
  ASSERT_EQ(ViewOf(tcp, &v), ViewResult::kOk);
  EXPECT_EQ(v.ip, tcp.data() + 14);
  EXPECT_EQ(v.l4, tcp.data() + 34);
  EXPECT_EQ(v.proto, kIpProtoTcp);
  Frame tagged = PacketBuilder().Vlan(7).Ipv4("10.0.0.1", "192.0.2.1").Udp(1000, 53).Build();
  ASSERT_EQ(ViewOf(tagged, &v), ViewResult::kOk);
  EXPECT_EQ(v.l4, tagged.data() + 38);

  Frame icmp = PacketBuilder().Ipv4("10.0.0.1", "192.0.2.1").IpProto(1).FrameSize(60).Build();
  EXPECT_EQ(ViewOf(icmp, &v), ViewResult::kOther);
  Frame v6 = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Tcp(1, 2).Build();
  EXPECT_EQ(ViewOf(v6, &v), ViewResult::kOther);
  Frame arp = PacketBuilder().EtherType(0x0806).FrameSize(60).Build();
  EXPECT_EQ(ViewOf(arp, &v), ViewResult::kOther);

  Frame frag = tcp;
  frag[14 + 6] = 0x20;  // more fragments
  EXPECT_EQ(ViewOf(frag, &v), ViewResult::kBad);
  Frame later = tcp;
  later[14 + 6] = 0x00;
  later[14 + 7] = 0x10;  // fragment offset 16 * 8
  EXPECT_EQ(ViewOf(later, &v), ViewResult::kBad);
  Frame runt(tcp.begin(), tcp.begin() + 14 + 20 + 10);  // TCP header cut short
  EXPECT_EQ(ViewOf(runt, &v), ViewResult::kBad);
}

TEST(RewriteTest, SourceTcpKeepsChecksumsValid) {
  const Frame original =
      PacketBuilder().Ipv4("10.0.0.1", "192.0.2.1").Tcp(40000, 80).FrameSize(200).Build();
  Frame f = original;
  Ipv4L4 v;
  ASSERT_EQ(ViewOf(f, &v), ViewResult::kOk);
  RewriteSource(v, kExternal, 20001);
  EXPECT_EQ(CheckFrame(f), "");
  const PacketKey key = KeyOf(f);
  EXPECT_EQ(std::vector<uint8_t>(key.src_addr, key.src_addr + 4),
            std::vector<uint8_t>(kExternal, kExternal + 4));
  EXPECT_EQ(key.src_port, 20001);
  EXPECT_EQ(key.dst_port, 80);
  // Back again: byte-identical to the original.
  const uint8_t inside[4] = {10, 0, 0, 1};
  RewriteSource(v, inside, 40000);
  EXPECT_EQ(f, original);
}

TEST(RewriteTest, DestinationUdpKeepsChecksumsValid) {
  std::mt19937 rng(3);
  for (int i = 0; i < 500; ++i) {
    const uint16_t sport = static_cast<uint16_t>(rng());
    const uint16_t dport = static_cast<uint16_t>(rng());
    Frame f = PacketBuilder()
                  .Ipv4("198.51.100.9", "203.0.113.7")
                  .Udp(sport, dport)
                  .Sequence(static_cast<uint32_t>(rng()))
                  .FrameSize(60 + rng() % 200)
                  .Build();
    Ipv4L4 v;
    ASSERT_EQ(ViewOf(f, &v), ViewResult::kOk);
    const uint8_t inside[4] = {static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()),
                               static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng())};
    const uint16_t port = static_cast<uint16_t>(rng());
    RewriteDestination(v, inside, port);
    ASSERT_EQ(CheckFrame(f), "") << i;
    const PacketKey key = KeyOf(f);
    EXPECT_EQ(std::vector<uint8_t>(key.dst_addr, key.dst_addr + 4),
              std::vector<uint8_t>(inside, inside + 4));
    EXPECT_EQ(key.dst_port, port);
    EXPECT_EQ(key.src_port, sport);
    // The UDP checksum is never rewritten to 0 ("no checksum").
    EXPECT_NE(Load16(v.l4 + 6), 0);
  }
}

TEST(RewriteTest, UdpWithoutChecksumStaysWithout) {
  Frame f = PacketBuilder().Ipv4("10.0.0.1", "192.0.2.1").Udp(5353, 53).FrameSize(80).Build();
  Ipv4L4 v;
  ASSERT_EQ(ViewOf(f, &v), ViewResult::kOk);
  Store16(v.l4 + 6, 0);
  RewriteSource(v, kExternal, 30000);
  EXPECT_EQ(Load16(v.l4 + 6), 0);
  // The IPv4 header checksum is still right.
  EXPECT_EQ(InternetChecksum(v.ip, 20), 0);
}

absl::StatusOr<NatConfig> Parse(const std::vector<std::string>& args) { return ParseFlags(args); }

TEST(NatFlagsTest, DefaultsAndValues) {
  auto c = Parse({"--external-ip", "203.0.113.7"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(std::vector<uint8_t>(c->external_ip, c->external_ip + 4),
            std::vector<uint8_t>(kExternal, kExternal + 4));
  EXPECT_EQ(c->inside_port, 0);
  EXPECT_EQ(c->port_lo, 20000);
  EXPECT_EQ(c->port_hi, 59999);
  EXPECT_EQ(c->timeout_s, 60u);
  EXPECT_EQ(c->max_flows, 65536u);
  auto d = Parse({"--external-ip=203.0.113.7", "--inside-port", "1", "--port-range", "1000-1999",
                  "--timeout-s", "5", "--max-flows", "1024"});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->inside_port, 1);
  EXPECT_EQ(d->port_lo, 1000);
  EXPECT_EQ(d->port_hi, 1999);
  EXPECT_EQ(d->timeout_s, 5u);
  EXPECT_EQ(d->max_flows, 1024u);
}

TEST(NatFlagsTest, Errors) {
  auto msg = [](const std::vector<std::string>& args) {
    return std::string(Parse(args).status().message());
  };
  EXPECT_THAT(msg({}), HasSubstr("--external-ip is required"));
  EXPECT_THAT(msg({"--external-ip", "300.1.1.1"}), HasSubstr("--external-ip: '300.1.1.1'"));
  EXPECT_THAT(msg({"--external-ip", "1.1.1.1", "--port-range", "0-10"}),
              HasSubstr("includes port 0"));
  EXPECT_THAT(msg({"--external-ip", "1.1.1.1", "--port-range", "9-8"}),
              HasSubstr("--port-range: '9-8'"));
  EXPECT_THAT(msg({"--external-ip", "1.1.1.1", "--timeout-s", "0"}), HasSubstr("--timeout-s"));
  EXPECT_THAT(msg({"--external-ip", "1.1.1.1", "--inside-port", "256"}),
              HasSubstr("--inside-port"));
  EXPECT_THAT(msg({"--external-ip", "1.1.1.1", "--external-ip", "1.1.1.2"}),
              HasSubstr("--external-ip given twice"));
}

}  // namespace
}  // namespace onvm::examples::nat
