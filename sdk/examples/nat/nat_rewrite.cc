#include "nat_rewrite.h"

namespace onvm::examples::nat {
namespace {

// IPv4 header fields.
constexpr size_t kIpFragOff = 6;
constexpr size_t kIpChecksum = 10;
constexpr size_t kIpSrc = 12;
constexpr size_t kIpDst = 16;
// Checksum offsets within the L4 header.
constexpr size_t kTcpChecksum = 16;
constexpr size_t kUdpChecksum = 6;
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kUdpHeader = 8;

// Rewrites the address at ip + addr_off and the port at l4 + port_off.
void Rewrite(const Ipv4L4& v, size_t addr_off, size_t port_off, const uint8_t addr[4],
             uint16_t port) {
  uint8_t* const ip_sum = v.ip + kIpChecksum;
  uint8_t* const old_addr = v.ip + addr_off;
  uint8_t* const old_port = v.l4 + port_off;
  const uint16_t from_port = Load16(old_port);

  Store16(ip_sum, ChecksumUpdateAddr(Load16(ip_sum), old_addr, addr));

  uint8_t* const l4_sum = v.l4 + (v.proto == kIpProtoTcp ? kTcpChecksum : kUdpChecksum);
  const uint16_t old_sum = Load16(l4_sum);
  // UDP over IPv4 may carry no checksum (0); it then stays without one.
  if (v.proto == kIpProtoTcp || old_sum != 0) {
    // The pseudo-header holds the address; the header holds the port.
    uint16_t sum = ChecksumUpdateAddr(old_sum, old_addr, addr);
    sum = ChecksumUpdate16(sum, from_port, port);
    if (v.proto == kIpProtoUdp && sum == 0) sum = 0xffff;
    Store16(l4_sum, sum);
  }
  std::memcpy(old_addr, addr, 4);
  Store16(old_port, port);
}

}  // namespace

uint16_t InternetChecksum(const uint8_t* data, size_t len, uint32_t initial) {
  uint64_t sum = initial;
  size_t i = 0;
  for (; i + 1 < len; i += 2) sum += Load16(data + i);
  if (i < len) sum += static_cast<uint32_t>(data[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

ViewResult GetIpv4L4(uint8_t* data, size_t len, const PacketKey& key, Ipv4L4* view) {
  if (key.ip_version != 4 || (key.ip_proto != kIpProtoTcp && key.ip_proto != kIpProtoUdp)) {
    return ViewResult::kOther;
  }
  if (key.malformed) return ViewResult::kBad;
  uint8_t* ip = data + key.l3_offset;
  // More fragments or a fragment offset: ports are not in every fragment.
  if ((Load16(ip + kIpFragOff) & 0x3fff) != 0) return ViewResult::kBad;
  const size_t l4 = key.l4_offset;
  const size_t header = key.ip_proto == kIpProtoTcp ? kTcpMinHeader : kUdpHeader;
  if (l4 <= key.l3_offset || l4 + header > len) return ViewResult::kBad;
  view->ip = ip;
  view->l4 = data + l4;
  view->proto = key.ip_proto;
  return ViewResult::kOk;
}

void RewriteSource(const Ipv4L4& v, const uint8_t addr[4], uint16_t port) {
  Rewrite(v, kIpSrc, 0, addr, port);
}

void RewriteDestination(const Ipv4L4& v, const uint8_t addr[4], uint16_t port) {
  Rewrite(v, kIpDst, 2, addr, port);
}

}  // namespace onvm::examples::nat
