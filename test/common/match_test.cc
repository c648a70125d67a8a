#include "onvm/match.h"

#include <initializer_list>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/packets.h"

namespace onvm {
namespace {

using ::onvm::testing::PacketBuilder;
using ::testing::HasSubstr;

PacketKey Key(const ::onvm::testing::Frame& f) {
  PacketKey key;
  ParsePacket(f.data(), f.size(), &key);
  return key;
}

PacketKey V4(const std::string& src, const std::string& dst, uint16_t sport = 1000,
             uint16_t dport = 80, bool tcp = true) {
  PacketBuilder b;
  b.Ipv4(src, dst);
  if (tcp) {
    b.Tcp(sport, dport);
  } else {
    b.Udp(sport, dport);
  }
  return Key(b.Build());
}

PacketKey V6(const std::string& src, const std::string& dst, uint16_t sport = 1000,
             uint16_t dport = 80) {
  return Key(PacketBuilder().Ipv6(src, dst).Tcp(sport, dport).Build());
}

PacketKey Arp() { return Key(PacketBuilder().EtherType(kEtherTypeArp).FrameSize(60).Build()); }

// Compiles a match given as (field setter) and expects success.
CompiledMatch Compile(const v1::Match& m) {
  absl::StatusOr<CompiledMatch> c = CompileMatch(m, "spec.match");
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : CompiledMatch{};
}

// Expects INVALID_ARGUMENT naming `field` ("spec.match.<field>").
void ExpectInvalid(const v1::Match& m, const std::string& field) {
  absl::StatusOr<CompiledMatch> c = CompileMatch(m, "spec.match");
  ASSERT_FALSE(c.ok()) << m.ShortDebugString();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("spec.match." + field))
      << m.ShortDebugString();
}

v1::Match SrcPrefix(const std::string& p) {
  v1::Match m;
  m.set_src_prefix(p);
  return m;
}

v1::Match DstPrefix(const std::string& p) {
  v1::Match m;
  m.set_dst_prefix(p);
  return m;
}

TEST(CompileMatchTest, EmptyMatchesEverything) {
  const CompiledMatch c = Compile(v1::Match());
  EXPECT_TRUE(c.in_port.empty());
  EXPECT_EQ(c.eth_type, -1);
  EXPECT_EQ(c.vlan_id, -1);
  EXPECT_EQ(c.ip_proto, -1);
  EXPECT_TRUE(c.src_ports.any());
  EXPECT_TRUE(MatchesHeaders(c, V4("10.0.0.1", "10.0.0.2")));
  EXPECT_TRUE(MatchesHeaders(c, V6("2001:db8::1", "2001:db8::2")));
  EXPECT_TRUE(MatchesHeaders(c, Arp()));
  EXPECT_TRUE(MatchesHeaders(c, PacketKey{}));
}

TEST(CompileMatchTest, InPort) {
  v1::Match m;
  m.set_in_port("wan");
  EXPECT_EQ(Compile(m).in_port, "wan");
  for (const char* bad : {"WAN", "-wan", "wan-", "w_an", "wan.0"}) {
    m.set_in_port(bad);
    ExpectInvalid(m, "inPort");
  }
}

TEST(CompileMatchTest, EthType) {
  struct Case {
    const char* text;
    int32_t want;
  };
  for (const Case& c :
       {Case{"ipv4", 0x0800}, Case{"IPv6", 0x86dd}, Case{"arp", 0x0806}, Case{"0x0800", 0x0800},
        Case{"0X86dd", 0x86dd}, Case{"2048", 0x0800}, Case{"0xffff", 0xffff}}) {
    v1::Match m;
    m.set_eth_type(c.text);
    EXPECT_EQ(Compile(m).eth_type, c.want) << c.text;
  }
  for (const char* bad : {"ip", "0x10000", "65536", "-1", "0x", "0xg1", "08 00"}) {
    v1::Match m;
    m.set_eth_type(bad);
    ExpectInvalid(m, "ethType");
  }
  v1::Match m;
  m.set_eth_type("arp");
  const CompiledMatch arp = Compile(m);
  EXPECT_TRUE(MatchesHeaders(arp, Arp()));
  EXPECT_FALSE(MatchesHeaders(arp, V4("10.0.0.1", "10.0.0.2")));
  m.set_eth_type("ipv4");
  const CompiledMatch ipv4 = Compile(m);
  EXPECT_TRUE(MatchesHeaders(ipv4, V4("10.0.0.1", "10.0.0.2")));
  // The type after the VLAN tag is what counts.
  EXPECT_TRUE(MatchesHeaders(
      ipv4, Key(PacketBuilder().Vlan(5).Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build())));
  EXPECT_FALSE(MatchesHeaders(ipv4, V6("2001:db8::1", "2001:db8::2")));
}

// The key's eth_type is the type after the tags, so a VLAN tag type could
// never match; it is refused with a pointer to vlanId.
TEST(CompileMatchTest, EthTypeVlanIsRefused) {
  for (const char* tag : {"vlan", "0x8100", "0x88a8", "33024"}) {
    v1::Match m;
    m.set_eth_type(tag);
    ExpectInvalid(m, "ethType");
  }
}

// Numbers in prefix lengths and ports are decimal, and hex numbers have
// nothing but hex digits after "0x".
TEST(CompileMatchTest, NumbersAreStrict) {
  ExpectInvalid(SrcPrefix("10.0.0.0/0x8"), "srcPrefix");
  v1::Match m;
  m.set_ip_proto("tcp");
  m.set_dst_ports("0x50");
  ExpectInvalid(m, "dstPorts");
  for (const char* bad : {"0x 800", "0x800 ", "0x+800", "0x0x800"}) {
    v1::Match e;
    e.set_eth_type(bad);
    ExpectInvalid(e, "ethType");
  }
}

TEST(CompileMatchTest, VlanId) {
  v1::Match m;
  m.set_vlan_id(0);
  EXPECT_EQ(Compile(m).vlan_id, 0);
  m.set_vlan_id(4095);
  const CompiledMatch c = Compile(m);
  EXPECT_EQ(c.vlan_id, 4095);
  m.set_vlan_id(4096);
  ExpectInvalid(m, "vlanId");

  m.set_vlan_id(42);
  const CompiledMatch v42 = Compile(m);
  auto tagged = [](uint16_t id) {
    return Key(PacketBuilder().Vlan(id).Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build());
  };
  EXPECT_TRUE(MatchesHeaders(v42, tagged(42)));
  EXPECT_FALSE(MatchesHeaders(v42, tagged(43)));
  EXPECT_FALSE(MatchesHeaders(v42, V4("10.0.0.1", "10.0.0.2")));
  // The outer tag of a QinQ packet is the one matched.
  const PacketKey qinq = Key(PacketBuilder()
                                 .Vlan(42, 0, kEtherTypeQinQ)
                                 .Vlan(7)
                                 .Ipv4("10.0.0.1", "10.0.0.2")
                                 .Udp(1, 2)
                                 .Build());
  EXPECT_TRUE(MatchesHeaders(v42, qinq));
  // vlanId 0 needs a tag (priority-tagged frame), it does not mean "untagged".
  m.set_vlan_id(0);
  EXPECT_FALSE(MatchesHeaders(Compile(m), V4("10.0.0.1", "10.0.0.2")));
  EXPECT_TRUE(MatchesHeaders(Compile(m), tagged(0)));
}

TEST(ParsePrefixTest, ParsesAndMasks) {
  absl::StatusOr<Prefix> p = ParsePrefix("f", "10.1.2.3/8");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->version, 4);
  EXPECT_EQ(p->length, 8);
  EXPECT_EQ(p->addr[0], 10);
  EXPECT_EQ(p->addr[1], 0);  // host bits masked
  EXPECT_EQ(p->addr[3], 0);

  p = ParsePrefix("f", "192.168.255.255/23");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addr[2], 254);
  EXPECT_EQ(p->addr[3], 0);

  p = ParsePrefix("f", "1.2.3.4");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->length, 32);
  EXPECT_EQ(p->addr[3], 4);

  p = ParsePrefix("f", "2001:db8::1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->version, 6);
  EXPECT_EQ(p->length, 128);
  EXPECT_EQ(p->addr[15], 1);

  p = ParsePrefix("f", "2001:db8:ffff::/33");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addr[4], 0x80);
  EXPECT_EQ(p->addr[5], 0);

  p = ParsePrefix("f", "::/0");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->version, 6);
  EXPECT_EQ(p->length, 0);
}

TEST(ParsePrefixTest, Rejects) {
  for (const char* bad :
       {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/a", "10.0.0.0/8/8", "10.0.0.0/ 8",
        "/8", "10.0.0/8", "10.0.0.256/8", "256.0.0.0", "2001:db8::/129", "2001:db8:::/64",
        "::ffff:1.2.3.4.5", "example.com", "10.0.0.0 /8"}) {
    absl::StatusOr<Prefix> p = ParsePrefix("spec.match.srcPrefix", bad);
    ASSERT_FALSE(p.ok()) << "'" << bad << "'";
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("spec.match.srcPrefix"));
  }
}

TEST(PrefixMatchTest, Ipv4EdgeCases) {
  const CompiledMatch any4 = Compile(SrcPrefix("0.0.0.0/0"));
  EXPECT_TRUE(MatchesHeaders(any4, V4("1.2.3.4", "5.6.7.8")));
  EXPECT_TRUE(MatchesHeaders(any4, V4("255.255.255.255", "5.6.7.8")));
  EXPECT_FALSE(MatchesHeaders(any4, V6("2001:db8::1", "2001:db8::2")));
  EXPECT_FALSE(MatchesHeaders(any4, Arp()));

  const CompiledMatch host = Compile(SrcPrefix("192.0.2.1/32"));
  EXPECT_TRUE(MatchesHeaders(host, V4("192.0.2.1", "10.0.0.1")));
  EXPECT_FALSE(MatchesHeaders(host, V4("192.0.2.2", "10.0.0.1")));
  EXPECT_FALSE(MatchesHeaders(host, V4("10.0.0.1", "192.0.2.1")));  // that is the destination

  const CompiledMatch slash9 = Compile(DstPrefix("10.0.0.0/9"));
  EXPECT_TRUE(MatchesHeaders(slash9, V4("1.1.1.1", "10.0.0.0")));
  EXPECT_TRUE(MatchesHeaders(slash9, V4("1.1.1.1", "10.127.255.255")));
  EXPECT_FALSE(MatchesHeaders(slash9, V4("1.1.1.1", "10.128.0.0")));
  EXPECT_FALSE(MatchesHeaders(slash9, V4("1.1.1.1", "11.0.0.0")));

  const CompiledMatch slash23 = Compile(DstPrefix("192.168.0.0/23"));
  EXPECT_TRUE(MatchesHeaders(slash23, V4("1.1.1.1", "192.168.1.255")));
  EXPECT_FALSE(MatchesHeaders(slash23, V4("1.1.1.1", "192.168.2.0")));

  const CompiledMatch slash31 = Compile(DstPrefix("192.0.2.3/31"));  // masked to .2/31
  EXPECT_TRUE(MatchesHeaders(slash31, V4("1.1.1.1", "192.0.2.2")));
  EXPECT_TRUE(MatchesHeaders(slash31, V4("1.1.1.1", "192.0.2.3")));
  EXPECT_FALSE(MatchesHeaders(slash31, V4("1.1.1.1", "192.0.2.4")));
}

TEST(PrefixMatchTest, Ipv6EdgeCases) {
  const CompiledMatch any6 = Compile(DstPrefix("::/0"));
  EXPECT_TRUE(MatchesHeaders(any6, V6("2001:db8::1", "ffff::1")));
  EXPECT_FALSE(MatchesHeaders(any6, V4("1.2.3.4", "5.6.7.8")));

  const CompiledMatch host = Compile(DstPrefix("2001:db8::2/128"));
  EXPECT_TRUE(MatchesHeaders(host, V6("2001:db8::1", "2001:db8::2")));
  EXPECT_FALSE(MatchesHeaders(host, V6("2001:db8::1", "2001:db8::3")));

  const CompiledMatch doc = Compile(SrcPrefix("2001:db8::/32"));
  EXPECT_TRUE(MatchesHeaders(doc, V6("2001:db8:ffff::1", "::1")));
  EXPECT_FALSE(MatchesHeaders(doc, V6("2001:db9::1", "::1")));

  const CompiledMatch slash33 = Compile(SrcPrefix("2001:db8:8000::/33"));
  EXPECT_TRUE(MatchesHeaders(slash33, V6("2001:db8:8000::1", "::1")));
  EXPECT_TRUE(MatchesHeaders(slash33, V6("2001:db8:ffff::1", "::1")));
  EXPECT_FALSE(MatchesHeaders(slash33, V6("2001:db8:7fff::1", "::1")));

  const CompiledMatch slash127 = Compile(SrcPrefix("2001:db8::/127"));
  EXPECT_TRUE(MatchesHeaders(slash127, V6("2001:db8::1", "::1")));
  EXPECT_FALSE(MatchesHeaders(slash127, V6("2001:db8::2", "::1")));

  // An IPv4-mapped address is an IPv6 prefix; it does not match IPv4 packets.
  const CompiledMatch mapped = Compile(SrcPrefix("::ffff:10.0.0.1"));
  EXPECT_FALSE(MatchesHeaders(mapped, V4("10.0.0.1", "10.0.0.2")));
}

TEST(CompileMatchTest, PrefixErrorsNameTheField) {
  ExpectInvalid(SrcPrefix("10.0.0.0/33"), "srcPrefix");
  ExpectInvalid(DstPrefix("nonsense"), "dstPrefix");
  v1::Match mixed;
  mixed.set_src_prefix("10.0.0.0/8");
  mixed.set_dst_prefix("2001:db8::/32");
  ExpectInvalid(mixed, "dstPrefix");
  v1::Match contradiction = SrcPrefix("10.0.0.0/8");
  contradiction.set_eth_type("ipv6");
  ExpectInvalid(contradiction, "ethType");
  contradiction.set_eth_type("ipv4");
  EXPECT_TRUE(CompileMatch(contradiction, "spec.match").ok());
}

TEST(CompileMatchTest, IpProto) {
  struct Case {
    const char* text;
    int32_t want;
  };
  for (const Case& c :
       {Case{"tcp", 6}, Case{"TCP", 6}, Case{"udp", 17}, Case{"icmp", 1}, Case{"icmpv6", 58},
        Case{"sctp", 132}, Case{"0", 0}, Case{"47", 47}, Case{"255", 255}}) {
    v1::Match m;
    m.set_ip_proto(c.text);
    EXPECT_EQ(Compile(m).ip_proto, c.want) << c.text;
  }
  for (const char* bad : {"256", "-1", "tcpp", "gre", " 6", "6.0"}) {
    v1::Match m;
    m.set_ip_proto(bad);
    ExpectInvalid(m, "ipProto");
  }
  v1::Match m;
  m.set_ip_proto("udp");
  const CompiledMatch udp = Compile(m);
  EXPECT_TRUE(MatchesHeaders(udp, V4("1.1.1.1", "2.2.2.2", 1, 2, /*tcp=*/false)));
  EXPECT_FALSE(MatchesHeaders(udp, V4("1.1.1.1", "2.2.2.2", 1, 2, /*tcp=*/true)));
  EXPECT_FALSE(MatchesHeaders(udp, Arp()));
  // Protocol 0 on a non-IP packet must not match (ip_proto is 0 there too).
  m.set_ip_proto("0");
  EXPECT_FALSE(MatchesHeaders(Compile(m), Arp()));
}

TEST(CompileMatchTest, Ports) {
  v1::Match m;
  m.set_ip_proto("tcp");
  m.set_dst_ports("80-443");
  m.set_src_ports("1024");
  const CompiledMatch c = Compile(m);
  EXPECT_EQ(c.dst_ports.lo, 80);
  EXPECT_EQ(c.dst_ports.hi, 443);
  EXPECT_EQ(c.src_ports.lo, 1024);
  EXPECT_EQ(c.src_ports.hi, 1024);
  EXPECT_TRUE(MatchesHeaders(c, V4("1.1.1.1", "2.2.2.2", 1024, 80)));
  EXPECT_TRUE(MatchesHeaders(c, V4("1.1.1.1", "2.2.2.2", 1024, 443)));
  EXPECT_TRUE(MatchesHeaders(c, V6("2001:db8::1", "2001:db8::2", 1024, 200)));
  EXPECT_FALSE(MatchesHeaders(c, V4("1.1.1.1", "2.2.2.2", 1024, 79)));
  EXPECT_FALSE(MatchesHeaders(c, V4("1.1.1.1", "2.2.2.2", 1024, 444)));
  EXPECT_FALSE(MatchesHeaders(c, V4("1.1.1.1", "2.2.2.2", 1025, 80)));
  EXPECT_FALSE(MatchesHeaders(c, V4("1.1.1.1", "2.2.2.2", 1024, 80, /*tcp=*/false)));

  // A full range is "any port" and also matches packets without ports.
  m.set_src_ports("0-65535");
  m.clear_dst_ports();
  const CompiledMatch all = Compile(m);
  EXPECT_TRUE(all.src_ports.any());

  // Packets without L4 ports never match a port range.
  m.set_dst_ports("0-100");
  const CompiledMatch low = Compile(m);
  PacketKey fragment = V4("1.1.1.1", "2.2.2.2", 1, 2);
  fragment.has_l4_ports = false;
  EXPECT_FALSE(MatchesHeaders(low, fragment));
}

TEST(CompileMatchTest, PortErrors) {
  for (const char* bad : {"65536", "443-80", "80-", "-80", "-", "a", "1-2-3", " 80", "80 - 90"}) {
    v1::Match m;
    m.set_ip_proto("udp");
    m.set_dst_ports(bad);
    ExpectInvalid(m, "dstPorts");
    m.clear_dst_ports();
    m.set_src_ports(bad);
    ExpectInvalid(m, "srcPorts");
  }
  // Ports need a protocol that has them.
  v1::Match m;
  m.set_dst_ports("53");
  ExpectInvalid(m, "dstPorts");
  m.set_ip_proto("icmp");
  ExpectInvalid(m, "dstPorts");
  m.clear_dst_ports();
  m.set_src_ports("53");
  ExpectInvalid(m, "srcPorts");
  m.set_ip_proto("sctp");
  EXPECT_TRUE(CompileMatch(m, "spec.match").ok());
}

TEST(CompileMatchTest, AllFieldsTogether) {
  v1::Match m;
  m.set_in_port("wan");
  m.set_eth_type("ipv4");
  m.set_vlan_id(10);
  m.set_src_prefix("198.18.0.0/15");
  m.set_dst_prefix("192.0.2.0/24");
  m.set_ip_proto("tcp");
  m.set_src_ports("1024-65535");
  m.set_dst_ports("80-443");
  const CompiledMatch c = Compile(m);
  auto build = [](uint16_t vlan, const char* src, const char* dst, uint16_t dport) {
    return Key(PacketBuilder().Vlan(vlan).Ipv4(src, dst).Tcp(40000, dport).Build());
  };
  EXPECT_TRUE(MatchesHeaders(c, build(10, "198.19.1.1", "192.0.2.9", 443)));
  EXPECT_FALSE(MatchesHeaders(c, build(11, "198.19.1.1", "192.0.2.9", 443)));
  EXPECT_FALSE(MatchesHeaders(c, build(10, "198.20.1.1", "192.0.2.9", 443)));
  EXPECT_FALSE(MatchesHeaders(c, build(10, "198.19.1.1", "192.0.3.9", 443)));
  EXPECT_FALSE(MatchesHeaders(c, build(10, "198.19.1.1", "192.0.2.9", 8080)));
}

TEST(CompileMatchTest, FieldPrefixIsUsed) {
  v1::Match m;
  m.set_ip_proto("bogus");
  absl::StatusOr<CompiledMatch> c = CompileMatch(m, "rules[3].spec.match");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("rules[3].spec.match.ipProto"));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("bogus"));
}

}  // namespace
}  // namespace onvm
