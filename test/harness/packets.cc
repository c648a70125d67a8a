#include "harness/packets.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace onvm::testing {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v & 0xff);
}

void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v & 0xffff));
}

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t Get32(const uint8_t* p) { return (uint32_t{Get16(p)} << 16) | uint32_t{Get16(p + 2)}; }

// Ones' complement sum of `len` bytes, not yet folded or inverted.
uint32_t SumBytes(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += Get16(p + i);
  if (len % 2 == 1) sum += uint32_t{p[len - 1]} << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Sum of the TCP/UDP pseudo-header.
uint32_t PseudoHeaderSum(int ip_version, const uint8_t* ip, uint8_t proto, size_t l4_len) {
  uint32_t sum = 0;
  if (ip_version == 4) {
    sum = SumBytes(ip + 12, 8);  // source and destination
  } else {
    sum = SumBytes(ip + 8, 32);
  }
  sum += proto;
  sum += static_cast<uint32_t>(l4_len & 0xffff);
  sum += static_cast<uint32_t>(l4_len >> 16);
  return sum;
}

std::array<uint8_t, 16> ParseAddr(int family, const std::string& text) {
  std::array<uint8_t, 16> addr{};
  if (inet_pton(family, text.c_str(), addr.data()) != 1) {
    std::fprintf(stderr, "PacketBuilder: '%s' is not an IPv%d address\n", text.c_str(),
                 family == AF_INET ? 4 : 6);
    std::abort();
  }
  return addr;
}

// Where the headers of a frame are.
struct Layout {
  std::string error;  // empty if the headers up to the payload are intact
  int ip_version = 0;
  size_t l3 = 0;
  size_t l3_len = 0;  // IP header + IP payload, from the IP length fields
  uint8_t proto = 0;
  size_t l4 = 0;
  size_t payload = 0;
};

Layout Locate(const Frame& f) {
  Layout l;
  if (f.size() < 14) {
    l.error = absl::StrCat("runt frame of ", f.size(), " bytes");
    return l;
  }
  size_t off = 12;
  uint16_t type = Get16(&f[off]);
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); ++tags) {
    if (f.size() < off + 6) {
      l.error = "truncated VLAN tag";
      return l;
    }
    off += 4;
    type = Get16(&f[off]);
  }
  l.l3 = off + 2;
  if (type == kEthIpv4) {
    if (f.size() < l.l3 + 20) {
      l.error = "truncated IPv4 header";
      return l;
    }
    const uint8_t* ip = &f[l.l3];
    const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20) {
      l.error = "bad IPv4 version or IHL";
      return l;
    }
    l.ip_version = 4;
    l.l3_len = Get16(ip + 2);
    l.proto = ip[9];
    l.l4 = l.l3 + ihl;
    if (l.l3_len < ihl || l.l3 + l.l3_len > f.size()) {
      l.error = absl::StrCat("IPv4 total length ", l.l3_len, " does not fit the frame");
      return l;
    }
  } else if (type == kEthIpv6) {
    if (f.size() < l.l3 + 40) {
      l.error = "truncated IPv6 header";
      return l;
    }
    const uint8_t* ip = &f[l.l3];
    if ((ip[0] >> 4) != 6) {
      l.error = "bad IPv6 version";
      return l;
    }
    l.ip_version = 6;
    l.l3_len = 40 + size_t{Get16(ip + 4)};
    l.proto = ip[6];
    l.l4 = l.l3 + 40;
    if (l.l3 + l.l3_len > f.size()) {
      l.error = absl::StrCat("IPv6 payload length ", l.l3_len - 40, " does not fit the frame");
      return l;
    }
  } else {
    l.payload = l.l3;
    return l;
  }
  size_t l4_header = 0;
  if (l.proto == kProtoTcp) {
    if (f.size() < l.l4 + 20) {
      l.error = "truncated TCP header";
      return l;
    }
    l4_header = static_cast<size_t>(f[l.l4 + 12] >> 4) * 4;
    if (l4_header < 20) {
      l.error = "bad TCP data offset";
      return l;
    }
  } else if (l.proto == kProtoUdp) {
    l4_header = 8;
  }
  l.payload = l.l4 + l4_header;
  if (l.payload > l.l3 + l.l3_len) {
    l.error = "L4 header longer than the IP payload";
  }
  return l;
}

}  // namespace

PacketBuilder& PacketBuilder::Macs(const MacAddr& src, const MacAddr& dst) {
  src_mac_ = src;
  dst_mac_ = dst;
  return *this;
}

PacketBuilder& PacketBuilder::Vlan(uint16_t vlan_id, uint8_t pcp, uint16_t tpid) {
  tags_.push_back({tpid, static_cast<uint16_t>((uint16_t{pcp} << 13) | (vlan_id & 0x0fff))});
  return *this;
}

PacketBuilder& PacketBuilder::Ipv4(const std::string& src, const std::string& dst) {
  ip_version_ = 4;
  eth_type_ = kEthIpv4;
  src_ip_ = ParseAddr(AF_INET, src);
  dst_ip_ = ParseAddr(AF_INET, dst);
  return *this;
}

PacketBuilder& PacketBuilder::Ipv6(const std::string& src, const std::string& dst) {
  ip_version_ = 6;
  eth_type_ = kEthIpv6;
  src_ip_ = ParseAddr(AF_INET6, src);
  dst_ip_ = ParseAddr(AF_INET6, dst);
  return *this;
}

PacketBuilder& PacketBuilder::Tcp(uint16_t src_port, uint16_t dst_port) {
  ip_proto_ = kProtoTcp;
  src_port_ = src_port;
  dst_port_ = dst_port;
  return *this;
}

PacketBuilder& PacketBuilder::Udp(uint16_t src_port, uint16_t dst_port) {
  ip_proto_ = kProtoUdp;
  src_port_ = src_port;
  dst_port_ = dst_port;
  return *this;
}

PacketBuilder& PacketBuilder::IpProto(uint8_t proto) {
  ip_proto_ = proto;
  return *this;
}

PacketBuilder& PacketBuilder::EtherType(uint16_t eth_type) {
  eth_type_ = eth_type;
  ip_version_ = eth_type == kEthIpv4 ? 4 : eth_type == kEthIpv6 ? 6 : 0;
  return *this;
}

PacketBuilder& PacketBuilder::Ttl(uint8_t ttl) {
  ttl_ = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::Sequence(uint32_t seq) {
  seq_ = seq;
  return *this;
}

PacketBuilder& PacketBuilder::Payload(std::vector<uint8_t> bytes) {
  payload_ = std::move(bytes);
  return *this;
}

PacketBuilder& PacketBuilder::FrameSize(size_t bytes) {
  frame_size_ = bytes;
  return *this;
}

size_t PacketBuilder::HeaderSize() const {
  size_t n = 14 + 4 * tags_.size();
  if (ip_version_ == 4) n += 20;
  if (ip_version_ == 6) n += 40;
  if (ip_version_ != 0) {
    if (ip_proto_ == kProtoTcp) n += 20;
    if (ip_proto_ == kProtoUdp) n += 8;
  }
  return n;
}

Frame PacketBuilder::Build() const {
  const size_t header = HeaderSize();
  size_t payload_len = (seq_ ? kSequenceBytes : 0) + payload_.size();
  if (header + payload_len < frame_size_) payload_len = frame_size_ - header;
  Frame f(header + payload_len, 0);

  // Payload: marker, caller's bytes, then filler that depends on the
  // sequence number so that frames differ.
  size_t pos = header;
  if (seq_) {
    Put32(&f[pos], kSequenceMagic);
    Put32(&f[pos + 4], *seq_);
    pos += kSequenceBytes;
  }
  if (!payload_.empty()) std::memcpy(f.data() + pos, payload_.data(), payload_.size());
  pos += payload_.size();
  const uint32_t salt = seq_.value_or(0) * 2654435761u;
  for (size_t i = pos; i < f.size(); ++i) {
    f[i] = static_cast<uint8_t>((salt >> ((i % 4) * 8)) + i * 131);
  }

  // Ethernet and tags.
  std::memcpy(&f[0], dst_mac_.data(), 6);
  std::memcpy(&f[6], src_mac_.data(), 6);
  size_t off = 12;
  for (const Tag& t : tags_) {
    Put16(&f[off], t.tpid);
    Put16(&f[off + 2], t.tci);
    off += 4;
  }
  Put16(&f[off], eth_type_);
  off += 2;
  if (ip_version_ == 0) return f;

  const size_t l3 = off;
  const size_t l4 = l3 + (ip_version_ == 4 ? 20 : 40);
  const size_t l4_len = f.size() - l4;
  uint8_t* ip = &f[l3];
  if (ip_version_ == 4) {
    ip[0] = 0x45;
    Put16(ip + 2, static_cast<uint16_t>(20 + l4_len));
    Put16(ip + 4, static_cast<uint16_t>(seq_.value_or(0) & 0xffff));  // identification
    Put16(ip + 6, 0x4000);                                            // don't fragment
    ip[8] = ttl_;
    ip[9] = ip_proto_;
    std::memcpy(ip + 12, src_ip_.data(), 4);
    std::memcpy(ip + 16, dst_ip_.data(), 4);
    Put16(ip + 10, static_cast<uint16_t>(~Fold(SumBytes(ip, 20))));
  } else {
    Put32(ip, 0x60000000);
    Put16(ip + 4, static_cast<uint16_t>(l4_len));
    ip[6] = ip_proto_;
    ip[7] = ttl_;
    std::memcpy(ip + 8, src_ip_.data(), 16);
    std::memcpy(ip + 24, dst_ip_.data(), 16);
  }

  uint8_t* l4p = &f[l4];
  size_t csum_at = 0;
  if (ip_proto_ == kProtoTcp) {
    Put16(l4p, src_port_);
    Put16(l4p + 2, dst_port_);
    Put32(l4p + 4, seq_.value_or(0));  // sequence number
    l4p[12] = 5 << 4;                  // data offset: 20 bytes
    l4p[13] = 0x18;                    // PSH | ACK
    Put16(l4p + 14, 65535);            // window
    csum_at = 16;
  } else if (ip_proto_ == kProtoUdp) {
    Put16(l4p, src_port_);
    Put16(l4p + 2, dst_port_);
    Put16(l4p + 4, static_cast<uint16_t>(l4_len));
    csum_at = 6;
  } else {
    return f;
  }
  uint16_t csum = static_cast<uint16_t>(
      ~Fold(SumBytes(l4p, l4_len, PseudoHeaderSum(ip_version_, ip, ip_proto_, l4_len))));
  if (csum == 0 && ip_proto_ == kProtoUdp) csum = 0xffff;  // 0 means "no checksum"
  Put16(l4p + csum_at, csum);
  return f;
}

std::vector<Frame> GenerateTraffic(size_t count, uint64_t seed, const TrafficOptions& options) {
  // Random draws come straight from the engine (not from the standard
  // distributions, whose output differs between libraries) so a seed means
  // the same traffic everywhere.
  std::mt19937_64 rng(seed);
  auto unit = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  const size_t min_size = std::max<size_t>(options.min_size, 14 + 20 + 8 + kSequenceBytes);
  const size_t max_size = std::max(min_size, options.max_size);
  const uint32_t flows = std::max<uint32_t>(options.flows, 1);

  std::vector<Frame> frames;
  frames.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t size = min_size + static_cast<size_t>(rng() % (max_size - min_size + 1));
    bool vlan = unit() < options.vlan_fraction;
    bool ipv6 = unit() < options.ipv6_fraction;
    bool tcp = unit() < options.tcp_fraction;
    const auto flow = static_cast<uint32_t>(rng() % flows);
    auto needed = [&] {
      return 14 + (vlan ? 4 : 0) + (ipv6 ? 40 : 20) + (tcp ? 20 : 8) + kSequenceBytes;
    };
    if (needed() > size) vlan = false;
    if (needed() > size) tcp = false;
    if (needed() > size) ipv6 = false;

    PacketBuilder b;
    b.Macs(options.src_mac, options.dst_mac);
    if (vlan) b.Vlan(options.vlan_id);
    if (ipv6) {
      b.Ipv6(absl::StrFormat("2001:db8::1:%x", flow), "2001:db8::2");
    } else {
      b.Ipv4(absl::StrFormat("198.18.%u.%u", (flow >> 8) & 0xff, flow & 0xff), "198.19.0.1");
    }
    const auto src_port = static_cast<uint16_t>(1024 + flow % 64512);
    const auto dst_port = static_cast<uint16_t>(5000 + flow % 16);
    if (tcp) {
      b.Tcp(src_port, dst_port);
    } else {
      b.Udp(src_port, dst_port);
    }
    b.Sequence(options.first_sequence + static_cast<uint32_t>(i)).FrameSize(size);
    frames.push_back(b.Build());
  }
  return frames;
}

std::optional<uint32_t> SequenceOf(const Frame& frame) {
  const Layout l = Locate(frame);
  if (!l.error.empty() || l.payload + kSequenceBytes > frame.size()) return std::nullopt;
  if (Get32(&frame[l.payload]) != kSequenceMagic) return std::nullopt;
  return Get32(&frame[l.payload + 4]);
}

std::string CheckFrame(const Frame& frame) {
  const Layout l = Locate(frame);
  if (!l.error.empty()) return l.error;
  if (l.ip_version == 0) return {};
  const uint8_t* ip = &frame[l.l3];
  if (l.ip_version == 4 && Fold(SumBytes(ip, l.l4 - l.l3)) != 0xffff) {
    return "bad IPv4 header checksum";
  }
  if (l.proto != kProtoTcp && l.proto != kProtoUdp) return {};
  const size_t l4_len = l.l3 + l.l3_len - l.l4;
  const uint8_t* l4p = &frame[l.l4];
  if (l.proto == kProtoUdp) {
    if (Get16(l4p + 4) != l4_len) {
      return absl::StrCat("UDP length ", Get16(l4p + 4), " but IP says ", l4_len);
    }
    if (l.ip_version == 4 && Get16(l4p + 6) == 0) return {};  // no checksum
  }
  const uint32_t sum = SumBytes(l4p, l4_len, PseudoHeaderSum(l.ip_version, ip, l.proto, l4_len));
  if (Fold(sum) != 0xffff) return l.proto == kProtoTcp ? "bad TCP checksum" : "bad UDP checksum";
  return {};
}

std::string HexDump(const Frame& frame, size_t max_bytes) {
  std::string out;
  const size_t n = std::min(frame.size(), max_bytes);
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppendFormat(&out, "%02x%s", frame[i], (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
  }
  if (n < frame.size()) absl::StrAppend(&out, "... (", frame.size(), " bytes)\n");
  return out;
}

}  // namespace onvm::testing
