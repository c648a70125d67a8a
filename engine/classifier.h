// The rule classifier: a routing snapshot's rules compiled into DPDK ACL
// (rte_acl) tries, so that lookup cost does not grow with the rule count.
//
// Semantics are exactly those of a linear scan with onvm::MatchesHeaders over
// the rules in order (highest priority first, then by name): the first rule
// that matches wins. Each packet's PacketKey becomes a fixed-layout AclKey;
// each rule becomes an rte_acl rule with a unique priority derived from its
// position, in the contexts of the packets it can match:
//   - IPv4 packets: rules that need no IPv6 field, with ether type 0x0800
//     or none (the ether type test is resolved when compiling);
//   - IPv6 packets: likewise for IPv6 (addresses as four 32-bit fields);
//   - non-IP packets (including ones whose IP header does not parse): rules
//     with no prefix, protocol or port range, over in_port, ether type, VLAN.
// In the IP contexts in_port is tested in the last field (the meta word),
// where a rule for one port adds a few trie nodes. (The IP rules used to be
// sharded by port instead: one more context per lookup, and per-port shards
// too small to be grouped as below, which took a third of the build time of
// 10,000 mixed rules.)
//
// rte_acl compiles a set of rules into a decision trie by merging each
// rule's path into it; a field that some rules leave wild and others set
// copies the wild rules' remaining paths under every value the others set.
// Large sets are therefore first grouped by which addresses they leave wild
// and, where both kinds are common, by whether they set the protocol; a set
// that still does not fit rte_acl's tries is split further.
#ifndef ONVM_ENGINE_CLASSIFIER_H_
#define ONVM_ENGINE_CLASSIFIER_H_

#include <rte_byteorder.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "onvm/match.h"
#include "onvm/packet_key.h"

struct rte_acl_ctx;

namespace onvm::engine {

// AclKey::family.
inline constexpr uint8_t kAclNonIp = 0;
inline constexpr uint8_t kAclIpv4 = 1;
inline constexpr uint8_t kAclIpv6 = 2;
// AclKey::meta bits, above the 12-bit outer VLAN id, and the port index in
// the top byte.
inline constexpr uint32_t kAclTagged = 0x10000;  // has a VLAN tag
inline constexpr uint32_t kAclL4 = 0x20000;      // has L4 ports
inline constexpr int kAclPortShift = 24;

// What the ACL tries read for one packet. Multi-byte fields are in network
// byte order (rte_acl compares input bytes most significant first). Fields a
// packet does not have are zero. Each context reads a one-byte first field
// and then 4-byte groups: IP contexts ip_proto | src | dst | ports | meta
// (in_port included), the non-IP context in_port | bytes 0-3 (the ether
// type) | meta.
struct AclKey {
  uint8_t ip_proto;  // 0 unless IP
  uint8_t in_port;   // port index
  uint16_t eth_type;
  uint8_t src_addr[16];  // IPv4 in the first 4 bytes
  uint8_t dst_addr[16];
  uint16_t src_port;  // 0 unless kAclL4
  uint16_t dst_port;
  uint32_t meta;   // in_port << kAclPortShift | kAclTagged | kAclL4 | VLAN id
  uint8_t family;  // kAclNonIp, kAclIpv4 or kAclIpv6; not read by the tries
  uint8_t pad[3];
};
static_assert(sizeof(AclKey) == 48);

// Packet path: builds the classifier input of a parsed packet. Branch-free
// (compares and selects); fields the packet lacks are zero in PacketKey
// already (ParsePacket resets it).
inline void MakeAclKey(const PacketKey& key, uint16_t in_port, AclKey* out) {
  // ip_version is 0, 4 or 6; ip_proto only counts for IP packets.
  out->family = static_cast<uint8_t>(key.ip_version == 4   ? kAclIpv4
                                     : key.ip_version == 6 ? kAclIpv6
                                                           : kAclNonIp);
  out->ip_proto = key.ip_version != 0 ? key.ip_proto : 0;
  out->in_port = static_cast<uint8_t>(in_port);
  out->eth_type = rte_cpu_to_be_16(key.eth_type);
  std::memcpy(out->src_addr, key.src_addr, sizeof(out->src_addr));
  std::memcpy(out->dst_addr, key.dst_addr, sizeof(out->dst_addr));
  out->src_port = rte_cpu_to_be_16(key.src_port);
  out->dst_port = rte_cpu_to_be_16(key.dst_port);
  out->meta = rte_cpu_to_be_32((uint32_t{out->in_port} << kAclPortShift) |
                               (key.has_vlan ? kAclTagged | key.vlan_id : 0) |
                               (key.has_l4_ports ? kAclL4 : 0));
  out->pad[0] = out->pad[1] = out->pad[2] = 0;
}

// A rule as the classifier sees it.
struct ClassifierRule {
  const CompiledMatch* match;
  int32_t in_port;  // port index (< kMaxPorts), -1: any port
};

class Classifier {
 public:
  // Result for a packet that matches no rule.
  static constexpr uint32_t kNoMatch = UINT32_MAX;
  // Keys per Classify() call.
  static constexpr uint32_t kMaxBurst = 64;
  // Port indices the classifier takes (AclKey::in_port is one byte).
  static constexpr uint32_t kMaxPorts = 256;

  // How rules are spread over rte_acl contexts; the defaults are what the
  // engine uses, tests force the other paths.
  struct Options {
    // A set (IPv4 or IPv6) of at least this many rules is compiled in groups
    // of one address shape (which addresses the rules leave wild).
    size_t shape_group_min = 1024;
    // Such a group is split once more by whether the rules set the protocol
    // when the smaller side has at least this many rules and at least a
    // tenth of the group.
    size_t proto_split_min = 256;
    // At most this many rules per context; more are split in two. rte_acl
    // running out of tries splits them too.
    size_t max_context_rules = SIZE_MAX;
  };

  // Compiles `rules` (highest priority first). Control path: allocates from
  // DPDK memory, so it needs an initialised EAL; 10,000 rules take well
  // under a second (bench/README.md). An empty list gives a classifier that
  // matches nothing. Fails with RESOURCE_EXHAUSTED when DPDK memory runs
  // out, INVALID_ARGUMENT for a port index >= kMaxPorts.
  static absl::StatusOr<Classifier> Build(std::span<const ClassifierRule> rules);
  static absl::StatusOr<Classifier> Build(std::span<const ClassifierRule> rules,
                                          const Options& options);

  Classifier() = default;
  ~Classifier();
  Classifier(Classifier&& other) noexcept;
  Classifier& operator=(Classifier&& other) noexcept;
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Packet path. `keys` are `n` (<= kMaxBurst) packets that arrived on port
  // `in_port` (MakeAclKey with that port: the keys carry it, so it is only
  // documentation here). For each, writes to `rule[i]` the position in the
  // rule list of the first rule that matches, or kNoMatch.
  void Classify(uint16_t in_port, const AclKey* keys, uint32_t n, uint32_t* rule) const;

  size_t rule_count() const { return rule_count_; }
  // rte_acl contexts in use (for tests and the benchmark).
  size_t context_count() const;

 private:
  // Contexts whose results are merged: one, or more when a rule set was
  // split to fit. Empty: no rule.
  using ContextSet = std::vector<rte_acl_ctx*>;

  void Reset();

  ContextSet non_ip_;
  ContextSet ip_[2];  // IPv4, IPv6
  size_t rule_count_ = 0;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_CLASSIFIER_H_
