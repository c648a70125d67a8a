// Typed, bounds-checked access to the headers of a packet: Ethernet, the
// outer VLAN tag, IPv4, IPv6, TCP, UDP, ICMP/ICMPv6, the L4 payload, and
// the 5-tuple. Built on onvm::ParsePacket (onvm/packet_key.h), which reads
// nothing outside the bytes it is given; every accessor returns nullptr (or
// nullopt) unless the whole header it points to lies inside them.
//
//   for (onvm::Packet& pkt : burst) {
//     onvm::PacketView v(pkt);
//     if (rte_tcp_hdr* tcp = v.tcp(); tcp != nullptr && (tcp->tcp_flags & RTE_TCP_SYN_FLAG)) ...
//     if (auto t = v.five_tuple()) flows.Count(*t);
//   }
//
// Only the first segment of a multi-segment mbuf is looked at (the headers
// of a packet from a NIC always are in it). Multi-byte header fields are in
// network byte order, as on the wire (rte_be_to_cpu_16 and friends).
#ifndef ONVM_PACKET_HPP_
#define ONVM_PACKET_HPP_

#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "onvm/nf.hpp"
#include "onvm/packet_key.h"

namespace onvm {

// Source and destination address and port, and the IP protocol. Ports are
// in host byte order, 0 for protocols without ports (ICMP) and for
// non-first fragments; IPv4 addresses fill the first 4 bytes of `src` and
// `dst` (network order), the rest are 0.
struct FiveTuple {
  uint8_t ip_version = 0;  // 4 or 6
  uint8_t proto = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  std::array<uint8_t, 16> src = {};
  std::array<uint8_t, 16> dst = {};

  bool operator==(const FiveTuple&) const = default;
  // The other direction of the same flow.
  FiveTuple Reversed() const {
    FiveTuple r = *this;
    r.src = dst;
    r.dst = src;
    r.src_port = dst_port;
    r.dst_port = src_port;
    return r;
  }
  // FNV-1a over every field: for hash tables (absl::Hash works as well:
  // see AbslHashValue).
  uint64_t Hash() const {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](const uint8_t* p, size_t n) {
      for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
    };
    const uint8_t head[6] = {ip_version,
                             proto,
                             static_cast<uint8_t>(src_port >> 8),
                             static_cast<uint8_t>(src_port),
                             static_cast<uint8_t>(dst_port >> 8),
                             static_cast<uint8_t>(dst_port)};
    mix(head, sizeof(head));
    mix(src.data(), src.size());
    mix(dst.data(), dst.size());
    return h;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FiveTuple& t) {
    return H::combine(std::move(h), t.ip_version, t.proto, t.src_port, t.dst_port, t.src, t.dst);
  }
};

// The headers of one packet, parsed once at construction (cheap: no
// allocation, a few dozen loads). The view points into the packet: it must
// not outlive it, and writing through a header pointer changes the packet.
class PacketView {
 public:
  PacketView(uint8_t* data, uint32_t length) : data_(data), length_(length) {
    ParsePacket(data, length, &key_);
  }
  explicit PacketView(const Packet& pkt) : PacketView(pkt.data(), pkt.length()) {}

  // What ParsePacket found (ether type after the tags, VLAN id, addresses,
  // ports, offsets, `malformed`).
  const PacketKey& key() const { return key_; }
  uint8_t* data() const { return data_; }
  uint32_t length() const { return length_; }
  // True when a header the packet announces is cut short or inconsistent.
  bool malformed() const { return key_.malformed; }

  rte_ether_hdr* ether() const { return At<rte_ether_hdr>(0); }
  // The outer 802.1Q / 802.1ad tag: its TCI and the ether type after it.
  rte_vlan_hdr* vlan() const {
    return key_.has_vlan ? At<rte_vlan_hdr>(sizeof(rte_ether_hdr)) : nullptr;
  }
  // The IPv4 header with its options (rte_ipv4_hdr_len()) in bounds.
  rte_ipv4_hdr* ipv4() const {
    return key_.ip_version == 4 ? At<rte_ipv4_hdr>(key_.l3_offset) : nullptr;
  }
  rte_ipv6_hdr* ipv6() const {
    return key_.ip_version == 6 ? At<rte_ipv6_hdr>(key_.l3_offset) : nullptr;
  }
  // The L4 headers: only in the first fragment, and only whole.
  rte_tcp_hdr* tcp() const {
    rte_tcp_hdr* t = L4<rte_tcp_hdr>(kIpProtoTcp);
    // The data offset must cover the fixed header and stay in bounds.
    if (t == nullptr) return nullptr;
    const uint32_t len = TcpHeaderLength(*t);
    return len >= sizeof(rte_tcp_hdr) && key_.l4_offset + len <= length_ ? t : nullptr;
  }
  rte_udp_hdr* udp() const { return L4<rte_udp_hdr>(kIpProtoUdp); }
  // ICMP (IPv4) or ICMPv6: type, code, checksum and the 4 bytes after them.
  rte_icmp_hdr* icmp() const {
    return L4<rte_icmp_hdr>(key_.ip_version == 6 ? kIpProtoIcmpv6 : kIpProtoIcmp);
  }
  // Where the L4 payload starts and how long it is (up to the end of the
  // first segment, Ethernet padding included): after the TCP header with
  // its options, the UDP header or the ICMP header. 0 / nullptr when there
  // is no such header.
  uint8_t* l4_payload() const {
    const uint32_t off = L4PayloadOffset();
    return off == 0 ? nullptr : data_ + off;
  }
  uint32_t l4_payload_length() const {
    const uint32_t off = L4PayloadOffset();
    return off == 0 ? 0 : length_ - off;
  }

  // The 5-tuple of an IPv4 or IPv6 packet whose addresses were read; ports
  // as FiveTuple says. nullopt for other packets and malformed ones.
  std::optional<FiveTuple> five_tuple() const {
    if (key_.ip_version == 0 || key_.malformed) return std::nullopt;
    FiveTuple t;
    t.ip_version = key_.ip_version;
    t.proto = key_.ip_proto;
    if (key_.has_l4_ports) {
      t.src_port = key_.src_port;
      t.dst_port = key_.dst_port;
    }
    const size_t n = key_.ip_version == 4 ? 4 : 16;
    std::memcpy(t.src.data(), key_.src_addr, n);
    std::memcpy(t.dst.data(), key_.dst_addr, n);
    return t;
  }

 private:
  static uint32_t TcpHeaderLength(const rte_tcp_hdr& t) {
    return static_cast<uint32_t>(t.data_off >> 4) * 4;
  }
  template <typename H>
  H* At(uint32_t offset) const {
    return offset + sizeof(H) <= length_ ? reinterpret_cast<H*>(data_ + offset) : nullptr;
  }
  // l4_offset is set only when the packet carries this L4 header (first
  // fragment, or not fragmented).
  template <typename H>
  H* L4(uint8_t proto) const {
    if (key_.ip_version == 0 || key_.ip_proto != proto || key_.l4_offset == 0) return nullptr;
    return At<H>(key_.l4_offset);
  }
  uint32_t L4PayloadOffset() const {
    if (rte_tcp_hdr* t = tcp()) return key_.l4_offset + TcpHeaderLength(*t);
    if (udp() != nullptr) return key_.l4_offset + sizeof(rte_udp_hdr);
    if (icmp() != nullptr) return key_.l4_offset + sizeof(rte_icmp_hdr);
    return 0;
  }

  uint8_t* data_;
  uint32_t length_;
  PacketKey key_;
};

}  // namespace onvm

#endif  // ONVM_PACKET_HPP_
