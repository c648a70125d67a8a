#include "agent/openflow/flow_translate.h"

#include <arpa/inet.h>

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "agent/openflow/codec.h"
#include "agent/openflow/error.h"
#include "onvm/fnv1a.h"
#include "onvm/match.h"

namespace onvm::agent::openflow {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoSctp = 132;

uint32_t ToU32(const Bytes& b) {
  uint32_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return v;
}

Bytes FromU(uint64_t v, size_t width) {
  Bytes b(width);
  for (size_t i = 0; i < width; ++i) b[width - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

bool AllOnes(const Bytes& b) {
  for (uint8_t x : b) {
    if (x != 0xff) return false;
  }
  return true;
}

// Prefix length of a contiguous mask; nullopt otherwise.
std::optional<int> PrefixLength(const Bytes& mask) {
  int len = 0;
  bool ended = false;
  for (uint8_t byte : mask) {
    for (int bit = 7; bit >= 0; --bit) {
      const bool set = (byte >> bit & 1) != 0;
      if (set && ended) return std::nullopt;
      if (set) ++len;
      if (!set) ended = true;
    }
  }
  return len;
}

Bytes PrefixMask(int len, size_t width) {
  Bytes m(width, 0);
  for (int i = 0; i < len; ++i) m[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  return m;
}

absl::Status BadMatch(uint16_t code, absl::string_view why) {
  return OfError(OFPET_BAD_MATCH, code, why);
}

absl::string_view FieldName(uint8_t field) {
  switch (field) {
    case OFPXMT_OFB_IN_PORT:
      return "in_port";
    case OFPXMT_OFB_ETH_TYPE:
      return "eth_type";
    case OFPXMT_OFB_VLAN_VID:
      return "vlan_vid";
    case OFPXMT_OFB_IP_PROTO:
      return "ip_proto";
    case OFPXMT_OFB_IPV4_SRC:
      return "ipv4_src";
    case OFPXMT_OFB_IPV4_DST:
      return "ipv4_dst";
    case OFPXMT_OFB_IPV6_SRC:
      return "ipv6_src";
    case OFPXMT_OFB_IPV6_DST:
      return "ipv6_dst";
    case OFPXMT_OFB_TCP_SRC:
      return "tcp_src";
    case OFPXMT_OFB_TCP_DST:
      return "tcp_dst";
    case OFPXMT_OFB_UDP_SRC:
      return "udp_src";
    case OFPXMT_OFB_UDP_DST:
      return "udp_dst";
    case OFPXMT_OFB_SCTP_SRC:
      return "sctp_src";
    case OFPXMT_OFB_SCTP_DST:
      return "sctp_dst";
    default:
      return "field";
  }
}

// "a.b.c.d/len" or "x::/len" of a masked address field.
absl::StatusOr<std::string> PrefixText(uint8_t field, const Bytes& value, const Bytes& mask) {
  std::optional<int> len = PrefixLength(mask);
  if (!len.has_value()) {
    return BadMatch(OFPBMC_BAD_NW_ADDR_MASK,
                    absl::StrCat(FieldName(field), ": only prefix masks (CIDR) are supported"));
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(value.size() == 4 ? AF_INET : AF_INET6, value.data(), text, sizeof(text));
  return absl::StrCat(text, "/", *len);
}

// The onvm rule's ports field for an L4 field and the protocol it needs.
struct L4Field {
  bool src;
  uint8_t proto;
};
std::optional<L4Field> L4Of(uint8_t field) {
  switch (field) {
    case OFPXMT_OFB_TCP_SRC:
      return L4Field{true, kProtoTcp};
    case OFPXMT_OFB_TCP_DST:
      return L4Field{false, kProtoTcp};
    case OFPXMT_OFB_UDP_SRC:
      return L4Field{true, kProtoUdp};
    case OFPXMT_OFB_UDP_DST:
      return L4Field{false, kProtoUdp};
    case OFPXMT_OFB_SCTP_SRC:
      return L4Field{true, kProtoSctp};
    case OFPXMT_OFB_SCTP_DST:
      return L4Field{false, kProtoSctp};
    default:
      return std::nullopt;
  }
}

void AddField(uint8_t field, Bytes value, Match* out) {
  OxmField f;
  f.field = field;
  f.value = std::move(value);
  out->push_back(std::move(f));
}

void AddMasked(uint8_t field, Bytes value, Bytes mask, Match* out) {
  OxmField f;
  f.field = field;
  if (!AllOnes(mask)) {
    f.has_mask = true;
    f.mask = std::move(mask);
  }
  f.value = std::move(value);
  out->push_back(std::move(f));
}

absl::Status AddPrefix(uint8_t v4_field, uint8_t v6_field, const std::string& text, Match* out) {
  absl::StatusOr<Prefix> p = ParsePrefix("prefix", text);
  if (!p.ok()) return p.status();
  const size_t width = p->version == 4 ? 4 : 16;
  AddMasked(p->version == 4 ? v4_field : v6_field, Bytes(p->addr, p->addr + width),
            PrefixMask(p->length, width), out);
  return absl::OkStatus();
}

}  // namespace

uint32_t PortMap::PortNumber(const std::string& name) const {
  for (const auto& [no, n] : ports) {
    if (n == name) return no;
  }
  return 0;
}

uint32_t PortMap::ChainNumber(const std::string& name) const {
  for (const auto& [no, n] : chains) {
    if (n == name) return no;
  }
  return 0;
}

absl::StatusOr<NormalMatch> Normalize(const Match& match) {
  NormalMatch out;
  for (const OxmField& f : match) {
    Bytes mask = f.has_mask ? f.mask : Bytes(f.value.size(), 0xff);
    if (mask.size() != f.value.size()) return BadMatch(OFPBMC_BAD_LEN, "mask width");
    Bytes value = f.value;
    for (size_t i = 0; i < value.size(); ++i) value[i] &= mask[i];
    if (!out.emplace(f.field, std::make_pair(std::move(value), std::move(mask))).second) {
      return BadMatch(OFPBMC_DUP_FIELD, absl::StrCat(FieldName(f.field), " given twice"));
    }
  }
  return out;
}

bool Covers(const NormalMatch& request, const NormalMatch& flow) {
  for (const auto& [field, rv] : request) {
    const auto& [rvalue, rmask] = rv;
    auto it = flow.find(field);
    if (it == flow.end()) {
      // The flow is wild here; only a request that is wild too covers it.
      for (uint8_t m : rmask) {
        if (m != 0) return false;
      }
      continue;
    }
    const auto& [fvalue, fmask] = it->second;
    if (fvalue.size() != rvalue.size()) return false;
    for (size_t i = 0; i < rvalue.size(); ++i) {
      // The flow must fix every bit the request fixes, to the same value.
      if ((fmask[i] & rmask[i]) != rmask[i]) return false;
      if ((fvalue[i] & rmask[i]) != rvalue[i]) return false;
    }
  }
  return true;
}

bool Overlaps(const NormalMatch& a, const NormalMatch& b) {
  for (const auto& [field, av] : a) {
    auto it = b.find(field);
    if (it == b.end()) continue;
    const auto& [avalue, amask] = av;
    const auto& [bvalue, bmask] = it->second;
    if (avalue.size() != bvalue.size()) return false;
    for (size_t i = 0; i < avalue.size(); ++i) {
      const uint8_t both = amask[i] & bmask[i];
      if ((avalue[i] & both) != (bvalue[i] & both)) return false;
    }
  }
  return true;
}

absl::StatusOr<onvm::v1::Match> ToRuleMatch(const Match& match, const PortMap& ports) {
  absl::StatusOr<NormalMatch> normal = Normalize(match);
  if (!normal.ok()) return normal.status();
  // Values with bits outside their mask are refused rather than silently
  // masked: the controller meant something else.
  for (const OxmField& f : match) {
    if (!f.has_mask) continue;
    for (size_t i = 0; i < f.value.size(); ++i) {
      if ((f.value[i] & ~f.mask[i]) != 0) {
        return BadMatch(OFPBMC_BAD_WILDCARDS,
                        absl::StrCat(FieldName(f.field), ": value has bits outside its mask"));
      }
    }
  }
  std::optional<uint16_t> eth_type;
  std::optional<uint8_t> ip_proto;
  if (auto it = normal->find(OFPXMT_OFB_ETH_TYPE); it != normal->end()) {
    eth_type = static_cast<uint16_t>(ToU32(it->second.first));
  }
  if (auto it = normal->find(OFPXMT_OFB_IP_PROTO); it != normal->end()) {
    ip_proto = static_cast<uint8_t>(ToU32(it->second.first));
  }

  onvm::v1::Match out;
  for (const auto& [field, vm] : *normal) {
    const auto& [value, mask] = vm;
    const bool exact = AllOnes(mask);
    const std::string name(FieldName(field));
    switch (field) {
      case OFPXMT_OFB_IN_PORT: {
        if (!exact) return BadMatch(OFPBMC_BAD_MASK, "in_port cannot be masked");
        auto it = ports.ports.find(ToU32(value));
        if (it == ports.ports.end()) {
          return BadMatch(OFPBMC_BAD_VALUE,
                          absl::StrCat("in_port ", ToU32(value), " is not an engine port"));
        }
        out.set_in_port(it->second);
        break;
      }
      case OFPXMT_OFB_ETH_TYPE: {
        if (!exact) return BadMatch(OFPBMC_BAD_MASK, "eth_type cannot be masked");
        const std::string text = absl::StrFormat("0x%04x", *eth_type);
        if (!ParseEtherType("eth_type", text).ok()) {
          return BadMatch(OFPBMC_BAD_VALUE, absl::StrCat("eth_type ", text,
                                                         " (a VLAN tag type) cannot be matched; "
                                                         "match vlan_vid instead"));
        }
        out.set_eth_type(text);
        break;
      }
      case OFPXMT_OFB_VLAN_VID: {
        const uint32_t vid = ToU32(value);
        const uint32_t vmask = ToU32(mask);
        if ((vid & ~uint32_t{0x1fff}) != 0) {
          return BadMatch(OFPBMC_BAD_VALUE, "vlan_vid has bits above OFPVID_PRESENT");
        }
        if ((vmask & 0x1fff) == 0x1fff && (vid & OFPVID_PRESENT) != 0) {
          out.set_vlan_id(vid & 0x0fff);
        } else if ((vmask & 0x1fff) == 0x1fff && vid == OFPVID_NONE) {
          return BadMatch(OFPBMC_BAD_VALUE,
                          "vlan_vid=none (untagged only) is not supported; match a VLAN id");
        } else {
          return BadMatch(OFPBMC_BAD_MASK, "vlan_vid can only be matched exactly");
        }
        break;
      }
      case OFPXMT_OFB_IP_PROTO:
        if (!exact) return BadMatch(OFPBMC_BAD_MASK, "ip_proto cannot be masked");
        if (eth_type != kEthIpv4 && eth_type != kEthIpv6) {
          return BadMatch(OFPBMC_BAD_PREREQ, "ip_proto needs eth_type 0x0800 or 0x86dd");
        }
        out.set_ip_proto(absl::StrCat(*ip_proto));
        break;
      case OFPXMT_OFB_IPV4_SRC:
      case OFPXMT_OFB_IPV4_DST:
      case OFPXMT_OFB_IPV6_SRC:
      case OFPXMT_OFB_IPV6_DST: {
        const bool v4 = field == OFPXMT_OFB_IPV4_SRC || field == OFPXMT_OFB_IPV4_DST;
        if (eth_type != (v4 ? kEthIpv4 : kEthIpv6)) {
          return BadMatch(OFPBMC_BAD_PREREQ,
                          absl::StrCat(name, " needs eth_type ", v4 ? "0x0800" : "0x86dd"));
        }
        absl::StatusOr<std::string> text = PrefixText(field, value, mask);
        if (!text.ok()) return text.status();
        const bool src = field == OFPXMT_OFB_IPV4_SRC || field == OFPXMT_OFB_IPV6_SRC;
        if (src) {
          out.set_src_prefix(*text);
        } else {
          out.set_dst_prefix(*text);
        }
        break;
      }
      default: {
        std::optional<L4Field> l4 = L4Of(field);
        if (!l4.has_value()) {
          return BadMatch(OFPBMC_BAD_FIELD,
                          absl::StrCat("OXM field ", static_cast<int>(field),
                                       " is not supported (supported: in_port, eth_type, "
                                       "vlan_vid, ip_proto, ipv4/ipv6 src/dst, tcp/udp/sctp "
                                       "src/dst)"));
        }
        if (!exact) return BadMatch(OFPBMC_BAD_MASK, absl::StrCat(name, " cannot be masked"));
        if (ip_proto != l4->proto) {
          return BadMatch(OFPBMC_BAD_PREREQ,
                          absl::StrCat(name, " needs ip_proto ", static_cast<int>(l4->proto)));
        }
        if (l4->src && !out.src_ports().empty()) {
          return BadMatch(OFPBMC_DUP_FIELD, "two source port fields");
        }
        if (!l4->src && !out.dst_ports().empty()) {
          return BadMatch(OFPBMC_DUP_FIELD, "two destination port fields");
        }
        (l4->src ? *out.mutable_src_ports() : *out.mutable_dst_ports()) =
            absl::StrCat(ToU32(value));
        break;
      }
    }
  }
  return out;
}

absl::StatusOr<onvm::v1::RuleAction> ToRuleAction(const std::vector<Instruction>& instructions,
                                                  const PortMap& ports) {
  std::vector<const Action*> actions;
  uint32_t seen = 0;
  for (const Instruction& inst : instructions) {
    if (inst.type < 32) {
      if ((seen >> inst.type & 1) != 0) {
        return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST,
                       absl::StrCat("instruction ", inst.type, " given twice"));
      }
      seen |= 1u << inst.type;
    }
    switch (inst.type) {
      case OFPIT_APPLY_ACTIONS:
      case OFPIT_WRITE_ACTIONS:
        // One table and no other action: applying now or at the end of
        // the pipeline is the same.
        for (const Action& a : inst.actions) actions.push_back(&a);
        break;
      case OFPIT_CLEAR_ACTIONS:
        break;
      case OFPIT_GOTO_TABLE:
        return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID,
                       absl::StrCat("goto_table:", inst.table_id, ": the switch has table 0 only"));
      case OFPIT_WRITE_METADATA:
      case OFPIT_METER:
      case OFPIT_EXPERIMENTER:
        return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST,
                       absl::StrCat("instruction ", inst.type, " is not supported"));
      default:
        return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST,
                       absl::StrCat("unknown instruction ", inst.type));
    }
  }
  onvm::v1::RuleAction out;
  if (actions.empty()) {
    out.set_drop(true);
    return out;
  }
  for (const Action* a : actions) {
    if (a->type != OFPAT_OUTPUT) {
      return OfError(OFPET_BAD_ACTION, OFPBAC_BAD_TYPE,
                     absl::StrCat("action type ", a->type,
                                  " is not supported (only output to a port or a chain)"));
    }
  }
  if (actions.size() > 1) {
    return OfError(OFPET_BAD_ACTION, OFPBAC_TOO_MANY,
                   "at most one output action (a packet goes to one port or one chain)");
  }
  const uint32_t port = actions[0]->port;
  if (auto it = ports.ports.find(port); it != ports.ports.end()) {
    out.set_out(it->second);
  } else if (auto chain = ports.chains.find(port); chain != ports.chains.end()) {
    out.set_chain(chain->second);
  } else {
    return OfError(OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT,
                   absl::StrCat("output:", port, " is neither an engine port nor a chain"));
  }
  return out;
}

absl::StatusOr<Match> FromRuleMatch(const onvm::v1::Match& m, const PortMap& ports) {
  Match out;
  if (!m.in_port().empty()) {
    const uint32_t no = ports.PortNumber(m.in_port());
    if (no == 0) return absl::NotFoundError(absl::StrCat("port ", m.in_port(), " has no number"));
    AddField(OFPXMT_OFB_IN_PORT, FromU(no, 4), &out);
  }
  std::optional<uint16_t> eth_type;
  if (!m.eth_type().empty()) {
    absl::StatusOr<uint16_t> t = ParseEtherType("eth_type", m.eth_type());
    if (!t.ok()) return t.status();
    eth_type = *t;
    AddField(OFPXMT_OFB_ETH_TYPE, FromU(*t, 2), &out);
  }
  if (m.has_vlan_id()) AddField(OFPXMT_OFB_VLAN_VID, FromU(OFPVID_PRESENT | m.vlan_id(), 2), &out);
  std::optional<uint8_t> proto;
  if (!m.ip_proto().empty()) {
    absl::StatusOr<uint8_t> p = ParseIpProto("ip_proto", m.ip_proto());
    if (!p.ok()) return p.status();
    proto = *p;
    AddField(OFPXMT_OFB_IP_PROTO, FromU(*p, 1), &out);
  }
  if (!m.src_prefix().empty()) {
    if (absl::Status s = AddPrefix(OFPXMT_OFB_IPV4_SRC, OFPXMT_OFB_IPV6_SRC, m.src_prefix(), &out);
        !s.ok()) {
      return s;
    }
  }
  if (!m.dst_prefix().empty()) {
    if (absl::Status s = AddPrefix(OFPXMT_OFB_IPV4_DST, OFPXMT_OFB_IPV6_DST, m.dst_prefix(), &out);
        !s.ok()) {
      return s;
    }
  }
  const auto add_ports = [&](const std::string& text, bool src) -> absl::Status {
    if (text.empty()) return absl::OkStatus();
    absl::StatusOr<PortRange> r = ParsePortRange("ports", text);
    if (!r.ok()) return r.status();
    if (r->lo != r->hi) return absl::InvalidArgumentError("port ranges have no OpenFlow form");
    uint8_t field;
    switch (proto.value_or(0)) {
      case kProtoTcp:
        field = src ? OFPXMT_OFB_TCP_SRC : OFPXMT_OFB_TCP_DST;
        break;
      case kProtoUdp:
        field = src ? OFPXMT_OFB_UDP_SRC : OFPXMT_OFB_UDP_DST;
        break;
      case kProtoSctp:
        field = src ? OFPXMT_OFB_SCTP_SRC : OFPXMT_OFB_SCTP_DST;
        break;
      default:
        return absl::InvalidArgumentError("ports without tcp, udp or sctp have no OpenFlow form");
    }
    AddField(field, FromU(r->lo, 2), &out);
    return absl::OkStatus();
  };
  if (absl::Status s = add_ports(m.src_ports(), true); !s.ok()) return s;
  if (absl::Status s = add_ports(m.dst_ports(), false); !s.ok()) return s;
  (void)eth_type;
  return out;
}

absl::StatusOr<std::vector<Instruction>> FromRuleAction(const onvm::v1::RuleAction& action,
                                                        const PortMap& ports) {
  uint32_t port = 0;
  switch (action.target_case()) {
    case onvm::v1::RuleAction::kOut:
      port = ports.PortNumber(action.out());
      break;
    case onvm::v1::RuleAction::kChain:
      port = ports.ChainNumber(action.chain());
      break;
    default:
      return std::vector<Instruction>{};  // drop
  }
  if (port == 0) return absl::NotFoundError("the rule's target has no port number");
  Instruction apply;
  apply.type = OFPIT_APPLY_ACTIONS;
  Action output;
  output.type = OFPAT_OUTPUT;
  output.port = port;
  output.max_len = 0;
  apply.actions.push_back(output);
  return std::vector<Instruction>{apply};
}

std::string RuleNameFor(uint32_t priority, const onvm::v1::Match& m) {
  // Field by field with separators, not the proto's serialization, so that
  // names survive changes of the proto library.
  const std::string key =
      absl::StrCat("p=", priority, ";in=", m.in_port(), ";et=", m.eth_type(),
                   ";vl=", m.has_vlan_id() ? absl::StrCat(m.vlan_id()) : "-", ";pr=", m.ip_proto(),
                   ";src=", m.src_prefix(), ";dst=", m.dst_prefix(), ";sp=", m.src_ports(),
                   ";dp=", m.dst_ports());
  return absl::StrFormat("of-%016x", Fnv1a(key));
}

}  // namespace onvm::agent::openflow
