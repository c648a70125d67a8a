#include "onvm/packet_key.h"

#include <cstring>

namespace onvm {
namespace {

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// IPv6 extension headers that carry a next-header field and a length we can
// skip over. Fragments are handled separately: only the first one has ports.
bool IsSkippableExtension(uint8_t nh) {
  return nh == 0 /* hop-by-hop */ || nh == 43 /* routing */ || nh == 60 /* dest opts */;
}

void ParseL4(const uint8_t* data, size_t len, size_t off, PacketKey* key) {
  key->l4_offset = static_cast<uint16_t>(off);
  switch (key->ip_proto) {
    case kIpProtoTcp:
    case kIpProtoUdp:
    case kIpProtoSctp:
      if (len < off + 4) {
        key->malformed = true;
        return;
      }
      key->src_port = Load16(data + off);
      key->dst_port = Load16(data + off + 2);
      key->has_l4_ports = true;
      return;
    default:
      return;
  }
}

void ParseIpv4(const uint8_t* data, size_t len, size_t off, PacketKey* key) {
  if (len < off + 20) {
    key->malformed = true;
    return;
  }
  const uint8_t* ip = data + off;
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || len < off + ihl) {
    key->malformed = true;
    return;
  }
  key->ip_version = 4;
  key->ip_proto = ip[9];
  std::memcpy(key->src_addr, ip + 12, 4);
  std::memcpy(key->dst_addr, ip + 16, 4);
  const uint16_t frag = Load16(ip + 6);
  if ((frag & 0x1fff) != 0) return;  // non-first fragment: no L4 header
  ParseL4(data, len, off + ihl, key);
}

void ParseIpv6(const uint8_t* data, size_t len, size_t off, PacketKey* key) {
  if (len < off + 40) {
    key->malformed = true;
    return;
  }
  const uint8_t* ip = data + off;
  if ((ip[0] >> 4) != 6) {
    key->malformed = true;
    return;
  }
  key->ip_version = 6;
  std::memcpy(key->src_addr, ip + 8, 16);
  std::memcpy(key->dst_addr, ip + 24, 16);
  uint8_t nh = ip[6];
  size_t pos = off + 40;
  // Bounded walk: a chain of more than 8 extension headers is not worth
  // following on the packet path.
  for (int i = 0; i < 8 && IsSkippableExtension(nh); ++i) {
    if (len < pos + 8) {
      key->malformed = true;
      key->ip_proto = nh;
      return;
    }
    const size_t ext_len = (size_t{data[pos + 1]} + 1) * 8;
    nh = data[pos];
    pos += ext_len;
  }
  if (nh == 44 /* fragment */) {
    if (len < pos + 8) {
      key->malformed = true;
      key->ip_proto = nh;
      return;
    }
    const uint16_t frag_off = Load16(data + pos + 2) & 0xfff8;
    nh = data[pos];
    key->ip_proto = nh;
    if (frag_off != 0) return;
    pos += 8;
  }
  key->ip_proto = nh;
  if (pos > len) {
    key->malformed = true;
    return;
  }
  ParseL4(data, len, pos, key);
}

}  // namespace

void ParsePacket(const uint8_t* data, size_t len, PacketKey* key) {
  *key = PacketKey{};
  if (len < 14) {
    key->malformed = true;
    return;
  }
  size_t off = 12;
  uint16_t type = Load16(data + off);
  // At most two tags (QinQ); the classifier matches the outer VLAN id.
  for (int tags = 0; tags < 2 && (type == kEtherTypeVlan || type == kEtherTypeQinQ); ++tags) {
    if (len < off + 6) {
      key->malformed = true;
      key->eth_type = type;
      return;
    }
    if (!key->has_vlan) {
      key->has_vlan = true;
      key->vlan_id = Load16(data + off + 2) & 0x0fff;
    }
    off += 4;
    type = Load16(data + off);
  }
  key->eth_type = type;
  off += 2;
  key->l3_offset = static_cast<uint16_t>(off);
  if (type == kEtherTypeIpv4) {
    ParseIpv4(data, len, off, key);
  } else if (type == kEtherTypeIpv6) {
    ParseIpv6(data, len, off, key);
  }
}

}  // namespace onvm
