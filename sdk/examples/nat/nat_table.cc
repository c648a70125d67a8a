#include "nat_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "flags.h"
#include "onvm/match.h"

namespace onvm::examples::nat {
namespace {

// Slots looked at for expiry per burst, and once per burst when full.
constexpr uint32_t kSweepPerBurst = 8;
constexpr uint32_t kSweepWhenFull = 1024;

constexpr uint32_t kMinFlows = 8;
constexpr uint32_t kMaxFlows = 1u << 24;
constexpr uint32_t kMaxTimeoutS = 7 * 24 * 3600;

}  // namespace

absl::StatusOr<NatConfig> ParseFlags(std::span<const std::string> args) {
  auto flags = SplitFlags(
      args, {"--external-ip", "--inside-port", "--port-range", "--timeout-s", "--max-flows"});
  if (!flags.ok()) return flags.status();
  NatConfig c;
  bool have_ip = false;
  std::vector<std::string> seen;
  for (const Flag& f : *flags) {
    for (const std::string& s : seen) {
      if (s == f.name) return absl::InvalidArgumentError(absl::StrCat(f.name, " given twice"));
    }
    seen.push_back(f.name);
    if (f.name == "--external-ip") {
      auto ip = ParseIpv4(f.name, f.value);
      if (!ip.ok()) return ip.status();
      std::memcpy(c.external_ip, &*ip, 4);
      have_ip = true;
    } else if (f.name == "--inside-port") {
      auto v = ParseFlagNumber(f, 0, 255);
      if (!v.ok()) return v.status();
      c.inside_port = static_cast<uint16_t>(*v);
    } else if (f.name == "--port-range") {
      auto r = ParsePortRange(f.name, f.value);
      if (!r.ok()) return r.status();
      if (r->lo == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(f.name, ": '", f.value, "' includes port 0"));
      }
      c.port_lo = r->lo;
      c.port_hi = r->hi;
    } else if (f.name == "--timeout-s") {
      auto v = ParseFlagNumber(f, 1, kMaxTimeoutS);
      if (!v.ok()) return v.status();
      c.timeout_s = static_cast<uint32_t>(*v);
    } else {
      auto v = ParseFlagNumber(f, kMinFlows, kMaxFlows);
      if (!v.ok()) return v.status();
      c.max_flows = static_cast<uint32_t>(*v);
    }
  }
  if (!have_ip) return absl::InvalidArgumentError("--external-ip is required");
  return c;
}

bool Nat::PortPool::Pop(uint16_t* port) {
  if (count == 0) return false;
  *port = ring[head];
  head = head + 1 == ring.size() ? 0 : head + 1;
  --count;
  return true;
}

void Nat::PortPool::Push(uint16_t port) {
  size_t tail = head + count;
  if (tail >= ring.size()) tail -= ring.size();
  ring[tail] = port;
  ++count;
}

Nat::Nat(const NatConfig& config, uint64_t timeout_ticks)
    : config_(config), timeout_(timeout_ticks) {}

absl::StatusOr<std::unique_ptr<Nat>> Nat::Create(const NatConfig& config, const std::string& name,
                                                 int socket_id, uint64_t ticks_per_second) {
  std::unique_ptr<Nat> nat(new Nat(config, uint64_t{config.timeout_s} * ticks_per_second));
  rte_hash_parameters params = {};
  params.name = name.c_str();
  params.entries = config.max_flows;
  params.key_len = sizeof(FlowKey);
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = 0;
  params.socket_id = socket_id;
  // Extendable buckets: every one of `entries` keys fits, whatever the hashes.
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  nat->hash_ = rte_hash_create(&params);
  if (nat->hash_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create the flow table \"", name, "\" for ", config.max_flows,
                     " flows on socket ", socket_id, ": ", rte_strerror(rte_errno)));
  }
  nat->mappings_.assign(config.max_flows, Mapping{});
  const size_t ports = size_t{config.port_hi} - config.port_lo + 1;
  for (int q = 0; q < 2; ++q) {
    PortPool& pool = nat->free_[q];
    pool.ring.resize(ports);
    for (size_t i = 0; i < ports; ++i) pool.ring[i] = static_cast<uint16_t>(config.port_lo + i);
    pool.count = ports;
    nat->by_port_[q].assign(ports, -1);
  }
  return nat;
}

Nat::~Nat() {
  if (hash_ != nullptr) rte_hash_free(hash_);
}

int32_t Nat::Add(const FlowKey& key, uint64_t now) {
  PortPool& pool = free_[ProtoIndex(key.proto)];
  if (pool.count == 0 && !swept_when_full_) {
    swept_when_full_ = true;
    Expire(now, kSweepWhenFull);
  }
  uint16_t port = 0;
  if (!pool.Pop(&port)) return -1;
  const int32_t pos = rte_hash_add_key(hash_, &key);
  if (pos < 0 || static_cast<size_t>(pos) >= mappings_.size()) {
    if (pos >= 0) rte_hash_del_key(hash_, &key);
    pool.Push(port);
    return -1;
  }
  Mapping& m = mappings_[pos];
  m.inside = key;
  m.last_seen = now;
  m.ext_port = port;
  m.in_use = true;
  by_port_[ProtoIndex(key.proto)][port - config_.port_lo] = pos;
  ++active_;
  ++stats_.new_flows;
  return pos;
}

void Nat::Remove(int32_t pos) {
  Mapping& m = mappings_[pos];
  rte_hash_del_key(hash_, &m.inside);
  const int q = ProtoIndex(m.inside.proto);
  by_port_[q][m.ext_port - config_.port_lo] = -1;
  free_[q].Push(m.ext_port);
  m.in_use = false;
  --active_;
  ++stats_.expired;
}

void Nat::Expire(uint64_t now, uint32_t budget) {
  const uint32_t size = static_cast<uint32_t>(mappings_.size());
  if (budget > size) budget = size;
  for (uint32_t i = 0; i < budget; ++i) {
    const uint32_t pos = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == size ? 0 : sweep_cursor_ + 1;
    if (mappings_[pos].in_use && Expired(mappings_[pos], now)) Remove(static_cast<int32_t>(pos));
  }
}

Verdict Nat::Outbound(const Ipv4L4& v, const FlowKey& key, int32_t pos, uint64_t now) {
  // The bulk lookup ran before this burst's additions and removals: check
  // that the slot still holds this flow.
  if (pos >= 0) {
    const Mapping& m = mappings_[pos];
    if (!m.in_use || std::memcmp(&m.inside, &key, sizeof(key)) != 0) {
      pos = rte_hash_lookup(hash_, &key);
    } else if (Expired(m, now)) {
      Remove(pos);
      pos = -1;
    }
  } else {
    // Another packet of this burst may have created the flow.
    pos = rte_hash_lookup(hash_, &key);
  }
  if (pos < 0) {
    pos = Add(key, now);
    if (pos < 0) {
      ++stats_.dropped_full;
      return Verdict::kDrop;
    }
  }
  Mapping& m = mappings_[pos];
  m.last_seen = now;
  RewriteSource(v, config_.external_ip, m.ext_port);
  ++stats_.outbound;
  return Verdict::kNext;
}

Verdict Nat::Inbound(const Ipv4L4& v, const PacketKey& key, uint64_t now) {
  if (std::memcmp(key.dst_addr, config_.external_ip, 4) != 0) {
    ++stats_.passed;
    return Verdict::kNext;
  }
  if (key.dst_port < config_.port_lo || key.dst_port > config_.port_hi) {
    ++stats_.dropped_unknown;
    return Verdict::kDrop;
  }
  const int32_t pos = by_port_[ProtoIndex(key.ip_proto)][key.dst_port - config_.port_lo];
  if (pos < 0) {
    ++stats_.dropped_unknown;
    return Verdict::kDrop;
  }
  Mapping& m = mappings_[pos];
  // Only the remote end of the flow may answer through its mapping.
  if (std::memcmp(m.inside.dst_ip, key.src_addr, 4) != 0 || m.inside.dst_port != key.src_port) {
    ++stats_.dropped_unknown;
    return Verdict::kDrop;
  }
  if (Expired(m, now)) {
    Remove(pos);
    ++stats_.dropped_unknown;
    return Verdict::kDrop;
  }
  m.last_seen = now;
  RewriteDestination(v, m.inside.src_ip, m.inside.src_port);
  ++stats_.inbound;
  return Verdict::kNext;
}

void Nat::Process(uint8_t* const* data, const uint32_t* len, const uint16_t* in_port, uint16_t n,
                  uint64_t now, Verdict* verdicts) {
  FlowKey keys[kMaxBurst];
  const void* key_ptrs[kMaxBurst];
  Ipv4L4 views[kMaxBurst];
  uint16_t which[kMaxBurst];
  int32_t positions[kMaxBurst];
  uint32_t outbound = 0;
  swept_when_full_ = false;

  if (n > kMaxBurst) n = kMaxBurst;
  for (uint16_t i = 0; i < n; ++i) {
    PacketKey key;
    ParsePacket(data[i], len[i], &key);
    Ipv4L4 view;
    switch (GetIpv4L4(data[i], len[i], key, &view)) {
      case ViewResult::kOther:
        ++stats_.passed;
        verdicts[i] = Verdict::kNext;
        continue;
      case ViewResult::kBad:
        ++stats_.dropped_bad;
        verdicts[i] = Verdict::kDrop;
        continue;
      case ViewResult::kOk:
        break;
    }
    if (in_port[i] != config_.inside_port) {
      verdicts[i] = Inbound(view, key, now);
      continue;
    }
    FlowKey& k = keys[outbound];
    std::memcpy(k.src_ip, key.src_addr, 4);
    std::memcpy(k.dst_ip, key.dst_addr, 4);
    k.src_port = key.src_port;
    k.dst_port = key.dst_port;
    k.proto = key.ip_proto;
    k.pad[0] = k.pad[1] = k.pad[2] = 0;
    key_ptrs[outbound] = &k;
    views[outbound] = view;
    which[outbound] = i;
    ++outbound;
  }
  if (outbound != 0) {
    rte_hash_lookup_bulk(hash_, key_ptrs, outbound, positions);
    for (uint32_t j = 0; j < outbound; ++j) {
      verdicts[which[j]] = Outbound(views[j], keys[j], positions[j], now);
    }
  }
  Expire(now, kSweepPerBurst);
}

}  // namespace onvm::examples::nat
