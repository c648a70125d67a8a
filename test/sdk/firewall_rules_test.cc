#include "firewall_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/harness.h"
#include "onvm/packet_key.h"

namespace onvm::examples::firewall {
namespace {

using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;
using ::onvm::testing::TempDir;
using ::onvm::testing::WriteFile;
using ::testing::HasSubstr;

PacketKey KeyOf(const Frame& f) {
  PacketKey key;
  ParsePacket(f.data(), f.size(), &key);
  return key;
}

Frame Tcp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport) {
  return PacketBuilder().Ipv4(src, dst).Tcp(sport, dport).Build();
}
Frame Udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport) {
  return PacketBuilder().Ipv4(src, dst).Udp(sport, dport).Build();
}

absl::StatusOr<Config> Parse(const std::vector<std::string>& args) { return ParseFlags(args); }

std::string ErrorOf(const std::vector<std::string>& args) {
  auto c = Parse(args);
  EXPECT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  return std::string(c.status().message());
}

TEST(ParseSpecTest, AllConditions) {
  auto m = ParseSpec("src 10.0.0.0/8 dst 192.0.2.0/24 proto tcp sport 1000-2000 dport 80");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->src.version, 4);
  EXPECT_EQ(m->src.length, 8);
  EXPECT_EQ(m->dst.length, 24);
  EXPECT_EQ(m->ip_proto, kIpProtoTcp);
  EXPECT_EQ(m->src_ports.lo, 1000);
  EXPECT_EQ(m->src_ports.hi, 2000);
  EXPECT_EQ(m->dst_ports.lo, 80);
  EXPECT_EQ(m->dst_ports.hi, 80);
}

TEST(ParseSpecTest, EmptyAnyAndBarePrefix) {
  for (const char* spec : {"", "any", "  any  "}) {
    auto m = ParseSpec(spec);
    ASSERT_TRUE(m.ok()) << spec;
    EXPECT_EQ(m->src.version, 0);
    EXPECT_EQ(m->ip_proto, -1);
  }
  auto bare = ParseSpec("10.0.0.0/8");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->src.version, 4);
  EXPECT_EQ(bare->src.length, 8);
  EXPECT_EQ(bare->dst.version, 0);
  auto v6 = ParseSpec("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->src.version, 6);
}

TEST(ParseSpecTest, ErrorsNameTheField) {
  EXPECT_THAT(std::string(ParseSpec("dport 99999").status().message()),
              HasSubstr("dport: '99999'"));
  EXPECT_THAT(std::string(ParseSpec("src 10.0.0.0/33").status().message()),
              HasSubstr("src: '10.0.0.0/33'"));
  EXPECT_THAT(std::string(ParseSpec("proto bogus").status().message()),
              HasSubstr("proto: 'bogus'"));
  EXPECT_THAT(std::string(ParseSpec("from 10.0.0.0/8").status().message()),
              HasSubstr("'from' is not a condition"));
  EXPECT_THAT(std::string(ParseSpec("src").status().message()), HasSubstr("src needs a value"));
  EXPECT_THAT(std::string(ParseSpec("dport 1 dport 2").status().message()),
              HasSubstr("dport given twice"));
  EXPECT_THAT(std::string(ParseSpec("proto icmp dport 22").status().message()),
              HasSubstr("dport: needs proto tcp, udp or sctp"));
  EXPECT_THAT(std::string(ParseSpec("src 10.0.0.0/8 dst 2001:db8::/32").status().message()),
              HasSubstr("dst: IPv6 but src is IPv4"));
  EXPECT_FALSE(ParseSpec("10.0.0.300").ok());
}

TEST(ParseRulesTest, CommentsBlankLinesAndLineNumbers) {
  auto rules = ParseRules("fw.rules",
                          "# web servers\n"
                          "\n"
                          "allow dst 192.0.2.0/24 proto tcp dport 80-443  # http(s)\n"
                          "   deny src 10.0.0.0/8\n"
                          "deny\n");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0].verdict, Verdict::kAllow);
  EXPECT_EQ((*rules)[0].text, "allow dst 192.0.2.0/24 proto tcp dport 80-443");
  EXPECT_EQ((*rules)[1].verdict, Verdict::kDeny);
  EXPECT_EQ((*rules)[2].match.src.version, 0);

  auto bad = ParseRules("fw.rules", "allow any\n\nallow proto udp dport 70000\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("fw.rules:3: rule \"allow proto udp dport 70000\": dport: '70000'"));
  auto verb = ParseRules("f", "permit any\n");
  EXPECT_THAT(std::string(verb.status().message()), HasSubstr("f:1: rule \"permit any\""));
}

TEST(ParseFlagsTest, KeepsCommandLineOrderAcrossFlagsAndFiles) {
  TempDir tmp;
  const std::string file = tmp.File("rules");
  ASSERT_TRUE(WriteFile(file, "deny proto udp\nallow proto tcp dport 22\n"));
  auto c = Parse(
      {"--allow", "src 10.1.0.0/16", "--rules", file, "--deny=10.0.0.0/8", "--default", "deny"});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->rules.size(), 4u);
  EXPECT_EQ(c->rules[0].text, "allow src 10.1.0.0/16");
  EXPECT_EQ(c->rules[1].text, "deny proto udp");
  EXPECT_EQ(c->rules[2].text, "allow proto tcp dport 22");
  EXPECT_EQ(c->rules[3].text, "deny 10.0.0.0/8");
  EXPECT_EQ(c->default_verdict, Verdict::kDeny);

  auto d = Parse({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->default_verdict, Verdict::kAllow);
  EXPECT_TRUE(d->rules.empty());
}

TEST(ParseFlagsTest, ErrorsNameFlagRuleAndField) {
  EXPECT_THAT(ErrorOf({"--deny", "src 10.0.0.0/8 dport 99999"}),
              HasSubstr("--deny \"src 10.0.0.0/8 dport 99999\": dport: '99999'"));
  EXPECT_THAT(ErrorOf({"--allow", "sauce 1.2.3.4"}), HasSubstr("--allow \"sauce 1.2.3.4\""));
  EXPECT_THAT(ErrorOf({"--default", "maybe"}), HasSubstr("--default: 'maybe'"));
  EXPECT_THAT(ErrorOf({"--default", "deny", "--default", "allow"}),
              HasSubstr("--default given twice"));
  EXPECT_THAT(ErrorOf({"--rules", "/nonexistent/rules"}),
              HasSubstr("--rules: cannot read '/nonexistent/rules'"));
  EXPECT_THAT(ErrorOf({"--block", "x"}), HasSubstr("unknown argument \"--block\""));
  TempDir tmp;
  const std::string file = tmp.File("rules");
  ASSERT_TRUE(WriteFile(file, "allow any\ndeny src 300.0.0.0/8\n"));
  EXPECT_THAT(ErrorOf({"--rules", file}),
              HasSubstr(file + ":2: rule \"deny src 300.0.0.0/8\": src: '300.0.0.0/8'"));
}

TEST(RuleSetTest, FirstMatchWinsThenDefault) {
  auto c = Parse({"--allow", "src 10.1.0.0/16", "--deny", "10.0.0.0/8", "--allow",
                  "proto tcp dport 80-443", "--deny", "proto tcp", "--default", "allow"});
  ASSERT_TRUE(c.ok()) << c.status();
  const RuleSet rules(*c);
  EXPECT_EQ(rules.Match(KeyOf(Tcp("10.1.2.3", "192.0.2.1", 1000, 22))), 0);
  EXPECT_EQ(rules.Match(KeyOf(Tcp("10.2.2.3", "192.0.2.1", 1000, 80))), 1);
  EXPECT_EQ(rules.Match(KeyOf(Tcp("192.0.2.9", "192.0.2.1", 1000, 443))), 2);
  EXPECT_EQ(rules.Match(KeyOf(Tcp("192.0.2.9", "192.0.2.1", 1000, 444))), 3);
  EXPECT_EQ(rules.Match(KeyOf(Udp("192.0.2.9", "192.0.2.1", 1000, 444))), -1);
  EXPECT_EQ(rules.Classify(KeyOf(Tcp("10.1.2.3", "192.0.2.1", 1000, 22))), Verdict::kAllow);
  EXPECT_EQ(rules.Classify(KeyOf(Tcp("10.9.2.3", "192.0.2.1", 1000, 22))), Verdict::kDeny);
  EXPECT_EQ(rules.Classify(KeyOf(Udp("192.0.2.9", "192.0.2.1", 1, 2))), Verdict::kAllow);
}

TEST(RuleSetTest, FieldsOnlyMatchPacketsThatHaveThem) {
  auto c = Parse({"--deny", "dport 53", "--deny", "dst 2001:db8::/32", "--allow", "proto icmp",
                  "--default", "deny"});
  ASSERT_TRUE(c.ok()) << c.status();
  const RuleSet rules(*c);
  // Ports without a protocol: TCP and UDP alike.
  EXPECT_EQ(rules.Match(KeyOf(Udp("192.0.2.1", "192.0.2.2", 9, 53))), 0);
  EXPECT_EQ(rules.Match(KeyOf(Tcp("192.0.2.1", "192.0.2.2", 9, 53))), 0);
  // An IPv6 prefix never matches IPv4, and a v4 packet without ports skips
  // port rules.
  const Frame icmp = PacketBuilder().Ipv4("192.0.2.1", "192.0.2.2").IpProto(1).Build();
  EXPECT_EQ(rules.Match(KeyOf(icmp)), 2);
  const Frame v6 = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Udp(1, 2).Build();
  EXPECT_EQ(rules.Match(KeyOf(v6)), 1);
  // Not IP (ARP): only unconditional rules match, so the default applies.
  const Frame arp = PacketBuilder().EtherType(0x0806).FrameSize(60).Build();
  EXPECT_EQ(rules.Match(KeyOf(arp)), -1);
  EXPECT_EQ(rules.Classify(KeyOf(arp)), Verdict::kDeny);
}

TEST(RuleSetTest, VlanTaggedPacketsMatchOnTheirIpHeader) {
  auto c = Parse({"--deny", "src 198.18.0.0/15 proto udp"});
  ASSERT_TRUE(c.ok());
  const RuleSet rules(*c);
  const Frame f = PacketBuilder().Vlan(100).Ipv4("198.18.0.7", "10.0.0.1").Udp(1, 2).Build();
  EXPECT_EQ(rules.Classify(KeyOf(f)), Verdict::kDeny);
}

}  // namespace
}  // namespace onvm::examples::firewall
