// The NAT proper: configuration, the flow table (an rte_hash keyed by the
// inside 5-tuple, plus a port-indexed array for the way back) and the
// per-burst translation. Needs DPDK's EAL to be up (rte_hash lives in the
// engine's shared memory), but not the SDK, so unit tests drive it directly.
//
// Source NAT with address-and-port-dependent mapping and filtering: every
// inside flow (proto, src ip:port, dst ip:port) gets its own external port;
// a packet from the outside is translated back only when it comes from the
// flow's remote endpoint to the flow's external port.
#ifndef ONVM_SDK_EXAMPLES_NAT_NAT_TABLE_H_
#define ONVM_SDK_EXAMPLES_NAT_NAT_TABLE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nat_rewrite.h"

struct rte_hash;

namespace onvm::examples::nat {

struct NatConfig {
  uint8_t external_ip[4] = {};
  uint16_t inside_port = 0;  // DPDK port id inside packets arrive on
  uint16_t port_lo = 20000;  // external ports handed out, per protocol
  uint16_t port_hi = 59999;
  uint32_t timeout_s = 60;     // idle time after which a mapping expires
  uint32_t max_flows = 65536;  // capacity of the flow table
};

// --external-ip A.B.C.D (required), --inside-port N, --port-range A-B,
// --timeout-s N, --max-flows N. Errors are InvalidArgument naming the flag.
absl::StatusOr<NatConfig> ParseFlags(std::span<const std::string> args);

enum class Verdict : uint8_t { kNext, kDrop };

struct NatStats {
  uint64_t outbound = 0;         // translated inside -> outside
  uint64_t inbound = 0;          // translated outside -> inside
  uint64_t passed = 0;           // not IPv4 TCP/UDP, or not for the external address
  uint64_t new_flows = 0;        // mappings created
  uint64_t expired = 0;          // mappings removed after the idle timeout
  uint64_t dropped_bad = 0;      // IPv4 TCP/UDP that cannot be translated (fragments, runts)
  uint64_t dropped_unknown = 0;  // to the external address, no (live) mapping
  uint64_t dropped_full = 0;     // no external port or table slot left
};

// An inside flow; the rte_hash key. Addresses as in the header (network
// order), ports in host order, padding zero.
struct FlowKey {
  uint8_t src_ip[4];
  uint8_t dst_ip[4];
  uint16_t src_port;
  uint16_t dst_port;
  uint8_t proto;
  uint8_t pad[3];
};
static_assert(sizeof(FlowKey) == 16);

class Nat {
 public:
  static constexpr uint16_t kMaxBurst = 64;  // RTE_HASH_LOOKUP_BULK_MAX

  // `name` must be unique among all processes attached to the engine
  // (rte_hash names are global to the shared memory). Time is counted in
  // ticks of `ticks_per_second` (the TSC in the NF).
  static absl::StatusOr<std::unique_ptr<Nat>> Create(const NatConfig& config,
                                                     const std::string& name, int socket_id,
                                                     uint64_t ticks_per_second);
  ~Nat();
  Nat(const Nat&) = delete;
  Nat& operator=(const Nat&) = delete;

  // Translates up to kMaxBurst packets in place. Packet i: `data[i]` (the
  // Ethernet header), `len[i]` contiguous bytes, arrived on port
  // `in_port[i]`. Writes one verdict per packet. Also expires a few idle
  // mappings.
  void Process(uint8_t* const* data, const uint32_t* len, const uint16_t* in_port, uint16_t n,
               uint64_t now, Verdict* verdicts);

  // Removes mappings idle for the timeout, looking at up to `budget` slots
  // (round robin over the table).
  void Expire(uint64_t now, uint32_t budget);

  size_t active_flows() const { return active_; }
  const NatStats& stats() const { return stats_; }

 private:
  struct Mapping {
    FlowKey inside;
    uint64_t last_seen;
    uint16_t ext_port;
    bool in_use;
  };
  // External ports of one protocol not in use, oldest freed first (so that a
  // port is not reused while stray packets of its last flow may be around).
  struct PortPool {
    std::vector<uint16_t> ring;
    size_t head = 0;
    size_t count = 0;
    bool Pop(uint16_t* port);
    void Push(uint16_t port);
  };

  Nat(const NatConfig& config, uint64_t timeout_ticks);
  static int ProtoIndex(uint8_t proto) { return proto == kIpProtoTcp ? 0 : 1; }
  bool Expired(const Mapping& m, uint64_t now) const { return now - m.last_seen >= timeout_; }
  Verdict Outbound(const Ipv4L4& v, const FlowKey& key, int32_t pos, uint64_t now);
  Verdict Inbound(const Ipv4L4& v, const PacketKey& key, uint64_t now);
  // Adds a mapping for `key`; its position, or -1 when full.
  int32_t Add(const FlowKey& key, uint64_t now);
  void Remove(int32_t pos);

  const NatConfig config_;
  const uint64_t timeout_;
  rte_hash* hash_ = nullptr;
  std::vector<Mapping> mappings_;    // by rte_hash position
  PortPool free_[2];                 // tcp, udp
  std::vector<int32_t> by_port_[2];  // external port - port_lo -> position, or -1
  uint32_t sweep_cursor_ = 0;
  bool swept_when_full_ = false;  // one large sweep per burst at most
  size_t active_ = 0;
  NatStats stats_;
};

}  // namespace onvm::examples::nat

#endif  // ONVM_SDK_EXAMPLES_NAT_NAT_TABLE_H_
