// onvm/packet.hpp: typed header access with bounds checks, and 5-tuples.
#include "onvm/packet.hpp"

#include <gtest/gtest.h>
#include <rte_byteorder.h>

#include <vector>

#include "harness/packets.h"

namespace onvm {
namespace {

using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;

PacketView View(Frame& f) { return PacketView(f.data(), static_cast<uint32_t>(f.size())); }

TEST(PacketView, Ipv4Tcp) {
  Frame f =
      PacketBuilder().Ipv4("10.1.2.3", "192.0.2.9").Tcp(40000, 443).Payload({1, 2, 3}).Build();
  PacketView v = View(f);
  EXPECT_FALSE(v.malformed());
  ASSERT_NE(v.ether(), nullptr);
  EXPECT_EQ(rte_be_to_cpu_16(v.ether()->ether_type), RTE_ETHER_TYPE_IPV4);
  EXPECT_EQ(v.vlan(), nullptr);
  ASSERT_NE(v.ipv4(), nullptr);
  EXPECT_EQ(v.ipv4()->next_proto_id, IPPROTO_TCP);
  EXPECT_EQ(v.ipv6(), nullptr);
  ASSERT_NE(v.tcp(), nullptr);
  EXPECT_EQ(rte_be_to_cpu_16(v.tcp()->dst_port), 443);
  EXPECT_EQ(v.udp(), nullptr);
  EXPECT_EQ(v.icmp(), nullptr);
  ASSERT_NE(v.l4_payload(), nullptr);
  EXPECT_GE(v.l4_payload_length(), 3u);
  EXPECT_EQ(v.l4_payload()[0], 1);
  EXPECT_EQ(v.l4_payload() - f.data(), 14 + 20 + 20);

  std::optional<FiveTuple> t = v.five_tuple();
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->ip_version, 4);
  EXPECT_EQ(t->proto, 6);
  EXPECT_EQ(t->src_port, 40000);
  EXPECT_EQ(t->dst_port, 443);
  EXPECT_EQ(t->src[0], 10);
  EXPECT_EQ(t->src[3], 3);
  EXPECT_EQ(t->dst[0], 192);
  EXPECT_EQ(t->src[4], 0);
}

TEST(PacketView, VlanIpv6UdpAndTheReverseFlow) {
  Frame f = PacketBuilder().Vlan(42).Ipv6("2001:db8::1", "2001:db8::2").Udp(53, 5353).Build();
  PacketView v = View(f);
  ASSERT_NE(v.vlan(), nullptr);
  EXPECT_EQ(rte_be_to_cpu_16(v.vlan()->vlan_tci) & 0xfff, 42);
  EXPECT_EQ(v.key().vlan_id, 42);
  EXPECT_EQ(v.ipv4(), nullptr);
  ASSERT_NE(v.ipv6(), nullptr);
  ASSERT_NE(v.udp(), nullptr);
  EXPECT_EQ(rte_be_to_cpu_16(v.udp()->src_port), 53);
  EXPECT_EQ(v.l4_payload() - f.data(), 18 + 40 + 8);

  Frame back = PacketBuilder().Vlan(42).Ipv6("2001:db8::2", "2001:db8::1").Udp(5353, 53).Build();
  std::optional<FiveTuple> a = v.five_tuple();
  std::optional<FiveTuple> b = View(back).five_tuple();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->ip_version, 6);
  EXPECT_EQ(a->src[15], 1);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->Reversed(), *b);
  EXPECT_EQ(a->Reversed().Hash(), b->Hash());
  EXPECT_NE(a->Hash(), b->Hash());
}

TEST(PacketView, IcmpHasNoPorts) {
  Frame f = PacketBuilder()
                .Ipv4("10.0.0.1", "10.0.0.2")
                .IpProto(1)
                .Payload(std::vector<uint8_t>{8, 0, 0, 0, 0, 1, 0, 1})
                .Build();
  PacketView v = View(f);
  ASSERT_NE(v.icmp(), nullptr);
  EXPECT_EQ(v.icmp()->icmp_type, RTE_IP_ICMP_ECHO_REQUEST);
  EXPECT_EQ(v.tcp(), nullptr);
  EXPECT_EQ(v.udp(), nullptr);
  std::optional<FiveTuple> t = v.five_tuple();
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->proto, 1);
  EXPECT_EQ(t->src_port, 0);
  EXPECT_EQ(t->dst_port, 0);

  Frame f6 =
      PacketBuilder().Ipv6("::1", "::2").IpProto(58).Payload({128, 0, 0, 0, 0, 0, 0, 0}).Build();
  ASSERT_NE(View(f6).icmp(), nullptr);
  EXPECT_EQ(View(f6).icmp()->icmp_type, 128);
}

TEST(PacketView, NonIpFrames) {
  Frame arp = PacketBuilder().EtherType(0x0806).Payload(std::vector<uint8_t>(28, 0)).Build();
  PacketView v = View(arp);
  EXPECT_NE(v.ether(), nullptr);
  EXPECT_EQ(v.ipv4(), nullptr);
  EXPECT_EQ(v.ipv6(), nullptr);
  EXPECT_EQ(v.tcp(), nullptr);
  EXPECT_EQ(v.l4_payload(), nullptr);
  EXPECT_EQ(v.l4_payload_length(), 0u);
  EXPECT_FALSE(v.five_tuple().has_value());
}

// Every truncation of a valid frame: no accessor points past the end, and
// a header is either whole or absent.
TEST(PacketView, NeverPointsOutsideTheBytes) {
  const Frame frames[] = {
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1, 2).Build(),
      PacketBuilder().Vlan(7).Vlan(8).Ipv6("::1", "::2").Udp(3, 4).Build(),
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").IpProto(1).Payload({8, 0, 0, 0}).Build(),
  };
  for (const Frame& full : frames) {
    for (size_t len = 0; len <= full.size(); ++len) {
      Frame f(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
      PacketView v(f.data(), static_cast<uint32_t>(len));
      const uint8_t* end = f.data() + len;
      auto inside = [&](const void* h, size_t size) {
        return h == nullptr || static_cast<const uint8_t*>(h) + size <= end;
      };
      EXPECT_TRUE(inside(v.ether(), sizeof(rte_ether_hdr))) << len;
      EXPECT_TRUE(inside(v.vlan(), sizeof(rte_vlan_hdr))) << len;
      EXPECT_TRUE(inside(v.ipv4(), sizeof(rte_ipv4_hdr))) << len;
      EXPECT_TRUE(inside(v.ipv6(), sizeof(rte_ipv6_hdr))) << len;
      EXPECT_TRUE(inside(v.tcp(), sizeof(rte_tcp_hdr))) << len;
      EXPECT_TRUE(inside(v.udp(), sizeof(rte_udp_hdr))) << len;
      EXPECT_TRUE(inside(v.icmp(), sizeof(rte_icmp_hdr))) << len;
      if (v.l4_payload() != nullptr) {
        EXPECT_EQ(v.l4_payload() + v.l4_payload_length(), end);
      }
    }
    PacketView whole(const_cast<uint8_t*>(full.data()), static_cast<uint32_t>(full.size()));
    EXPECT_TRUE(whole.five_tuple().has_value());
  }
}

TEST(PacketView, TcpDataOffsetBeyondThePacketIsNoHeader) {
  Frame f = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1, 2).Build();
  f.resize(14 + 20 + 20);  // no payload, no padding
  f[14 + 20 + 12] = 0xf0;  // data offset 60 bytes
  EXPECT_EQ(View(f).tcp(), nullptr);
  f[14 + 20 + 12] = 0x40;  // 16 bytes: shorter than the fixed header
  EXPECT_EQ(View(f).tcp(), nullptr);
  f[14 + 20 + 12] = 0x50;
  EXPECT_NE(View(f).tcp(), nullptr);
}

TEST(PacketView, NonFirstFragmentHasNoL4Header) {
  Frame f = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  f[14 + 6] = 0x00;
  f[14 + 7] = 0x10;  // fragment offset 16 * 8 bytes
  PacketView v = View(f);
  EXPECT_NE(v.ipv4(), nullptr);
  EXPECT_EQ(v.udp(), nullptr);
  ASSERT_TRUE(v.five_tuple().has_value());
  EXPECT_EQ(v.five_tuple()->src_port, 0);
}

}  // namespace
}  // namespace onvm
