// Fuzz target: the rte_acl rule classifier (engine/classifier.{h,cc})
// against the linear reference matcher the unit tests use
// (test/engine/rule_gen.h LinearClassify: onvm::MatchesHeaders over the
// rules in order).
//
// Input:
//   byte 0      bit 7 clear: the fixed rule set (see FixedRules), compiled
//               once with the engine's options and once in small groups, is
//               used and the frames start at byte 1.
//               bit 7 set: bits 0-3 give a number of rules (0..15) that
//               follow, kRuleBytes each (see DecodeRule); bit 6 compiles
//               them with every set grouped by address shape and split by
//               protocol, and at most bits 4-5 + 1 rules per context.
//   then frames, each: length (1 byte), port index (1 byte), that many
//               bytes (a length past the end takes what is left).
// Each frame is copied into a heap buffer of exactly its size, so a read
// past its end in the parser is an ASan report. Frames are parsed
// (ParsePacket), turned into classifier keys (MakeAclKey) and classified in
// bursts of one port each; every answer must be the linear scan's. A
// disagreement aborts with the packet and the rule involved, which
// libFuzzer reports as a crash and saves.
//
// DPDK: rte_acl allocates its contexts with rte_malloc, so the EAL is
// initialised once in LLVMFuzzerInitialize, as for the unit tests: anonymous
// memory instead of hugepages, no shared config files (--in-memory does not
// go with --no-huge), no PCI scan, no telemetry, a file prefix of its own
// per process.
#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "classifier.h"
#include "dpdk_files.h"
#include "onvm/match.h"
#include "onvm/packet_key.h"
#include "rule_gen.h"

namespace {

using onvm::CompiledMatch;
using onvm::PacketKey;
using onvm::engine::AclKey;
using onvm::engine::Classifier;
using onvm::engine::ClassifierRule;
using onvm::engine::MakeAclKey;
using onvm::engine::testing::AsClassifierRules;
using onvm::engine::testing::GenRule;
using onvm::engine::testing::LinearClassify;
using onvm::engine::testing::TrafficGen;

constexpr size_t kRuleBytes = 24;
constexpr size_t kMaxFrames = 256;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_classifier: invariant broken: %s\n", what.c_str());
  std::abort();
}

std::string g_file_prefix;

// The CPUs this process may run on, as an EAL cpuset such as "(0,1)": the
// EAL would pin the fuzzer to CPU 0 otherwise, every -jobs process on the
// same CPU.
std::string AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return "(0)";
  std::string cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) absl::StrAppend(&cpus, cpus.empty() ? "" : ",", c);
  }
  return absl::StrCat("(", cpus, ")");
}

void CleanUpEal() {
  rte_eal_cleanup();
  onvm::engine::RemoveDpdkFiles(g_file_prefix);
}

// Appends `m` compiled as the agent and the engine compile it; false when
// CompileMatch refuses it.
bool Compile(const onvm::v1::Match& m, int32_t in_port, std::vector<GenRule>* out) {
  auto c = onvm::CompileMatch(m, "fuzz");
  if (!c.ok()) return false;
  GenRule r;
  r.match = *std::move(c);
  r.in_port = in_port;
  out->push_back(std::move(r));
  return true;
}

// Hand-written rules on the edges the unit tests check (prefix and range
// ends, VLAN 0 and 4095, per-port rules up to port 255, non-IP rules),
// then a stress mix from the unit tests' generator.
std::vector<GenRule> FixedRules() {
  std::vector<GenRule> rules;
  auto add = [&](int32_t port, auto fill) {
    onvm::v1::Match m;
    if (port >= 0) m.set_in_port(absl::StrCat("p", port));
    fill(m);
    if (!Compile(m, port, &rules)) Fail("a fixed rule does not compile");
  };
  using M = onvm::v1::Match;
  add(255, [](M& m) { m.set_src_prefix("10.0.0.0/8"); });
  add(1, [](M& m) {
    m.set_ip_proto("tcp");
    m.set_dst_ports("80-443");
  });
  add(-1, [](M& m) { m.set_src_prefix("10.0.0.0/31"); });
  add(-1, [](M& m) { m.set_dst_prefix("192.168.1.128/25"); });
  add(-1, [](M& m) { m.set_src_prefix("2001:db8::/33"); });
  add(-1, [](M& m) { m.set_dst_prefix("2001:db8:0:0:1::/80"); });
  add(-1, [](M& m) {
    m.set_src_prefix("::ffff:0:0/96");
    m.set_dst_prefix("::1/128");
  });
  add(-1, [](M& m) {
    m.set_ip_proto("udp");
    m.set_src_ports("0");
  });
  add(-1, [](M& m) {
    m.set_ip_proto("sctp");
    m.set_src_ports("1024-1024");
  });
  add(0, [](M& m) { m.set_vlan_id(4095); });
  add(-1, [](M& m) { m.set_vlan_id(0); });
  add(-1, [](M& m) {
    m.set_vlan_id(100);
    m.set_eth_type("ipv4");
  });
  add(2, [](M& m) { m.set_eth_type("arp"); });
  add(-1, [](M& m) { m.set_eth_type("0x88cc"); });
  add(-1, [](M& m) { m.set_ip_proto("0"); });
  add(-1, [](M& m) { m.set_src_prefix("128.0.0.0/1"); });
  add(-1, [](M& m) { m.set_ip_proto("icmpv6"); });
  add(3, [](M& m) { m.set_dst_prefix("::/0"); });
  TrafficGen gen(4242);
  for (GenRule& r : gen.RandomRules(300)) rules.push_back(std::move(r));
  return rules;
}

struct Parsed {
  std::vector<uint8_t> bytes;
  uint16_t in_port = 0;
  PacketKey key;
};

// Reads 16 bits, big-endian.
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

std::string AddressText(int version, const uint8_t* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
  return text;
}

// One rule from kRuleBytes bytes:
//   r[0] which fields are set: bit 0 in_port, 1 ethType, 2 vlanId,
//        3 srcPrefix, 4 dstPrefix, 5 ipProto, 6 srcPorts, 7 dstPorts
//   r[1] bit 0: IPv6 prefixes; bits 1, 2: the source / destination
//        address is the first packet's (so that prefixes of any length land
//        on real traffic); bits 4-7: ether type (kEthTypes, or 8-15: the
//        number in r[3..4])
//   r[2] port index (mod 4, or 255 when >= 252)
//   r[3..4] VLAN id (low 12 bits) or raw ether type
//   r[5], r[6] source and destination prefix lengths (mod 33 or 129)
//   r[7] IP protocol
//   r[8..11] source ports lo, hi; r[12..15] destination ports
//   r[16..19], r[20..23] source and destination address bytes (IPv6: the
//        4 bytes repeated)
// Returns false when CompileMatch refuses the combination (ports without
// TCP/UDP/SCTP, an ether type that contradicts the prefix, ...).
bool DecodeRule(const uint8_t* r, const Parsed* first, std::vector<GenRule>* out) {
  static constexpr const char* kEthTypes[] = {"ipv4", "ipv6",   "arp",    "0x88cc",
                                              "0",    "0xffff", "0x0801", "0x86dc"};
  onvm::v1::Match m;
  const uint8_t set = r[0];
  const int version = (r[1] & 1) != 0 ? 6 : 4;
  int32_t in_port = -1;
  if ((set & 0x01) != 0) {
    in_port = r[2] >= 252 ? 255 : r[2] % 4;
    m.set_in_port(absl::StrCat("p", in_port));
  }
  if ((set & 0x02) != 0) {
    const int e = r[1] >> 4;
    m.set_eth_type(e < 8 ? kEthTypes[e] : absl::StrCat(Get16(r + 3)));
  }
  if ((set & 0x04) != 0) m.set_vlan_id(Get16(r + 3) & 0xfff);
  auto prefix = [&](int which) {
    uint8_t addr[16];
    for (int i = 0; i < 16; ++i) addr[i] = r[16 + 4 * which + i % 4];
    const bool anchored = (r[1] & (2 << which)) != 0;
    if (anchored && first != nullptr && first->key.ip_version == version) {
      std::memcpy(addr, which == 0 ? first->key.src_addr : first->key.dst_addr, 16);
    }
    const int length = r[5 + which] % (version == 4 ? 33 : 129);
    return absl::StrCat(AddressText(version, addr), "/", length);
  };
  if ((set & 0x08) != 0) m.set_src_prefix(prefix(0));
  if ((set & 0x10) != 0) m.set_dst_prefix(prefix(1));
  if ((set & 0x20) != 0) m.set_ip_proto(absl::StrCat(r[7]));
  auto range = [](const uint8_t* p) {
    uint16_t lo = Get16(p);
    uint16_t hi = Get16(p + 2);
    if (lo > hi) std::swap(lo, hi);
    return absl::StrCat(lo, "-", hi);
  };
  if ((set & 0x40) != 0) m.set_src_ports(range(r + 8));
  if ((set & 0x80) != 0) m.set_dst_ports(range(r + 12));
  return Compile(m, in_port, out);
}

std::string Describe(const PacketKey& k, uint16_t in_port) {
  std::string s =
      absl::StrCat("port=", in_port, " eth=0x", absl::Hex(k.eth_type),
                   " vlan=", k.has_vlan ? absl::StrCat(k.vlan_id) : "-", " ipv=", k.ip_version,
                   " proto=", k.ip_proto, " l4=", k.has_l4_ports, " sport=", k.src_port,
                   " dport=", k.dst_port, " malformed=", k.malformed);
  if (k.ip_version != 0) {
    absl::StrAppend(&s, " src=", AddressText(k.ip_version, k.src_addr),
                    " dst=", AddressText(k.ip_version, k.dst_addr));
  }
  return s;
}

std::string Describe(const std::vector<GenRule>& rules, uint32_t rule) {
  if (rule >= rules.size()) return "no rule";
  const CompiledMatch& m = rules[rule].match;
  return absl::StrCat("rule ", rule, " (in_port=", rules[rule].in_port, " eth=", m.eth_type,
                      " vlan=", m.vlan_id, " src=v", m.src.version, "/", m.src.length, " dst=v",
                      m.dst.version, "/", m.dst.length, " proto=", m.ip_proto,
                      " sports=", m.src_ports.lo, "-", m.src_ports.hi, " dports=", m.dst_ports.lo,
                      "-", m.dst_ports.hi, ")");
}

// Classifies `packets` with `c`, one burst per port at a time, and checks
// each answer against the linear scan over `rules`.
void CheckAgainstLinear(const Classifier& c, const std::vector<GenRule>& rules,
                        const std::vector<Parsed>& packets) {
  std::vector<size_t> order(packets.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return packets[a].in_port < packets[b].in_port; });
  AclKey keys[Classifier::kMaxBurst];
  uint32_t got[Classifier::kMaxBurst];
  for (size_t start = 0; start < order.size();) {
    const uint16_t port = packets[order[start]].in_port;
    uint32_t n = 0;
    while (start + n < order.size() && n < Classifier::kMaxBurst &&
           packets[order[start + n]].in_port == port) {
      const Parsed& p = packets[order[start + n]];
      MakeAclKey(p.key, p.in_port, &keys[n]);
      ++n;
    }
    c.Classify(port, keys, n, got);
    for (uint32_t i = 0; i < n; ++i) {
      const Parsed& p = packets[order[start + i]];
      const uint32_t want = LinearClassify(rules, p.key, p.in_port);
      if (got[i] != want) {
        Fail(absl::StrCat("packet ", order[start + i], " (", Describe(p.key, p.in_port),
                          "): classifier says ", Describe(rules, got[i]), ", linear scan says ",
                          Describe(rules, want)));
      }
    }
    start += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  g_file_prefix = absl::StrCat("onvm-fuzz-cls-", getpid());
  std::vector<std::string> args = {"fuzz_classifier",
                                   "--no-shconf",
                                   "--no-huge",
                                   "-m",
                                   "256",
                                   "--no-pci",
                                   "--no-telemetry",
                                   "--lcores",
                                   absl::StrCat("0@", AllowedCpus()),
                                   "--file-prefix",
                                   g_file_prefix,
                                   "--log-level",
                                   "*:error"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    std::fprintf(stderr, "fuzz_classifier: rte_eal_init: %s\n", rte_strerror(rte_errno));
    std::abort();
  }
  // Without shared files the EAL keeps nothing in its runtime directory but
  // creates it: removed now, so that a crashed run leaves nothing behind.
  onvm::engine::RemoveDpdkFiles(g_file_prefix);
  std::atexit(CleanUpEal);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool own_rules = (data[0] & 0x80) != 0;
  const size_t rule_count = own_rules ? data[0] & 0x0f : 0;
  size_t at = 1;
  const size_t rule_at = at;
  if (own_rules) {
    if (size < at + rule_count * kRuleBytes) return 0;
    at += rule_count * kRuleBytes;
  }

  // Frames: exactly-sized heap copies, parsed.
  std::vector<Parsed> packets;
  while (at + 2 <= size && packets.size() < kMaxFrames) {
    const size_t len = std::min<size_t>(data[at], size - at - 2);
    Parsed& p = packets.emplace_back();
    p.in_port = data[at + 1];
    p.bytes.assign(data + at + 2, data + at + 2 + len);
    onvm::ParsePacket(p.bytes.empty() ? nullptr : p.bytes.data(), p.bytes.size(), &p.key);
    at += 2 + len;
  }

  if (!own_rules) {
    // Compiled once, as the engine does and in groups as small as they get
    // (every set grouped by address shape and split by protocol, at most 16
    // rules a context).
    static const std::vector<GenRule>* const rules = new std::vector<GenRule>(FixedRules());
    static const std::vector<Classifier>* const classifiers = [] {
      Classifier::Options fine;
      fine.shape_group_min = 1;
      fine.proto_split_min = 1;
      fine.max_context_rules = 16;
      auto* out = new std::vector<Classifier>();
      for (const Classifier::Options& options : {Classifier::Options(), fine}) {
        auto c = Classifier::Build(AsClassifierRules(*rules), options);
        if (!c.ok()) Fail(absl::StrCat("the fixed rules do not compile: ", c.status().ToString()));
        out->push_back(*std::move(c));
      }
      return out;
    }();
    for (const Classifier& c : *classifiers) CheckAgainstLinear(c, *rules, packets);
    return 0;
  }

  std::vector<GenRule> rules;
  for (size_t i = 0; i < rule_count; ++i) {
    DecodeRule(data + rule_at + i * kRuleBytes, packets.empty() ? nullptr : &packets[0], &rules);
  }
  Classifier::Options options;
  if ((data[0] & 0x40) != 0) {
    options.shape_group_min = 1;
    options.proto_split_min = 1;
    options.max_context_rules = ((data[0] >> 4) & 0x3) + 1;
  }
  const std::vector<ClassifierRule> input = AsClassifierRules(rules);
  auto c = Classifier::Build(input, options);
  if (!c.ok()) Fail(absl::StrCat("valid rules do not compile: ", c.status().ToString()));
  if (c->rule_count() != rules.size()) Fail("rule_count differs from the rules given");
  CheckAgainstLinear(*c, rules, packets);
  return 0;
}
