// Header rewriting for the NAT: where the translated fields of an IPv4
// TCP/UDP packet are, and incremental checksum updates (RFC 1624). Pure code
// over a byte buffer (no DPDK), unit-tested on its own.
#ifndef ONVM_SDK_EXAMPLES_NAT_NAT_REWRITE_H_
#define ONVM_SDK_EXAMPLES_NAT_NAT_REWRITE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "onvm/packet_key.h"

namespace onvm::examples::nat {

// 16-bit big-endian loads and stores at any alignment.
inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// RFC 1624, eqn. 3: the checksum `sum` after one 16-bit word of the data it
// covers changed from `from` to `to`: HC' = ~(~HC + ~m + m').
inline uint16_t ChecksumUpdate16(uint16_t sum, uint16_t from, uint16_t to) {
  uint32_t s =
      static_cast<uint16_t>(~sum) + static_cast<uint32_t>(static_cast<uint16_t>(~from)) + to;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

// The same for a 4-byte field (an IPv4 address) given as its bytes.
inline uint16_t ChecksumUpdateAddr(uint16_t sum, const uint8_t from[4], const uint8_t to[4]) {
  sum = ChecksumUpdate16(sum, Load16(from), Load16(to));
  return ChecksumUpdate16(sum, Load16(from + 2), Load16(to + 2));
}

// The Internet checksum (RFC 1071) of `len` bytes, starting from the
// partial sum `initial`; for tests and for building packets.
uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t initial = 0);

// An IPv4 TCP or UDP packet the NAT can translate.
struct Ipv4L4 {
  uint8_t* ip = nullptr;  // IPv4 header
  uint8_t* l4 = nullptr;  // TCP or UDP header
  uint8_t proto = 0;      // kIpProtoTcp or kIpProtoUdp
};

enum class ViewResult : uint8_t {
  kOk,     // an IPv4 TCP/UDP packet, headers within `len`, not a fragment
  kOther,  // not IPv4 TCP/UDP: the NAT leaves it alone
  kBad,    // IPv4 TCP/UDP it cannot translate: fragment, cut short, malformed
};

// Locates the headers of the packet parsed into `key` (from the same `len`
// bytes at `data`).
ViewResult GetIpv4L4(uint8_t* data, size_t len, const PacketKey& key, Ipv4L4* view);

// Addresses are 4 bytes in network order (as in the header); ports are host
// order. Both rewrite the address and port and fix the IPv4 header checksum
// and the TCP/UDP checksum incrementally (a UDP checksum of 0, "none", stays
// 0; a result of 0 is sent as 0xffff).
void RewriteSource(const Ipv4L4& v, const uint8_t addr[4], uint16_t port);
void RewriteDestination(const Ipv4L4& v, const uint8_t addr[4], uint16_t port);

}  // namespace onvm::examples::nat

#endif  // ONVM_SDK_EXAMPLES_NAT_NAT_REWRITE_H_
