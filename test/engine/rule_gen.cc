#include "rule_gen.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace onvm::engine::testing {
namespace {

template <typename T, size_t N>
T Pick(std::mt19937_64& rng, const T (&pool)[N]) {
  return pool[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

// Base addresses; random low bits are added so rules and packets collide
// often enough to exercise overlaps.
constexpr std::array<uint8_t, 4> kV4Bases[] = {
    {10, 0, 0, 0},     {10, 1, 0, 0}, {192, 168, 0, 0},   {172, 16, 0, 0},
    {198, 51, 100, 0}, {0, 0, 0, 0},  {255, 255, 255, 0},
};
constexpr std::array<uint8_t, 16> kV6Bases[] = {
    {0x20, 0x01, 0x0d, 0xb8},
    {0x20, 0x01, 0x0d, 0xb8, 0, 1},
    {0xfe, 0x80},
    {},
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
};
constexpr int kV4Lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32};
constexpr int kV6Lengths[] = {0, 1, 31, 32, 33, 48, 63, 64, 65, 95, 96, 97, 127, 128};
constexpr uint16_t kPortPoints[] = {0, 1, 2, 53, 79, 80, 81, 443, 1023, 1024, 8080, 65534, 65535};
constexpr uint8_t kProtos[] = {6, 6, 17, 17, 132, 1, 58, 0, 47};
constexpr uint16_t kEthTypes[] = {0x0800, 0x86dd, 0x0806, 0x88cc, 0x0000, 0xffff};
constexpr uint16_t kVlans[] = {0, 1, 2, 100, 4095};

void Put16(std::vector<uint8_t>* f, uint16_t v) {
  f->push_back(static_cast<uint8_t>(v >> 8));
  f->push_back(static_cast<uint8_t>(v));
}

}  // namespace

void TrafficGen::RandomAddress(int version, uint8_t* out) {
  const int bytes = version == 4 ? 4 : 16;
  if (version == 4) {
    std::memcpy(out, Pick(rng_, kV4Bases).data(), 4);
  } else {
    std::memcpy(out, Pick(rng_, kV6Bases).data(), 16);
  }
  // Random bits in the last one or two bytes, sometimes anywhere.
  const int randomized = Chance(0.2) ? bytes : static_cast<int>(Uniform(0, 2));
  for (int i = bytes - randomized; i < bytes; ++i) out[i] = static_cast<uint8_t>(Uniform(0, 255));
}

Prefix TrafficGen::RandomPrefix(int version) {
  uint8_t addr[16] = {};
  RandomAddress(version, addr);
  int length = 0;
  if (Chance(0.7)) {
    length = version == 4 ? Pick(rng_, kV4Lengths) : Pick(rng_, kV6Lengths);
  } else {
    length = static_cast<int>(Uniform(0, version == 4 ? 32 : 128));
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
  // Through the production parser, so that masking is what the engine does.
  auto p = ParsePrefix("test", absl::StrCat(text, "/", length));
  if (!p.ok()) std::abort();
  return *p;
}

GenRule TrafficGen::RandomRule() {
  GenRule r;
  CompiledMatch& m = r.match;
  if (Chance(0.3)) {
    r.in_port = static_cast<int32_t>(Uniform(0, kGenPorts - 1));
    m.in_port = absl::StrCat("p", r.in_port);
  }
  if (Chance(0.15)) {
    m.eth_type = Chance(0.8) ? Pick(rng_, kEthTypes) : static_cast<int32_t>(Uniform(0, 0xffff));
  }
  if (Chance(0.15)) m.vlan_id = Chance(0.8) ? Pick(rng_, kVlans) : Uniform(0, 4095);
  const uint32_t family = Uniform(0, 9);
  const int version = family < 4 ? 4 : family < 7 ? 6 : 0;
  if (version != 0) {
    const uint32_t which = Uniform(0, 2);  // src, dst, both
    if (which != 1) m.src = RandomPrefix(version);
    if (which != 0) m.dst = RandomPrefix(version);
    if (m.eth_type < 0 && Chance(0.2)) m.eth_type = version == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6;
  }
  if (Chance(0.5)) m.ip_proto = Chance(0.9) ? Pick(rng_, kProtos) : Uniform(0, 255);
  const bool has_ports = m.ip_proto == kIpProtoTcp || m.ip_proto == kIpProtoUdp ||
                         m.ip_proto == kIpProtoSctp || (m.ip_proto < 0 && Chance(0.05));
  auto range = [&]() {
    uint16_t a = Chance(0.8) ? Pick(rng_, kPortPoints) : static_cast<uint16_t>(Uniform(0, 65535));
    uint16_t b = Chance(0.4) ? a : Pick(rng_, kPortPoints);
    if (a > b) std::swap(a, b);
    return PortRange{a, b};
  };
  if (has_ports && Chance(0.5)) m.src_ports = range();
  if (has_ports && Chance(0.6)) m.dst_ports = range();
  return r;
}

namespace {

// Whether a rule singles out a small part of the traffic: a long enough
// prefix, a narrow port range, a VLAN or an unusual ether type.
bool IsNarrow(const CompiledMatch& m) {
  auto long_prefix = [](const Prefix& p) {
    return p.version != 0 && p.length >= (p.version == 4 ? 8 : 32);
  };
  auto narrow_range = [](const PortRange& r) { return r.hi - r.lo < 1024; };
  return long_prefix(m.src) || long_prefix(m.dst) || narrow_range(m.src_ports) ||
         narrow_range(m.dst_ports) || m.vlan_id >= 0 ||
         (m.eth_type >= 0 && m.eth_type != kEtherTypeIpv4 && m.eth_type != kEtherTypeIpv6);
}

}  // namespace

std::vector<GenRule> TrafficGen::RandomRules(size_t n) {
  // Mostly narrow rules (as in real rule sets), so that broad ones do not
  // shadow everything after them; a few broad ones (per-port catch-alls
  // included, but none that matches everything, so that misses stay
  // possible) towards the end, where default rules sit.
  std::vector<GenRule> narrow;
  std::vector<GenRule> broad;
  while (narrow.size() + broad.size() < n) {
    GenRule r = RandomRule();
    const CompiledMatch& m = r.match;
    const bool matches_all = r.in_port < 0 && m.eth_type < 0 && m.vlan_id < 0 &&
                             m.src.version == 0 && m.dst.version == 0 && m.ip_proto < 0 &&
                             m.src_ports.any() && m.dst_ports.any();
    if (IsNarrow(m)) {
      narrow.push_back(std::move(r));
    } else if (!matches_all && Chance(0.03)) {
      broad.push_back(std::move(r));
    }
  }
  // Broad rules go among the last tenth.
  std::vector<GenRule> rules = std::move(narrow);
  for (GenRule& r : broad) {
    const size_t lo = rules.size() - rules.size() / 10;
    rules.insert(
        rules.begin() + static_cast<std::ptrdiff_t>(Uniform(static_cast<uint32_t>(lo),
                                                            static_cast<uint32_t>(rules.size()))),
        std::move(r));
  }
  return rules;
}

GenRule TrafficGen::AclRule() {
  GenRule r;
  CompiledMatch& m = r.match;
  if (Chance(0.2)) {
    r.in_port = static_cast<int32_t>(Uniform(0, kGenPorts - 1));
    m.in_port = absl::StrCat("p", r.in_port);
  }
  if (Chance(0.05)) m.vlan_id = Pick(rng_, kVlans);
  const int version = Chance(0.85) ? 4 : 6;
  auto prefix = [&](std::initializer_list<std::pair<int, int>> lengths) {
    // (length, weight) pairs; length -1: wild.
    int total = 0;
    for (auto [len, w] : lengths) total += w;
    int pick = static_cast<int>(Uniform(0, static_cast<uint32_t>(total - 1)));
    int length = 0;
    for (auto [len, w] : lengths) {
      if (pick < w) {
        length = len;
        break;
      }
      pick -= w;
    }
    if (length < 0) return Prefix{};
    uint8_t addr[16] = {};
    RandomAddress(version, addr);
    if (version == 6) length = std::min(128, length * 4);  // same shape, IPv6 scale
    char text[INET6_ADDRSTRLEN];
    inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
    auto p = ParsePrefix("test", absl::StrCat(text, "/", length));
    if (!p.ok()) std::abort();
    return *p;
  };
  m.src = prefix({{-1, 30}, {8, 5}, {16, 15}, {24, 25}, {28, 5}, {32, 20}});
  m.dst = prefix({{-1, 5}, {16, 10}, {24, 35}, {28, 10}, {32, 40}});
  if (m.src.version == 0 && m.dst.version == 0) m.dst = prefix({{32, 1}});
  const uint32_t proto = Uniform(0, 99);
  m.ip_proto = proto < 60 ? kIpProtoTcp : proto < 90 ? kIpProtoUdp : proto < 95 ? kIpProtoIcmp : -1;
  if (m.ip_proto == kIpProtoTcp || m.ip_proto == kIpProtoUdp) {
    constexpr uint16_t kServices[] = {22, 25, 53, 80, 123, 443, 3306, 5432, 8080, 8443};
    const uint32_t d = Uniform(0, 99);
    if (d < 60) {
      const uint16_t port =
          Chance(0.7) ? Pick(rng_, kServices) : static_cast<uint16_t>(Uniform(1, 65535));
      m.dst_ports = PortRange{port, port};
    } else if (d < 80) {
      constexpr PortRange kRanges[] = {{1024, 65535}, {0, 1023}, {6000, 6063}, {8000, 8999}};
      m.dst_ports = Pick(rng_, kRanges);
    }
    if (Chance(0.1)) m.src_ports = Chance(0.5) ? PortRange{1024, 65535} : PortRange{53, 53};
  }
  return r;
}

std::vector<GenRule> TrafficGen::AclRules(size_t n) {
  std::vector<GenRule> rules;
  rules.reserve(n);
  for (size_t i = 0; i < n; ++i) rules.push_back(AclRule());
  return rules;
}

uint16_t TrafficGen::EdgePort(const PortRange& r) {
  switch (Chance(0.5) ? Uniform(0, 5) : Uniform(1, 2)) {
    case 0:
      return static_cast<uint16_t>(r.lo - 1);  // wraps at 0: fine, any port
    case 1:
      return r.lo;
    case 2:
      return r.hi;
    case 3:
      return static_cast<uint16_t>(r.hi + 1);
    case 4:
      return Pick(rng_, kPortPoints);
    default:
      return static_cast<uint16_t>(Uniform(r.lo, r.hi));
  }
}

void TrafficGen::EdgeAddress(const Prefix& p, uint8_t* out) {
  const int bytes = p.version == 4 ? 4 : 16;
  std::memcpy(out, p.addr, static_cast<size_t>(bytes));
  auto set_host_bits = [&](bool ones) {
    for (int bit = p.length; bit < bytes * 8; ++bit) {
      const auto mask = static_cast<uint8_t>(0x80 >> (bit % 8));
      out[bit / 8] = ones ? (out[bit / 8] | mask) : (out[bit / 8] & ~mask);
    }
  };
  // Adds +1 or -1 to the address as a big-endian number.
  auto step = [&](bool up) {
    for (int i = bytes - 1; i >= 0; --i) {
      out[i] = static_cast<uint8_t>(up ? out[i] + 1 : out[i] - 1);
      if (out[i] != (up ? 0x00 : 0xff)) break;
    }
  };
  switch (Chance(0.5) ? Uniform(0, 5) : 5 * Uniform(0, 1)) {
    case 0:  // first address of the prefix
      break;
    case 1:  // last address
      set_host_bits(true);
      break;
    case 2:  // just below the prefix
      step(false);
      break;
    case 3:  // just above
      set_host_bits(true);
      step(true);
      break;
    case 4:  // last prefix bit flipped
      if (p.length > 0)
        out[(p.length - 1) / 8] ^= static_cast<uint8_t>(0x80 >> ((p.length - 1) % 8));
      break;
    default:  // random inside
      for (int bit = p.length; bit < bytes * 8; ++bit) {
        if (Chance(0.5)) out[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
      }
      break;
  }
}

GenFrame TrafficGen::RandomFrame(const std::vector<GenRule>& rules) {
  const CompiledMatch* t = nullptr;  // template rule
  GenFrame out;
  out.in_port = RandomInPort();
  if (!rules.empty() && Chance(0.8)) {
    const GenRule& r = rules[Uniform(0, static_cast<uint32_t>(rules.size() - 1))];
    t = &r.match;
    if (r.in_port >= 0 && Chance(0.8)) out.in_port = static_cast<uint16_t>(r.in_port);
  }
  std::vector<uint8_t> f;
  for (int i = 0; i < 12; ++i) f.push_back(static_cast<uint8_t>(Uniform(0, 255)));
  // VLAN tags: none, one, or QinQ.
  const uint32_t tags = Chance(0.6) ? 0 : Chance(0.75) ? 1 : 2;
  for (uint32_t i = 0; i < tags; ++i) {
    Put16(&f, i == 0 && tags == 2 && Chance(0.5) ? kEtherTypeQinQ : kEtherTypeVlan);
    uint16_t vid = Chance(0.7) ? Pick(rng_, kVlans) : static_cast<uint16_t>(Uniform(0, 4095));
    if (i == 0 && t != nullptr && t->vlan_id >= 0 && Chance(0.8)) {
      vid = static_cast<uint16_t>(t->vlan_id);
    }
    Put16(&f, static_cast<uint16_t>((Uniform(0, 15) << 12) | vid));  // PCP/DEI bits too
  }
  // Family: the template's, else a mix.
  int version = 0;
  uint16_t eth_type = 0;
  const uint8_t t_version =
      t == nullptr ? 0 : (t->src.version != 0 ? t->src.version : t->dst.version);
  if (t_version != 0 && Chance(0.85)) {
    version = t_version;
  } else if (t != nullptr && t->eth_type >= 0 && Chance(0.7)) {
    eth_type = static_cast<uint16_t>(t->eth_type);
    version = eth_type == kEtherTypeIpv4 ? 4 : eth_type == kEtherTypeIpv6 ? 6 : 0;
  } else {
    const uint32_t r = Uniform(0, 99);
    version = r < 40 ? 4 : r < 75 ? 6 : 0;
    if (version == 0) {
      eth_type = r < 85   ? kEtherTypeArp
                 : r < 90 ? kEtherTypeVlan
                          : static_cast<uint16_t>(Uniform(0, 0xffff));
    }
  }
  if (version == 4) eth_type = kEtherTypeIpv4;
  if (version == 6) eth_type = kEtherTypeIpv6;
  Put16(&f, eth_type);

  uint8_t proto = Pick(rng_, kProtos);
  if (t != nullptr && t->ip_proto >= 0 && Chance(0.8)) proto = static_cast<uint8_t>(t->ip_proto);
  auto address = [&](const Prefix& p, uint8_t* out) {
    if (p.version == version && Chance(0.85)) {
      EdgeAddress(p, out);
    } else {
      RandomAddress(version, out);
    }
  };
  if (version == 4) {
    const size_t ip = f.size();
    const bool options = Chance(0.1);
    f.resize(ip + (options ? 24 : 20));
    uint8_t ihl = options ? 6 : 5;
    if (Chance(0.03)) ihl = static_cast<uint8_t>(Uniform(0, 4));  // bad IHL
    f[ip] = static_cast<uint8_t>((Chance(0.98) ? 0x40 : 0x60) | ihl);
    const uint32_t frag = Uniform(0, 19);
    if (frag == 0) {
      f[ip + 6] = 0x20;  // MF, offset 0: first fragment, has ports
    } else if (frag == 1) {
      f[ip + 6] = 0x00;
      f[ip + 7] = 0x10;  // offset > 0: no L4 header
    }
    f[ip + 8] = 64;
    f[ip + 9] = proto;
    address(t != nullptr ? t->src : Prefix{}, &f[ip + 12]);
    address(t != nullptr ? t->dst : Prefix{}, &f[ip + 16]);
  } else if (version == 6) {
    const size_t ip = f.size();
    f.resize(ip + 40);
    f[ip] = Chance(0.98) ? 0x60 : 0x40;
    f[ip + 7] = 64;
    address(t != nullptr ? t->src : Prefix{}, &f[ip + 8]);
    address(t != nullptr ? t->dst : Prefix{}, &f[ip + 24]);
    // Extension headers before the L4 header, sometimes.
    size_t nh_at = ip + 6;
    if (Chance(0.2)) {
      constexpr uint8_t kExts[] = {0, 43, 60, 44};
      const uint32_t count = Uniform(1, 3);
      for (uint32_t i = 0; i < count; ++i) {
        const uint8_t ext = Pick(rng_, kExts);
        f[nh_at] = ext;
        const size_t at = f.size();
        f.resize(at + 8);
        nh_at = at;
        if (ext == 44 && Chance(0.5)) {
          f[at + 2] = 0x01;  // fragment offset > 0: no L4 header
        }
      }
    }
    f[nh_at] = proto;
  }
  if (version != 0) {
    uint16_t sport = static_cast<uint16_t>(Uniform(0, 65535));
    uint16_t dport = static_cast<uint16_t>(Uniform(0, 65535));
    if (t != nullptr && Chance(0.9)) {
      sport = EdgePort(t->src_ports);
      dport = EdgePort(t->dst_ports);
    }
    Put16(&f, sport);
    Put16(&f, dport);
  }
  // Payload, then sometimes a cut anywhere (runts, truncated L3/L4).
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(Uniform(0, 255)));
  if (Chance(0.08)) f.resize(Uniform(0, static_cast<uint32_t>(f.size())));
  out.bytes = std::move(f);
  return out;
}

std::vector<ClassifierRule> AsClassifierRules(const std::vector<GenRule>& rules) {
  std::vector<ClassifierRule> out;
  out.reserve(rules.size());
  for (const GenRule& r : rules) out.push_back({&r.match, r.in_port});
  return out;
}

uint32_t LinearClassify(const std::vector<GenRule>& rules, const PacketKey& key, uint16_t in_port) {
  for (size_t i = 0; i < rules.size(); ++i) {
    if ((rules[i].in_port < 0 || rules[i].in_port == in_port) &&
        MatchesHeaders(rules[i].match, key)) {
      return static_cast<uint32_t>(i);
    }
  }
  return Classifier::kNoMatch;
}

}  // namespace onvm::engine::testing
