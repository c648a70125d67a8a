#include "onvm/packet_key.h"

#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "harness/packets.h"

namespace onvm {
namespace {

using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;

PacketKey Parse(const Frame& f) {
  // An exact-size heap copy, so that a read past the end is caught by ASan.
  std::vector<uint8_t> copy(f);
  PacketKey key;
  key.malformed = true;  // ParsePacket must reset every field
  key.src_port = 999;
  ParsePacket(copy.data(), copy.size(), &key);
  return key;
}

Frame Cut(Frame f, size_t len) {
  f.resize(len);
  return f;
}

// Ethernet + a 20-byte IPv4 header announcing `proto`, nothing after it.
Frame Ipv4HeaderOnly(uint8_t proto) {
  Frame f = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").IpProto(253).Build();
  f[23] = proto;
  return f;
}

// An IPv6 frame whose next header is `first_nh`, followed by `exts` (raw
// extension header bytes) and then an 8-byte UDP header with ports 1111/2222.
Frame Ipv6WithExtensions(uint8_t first_nh, const std::vector<uint8_t>& exts) {
  Frame f = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").IpProto(first_nh).Build();
  f.insert(f.end(), exts.begin(), exts.end());
  const uint8_t udp[8] = {0x04, 0x57, 0x08, 0xae, 0, 8, 0, 0};
  f.insert(f.end(), udp, udp + 8);
  const size_t payload = f.size() - 54;
  f[18] = static_cast<uint8_t>(payload >> 8);
  f[19] = static_cast<uint8_t>(payload & 0xff);
  return f;
}

// An extension header of 8 bytes: next header, length 0, 6 bytes padding.
std::vector<uint8_t> Ext8(uint8_t next) { return {next, 0, 1, 4, 0, 0, 0, 0}; }

TEST(ParsePacketTest, Runts) {
  for (size_t len : {0, 1, 13}) {
    Frame f(len, 0);
    PacketKey key = Parse(f);
    EXPECT_TRUE(key.malformed) << len;
    EXPECT_EQ(key.eth_type, 0) << len;
    EXPECT_EQ(key.ip_version, 0) << len;
  }
  // A bare Ethernet header is fine for a non-IP type...
  Frame arp = PacketBuilder().EtherType(kEtherTypeArp).Build();
  ASSERT_EQ(arp.size(), 14u);
  PacketKey key = Parse(arp);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.eth_type, kEtherTypeArp);
  EXPECT_EQ(key.l3_offset, 14);
  // ...but not when it announces IPv4 or IPv6.
  for (uint16_t type : {kEtherTypeIpv4, kEtherTypeIpv6}) {
    Frame f = PacketBuilder().EtherType(type).Build();
    f.resize(14);
    key = Parse(f);
    EXPECT_TRUE(key.malformed);
    EXPECT_EQ(key.eth_type, type);
    EXPECT_EQ(key.ip_version, 0);
  }
}

TEST(ParsePacketTest, Ipv4Udp) {
  const Frame f = PacketBuilder().Ipv4("10.1.2.3", "192.0.2.200").Udp(5353, 53).Build();
  const PacketKey key = Parse(f);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.eth_type, kEtherTypeIpv4);
  EXPECT_FALSE(key.has_vlan);
  EXPECT_EQ(key.ip_version, 4);
  EXPECT_EQ(key.ip_proto, kIpProtoUdp);
  EXPECT_TRUE(key.has_l4_ports);
  EXPECT_EQ(key.src_port, 5353);
  EXPECT_EQ(key.dst_port, 53);
  const uint8_t src[4] = {10, 1, 2, 3};
  const uint8_t dst[4] = {192, 0, 2, 200};
  EXPECT_EQ(std::memcmp(key.src_addr, src, 4), 0);
  EXPECT_EQ(std::memcmp(key.dst_addr, dst, 4), 0);
  EXPECT_EQ(key.src_addr[4], 0);
  EXPECT_EQ(key.l3_offset, 14);
  EXPECT_EQ(key.l4_offset, 34);
}

TEST(ParsePacketTest, Ipv4TruncatedHeader) {
  const Frame f = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  for (size_t len = 14; len < 34; ++len) {
    const PacketKey key = Parse(Cut(f, len));
    EXPECT_TRUE(key.malformed) << len;
    EXPECT_EQ(key.ip_version, 0) << len;
    EXPECT_EQ(key.eth_type, kEtherTypeIpv4);
  }
}

TEST(ParsePacketTest, Ipv4BadIhlAndVersion) {
  const Frame good = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  for (uint8_t first : {0x40, 0x44, 0x45 + 0x10 /* version 5 */, 0x65}) {
    Frame f = good;
    f[14] = first;
    const PacketKey key = Parse(f);
    EXPECT_TRUE(key.malformed) << std::hex << int{first};
    EXPECT_EQ(key.ip_version, 0);
    EXPECT_FALSE(key.has_l4_ports);
  }
  // IHL of 15 words (60 bytes) in a frame that has only 28 bytes of IP.
  Frame f = good;
  f[14] = 0x4f;
  EXPECT_TRUE(Parse(f).malformed);
}

TEST(ParsePacketTest, Ipv4Options) {
  // IHL 6: four bytes of options (NOPs) before the UDP header.
  Frame f = Ipv4HeaderOnly(kIpProtoUdp);
  f[14] = 0x46;
  const uint8_t rest[] = {1, 1, 1, 1, 0x00, 0x07, 0x00, 0x09, 0, 8, 0, 0};
  f.insert(f.end(), rest, rest + sizeof(rest));
  const PacketKey key = Parse(f);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.l4_offset, 38);
  EXPECT_EQ(key.src_port, 7);
  EXPECT_EQ(key.dst_port, 9);
}

TEST(ParsePacketTest, TruncatedL4) {
  for (uint8_t proto : {kIpProtoTcp, kIpProtoUdp, kIpProtoSctp}) {
    Frame f = Ipv4HeaderOnly(proto);
    const uint8_t ports[] = {0x12, 0x34, 0x56, 0x78};
    f.insert(f.end(), ports, ports + 4);
    // Only the ports are needed: 4 bytes of L4 are enough.
    PacketKey key = Parse(f);
    EXPECT_FALSE(key.malformed);
    EXPECT_TRUE(key.has_l4_ports);
    EXPECT_EQ(key.src_port, 0x1234);
    EXPECT_EQ(key.dst_port, 0x5678);
    for (size_t cut = 1; cut <= 4; ++cut) {
      key = Parse(Cut(f, f.size() - cut));
      EXPECT_TRUE(key.malformed) << int{proto} << " cut " << cut;
      EXPECT_FALSE(key.has_l4_ports);
      EXPECT_EQ(key.ip_version, 4);  // parsed before the fault
      EXPECT_EQ(key.ip_proto, proto);
      EXPECT_EQ(key.src_port, 0);
    }
  }
}

TEST(ParsePacketTest, IcmpHasNoPorts) {
  const Frame f =
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").IpProto(kIpProtoIcmp).FrameSize(64).Build();
  const PacketKey key = Parse(f);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.ip_proto, kIpProtoIcmp);
  EXPECT_FALSE(key.has_l4_ports);
  EXPECT_EQ(key.l4_offset, 34);
}

TEST(ParsePacketTest, Ipv4Fragments) {
  Frame first = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  first[20] = 0x20;  // MF set, offset 0: the first fragment has the ports
  PacketKey key = Parse(first);
  EXPECT_FALSE(key.malformed);
  EXPECT_TRUE(key.has_l4_ports);
  EXPECT_EQ(key.dst_port, 2);

  Frame later = first;
  later[20] = 0x00;
  later[21] = 0x10;  // offset 16 bytes, last fragment
  key = Parse(later);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.ip_version, 4);
  EXPECT_EQ(key.ip_proto, kIpProtoUdp);
  EXPECT_FALSE(key.has_l4_ports);

  // A non-first fragment needs no L4 bytes at all.
  later.resize(34);
  EXPECT_FALSE(Parse(later).malformed);
}

TEST(ParsePacketTest, Vlan) {
  const Frame f = PacketBuilder().Vlan(0xabc, 7).Ipv4("10.0.0.1", "10.0.0.2").Tcp(80, 8080).Build();
  const PacketKey key = Parse(f);
  EXPECT_FALSE(key.malformed);
  EXPECT_TRUE(key.has_vlan);
  EXPECT_EQ(key.vlan_id, 0xabc);  // PCP bits masked off
  EXPECT_EQ(key.eth_type, kEtherTypeIpv4);
  EXPECT_EQ(key.l3_offset, 18);
  EXPECT_EQ(key.l4_offset, 38);
  EXPECT_EQ(key.src_port, 80);
}

TEST(ParsePacketTest, QinQUsesOuterTag) {
  for (uint16_t outer_tpid : {kEtherTypeQinQ, kEtherTypeVlan}) {
    const Frame f = PacketBuilder()
                        .Vlan(10, 0, outer_tpid)
                        .Vlan(20)
                        .Ipv6("2001:db8::1", "2001:db8::2")
                        .Udp(1, 2)
                        .Build();
    const PacketKey key = Parse(f);
    EXPECT_FALSE(key.malformed);
    EXPECT_TRUE(key.has_vlan);
    EXPECT_EQ(key.vlan_id, 10);
    EXPECT_EQ(key.eth_type, kEtherTypeIpv6);
    EXPECT_EQ(key.l3_offset, 22);
    EXPECT_EQ(key.ip_version, 6);
  }
}

TEST(ParsePacketTest, ThirdTagIsNotFollowed) {
  const Frame f = PacketBuilder()
                      .Vlan(1, 0, kEtherTypeQinQ)
                      .Vlan(2)
                      .Vlan(3)
                      .Ipv4("10.0.0.1", "10.0.0.2")
                      .Build();
  const PacketKey key = Parse(f);
  EXPECT_EQ(key.vlan_id, 1);
  EXPECT_EQ(key.eth_type, kEtherTypeVlan);
  EXPECT_EQ(key.ip_version, 0);
  EXPECT_EQ(key.l3_offset, 22);
}

TEST(ParsePacketTest, TruncatedVlanTag) {
  const Frame f = PacketBuilder().Vlan(5).Ipv4("10.0.0.1", "10.0.0.2").Build();
  for (size_t len : {14, 15, 16, 17}) {
    const PacketKey key = Parse(Cut(f, len));
    EXPECT_TRUE(key.malformed) << len;
    EXPECT_EQ(key.eth_type, kEtherTypeVlan) << len;
  }
  // The tag and the inner type are there; the IPv4 header is not.
  const PacketKey key = Parse(Cut(f, 18));
  EXPECT_TRUE(key.malformed);
  EXPECT_TRUE(key.has_vlan);
  EXPECT_EQ(key.vlan_id, 5);
  EXPECT_EQ(key.eth_type, kEtherTypeIpv4);
  // QinQ cut inside the inner tag.
  const Frame qinq =
      PacketBuilder().Vlan(5, 0, kEtherTypeQinQ).Vlan(6).Ipv4("10.0.0.1", "10.0.0.2").Build();
  EXPECT_TRUE(Parse(Cut(qinq, 20)).malformed);
}

TEST(ParsePacketTest, Ipv6Tcp) {
  const Frame f = PacketBuilder().Ipv6("2001:db8::1", "2001:db8:ffff::2").Tcp(40000, 443).Build();
  const PacketKey key = Parse(f);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.ip_version, 6);
  EXPECT_EQ(key.ip_proto, kIpProtoTcp);
  EXPECT_EQ(key.src_port, 40000);
  EXPECT_EQ(key.dst_port, 443);
  EXPECT_EQ(key.l4_offset, 54);
  EXPECT_EQ(key.src_addr[0], 0x20);
  EXPECT_EQ(key.src_addr[15], 0x01);
  EXPECT_EQ(key.dst_addr[5], 0xff);
  EXPECT_EQ(key.dst_addr[15], 0x02);
}

TEST(ParsePacketTest, Ipv6TruncatedAndBadVersion) {
  const Frame f = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).Build();
  for (size_t len = 14; len < 54; ++len) {
    const PacketKey key = Parse(Cut(f, len));
    EXPECT_TRUE(key.malformed) << len;
    EXPECT_EQ(key.ip_version, 0) << len;
  }
  Frame v4 = f;
  v4[14] = 0x45;
  EXPECT_TRUE(Parse(v4).malformed);
  EXPECT_EQ(Parse(v4).ip_version, 0);
  // UDP header cut short.
  EXPECT_TRUE(Parse(Cut(f, 57)).malformed);
  EXPECT_FALSE(Parse(Cut(f, 58)).malformed);
}

TEST(ParsePacketTest, Ipv6ExtensionHeaders) {
  // Hop-by-hop (8 bytes) -> routing (16 bytes) -> destination options (8) -> UDP.
  std::vector<uint8_t> exts = Ext8(43);
  const std::vector<uint8_t> routing = {60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  exts.insert(exts.end(), routing.begin(), routing.end());
  const std::vector<uint8_t> dst = Ext8(kIpProtoUdp);
  exts.insert(exts.end(), dst.begin(), dst.end());
  const Frame f = Ipv6WithExtensions(0, exts);
  const PacketKey key = Parse(f);
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.ip_proto, kIpProtoUdp);
  EXPECT_TRUE(key.has_l4_ports);
  EXPECT_EQ(key.src_port, 1111);
  EXPECT_EQ(key.dst_port, 2222);
  EXPECT_EQ(key.l4_offset, 54 + 32);
}

TEST(ParsePacketTest, Ipv6TruncatedExtensionHeader) {
  const Frame f = Ipv6WithExtensions(0, Ext8(kIpProtoUdp));
  for (size_t len = 54; len < 62; ++len) {
    const PacketKey key = Parse(Cut(f, len));
    EXPECT_TRUE(key.malformed) << len;
    EXPECT_EQ(key.ip_version, 6);
    EXPECT_FALSE(key.has_l4_ports);
  }
  // An extension header whose length runs past the end of the frame.
  Frame long_ext = Ipv6WithExtensions(60, Ext8(kIpProtoUdp));
  long_ext[55] = 10;  // (10 + 1) * 8 = 88 bytes
  const PacketKey key = Parse(long_ext);
  EXPECT_TRUE(key.malformed);
  EXPECT_FALSE(key.has_l4_ports);
}

TEST(ParsePacketTest, Ipv6ExtensionChainIsBounded) {
  // Nine hop-by-hop headers: the walk stops after eight and does not look
  // for ports.
  std::vector<uint8_t> exts;
  for (int i = 0; i < 9; ++i) {
    const std::vector<uint8_t> e = Ext8(i < 8 ? 0 : kIpProtoUdp);
    exts.insert(exts.end(), e.begin(), e.end());
  }
  const PacketKey key = Parse(Ipv6WithExtensions(0, exts));
  EXPECT_EQ(key.ip_version, 6);
  EXPECT_FALSE(key.has_l4_ports);
}

TEST(ParsePacketTest, Ipv6Fragments) {
  // First fragment (offset 0, M set): the UDP ports follow the fragment header.
  const std::vector<uint8_t> first_frag = {kIpProtoUdp, 0, 0x00, 0x01, 0, 0, 0, 42};
  PacketKey key = Parse(Ipv6WithExtensions(44, first_frag));
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.ip_proto, kIpProtoUdp);
  EXPECT_TRUE(key.has_l4_ports);
  EXPECT_EQ(key.dst_port, 2222);
  EXPECT_EQ(key.l4_offset, 62);

  // A later fragment (offset 185 * 8): protocol known, no ports.
  const std::vector<uint8_t> later_frag = {kIpProtoUdp, 0, 0x05, 0xc8, 0, 0, 0, 42};
  key = Parse(Ipv6WithExtensions(44, later_frag));
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.ip_proto, kIpProtoUdp);
  EXPECT_FALSE(key.has_l4_ports);

  // Hop-by-hop, then the fragment header.
  std::vector<uint8_t> exts = Ext8(44);
  exts.insert(exts.end(), first_frag.begin(), first_frag.end());
  key = Parse(Ipv6WithExtensions(0, exts));
  EXPECT_FALSE(key.malformed);
  EXPECT_EQ(key.src_port, 1111);

  // Fragment header cut short.
  const Frame f = Ipv6WithExtensions(44, first_frag);
  key = Parse(Cut(f, 58));
  EXPECT_TRUE(key.malformed);
  EXPECT_EQ(key.ip_proto, 44);
}

TEST(ParsePacketTest, NeverReadsOutOfBounds) {
  // Every prefix of a range of valid frames, plus random bytes; run under
  // ASan to catch an out-of-bounds read. The invariants hold regardless.
  std::vector<Frame> frames = ::onvm::testing::GenerateTraffic(64, 5);
  frames.push_back(Ipv6WithExtensions(0, Ext8(kIpProtoUdp)));
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    Frame f(rng() % 128);
    for (auto& b : f) b = static_cast<uint8_t>(rng());
    if (f.size() > 14 && i % 2 == 0) {
      f[12] = i % 4 == 0 ? 0x86 : 0x08;  // IPv6 or IPv4
      f[13] = i % 4 == 0 ? 0xdd : 0x00;
      f[14] = static_cast<uint8_t>((i % 4 == 0 ? 0x60 : 0x40) | (f[14] & 0x0f));
    }
    frames.push_back(std::move(f));
  }
  for (const Frame& whole : frames) {
    for (size_t len = 0; len <= std::min<size_t>(whole.size(), 128); ++len) {
      const PacketKey key = Parse(Cut(whole, len));
      if (key.has_l4_ports) {
        ASSERT_LE(size_t{key.l4_offset} + 4, len);
        ASSERT_NE(key.ip_version, 0);
      }
      if (key.ip_version != 0) {
        ASSERT_LE(key.l3_offset, len);
      }
    }
  }
}

}  // namespace
}  // namespace onvm
