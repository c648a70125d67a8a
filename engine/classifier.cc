#include "classifier.h"

#include <rte_acl.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace onvm::engine {
namespace {

static_assert(offsetof(AclKey, in_port) == 1 && offsetof(AclKey, src_addr) == 4 &&
                  offsetof(AclKey, dst_addr) == 20 && offsetof(AclKey, src_port) == 36 &&
                  offsetof(AclKey, meta) == 40,
              "AclKey groups must be 4-byte aligned and 4 bytes long");

// Rule fields of the IP contexts, in trie order: the protocol (the one-byte
// first field), the addresses (1 or 4 words each), the ports, the meta word.
// The 5-tuple comes first as in DPDK's own ACL layouts. Of the orders of
// these fields tried on the benchmark's rule sets (addresses swapped, ports
// or meta before the addresses, the protocol moved into the meta word), this
// one compiled fastest by 1.3x to 4x.
constexpr uint8_t kIpProto = 0;
constexpr uint8_t kIpSrc = 1;
constexpr uint8_t IpDst(int words) { return static_cast<uint8_t>(kIpSrc + words); }
constexpr uint8_t IpSrcPort(int words) { return static_cast<uint8_t>(kIpSrc + 2 * words); }
constexpr uint8_t IpDstPort(int words) { return static_cast<uint8_t>(IpSrcPort(words) + 1); }
constexpr uint8_t IpMeta(int words) { return static_cast<uint8_t>(IpSrcPort(words) + 2); }
constexpr uint8_t IpFields(int words) { return static_cast<uint8_t>(IpSrcPort(words) + 3); }

// Rule fields of the non-IP context.
enum NonIpField : uint8_t { kL2InPort, kL2EthType, kL2Meta, kL2Fields };

RTE_ACL_RULE_DEF(AclRuleV4, IpFields(1));
RTE_ACL_RULE_DEF(AclRuleV6, IpFields(4));
RTE_ACL_RULE_DEF(AclRuleL2, kL2Fields);

constexpr rte_acl_field_def Def(uint8_t type, uint8_t size, uint8_t field, uint8_t input,
                                size_t offset) {
  return rte_acl_field_def{type, size, field, input, static_cast<uint32_t>(offset)};
}

rte_acl_config IpConfig(int words) {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  uint8_t input = 0;
  cfg.defs[kIpProto] =
      Def(RTE_ACL_FIELD_TYPE_BITMASK, 1, kIpProto, input++, offsetof(AclKey, ip_proto));
  for (int w = 0; w < words; ++w) {
    const auto off = static_cast<size_t>(4 * w);
    cfg.defs[kIpSrc + w] = Def(RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(kIpSrc + w),
                               input++, offsetof(AclKey, src_addr) + off);
  }
  for (int w = 0; w < words; ++w) {
    const auto off = static_cast<size_t>(4 * w);
    cfg.defs[IpDst(words) + w] =
        Def(RTE_ACL_FIELD_TYPE_MASK, 4, static_cast<uint8_t>(IpDst(words) + w), input++,
            offsetof(AclKey, dst_addr) + off);
  }
  cfg.defs[IpSrcPort(words)] =
      Def(RTE_ACL_FIELD_TYPE_RANGE, 2, IpSrcPort(words), input, offsetof(AclKey, src_port));
  cfg.defs[IpDstPort(words)] =
      Def(RTE_ACL_FIELD_TYPE_RANGE, 2, IpDstPort(words), input++, offsetof(AclKey, dst_port));
  cfg.defs[IpMeta(words)] =
      Def(RTE_ACL_FIELD_TYPE_BITMASK, 4, IpMeta(words), input++, offsetof(AclKey, meta));
  cfg.num_fields = IpFields(words);
  return cfg;
}

rte_acl_config NonIpConfig() {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.defs[kL2InPort] = Def(RTE_ACL_FIELD_TYPE_BITMASK, 1, kL2InPort, 0, offsetof(AclKey, in_port));
  // The 4 bytes at offset 0 (ip_proto, in_port, eth_type) as one word, of
  // which rules test the low 16 bits: the ether type.
  cfg.defs[kL2EthType] = Def(RTE_ACL_FIELD_TYPE_BITMASK, 4, kL2EthType, 1, 0);
  cfg.defs[kL2Meta] = Def(RTE_ACL_FIELD_TYPE_BITMASK, 4, kL2Meta, 2, offsetof(AclKey, meta));
  cfg.num_fields = kL2Fields;
  return cfg;
}

void Exact(rte_acl_field* f, int32_t value, uint32_t mask) {
  f->value.u32 = value >= 0 ? static_cast<uint32_t>(value) : 0;
  f->mask_range.u32 = value >= 0 ? mask : 0;
}

// The meta word: VLAN id (with the tagged bit), for IP rules with a port
// range the L4 bit, and the port index where `in_port` is one. As
// MatchesHeaders: a VLAN id needs a tag, a port range needs L4 ports.
void FillMeta(const CompiledMatch& m, int32_t in_port, rte_acl_field* f) {
  uint32_t value = 0;
  uint32_t mask = 0;
  if (in_port >= 0) {
    value |= static_cast<uint32_t>(in_port) << kAclPortShift;
    mask |= uint32_t{0xff} << kAclPortShift;
  }
  if (m.vlan_id >= 0) {
    value |= kAclTagged | static_cast<uint32_t>(m.vlan_id);
    mask |= kAclTagged | 0xfff;
  }
  if (!m.src_ports.any() || !m.dst_ports.any()) {
    value |= kAclL4;
    mask |= kAclL4;
  }
  f->value.u32 = value;
  f->mask_range.u32 = mask;
}

void FillData(uint32_t index, uint32_t count, rte_acl_rule_data* data) {
  data->category_mask = 1;
  // Unique priorities: rte_acl reports the highest-priority match, and ties
  // are undefined. The first rule in the list gets the highest.
  data->priority = static_cast<int32_t>(count - index);
  // Userdata 0 means "no match" in rte_acl's results.
  data->userdata = index + 1;
}

// Address words of a prefix (zero mask: wildcard). Rule values are in host
// byte order.
void FillPrefix(const Prefix& p, int words, rte_acl_field* f) {
  for (int w = 0; w < words; ++w) {
    const uint8_t* a = p.addr + 4 * w;
    const int bits = p.version == 0 ? 0 : std::clamp(p.length - 32 * w, 0, 32);
    f[w].value.u32 = bits == 0 ? 0
                               : (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) |
                                     (uint32_t{a[2]} << 8) | uint32_t{a[3]};
    f[w].mask_range.u32 = static_cast<uint32_t>(bits);
  }
}

template <typename Rule>
void FillIpRule(const ClassifierRule& rule, uint32_t index, uint32_t count, int words, Rule* r) {
  const CompiledMatch& m = *rule.match;
  FillData(index, count, &r->data);
  rte_acl_field* f = r->field;
  f[kIpProto].value.u8 = m.ip_proto >= 0 ? static_cast<uint8_t>(m.ip_proto) : 0;
  f[kIpProto].mask_range.u8 = m.ip_proto >= 0 ? 0xff : 0;
  FillPrefix(m.src, words, &f[kIpSrc]);
  FillPrefix(m.dst, words, &f[IpDst(words)]);
  f[IpSrcPort(words)].value.u16 = m.src_ports.lo;
  f[IpSrcPort(words)].mask_range.u16 = m.src_ports.hi;
  f[IpDstPort(words)].value.u16 = m.dst_ports.lo;
  f[IpDstPort(words)].mask_range.u16 = m.dst_ports.hi;
  FillMeta(m, rule.in_port, &f[IpMeta(words)]);
}

void FillNonIpRule(const ClassifierRule& rule, uint32_t index, uint32_t count, AclRuleL2* r) {
  FillData(index, count, &r->data);
  Exact(&r->field[kL2InPort], rule.in_port, 0xff);
  Exact(&r->field[kL2EthType], rule.match->eth_type, 0xffff);
  // The port is tested in the first field already.
  FillMeta(*rule.match, -1, &r->field[kL2Meta]);
}

std::atomic<uint64_t> g_context_serial{0};

// Splits a rule set that does not fit one context at most this many times
// (into up to 2^kMaxSplitDepth contexts).
constexpr int kMaxSplitDepth = 4;

bool IsWild(const rte_acl_field_def& def, const rte_acl_field& f) {
  switch (def.type) {
    case RTE_ACL_FIELD_TYPE_RANGE:
      return f.value.u16 == 0 && f.mask_range.u16 == 0xffff;
    default:  // MASK (prefix length) and BITMASK (mask)
      return f.mask_range.u64 == 0;
  }
}

// Splits `rules` in two: by whether they leave wild the field that is wild
// in the share of rules closest to one half (mixing wild and set values of
// one field is what multiplies trie nodes), or in halves when they all have
// the same shape.
template <typename Rule>
void SplitByShape(const rte_acl_config& cfg, std::span<const Rule> rules, std::vector<Rule>* a,
                  std::vector<Rule>* b) {
  size_t best_field = cfg.num_fields;
  size_t best_distance = rules.size();
  for (size_t n = 0; n < cfg.num_fields; ++n) {
    const rte_acl_field_def& def = cfg.defs[n];
    size_t wild = 0;
    for (const Rule& r : rules) wild += IsWild(def, r.field[def.field_index]);
    if (wild == 0 || wild == rules.size()) continue;
    const size_t distance =
        wild > rules.size() / 2 ? wild - rules.size() / 2 : rules.size() / 2 - wild;
    if (distance < best_distance) {
      best_distance = distance;
      best_field = n;
    }
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const bool first =
        best_field == cfg.num_fields
            ? i < rules.size() / 2
            : IsWild(cfg.defs[best_field], rules[i].field[cfg.defs[best_field].field_index]);
    (first ? a : b)->push_back(rules[i]);
  }
}

// Builds `rules` (non-empty) into contexts appended to `out`: one if they
// fit, else split in two, recursively.
template <typename Rule>
absl::Status BuildSet(const char* kind, const rte_acl_config& cfg, std::span<const Rule> rules,
                      const Classifier::Options& options, int depth,
                      std::vector<rte_acl_ctx*>* out) {
  if (rules.size() > options.max_context_rules) {
    const size_t half = rules.size() / 2;
    absl::Status s = BuildSet(kind, cfg, rules.first(half), options, depth, out);
    if (!s.ok()) return s;
    return BuildSet(kind, cfg, rules.subspan(half), options, depth, out);
  }
  // rte_acl_create returns an existing context of the same name, so every
  // context gets a name of its own.
  const std::string name = absl::StrCat("onvm_acl", kind, "_", g_context_serial++);
  rte_acl_param param{};
  param.name = name.c_str();
  param.socket_id = SOCKET_ID_ANY;
  param.rule_size = sizeof(Rule);
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (ctx == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rules: cannot create a classifier context: ", rte_strerror(rte_errno)));
  }
  int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                             static_cast<uint32_t>(rules.size()));
  if (rc == 0) rc = rte_acl_build(ctx, &cfg);
  if (rc == 0) {
    out->push_back(ctx);
    return absl::OkStatus();
  }
  rte_acl_free(ctx);
  // -ENOMEM is also what rte_acl_build says when the rules need more than
  // its 8 tries: split them, by shape where they differ in shape.
  if (rc == -ENOMEM && rules.size() > 1 && depth < kMaxSplitDepth) {
    std::vector<Rule> wild;
    std::vector<Rule> set;
    SplitByShape(cfg, rules, &wild, &set);
    absl::Status s = BuildSet(kind, cfg, std::span<const Rule>(wild), options, depth + 1, out);
    if (!s.ok()) return s;
    return BuildSet(kind, cfg, std::span<const Rule>(set), options, depth + 1, out);
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "rules: cannot compile ", rules.size(), " rules into the classifier: ", rte_strerror(-rc)));
}

// Splits `rules` into `wild` and `set` by whether they leave `field` wild.
template <typename Rule>
void SplitByField(const rte_acl_config& cfg, size_t field, const std::vector<Rule>& rules,
                  std::vector<Rule>* wild, std::vector<Rule>* set) {
  for (const Rule& r : rules) {
    (IsWild(cfg.defs[field], r.field[cfg.defs[field].field_index]) ? wild : set)->push_back(r);
  }
}

// Builds one family's rules into `out`. Large sets are first grouped by
// which addresses they leave wild (none, source, destination, both): rules
// with a wild source and a set destination, mixed with the reverse, are the
// cross-product that blows rte_acl's tries up. A group where many rules set
// the protocol and many do not is split by that too: the protocol is the
// first field, so every protocol value the rules name gets its own copy of
// the paths of all the rules that leave it wild.
//
// On the 2-vCPU VM, 10,000 rules of the unit tests' stress mix took 2.3 s
// ungrouped (rte_acl ran out of tries and the sets were split), 1.2 s
// grouped by addresses with the rules sharded by port, and 0.5 s with the
// port in the tries and the protocol split; firewall-style rules (few leave
// the protocol wild, so they are not split by it) 0.4 s. Each group is one
// more trie walk per lookup, so small sets stay in one context.
template <typename Rule>
absl::Status BuildRules(const char* kind, const rte_acl_config& cfg, int words,
                        const std::vector<Rule>& rules, const Classifier::Options& options,
                        std::vector<rte_acl_ctx*>* out) {
  if (rules.empty()) return absl::OkStatus();
  if (rules.size() < options.shape_group_min || words == 0) {
    return BuildSet(kind, cfg, std::span<const Rule>(rules), options, 0, out);
  }
  // By address shape: bit 0 source wild, bit 1 destination wild. The first
  // word of an address is wild only when the whole prefix is.
  std::vector<Rule> groups[4];
  for (const Rule& r : rules) {
    const int shape = (r.field[kIpSrc].mask_range.u32 == 0 ? 1 : 0) |
                      (r.field[IpDst(words)].mask_range.u32 == 0 ? 2 : 0);
    groups[shape].push_back(r);
  }
  for (const std::vector<Rule>& g : groups) {
    if (g.empty()) continue;
    std::vector<Rule> wild;
    std::vector<Rule> set;
    SplitByField(cfg, kIpProto, g, &wild, &set);
    const size_t smaller = std::min(wild.size(), set.size());
    const bool split = smaller >= options.proto_split_min && smaller * 10 >= g.size();
    for (const std::vector<Rule>* part : {&set, &wild}) {
      const std::vector<Rule>& rs = split ? *part : g;
      if (rs.empty()) continue;
      absl::Status s = BuildSet(kind, cfg, std::span<const Rule>(rs), options, 0, out);
      if (!s.ok()) return s;
      if (!split) break;
    }
  }
  return absl::OkStatus();
}

// Merges the results of every context of a set into `res` (positions, or
// kNoMatch): the lowest position is the first rule in priority order.
inline void Lookup(const std::vector<rte_acl_ctx*>& set, const uint8_t** data, uint32_t n,
                   uint32_t* res) {
  for (const rte_acl_ctx* ctx : set) {
    uint32_t r[Classifier::kMaxBurst];
    rte_acl_classify(ctx, data, r, n, 1);
    // Userdata is position + 1, and 0 (no match) wraps to kNoMatch.
    for (uint32_t j = 0; j < n; ++j) res[j] = std::min(res[j], r[j] - 1);
  }
}

}  // namespace

absl::StatusOr<Classifier> Classifier::Build(std::span<const ClassifierRule> rules) {
  return Build(rules, Options());
}

absl::StatusOr<Classifier> Classifier::Build(std::span<const ClassifierRule> rules,
                                             const Options& options) {
  if (rules.size() >= static_cast<size_t>(RTE_ACL_MAX_PRIORITY)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rules: ", rules.size(), " rules are more than the classifier takes"));
  }
  const auto count = static_cast<uint32_t>(rules.size());
  std::vector<AclRuleL2> non_ip;
  std::vector<AclRuleV4> v4;
  std::vector<AclRuleV6> v6;
  for (uint32_t i = 0; i < count; ++i) {
    const ClassifierRule& rule = rules[i];
    const CompiledMatch& m = *rule.match;
    if (rule.in_port >= static_cast<int32_t>(kMaxPorts)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rules: port index ", rule.in_port, " is beyond ", kMaxPorts - 1));
    }
    const uint8_t version = m.src.version != 0 ? m.src.version : m.dst.version;
    // Whether only IP packets can match: only they have addresses, a
    // protocol and L4 ports.
    const bool needs_ip =
        version != 0 || m.ip_proto >= 0 || !m.src_ports.any() || !m.dst_ports.any();
    if (!needs_ip) FillNonIpRule(rule, i, count, &non_ip.emplace_back());
    // IPv4 packets have ether type 0x0800 and IPv6 ones 0x86dd (ParsePacket
    // parses nothing else as IP), so the ether type test is decided here.
    if ((version == 0 || version == 4) && (m.eth_type < 0 || m.eth_type == kEtherTypeIpv4)) {
      FillIpRule(rule, i, count, 1, &v4.emplace_back());
    }
    if ((version == 0 || version == 6) && (m.eth_type < 0 || m.eth_type == kEtherTypeIpv6)) {
      FillIpRule(rule, i, count, 4, &v6.emplace_back());
    }
  }

  Classifier c;
  c.rule_count_ = rules.size();
  absl::Status s = BuildRules("n", NonIpConfig(), 0, non_ip, options, &c.non_ip_);
  if (s.ok()) s = BuildRules("4", IpConfig(1), 1, v4, options, &c.ip_[0]);
  if (s.ok()) s = BuildRules("6", IpConfig(4), 4, v6, options, &c.ip_[1]);
  if (!s.ok()) return s;  // `c` frees what was built
  return c;
}

Classifier::~Classifier() { Reset(); }

Classifier::Classifier(Classifier&& other) noexcept { *this = std::move(other); }

Classifier& Classifier::operator=(Classifier&& other) noexcept {
  if (this != &other) {
    Reset();
    // Exchanged, so that `other` is left owning nothing.
    non_ip_ = std::exchange(other.non_ip_, {});
    for (int f = 0; f < 2; ++f) ip_[f] = std::exchange(other.ip_[f], {});
    rule_count_ = std::exchange(other.rule_count_, 0);
  }
  return *this;
}

void Classifier::Reset() {
  auto free_set = [](ContextSet* set) {
    for (rte_acl_ctx* ctx : *set) rte_acl_free(ctx);
    set->clear();
  };
  free_set(&non_ip_);
  for (ContextSet& set : ip_) free_set(&set);
  rule_count_ = 0;
}

size_t Classifier::context_count() const { return non_ip_.size() + ip_[0].size() + ip_[1].size(); }

void Classifier::Classify(uint16_t /*in_port*/, const AclKey* keys, uint32_t n,
                          uint32_t* rule) const {
  // Split the burst by family without a branch per packet.
  const uint8_t* data[3][kMaxBurst];
  uint32_t pos[3][kMaxBurst];
  uint32_t count[3] = {0, 0, 0};
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t family = keys[i].family;
    data[family][count[family]] = reinterpret_cast<const uint8_t*>(&keys[i]);
    pos[family][count[family]++] = i;
  }
  for (uint8_t family = 0; family < 3; ++family) {
    const uint32_t k = count[family];
    // Most bursts hold one or two families.
    if (k == 0) continue;
    uint32_t res[kMaxBurst];
    std::fill(res, res + k, kNoMatch);
    Lookup(family == kAclNonIp ? non_ip_ : ip_[family - kAclIpv4], data[family], k, res);
    for (uint32_t j = 0; j < k; ++j) rule[pos[family][j]] = res[j];
  }
}

}  // namespace onvm::engine
