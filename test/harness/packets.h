// Test frames: a builder for single frames and a generator of mixed traffic
// whose payloads carry sequence numbers, so tests can check loss, order and
// integrity of what comes out of the engine.
#ifndef ONVM_TEST_HARNESS_PACKETS_H_
#define ONVM_TEST_HARNESS_PACKETS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onvm::testing {

// An Ethernet frame as on the wire, without FCS.
using Frame = std::vector<uint8_t>;
using MacAddr = std::array<uint8_t, 6>;

// Locally administered unicast addresses.
inline constexpr MacAddr kTestSrcMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
inline constexpr MacAddr kTestDstMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

// The payload of a sequenced frame starts with this marker, then the
// sequence number (both big-endian 32-bit).
inline constexpr uint32_t kSequenceMagic = 0x4f4e564d;  // "ONVM"
inline constexpr size_t kSequenceBytes = 8;

// Builds one frame with valid lengths and checksums (IPv4 header, TCP and
// UDP over IPv4 and IPv6). Addresses given as text must be valid (a bad
// literal aborts: it is a bug in the test).
class PacketBuilder {
 public:
  PacketBuilder& Macs(const MacAddr& src, const MacAddr& dst);
  // Adds an 802.1Q tag (TPID 0x8100). For QinQ, call Vlan() for the outer
  // tag with tpid 0x88a8, then again for the inner one.
  PacketBuilder& Vlan(uint16_t vlan_id, uint8_t pcp = 0, uint16_t tpid = 0x8100);
  PacketBuilder& Ipv4(const std::string& src, const std::string& dst);
  PacketBuilder& Ipv6(const std::string& src, const std::string& dst);
  PacketBuilder& Tcp(uint16_t src_port, uint16_t dst_port);
  PacketBuilder& Udp(uint16_t src_port, uint16_t dst_port);
  // The IP protocol number. 6 and 17 get TCP / UDP headers (as Tcp() and
  // Udp() would); with any other the payload follows the IP header.
  PacketBuilder& IpProto(uint8_t proto);
  // A non-IP frame: the payload follows the Ethernet header.
  PacketBuilder& EtherType(uint16_t eth_type);
  PacketBuilder& Ttl(uint8_t ttl);
  // Starts the payload with kSequenceMagic and `seq`.
  PacketBuilder& Sequence(uint32_t seq);
  // Payload bytes (after the sequence marker, if any).
  PacketBuilder& Payload(std::vector<uint8_t> bytes);
  // Pads the payload with deterministic bytes so that the frame is `bytes`
  // long (no effect if it is already that long or longer).
  PacketBuilder& FrameSize(size_t bytes);

  // Bytes before the payload.
  size_t HeaderSize() const;
  Frame Build() const;

 private:
  struct Tag {
    uint16_t tpid;
    uint16_t tci;
  };
  MacAddr src_mac_ = kTestSrcMac;
  MacAddr dst_mac_ = kTestDstMac;
  std::vector<Tag> tags_;
  uint16_t eth_type_ = 0x0800;
  uint8_t ip_version_ = 4;  // 0: not IP
  std::array<uint8_t, 16> src_ip_ = {198, 18, 0, 1};
  std::array<uint8_t, 16> dst_ip_ = {198, 19, 0, 1};
  uint8_t ip_proto_ = 17;
  uint16_t src_port_ = 1024;
  uint16_t dst_port_ = 5000;
  uint8_t ttl_ = 64;
  std::optional<uint32_t> seq_;
  std::vector<uint8_t> payload_;
  size_t frame_size_ = 0;
};

struct TrafficOptions {
  // Frame sizes are uniform over [min_size, max_size] (no FCS).
  size_t min_size = 64;
  size_t max_size = 1518;
  // Shares of the traffic; a frame too small for IPv6, TCP or a tag gets
  // IPv4, UDP or no tag instead.
  double vlan_fraction = 0.25;
  double ipv6_fraction = 0.5;
  double tcp_fraction = 0.5;
  uint16_t vlan_id = 100;
  // Distinct 5-tuples: flow f has source 198.18.x.y / 2001:db8::1:f and
  // source port 1024 + f; destination 198.19.0.1 / 2001:db8::2, port
  // 5000 + f % 16.
  uint32_t flows = 256;
  uint32_t first_sequence = 0;
  MacAddr src_mac = kTestSrcMac;
  MacAddr dst_mac = kTestDstMac;
};

// `count` frames, frame i carrying sequence number first_sequence + i. The
// same seed and options give the same frames.
std::vector<Frame> GenerateTraffic(size_t count, uint64_t seed, const TrafficOptions& options = {});

// The sequence number a frame carries (see PacketBuilder::Sequence), or
// nullopt if it has none.
std::optional<uint32_t> SequenceOf(const Frame& frame);

// Empty if the frame's lengths, IPv4 header checksum and TCP/UDP checksum
// are right; otherwise what is wrong.
std::string CheckFrame(const Frame& frame);

// Hex bytes, 16 a line, at most `max_bytes` of them; for failure messages.
std::string HexDump(const Frame& frame, size_t max_bytes = 64);

}  // namespace onvm::testing

#endif  // ONVM_TEST_HARNESS_PACKETS_H_
