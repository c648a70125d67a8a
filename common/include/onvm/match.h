// The rule match model: parsing an onvm.v1.Match into a compiled form and
// testing a parsed packet against it. Used by the agent to validate rules and
// by the engine to build its classifier, so both agree on every field.
#ifndef ONVM_MATCH_H_
#define ONVM_MATCH_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onvm/packet_key.h"
#include "onvm/v1/rule.pb.h"

namespace onvm {

struct Prefix {
  uint8_t version = 0;  // 0: any, 4 or 6
  uint8_t length = 0;
  uint8_t addr[16] = {};  // masked to `length`
};

struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 65535;
  bool any() const { return lo == 0 && hi == 65535; }
};

struct CompiledMatch {
  std::string in_port;  // empty: any port
  int32_t eth_type = -1;
  int32_t vlan_id = -1;
  Prefix src;
  Prefix dst;
  int32_t ip_proto = -1;
  PortRange src_ports;
  PortRange dst_ports;
};

inline constexpr uint32_t kMaxRulePriority = 65535;

// Parses a prefix such as "10.0.0.0/8", "2001:db8::/32" or "192.0.2.1".
// `field` names the field in errors.
absl::StatusOr<Prefix> ParsePrefix(absl::string_view field, absl::string_view text);
// Parses "80" or "80-443".
absl::StatusOr<PortRange> ParsePortRange(absl::string_view field, absl::string_view text);
// Parses "tcp", "udp", "icmp", "icmpv6", "sctp" or 0..255.
absl::StatusOr<uint8_t> ParseIpProto(absl::string_view field, absl::string_view text);
// Parses "ipv4", "ipv6", "arp", or a number such as "0x0800". VLAN tag types
// are refused: ethType is the type after the tags (match tags with vlanId).
absl::StatusOr<uint16_t> ParseEtherType(absl::string_view field, absl::string_view text);

// Compiles `m`; errors name the field as "<field_prefix>.<jsonName>". Port
// names are checked for syntax only: resolving them is the caller's job.
absl::StatusOr<CompiledMatch> CompileMatch(const onvm::v1::Match& m,
                                           absl::string_view field_prefix);

// True when the packet (arrived on a port whose name equals in_port, or any
// port if the match has none) satisfies every field. The caller has already
// resolved the in_port test; this checks the header fields.
bool MatchesHeaders(const CompiledMatch& m, const PacketKey& key);

}  // namespace onvm

#endif  // ONVM_MATCH_H_
