#include "onvm/match.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "onvm/names.h"

namespace onvm {
namespace {

// The value is quoted escaped (it may hold any bytes) and cut short (it may
// be megabytes long).
absl::Status FieldError(absl::string_view field, absl::string_view value, absl::string_view why) {
  constexpr size_t kMaxQuoted = 64;
  const bool cut = value.size() > kMaxQuoted;
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": '", absl::CHexEscape(value.substr(0, kMaxQuoted)), cut ? "...' " : "' ", why));
}

// Decimal digits only: no sign, no spaces, no base prefix.
bool ParseDecimal(absl::string_view text, uint64_t max, uint64_t* out) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// Decimal, or hexadecimal with a 0x prefix and hex digits only.
bool ParseUint(absl::string_view text, uint64_t max, uint64_t* out) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    const absl::string_view hex = text.substr(2);
    if (hex.size() > 8) return false;
    uint64_t v = 0;
    for (char c : hex) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
      v = v * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    if (v > max) return false;
    *out = v;
    return true;
  }
  return ParseDecimal(text, max, out);
}

void MaskTo(uint8_t* addr, int bytes, int length) {
  for (int i = 0; i < bytes; ++i) {
    const int bits = length - i * 8;
    if (bits >= 8) continue;
    addr[i] &= bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
  }
}

bool PrefixContains(const Prefix& p, uint8_t version, const uint8_t* addr) {
  if (p.version == 0) return true;
  if (p.version != version) return false;
  const int full = p.length / 8;
  if (std::memcmp(p.addr, addr, static_cast<size_t>(full)) != 0) return false;
  const int rest = p.length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[full] & mask) == p.addr[full];
}

}  // namespace

absl::StatusOr<Prefix> ParsePrefix(absl::string_view field, absl::string_view text) {
  Prefix p;
  absl::string_view addr_text = text;
  absl::string_view len_text;
  if (auto slash = text.find('/'); slash != absl::string_view::npos) {
    addr_text = text.substr(0, slash);
    len_text = text.substr(slash + 1);
  }
  const std::string addr(addr_text);
  int max_len = 0;
  // inet_pton stops at a NUL: "10.0.0.1\0junk" must not pass as 10.0.0.1.
  if (addr.find('\0') != std::string::npos) {
    return FieldError(field, text, "is not an IPv4 or IPv6 address or prefix");
  }
  if (inet_pton(AF_INET, addr.c_str(), p.addr) == 1) {
    p.version = 4;
    max_len = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), p.addr) == 1) {
    p.version = 6;
    max_len = 128;
  } else {
    return FieldError(field, text, "is not an IPv4 or IPv6 address or prefix");
  }
  uint64_t len = static_cast<uint64_t>(max_len);
  if (text.find('/') != absl::string_view::npos &&
      !ParseDecimal(len_text, static_cast<uint64_t>(max_len), &len)) {
    return FieldError(field, text, absl::StrCat("has a prefix length outside 0..", max_len));
  }
  p.length = static_cast<uint8_t>(len);
  MaskTo(p.addr, 16, p.length);
  return p;
}

absl::StatusOr<PortRange> ParsePortRange(absl::string_view field, absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  uint64_t lo = 0;
  uint64_t hi = 0;
  if (parts.size() == 1 && ParseDecimal(parts[0], 65535, &lo)) {
    return PortRange{static_cast<uint16_t>(lo), static_cast<uint16_t>(lo)};
  }
  if (parts.size() == 2 && ParseDecimal(parts[0], 65535, &lo) &&
      ParseDecimal(parts[1], 65535, &hi)) {
    if (lo > hi) return FieldError(field, text, "is an empty range (low end above high end)");
    return PortRange{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
  }
  return FieldError(field, text, "is not a port (0..65535) or range such as \"80-443\"");
}

absl::StatusOr<uint8_t> ParseIpProto(absl::string_view field, absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "tcp") return kIpProtoTcp;
  if (t == "udp") return kIpProtoUdp;
  if (t == "icmp") return kIpProtoIcmp;
  if (t == "icmpv6") return kIpProtoIcmpv6;
  if (t == "sctp") return kIpProtoSctp;
  uint64_t v = 0;
  if (ParseUint(t, 255, &v)) return static_cast<uint8_t>(v);
  return FieldError(field, text, "is not tcp, udp, icmp, icmpv6, sctp or a number 0..255");
}

absl::StatusOr<uint16_t> ParseEtherType(absl::string_view field, absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "ipv4") return kEtherTypeIpv4;
  if (t == "ipv6") return kEtherTypeIpv6;
  if (t == "arp") return kEtherTypeArp;
  uint64_t v = 0;
  if (t == "vlan" || (ParseUint(t, 0xffff, &v) && (v == kEtherTypeVlan || v == kEtherTypeQinQ))) {
    // ethType is matched after the VLAN tags; a tag is matched by vlanId.
    return FieldError(field, text, "is a VLAN tag type: match tagged packets with vlanId instead");
  }
  if (ParseUint(t, 0xffff, &v)) return static_cast<uint16_t>(v);
  return FieldError(field, text, "is not ipv4, ipv6, arp or a number such as 0x0800");
}

absl::StatusOr<CompiledMatch> CompileMatch(const onvm::v1::Match& m,
                                           absl::string_view field_prefix) {
  CompiledMatch c;
  auto field = [&](absl::string_view name) { return absl::StrCat(field_prefix, ".", name); };
  if (!m.in_port().empty()) {
    if (absl::Status s = ValidateName(field("inPort"), m.in_port()); !s.ok()) return s;
    c.in_port = m.in_port();
  }
  if (!m.eth_type().empty()) {
    auto v = ParseEtherType(field("ethType"), m.eth_type());
    if (!v.ok()) return v.status();
    c.eth_type = *v;
  }
  if (m.has_vlan_id()) {
    if (m.vlan_id() > 4095) {
      return FieldError(field("vlanId"), absl::StrCat(m.vlan_id()), "is outside 0..4095");
    }
    c.vlan_id = static_cast<int32_t>(m.vlan_id());
  }
  if (!m.src_prefix().empty()) {
    auto v = ParsePrefix(field("srcPrefix"), m.src_prefix());
    if (!v.ok()) return v.status();
    c.src = *v;
  }
  if (!m.dst_prefix().empty()) {
    auto v = ParsePrefix(field("dstPrefix"), m.dst_prefix());
    if (!v.ok()) return v.status();
    c.dst = *v;
  }
  if (c.src.version != 0 && c.dst.version != 0 && c.src.version != c.dst.version) {
    return FieldError(
        field("dstPrefix"), m.dst_prefix(),
        absl::StrCat("is IPv", c.dst.version, " but srcPrefix is IPv", c.src.version));
  }
  const uint8_t version = c.src.version != 0 ? c.src.version : c.dst.version;
  if (version != 0 && c.eth_type >= 0 &&
      c.eth_type != (version == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6)) {
    return FieldError(field("ethType"), m.eth_type(),
                      absl::StrCat("contradicts the IPv", version, " prefix"));
  }
  if (!m.ip_proto().empty()) {
    auto v = ParseIpProto(field("ipProto"), m.ip_proto());
    if (!v.ok()) return v.status();
    c.ip_proto = *v;
  }
  if (!m.src_ports().empty()) {
    auto v = ParsePortRange(field("srcPorts"), m.src_ports());
    if (!v.ok()) return v.status();
    c.src_ports = *v;
  }
  if (!m.dst_ports().empty()) {
    auto v = ParsePortRange(field("dstPorts"), m.dst_ports());
    if (!v.ok()) return v.status();
    c.dst_ports = *v;
  }
  const bool has_ports = !m.src_ports().empty() || !m.dst_ports().empty();
  if (has_ports && c.ip_proto != kIpProtoTcp && c.ip_proto != kIpProtoUdp &&
      c.ip_proto != kIpProtoSctp) {
    return FieldError(field(m.src_ports().empty() ? "dstPorts" : "srcPorts"),
                      m.src_ports().empty() ? m.dst_ports() : m.src_ports(),
                      "needs ipProto tcp, udp or sctp");
  }
  return c;
}

bool MatchesHeaders(const CompiledMatch& m, const PacketKey& key) {
  if (m.eth_type >= 0 && key.eth_type != m.eth_type) return false;
  if (m.vlan_id >= 0 && (!key.has_vlan || key.vlan_id != m.vlan_id)) return false;
  if (m.src.version != 0 && !PrefixContains(m.src, key.ip_version, key.src_addr)) return false;
  if (m.dst.version != 0 && !PrefixContains(m.dst, key.ip_version, key.dst_addr)) return false;
  if (m.ip_proto >= 0 && (key.ip_version == 0 || key.ip_proto != m.ip_proto)) return false;
  if (!m.src_ports.any() &&
      (!key.has_l4_ports || key.src_port < m.src_ports.lo || key.src_port > m.src_ports.hi)) {
    return false;
  }
  if (!m.dst_ports.any() &&
      (!key.has_l4_ports || key.dst_port < m.dst_ports.lo || key.dst_port > m.dst_ports.hi)) {
    return false;
  }
  return true;
}

}  // namespace onvm
