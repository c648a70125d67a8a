#include "pattern_matcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "harness/harness.h"
#include "onvm/packet_key.h"

namespace onvm::examples::payload_scan {
namespace {

using ::onvm::testing::Frame;
using ::onvm::testing::PacketBuilder;
using ::testing::HasSubstr;

PatternMatcher Build(const std::vector<std::string>& patterns) {
  auto m = PatternMatcher::Build(patterns);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

bool Contains(const PatternMatcher& m, const std::string& text) {
  return m.Contains(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

bool Naive(const std::vector<std::string>& patterns, const std::string& text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return text.find(p) != std::string::npos; });
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(PatternMatcherTest, ClassicAhoCorasickSet) {
  const PatternMatcher m = Build({"he", "she", "his", "hers"});
  EXPECT_TRUE(Contains(m, "ushers"));
  EXPECT_TRUE(Contains(m, "xxhisxx"));
  EXPECT_TRUE(Contains(m, "ahe"));
  EXPECT_FALSE(Contains(m, "hi s h e"));
  EXPECT_FALSE(Contains(m, ""));
  EXPECT_FALSE(Contains(m, "HERS"));  // bytes, not case-folded
}

TEST(PatternMatcherTest, SuffixOfAnotherPatternIsFound) {
  // "bcd" ends inside "abcx...": only the failure links see it.
  const PatternMatcher m = Build({"abcx", "bcd"});
  EXPECT_TRUE(Contains(m, "abcd"));
  EXPECT_FALSE(Contains(m, "abcabc"));
  const PatternMatcher n = Build({"aaab", "ab"});
  EXPECT_TRUE(Contains(n, "aaaab"));
}

TEST(PatternMatcherTest, BinaryBytes) {
  const PatternMatcher m = Build({std::string("\x00\xff\x00", 3), "\xde\xad\xbe\xef"});
  EXPECT_TRUE(Contains(m, std::string("ab\x00\xff\x00", 5)));
  EXPECT_TRUE(Contains(m, "..\xde\xad\xbe\xef.."));
  EXPECT_FALSE(Contains(m, std::string("\x00\xff\x01", 3)));
}

TEST(PatternMatcherTest, StreamsAcrossChunks) {
  const PatternMatcher m = Build({"EVILPAYLOAD", "xyz"});
  const std::string text = "0123456789EVILPAYLOAD0123";
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); ++b) {
      const auto* p = reinterpret_cast<const uint8_t*>(text.data());
      PatternMatcher::State s = m.Feed(PatternMatcher::kStart, p, a);
      if (s != PatternMatcher::kMatched) s = m.Feed(s, p + a, b - a);
      if (s != PatternMatcher::kMatched) s = m.Feed(s, p + b, text.size() - b);
      ASSERT_EQ(s, PatternMatcher::kMatched) << a << " " << b;
    }
  }
}

TEST(PatternMatcherTest, AgreesWithNaiveSearch) {
  std::mt19937 rng(5);
  // A small alphabet makes partial matches and overlaps common.
  auto word = [&](size_t len) {
    std::string s;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + rng() % 3));
    return s;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> patterns;
    const size_t n = 1 + rng() % 8;
    for (size_t i = 0; i < n; ++i) patterns.push_back(word(1 + rng() % 6));
    if (std::any_of(patterns.begin(), patterns.end(), [](auto& p) { return p.size() == 1; })) {
      patterns.erase(patterns.begin());  // one-letter patterns match nearly everything
      if (patterns.empty()) continue;
    }
    const PatternMatcher m = Build(patterns);
    for (int t = 0; t < 20; ++t) {
      const std::string text = word(rng() % 24);
      ASSERT_EQ(Contains(m, text), Naive(patterns, text)) << round << " " << text;
    }
  }
}

TEST(PatternMatcherTest, BuildErrors) {
  EXPECT_FALSE(PatternMatcher::Build({}).ok());
  EXPECT_FALSE(PatternMatcher::Build({"a", ""}).ok());
  EXPECT_FALSE(PatternMatcher::Build({std::string(PatternMatcher::kMaxTotalBytes + 1, 'x')}).ok());
}

TEST(ParseHexPatternTest, Forms) {
  EXPECT_EQ(ParseHexPattern("--hex-pattern", "deadBEEF").value_or(""), "\xde\xad\xbe\xef");
  EXPECT_EQ(ParseHexPattern("--hex-pattern", "0x00ff").value_or("?"), std::string("\x00\xff", 2));
  EXPECT_EQ(ParseHexPattern("--hex-pattern", "de:ad be").value_or(""), "\xde\xad\xbe");
  EXPECT_THAT(std::string(ParseHexPattern("--hex-pattern", "abc").status().message()),
              HasSubstr("--hex-pattern: 'abc'"));
  EXPECT_FALSE(ParseHexPattern("--hex-pattern", "zz").ok());
  EXPECT_FALSE(ParseHexPattern("--hex-pattern", "").ok());
  EXPECT_FALSE(ParseHexPattern("--hex-pattern", "d:e").ok());
}

PayloadRange RangeOf(const Frame& f) {
  PacketKey key;
  ParsePacket(f.data(), f.size(), &key);
  return FindPayload(f.data(), f.size(), f.size(), key);
}

TEST(FindPayloadTest, AfterTheL4Header) {
  const Frame udp =
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Payload(Bytes("abc")).Build();
  PayloadRange r = RangeOf(udp);
  EXPECT_EQ(r.begin, 14u + 20 + 8);
  EXPECT_EQ(r.end, udp.size());
  const Frame tcp = PacketBuilder()
                        .Vlan(5)
                        .Ipv6("2001:db8::1", "2001:db8::2")
                        .Tcp(1, 2)
                        .Payload(Bytes("abcdef"))
                        .Build();
  r = RangeOf(tcp);
  EXPECT_EQ(r.begin, 14u + 4 + 40 + 20);
  EXPECT_EQ(r.end, tcp.size());
  // TCP options: the data offset says where the payload starts.
  Frame opts =
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1, 2).Payload(Bytes("0123456789ab")).Build();
  opts[14 + 20 + 12] = 8 << 4;  // 32-byte header
  r = RangeOf(opts);
  EXPECT_EQ(r.begin, 14u + 20 + 32);
  const Frame icmp =
      PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").IpProto(1).Payload(Bytes("0123456789")).Build();
  r = RangeOf(icmp);
  EXPECT_EQ(r.begin, 14u + 20 + 8);
}

TEST(FindPayloadTest, EthernetPaddingIsNotPayload) {
  Frame f = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Payload(Bytes("ab")).Build();
  const size_t ip_end = f.size();
  f.resize(60, 0);  // what a short frame looks like on the wire
  const PayloadRange r = RangeOf(f);
  EXPECT_EQ(r.begin, ip_end - 2);
  EXPECT_EQ(r.end, ip_end);
}

TEST(FindPayloadTest, NotIpIsScannedAfterTheEthernetHeader) {
  const Frame arp = PacketBuilder().Vlan(3).EtherType(0x0806).FrameSize(60).Build();
  const PayloadRange r = RangeOf(arp);
  EXPECT_EQ(r.begin, 18u);
  EXPECT_EQ(r.end, 60u);
}

TEST(PayloadScanFlagsTest, Parse) {
  const std::vector<std::string> args = {"--pattern", "EVIL",     "--hex-pattern",
                                         "dead",      "--action", "pass"};
  auto c = ParseFlags(args);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->patterns, (std::vector<std::string>{"EVIL", "\xde\xad"}));
  EXPECT_EQ(c->action, Action::kPass);
  const std::vector<std::string> none = {"--action", "drop"};
  EXPECT_THAT(std::string(ParseFlags(none).status().message()), HasSubstr("at least one"));
  const std::vector<std::string> bad = {"--pattern", "x", "--action", "reject"};
  EXPECT_THAT(std::string(ParseFlags(bad).status().message()), HasSubstr("--action: 'reject'"));
  const std::vector<std::string> dflt = {"--pattern", "x"};
  EXPECT_EQ(ParseFlags(dflt)->action, Action::kDrop);
}

}  // namespace
}  // namespace onvm::examples::payload_scan
