// Bounds-checked parsing of the headers the classifier and NFs look at:
// Ethernet, up to two VLAN tags, IPv4 / IPv6, TCP / UDP / SCTP ports, ICMP.
// Pure functions over a byte span, so the same code runs in the engine, in
// NFs, in unit tests and under the fuzzer.
#ifndef ONVM_PACKET_KEY_H_
#define ONVM_PACKET_KEY_H_

#include <cstddef>
#include <cstdint>

namespace onvm {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoSctp = 132;

struct PacketKey {
  uint16_t eth_type = 0;  // after VLAN tags
  uint16_t vlan_id = 0;   // outer tag, valid when has_vlan
  bool has_vlan = false;
  uint8_t ip_version = 0;  // 0 (not IP), 4 or 6
  uint8_t ip_proto = 0;
  bool has_l4_ports = false;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  // IPv4 addresses sit in the first 4 bytes, network order. 8-byte aligned:
  // hashes read them a word at a time (rte_hash_crc loads uint64_t), and an
  // unaligned load is undefined behaviour (UBSan reports it).
  alignas(8) uint8_t src_addr[16] = {};
  alignas(8) uint8_t dst_addr[16] = {};
  uint16_t l3_offset = 0;
  uint16_t l4_offset = 0;  // valid when ip_version != 0 and not truncated
  // Set when a header the packet announces is cut short or inconsistent
  // (runt, bad IHL, truncated L4). Fields parsed before the fault stay valid.
  bool malformed = false;
};

// Parses `len` bytes at `data`. Never reads outside [data, data + len).
void ParsePacket(const uint8_t* data, size_t len, PacketKey* key);

}  // namespace onvm

#endif  // ONVM_PACKET_KEY_H_
