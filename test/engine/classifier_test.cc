// The rte_acl classifier must give exactly the answer of the linear scan
// with onvm::MatchesHeaders (first matching rule in priority order) for every
// packet: random rule sets of every shape against random and crafted frames.
#include "classifier.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/packets.h"
#include "onvm/match.h"
#include "onvm/packet_key.h"
#include "rule_gen.h"

namespace onvm::engine {
namespace {

using ::onvm::engine::testing::AsClassifierRules;
using ::onvm::engine::testing::GenRule;
using ::onvm::engine::testing::LinearClassify;
using ::onvm::engine::testing::TrafficGen;
using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;

struct Packet {
  Frame bytes;
  uint16_t in_port = 0;
  PacketKey key;
  AclKey acl;
};

Packet MakePacket(Frame bytes, uint16_t in_port) {
  Packet p;
  p.bytes = std::move(bytes);
  p.in_port = in_port;
  ParsePacket(p.bytes.data(), p.bytes.size(), &p.key);
  MakeAclKey(p.key, in_port, &p.acl);
  return p;
}

std::string Describe(const PacketKey& k, uint16_t in_port) {
  std::string s =
      absl::StrCat("port=", in_port, " eth=0x", absl::Hex(k.eth_type),
                   " vlan=", k.has_vlan ? absl::StrCat(k.vlan_id) : "-", " ipv=", k.ip_version,
                   " proto=", k.ip_proto, " l4=", k.has_l4_ports, " sport=", k.src_port,
                   " dport=", k.dst_port, " malformed=", k.malformed, " src=");
  for (int i = 0; i < (k.ip_version == 6 ? 16 : 4); ++i)
    absl::StrAppend(&s, absl::Hex(k.src_addr[i]), ".");
  absl::StrAppend(&s, " dst=");
  for (int i = 0; i < (k.ip_version == 6 ? 16 : 4); ++i)
    absl::StrAppend(&s, absl::Hex(k.dst_addr[i]), ".");
  return s;
}

int64_t Position(uint32_t rule) {
  return rule == Classifier::kNoMatch ? -1 : static_cast<int64_t>(rule);
}

std::string Describe(const GenRule& r) {
  const CompiledMatch& m = r.match;
  return absl::StrCat("in_port=", r.in_port, " eth=", m.eth_type, " vlan=", m.vlan_id, " src=v",
                      m.src.version, "/", m.src.length, " dst=v", m.dst.version, "/", m.dst.length,
                      " proto=", m.ip_proto, " sports=", m.src_ports.lo, "-", m.src_ports.hi,
                      " dports=", m.dst_ports.lo, "-", m.dst_ports.hi);
}

struct Coverage {
  size_t matched = 0;     // packets that matched a rule
  std::vector<bool> hit;  // per rule: some packet matched it first
  size_t distinct() const { return static_cast<size_t>(std::count(hit.begin(), hit.end(), true)); }
};

// Classifies `packets` in bursts of varying size (1..kMaxBurst) from one
// port at a time and checks every answer against the linear scan.
Coverage ExpectSameAsLinear(const Classifier& c, const std::vector<GenRule>& rules,
                            const std::vector<Packet>& packets, TrafficGen* gen) {
  Coverage coverage;
  coverage.hit.resize(rules.size());
  int failures = 0;
  std::vector<AclKey> keys(Classifier::kMaxBurst);
  std::vector<uint32_t> got(Classifier::kMaxBurst);
  for (uint16_t port = 0; port < 256; ++port) {
    std::vector<size_t> on_port;
    for (size_t i = 0; i < packets.size(); ++i) {
      if (packets[i].in_port == port) on_port.push_back(i);
    }
    for (size_t start = 0; start < on_port.size();) {
      const uint32_t n = std::min<uint32_t>(gen->Uniform(1, Classifier::kMaxBurst),
                                            static_cast<uint32_t>(on_port.size() - start));
      for (uint32_t i = 0; i < n; ++i) keys[i] = packets[on_port[start + i]].acl;
      c.Classify(port, keys.data(), n, got.data());
      for (uint32_t i = 0; i < n; ++i) {
        const size_t index = on_port[start + i];
        const Packet& p = packets[index];
        const uint32_t want = LinearClassify(rules, p.key, p.in_port);
        if (want != Classifier::kNoMatch) {
          ++coverage.matched;
          coverage.hit[want] = true;
        }
        if (got[i] != want && ++failures <= 10) {
          ADD_FAILURE() << "packet " << index << " (" << Describe(p.key, p.in_port)
                        << "): classifier says rule " << Position(got[i]) << ", linear scan says "
                        << Position(want)
                        << (want < rules.size() ? " (" + Describe(rules[want]) + ")" : "")
                        << (got[i] < rules.size()
                                ? ", classifier's (" + Describe(rules[got[i]]) + ")"
                                : "");
        }
      }
      start += n;
    }
  }
  EXPECT_EQ(failures, 0);
  return coverage;
}

std::vector<Packet> RandomPackets(TrafficGen* gen, const std::vector<GenRule>& rules, size_t n) {
  std::vector<Packet> packets;
  packets.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    testing::GenFrame f = gen->RandomFrame(rules);
    packets.push_back(MakePacket(std::move(f.bytes), f.in_port));
  }
  return packets;
}

Classifier MustBuild(const std::vector<GenRule>& rules) {
  auto c = Classifier::Build(AsClassifierRules(rules));
  if (!c.ok()) {
    ADD_FAILURE() << c.status();
    return Classifier();
  }
  EXPECT_EQ(c->rule_count(), rules.size());
  return *std::move(c);
}

// A rule from the public match model, compiled as the engine does.
class RuleBuilder {
 public:
  RuleBuilder& InPort(int32_t index) {
    in_port_ = index;
    m_.set_in_port(absl::StrCat("p", index));
    return *this;
  }
  RuleBuilder& EthType(const std::string& v) {
    m_.set_eth_type(v);
    return *this;
  }
  RuleBuilder& Vlan(uint32_t v) {
    m_.set_vlan_id(v);
    return *this;
  }
  RuleBuilder& Src(const std::string& v) {
    m_.set_src_prefix(v);
    return *this;
  }
  RuleBuilder& Dst(const std::string& v) {
    m_.set_dst_prefix(v);
    return *this;
  }
  RuleBuilder& Proto(const std::string& v) {
    m_.set_ip_proto(v);
    return *this;
  }
  RuleBuilder& SrcPorts(const std::string& v) {
    m_.set_src_ports(v);
    return *this;
  }
  RuleBuilder& DstPorts(const std::string& v) {
    m_.set_dst_ports(v);
    return *this;
  }
  GenRule Build() const {
    auto c = CompileMatch(m_, "spec.match");
    EXPECT_TRUE(c.ok()) << c.status();
    GenRule r;
    if (c.ok()) r.match = *c;
    r.in_port = in_port_;
    return r;
  }

 private:
  onvm::v1::Match m_;
  int32_t in_port_ = -1;
};

// Checks the classifier against the linear scan and against `want` (rule
// position or -1) for each crafted packet.
void ExpectRules(const std::vector<GenRule>& rules,
                 const std::vector<std::pair<Packet, int>>& cases) {
  Classifier c = MustBuild(rules);
  for (size_t i = 0; i < cases.size(); ++i) {
    const Packet& p = cases[i].first;
    uint32_t got = 0;
    c.Classify(p.in_port, &p.acl, 1, &got);
    const uint32_t linear = LinearClassify(rules, p.key, p.in_port);
    const uint32_t want =
        cases[i].second < 0 ? Classifier::kNoMatch : static_cast<uint32_t>(cases[i].second);
    EXPECT_EQ(linear, want) << "case " << i << " (" << Describe(p.key, p.in_port)
                            << "): the reference itself disagrees with the test";
    EXPECT_EQ(got, want) << "case " << i << " (" << Describe(p.key, p.in_port) << ")";
  }
}

Frame Tcp4(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport) {
  return PacketBuilder().Ipv4(src, dst).Tcp(sport, dport).Build();
}
Frame Udp6(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport) {
  return PacketBuilder().Ipv6(src, dst).Udp(sport, dport).Build();
}
Frame Arp() { return PacketBuilder().EtherType(kEtherTypeArp).FrameSize(60).Build(); }
Frame Cut(Frame f, size_t len) {
  f.resize(len);
  return f;
}

TEST(ClassifierTest, EmptyRuleSetMatchesNothing) {
  auto c = Classifier::Build({});
  ASSERT_TRUE(c.ok()) << c.status();
  TrafficGen gen(1);
  std::vector<Packet> packets = RandomPackets(&gen, {}, 500);
  std::vector<GenRule> none;
  EXPECT_EQ(ExpectSameAsLinear(*c, none, packets, &gen).matched, 0u);
  Classifier default_constructed;
  uint32_t got = 0;
  default_constructed.Classify(packets[0].in_port, &packets[0].acl, 1, &got);
  EXPECT_EQ(got, Classifier::kNoMatch);
}

TEST(ClassifierTest, NonIpPacketsMatchOnlyRulesWithoutIpFields) {
  const std::vector<GenRule> rules = {
      RuleBuilder().Src("0.0.0.0/0").Build(),  // 0: any IPv4
      RuleBuilder().Dst("::/0").Build(),       // 1: any IPv6
      RuleBuilder().Proto("0").Build(),        // 2: IP, proto 0
      RuleBuilder().InPort(2).Build(),         // 3: anything on port 2
      RuleBuilder().EthType("arp").Build(),    // 4: ARP
      RuleBuilder().EthType("ipv4").Build(),   // 5: 0x0800, parsed or not
      RuleBuilder().Vlan(7).Build(),           // 6: outer tag 7
  };
  const Frame bad_ihl = [] {
    Frame f = Tcp4("10.0.0.1", "10.0.0.2", 1, 2);
    f[14] = 0x44;  // IHL 4: not parsed as IPv4
    return f;
  }();
  ExpectRules(
      rules,
      {
          {MakePacket(Arp(), 0), 4},
          {MakePacket(Arp(), 2), 3},
          {MakePacket(Tcp4("10.0.0.1", "10.0.0.2", 1, 2), 2), 0},
          {MakePacket(Udp6("::1", "::2", 1, 2), 3), 1},
          {MakePacket(bad_ihl, 0), 5},
          {MakePacket(bad_ihl, 2), 3},
          {MakePacket(PacketBuilder().Vlan(7).EtherType(0x88cc).FrameSize(64).Build(), 0), 6},
          {MakePacket(PacketBuilder().Vlan(8).EtherType(0x88cc).FrameSize(64).Build(), 0), -1},
          {MakePacket(Frame(10, 0), 0), -1},  // runt
          {MakePacket(Frame(10, 0), 2), 3},
      });
}

TEST(ClassifierTest, VlanMatchesTheOuterTagOnly) {
  const std::vector<GenRule> rules = {
      RuleBuilder().Vlan(0).Build(),                    // 0
      RuleBuilder().Vlan(4095).Proto("udp").Build(),    // 1
      RuleBuilder().Vlan(100).EthType("ipv4").Build(),  // 2
  };
  auto tagged = [](std::vector<std::pair<uint16_t, uint16_t>> tags) {
    PacketBuilder b;
    for (auto [tpid, vid] : tags) b.Vlan(vid, 5, tpid);
    return b.Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  };
  ExpectRules(rules, {
                         {MakePacket(Tcp4("10.0.0.1", "10.0.0.2", 1, 2), 0), -1},  // untagged
                         {MakePacket(tagged({{0x8100, 0}}), 0), 0},
                         {MakePacket(tagged({{0x8100, 4095}}), 0), 1},
                         {MakePacket(tagged({{0x8100, 100}}), 0), 2},
                         {MakePacket(tagged({{0x88a8, 100}, {0x8100, 0}}), 0), 2},  // QinQ
                         {MakePacket(tagged({{0x88a8, 5}, {0x8100, 100}}), 0), -1},
                         {MakePacket(Cut(tagged({{0x8100, 0}}), 16), 0), -1},  // cut tag
                     });
}

TEST(ClassifierTest, PrefixEdges) {
  const std::vector<GenRule> rules = {
      RuleBuilder().Src("10.0.0.0/31").Build(),                   // 0
      RuleBuilder().Dst("192.168.1.128/25").Build(),              // 1
      RuleBuilder().Src("2001:db8::/33").Build(),                 // 2
      RuleBuilder().Dst("2001:db8:0:0:1::/80").Build(),           // 3
      RuleBuilder().Src("::ffff:0:0/96").Dst("::1/128").Build(),  // 4
      RuleBuilder().Src("128.0.0.0/1").Build(),                   // 5
      RuleBuilder().Src("0.0.0.1/32").Build(),                    // 6
  };
  ExpectRules(rules,
              {
                  {MakePacket(Tcp4("10.0.0.0", "1.1.1.1", 1, 2), 0), 0},
                  {MakePacket(Tcp4("10.0.0.1", "1.1.1.1", 1, 2), 0), 0},
                  {MakePacket(Tcp4("10.0.0.2", "1.1.1.1", 1, 2), 0), -1},
                  {MakePacket(Tcp4("9.255.255.255", "1.1.1.1", 1, 2), 0), -1},
                  {MakePacket(Tcp4("1.1.1.1", "192.168.1.127", 1, 2), 0), -1},
                  {MakePacket(Tcp4("1.1.1.1", "192.168.1.128", 1, 2), 0), 1},
                  {MakePacket(Tcp4("1.1.1.1", "192.168.1.255", 1, 2), 0), 1},
                  {MakePacket(Tcp4("1.1.1.1", "192.168.2.0", 1, 2), 0), -1},
                  {MakePacket(Udp6("2001:db8:7fff:ffff::", "::2", 1, 2), 0), 2},
                  {MakePacket(Udp6("2001:db8:8000::", "::2", 1, 2), 0), -1},
                  {MakePacket(Udp6("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "::2", 1, 2), 0), -1},
                  {MakePacket(Udp6("::3", "2001:db8::1:ffff:ffff:ffff", 1, 2), 0), 3},
                  {MakePacket(Udp6("::3", "2001:db8::1:0:0:0", 1, 2), 0), 3},
                  {MakePacket(Udp6("::3", "2001:db8::2:0:0:0", 1, 2), 0), -1},
                  {MakePacket(Udp6("::ffff:1.2.3.4", "::1", 1, 2), 0), 4},
                  {MakePacket(Udp6("::ffff:1.2.3.4", "::2", 1, 2), 0), -1},
                  {MakePacket(Udp6("::fffe:1.2.3.4", "::1", 1, 2), 0), -1},
                  {MakePacket(Tcp4("128.0.0.0", "1.1.1.1", 1, 2), 0), 5},
                  {MakePacket(Tcp4("127.255.255.255", "1.1.1.1", 1, 2), 0), -1},
                  {MakePacket(Tcp4("0.0.0.1", "1.1.1.1", 1, 2), 0), 6},
                  // An IPv4 prefix never matches IPv6, even with equal leading bytes.
                  {MakePacket(Udp6("a00::", "::2", 1, 2), 0), -1},
              });
}

TEST(ClassifierTest, PortRangeEndsAndPacketsWithoutPorts) {
  const std::vector<GenRule> rules = {
      RuleBuilder().Proto("tcp").DstPorts("80-443").Build(),                     // 0
      RuleBuilder().Proto("udp").SrcPorts("0").Build(),                          // 1
      RuleBuilder().Proto("udp").SrcPorts("65535").DstPorts("0-65535").Build(),  // 2
      RuleBuilder().Proto("sctp").SrcPorts("1024-1024").Build(),                 // 3
      RuleBuilder().Proto("tcp").Build(),                                        // 4
  };
  Frame sctp = PacketBuilder()
                   .Ipv4("10.0.0.1", "10.0.0.2")
                   .IpProto(132)
                   .Payload({0x04, 0x00, 0x00, 0x50, 0, 0, 0, 0})
                   .Build();
  Frame fragment = Tcp4("10.0.0.1", "10.0.0.2", 5, 80);
  fragment[20] = 0x00;
  fragment[21] = 0x10;  // offset 16 * 8: not the first fragment, no ports
  Frame first_fragment = Tcp4("10.0.0.1", "10.0.0.2", 5, 80);
  first_fragment[20] = 0x20;  // MF, offset 0: ports present
  ExpectRules(
      rules,
      {
          {MakePacket(Tcp4("1.1.1.1", "2.2.2.2", 5, 79), 0), 4},
          {MakePacket(Tcp4("1.1.1.1", "2.2.2.2", 5, 80), 0), 0},
          {MakePacket(Tcp4("1.1.1.1", "2.2.2.2", 5, 443), 0), 0},
          {MakePacket(Tcp4("1.1.1.1", "2.2.2.2", 5, 444), 0), 4},
          {MakePacket(PacketBuilder().Ipv4("1.1.1.1", "2.2.2.2").Udp(0, 9).Build(), 0), 1},
          {MakePacket(PacketBuilder().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 9).Build(), 0), -1},
          {MakePacket(PacketBuilder().Ipv4("1.1.1.1", "2.2.2.2").Udp(65535, 0).Build(), 0), 2},
          {MakePacket(PacketBuilder().Ipv4("1.1.1.1", "2.2.2.2").Udp(65534, 0).Build(), 0), -1},
          {MakePacket(sctp, 0), 3},
          {MakePacket(fragment, 0), 4},
          {MakePacket(first_fragment, 0), 0},
          // Truncated L4 header: no ports, so only rule 4 applies.
          {MakePacket(Cut(Tcp4("1.1.1.1", "2.2.2.2", 5, 80), 14 + 20 + 3), 0), 4},
          {MakePacket(Cut(Tcp4("1.1.1.1", "2.2.2.2", 5, 80), 14 + 20 + 4), 0), 0},
          {MakePacket(Udp6("::1", "::2", 0, 7), 0), 1},
      });
}

TEST(ClassifierTest, PortRulesMatchOnlyTheirPort) {
  // The port is tested in the IP tries' last field (the meta word, next to
  // the VLAN id) and in the non-IP trie's first; port index 255 is the
  // highest that fits.
  const std::vector<GenRule> rules = {
      RuleBuilder().InPort(255).Src("10.0.0.0/8").Build(),                              // 0
      RuleBuilder().InPort(1).Proto("tcp").DstPorts("80").Build(),                      // 1
      RuleBuilder().InPort(0).Vlan(4095).Build(),                                       // 2
      RuleBuilder().InPort(1).Dst("2001:db8::/32").Build(),                             // 3
      RuleBuilder().Src("10.0.0.0/8").Proto("tcp").Build(),                             // 4
      RuleBuilder().InPort(255).EthType("arp").Build(),                                 // 5
      RuleBuilder().InPort(2).Build(),                                                  // 6
      RuleBuilder().InPort(0).Src("192.0.2.0/24").Vlan(7).Build(),                      // 7
      RuleBuilder().InPort(3).Dst("::/0").Proto("udp").SrcPorts("1024-65535").Build(),  // 8
  };
  auto vlan_udp4 = [](uint16_t vid) {
    return PacketBuilder().Vlan(vid).Ipv4("192.0.2.1", "10.9.9.9").Udp(1, 2).Build();
  };
  ExpectRules(rules, {
                         {MakePacket(Tcp4("10.1.1.1", "1.1.1.1", 9, 80), 255), 0},
                         {MakePacket(Tcp4("10.1.1.1", "1.1.1.1", 9, 80), 1), 1},
                         {MakePacket(Tcp4("10.1.1.1", "1.1.1.1", 9, 80), 0), 4},
                         {MakePacket(Tcp4("10.1.1.1", "1.1.1.1", 9, 80), 127), 4},
                         {MakePacket(Tcp4("11.1.1.1", "1.1.1.1", 9, 80), 255), -1},
                         {MakePacket(Tcp4("11.1.1.1", "1.1.1.1", 9, 81), 1), -1},
                         {MakePacket(vlan_udp4(4095), 0), 2},
                         {MakePacket(vlan_udp4(4095), 1), -1},
                         {MakePacket(vlan_udp4(7), 0), 7},
                         {MakePacket(vlan_udp4(7), 2), 6},
                         {MakePacket(vlan_udp4(7), 254), -1},
                         {MakePacket(Udp6("::1", "2001:db8::5", 1, 2), 1), 3},
                         {MakePacket(Udp6("::1", "2001:db8::5", 1, 2), 0), -1},
                         {MakePacket(Udp6("::1", "2001:db8::5", 1024, 2), 3), 8},
                         {MakePacket(Udp6("::1", "2001:db8::5", 1023, 2), 3), -1},
                         {MakePacket(Arp(), 255), 5},
                         {MakePacket(Arp(), 1), -1},
                         {MakePacket(Arp(), 2), 6},
                     });
}

TEST(ClassifierTest, RulesForEveryPortShareTheIpContexts) {
  // Rules for 64 different ports and for any port: one IPv4 context, not
  // one per port, and each packet sees its own port's rules only.
  std::vector<GenRule> rules;
  for (int port = 0; port < 64; ++port) {
    rules.push_back(RuleBuilder()
                        .InPort(port)
                        .Dst(absl::StrCat("10.0.", port, ".0/24"))
                        .Proto("udp")
                        .DstPorts(absl::StrCat(1000 + port))
                        .Build());
  }
  rules.push_back(RuleBuilder().Dst("10.0.0.0/16").Build());
  Classifier c = MustBuild(rules);
  EXPECT_EQ(c.context_count(), 1u);
  std::vector<Packet> packets;
  for (int port = 0; port < 64; ++port) {
    for (int other : {port, (port + 1) % 64, port + 128}) {
      packets.push_back(MakePacket(PacketBuilder()
                                       .Ipv4("1.1.1.1", absl::StrCat("10.0.", port, ".1"))
                                       .Udp(5, static_cast<uint16_t>(1000 + port))
                                       .Build(),
                                   static_cast<uint16_t>(other)));
    }
  }
  TrafficGen gen(64);
  const Coverage cov = ExpectSameAsLinear(c, rules, packets, &gen);
  EXPECT_EQ(cov.distinct(), rules.size());
}

TEST(ClassifierTest, FirstRuleInOrderWinsOverMoreSpecificLaterRules) {
  const std::vector<GenRule> rules = {
      RuleBuilder().InPort(1).Build(),                                       // 0
      RuleBuilder().Src("10.0.0.0/8").Proto("tcp").DstPorts("80").Build(),   // 1
      RuleBuilder().Src("10.1.2.3/32").Proto("tcp").DstPorts("80").Build(),  // 2: shadowed by 1
      RuleBuilder().Proto("tcp").Build(),                                    // 3
      RuleBuilder().Src("10.1.2.3").Build(),  // 4: shadowed by 3 for tcp
  };
  ExpectRules(
      rules, {
                 {MakePacket(Tcp4("10.1.2.3", "1.1.1.1", 9, 80), 1), 0},
                 {MakePacket(Tcp4("10.1.2.3", "1.1.1.1", 9, 80), 0), 1},
                 {MakePacket(Tcp4("10.1.2.3", "1.1.1.1", 9, 81), 0), 3},
                 {MakePacket(PacketBuilder().Ipv4("10.1.2.3", "1.1.1.1").Udp(9, 80).Build(), 0), 4},
             });
}

class RandomRuleSetTest : public ::testing::TestWithParam<int> {};

TEST_P(RandomRuleSetTest, MatchesLinearScan) {
  const int n = GetParam();
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    TrafficGen gen(seed * 1000003 + static_cast<uint64_t>(n));
    const std::vector<GenRule> rules = gen.RandomRules(static_cast<size_t>(n));
    Classifier c = MustBuild(rules);
    const std::vector<Packet> packets = RandomPackets(&gen, rules, 20000);
    const Coverage cov = ExpectSameAsLinear(c, rules, packets, &gen);
    std::printf("%d rules (seed %d): %zu packets, %.1f%% matched a rule, %zu distinct rules hit\n",
                n, static_cast<int>(seed), packets.size(),
                100.0 * static_cast<double>(cov.matched) / static_cast<double>(packets.size()),
                cov.distinct());
    // Frames are aimed at the rules' edges: both hits and misses, spread
    // over many rules, or the comparison proves little.
    EXPECT_GT(cov.matched, packets.size() / 10);
    EXPECT_LT(cov.matched, packets.size());
    EXPECT_GE(cov.distinct(), rules.size() / 8);
    if (HasFailure()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, RandomRuleSetTest, ::testing::Values(1, 2, 10, 100, 500, 2000));

TEST(ClassifierTest, RulesSpreadOverManyContextsGiveTheSameAnswers) {
  // Every shard grouped by address shape and split into contexts of at most
  // 7 rules: the results of many contexts merge to the first match.
  TrafficGen gen(31337);
  const std::vector<GenRule> rules = gen.RandomRules(600);
  Classifier::Options options;
  options.shape_group_min = 1;
  options.proto_split_min = 1;
  options.max_context_rules = 7;
  auto c = Classifier::Build(AsClassifierRules(rules), options);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_GT(c->context_count(), 600u / 7);
  const std::vector<Packet> packets = RandomPackets(&gen, rules, 20000);
  const Coverage cov = ExpectSameAsLinear(*c, rules, packets, &gen);
  std::printf("600 rules in %zu contexts: %zu distinct rules hit\n", c->context_count(),
              cov.distinct());
}

TEST(ClassifierTest, TenThousandRules) {
  // The benchmark's stress set (every field and shape mixed, rules for any
  // port and for single ports): compiled as the engine does, grouped by
  // address shape and split by protocol, and with the groups made as small
  // as they get (every set grouped, every group split by protocol, so that
  // no context is large).
  TrafficGen gen(10000);
  const std::vector<GenRule> rules = gen.RandomRules(10000);
  const std::vector<Packet> packets = RandomPackets(&gen, rules, 10000);
  Classifier::Options fine;
  fine.shape_group_min = 1;
  fine.proto_split_min = 1;
  fine.max_context_rules = 500;
  for (const Classifier::Options& options : {Classifier::Options(), fine}) {
    auto c = Classifier::Build(AsClassifierRules(rules), options);
    ASSERT_TRUE(c.ok()) << c.status();
    const Coverage cov = ExpectSameAsLinear(*c, rules, packets, &gen);
    std::printf("10000 rules in %zu contexts: %zu packets, %zu matched, %zu distinct rules hit\n",
                c->context_count(), packets.size(), cov.matched, cov.distinct());
  }
}

TEST(ClassifierTest, FirewallStyleRuleSetsMatchLinearScan) {
  // The benchmark's other rule set.
  for (size_t n : {1000, 10000}) {
    TrafficGen gen(n + 5);
    const std::vector<GenRule> rules = gen.AclRules(n);
    Classifier c = MustBuild(rules);
    const std::vector<Packet> packets = RandomPackets(&gen, rules, 20000);
    const Coverage cov = ExpectSameAsLinear(c, rules, packets, &gen);
    std::printf(
        "%zu firewall-style rules in %zu contexts: %.1f%% matched, %zu distinct rules hit\n", n,
        c.context_count(),
        100.0 * static_cast<double>(cov.matched) / static_cast<double>(packets.size()),
        cov.distinct());
    EXPECT_GE(cov.distinct(), n / 16);
  }
}

TEST(ClassifierTest, IndependentClassifiersCoexist) {
  // rte_acl hands back an existing context when a name repeats; each
  // classifier must get its own.
  TrafficGen gen(77);
  const std::vector<GenRule> a = gen.RandomRules(50);
  const std::vector<GenRule> b = gen.RandomRules(50);
  Classifier ca = MustBuild(a);
  Classifier cb = MustBuild(b);
  const std::vector<Packet> pa = RandomPackets(&gen, a, 2000);
  const std::vector<Packet> pb = RandomPackets(&gen, b, 2000);
  ExpectSameAsLinear(ca, a, pa, &gen);
  ExpectSameAsLinear(cb, b, pb, &gen);
  // Moving keeps the contexts; the moved-from classifier matches nothing.
  Classifier moved = std::move(ca);
  ExpectSameAsLinear(moved, a, pa, &gen);
  uint32_t got = 0;
  ca.Classify(pa[0].in_port, &pa[0].acl, 1,
              &got);  // NOLINT(bugprone-use-after-move): defined state
  EXPECT_EQ(got, Classifier::kNoMatch);
  cb = std::move(moved);
  ExpectSameAsLinear(cb, a, pa, &gen);
}

}  // namespace
}  // namespace onvm::engine
