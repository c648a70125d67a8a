#include "agent/openflow/switch.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/log.h"
#include "agent/openflow/codec.h"
#include "agent/openflow/error.h"
#include "agent/rule_origin.h"

namespace onvm::agent::openflow {
namespace {

// Flow stats per MULTIPART_REPLY: a flow takes at most ~200 bytes, so 256
// stay well under the 64 KiB a message can hold.
constexpr size_t kFlowsPerReply = 256;

uint32_t SpeedFeatures(uint32_t mbps) {
  switch (mbps) {
    case 0:
      return 0;
    case 10:
      return OFPPF_10MB_FD;
    case 100:
      return OFPPF_100MB_FD;
    case 1000:
      return OFPPF_1GB_FD;
    case 10000:
      return OFPPF_10GB_FD;
    case 40000:
      return OFPPF_40GB_FD;
    case 100000:
      return OFPPF_100GB_FD;
    default:
      return OFPPF_OTHER;
  }
}

// The OpenFlow error for a store refusal.
absl::Status StoreError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted:
      return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL, s.message());
    case absl::StatusCode::kFailedPrecondition:
      return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_EPERM, s.message());
    default:
      return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, s.message());
  }
}

bool CookieMatches(uint64_t flow_cookie, uint64_t cookie, uint64_t mask) {
  return (flow_cookie & mask) == (cookie & mask);
}

bool OutputsTo(const std::vector<Instruction>& instructions, uint32_t port) {
  for (const Instruction& inst : instructions) {
    for (const Action& a : inst.actions) {
      if (a.type == OFPAT_OUTPUT && a.port == port) return true;
    }
  }
  return false;
}

Message Reply(const Message& request, uint8_t type) {
  Message m;
  m.type = type;
  m.xid = request.xid;
  return m;
}

Message ErrorReply(const Message& request, const absl::Status& status,
                   std::span<const uint8_t> raw) {
  OfErrorCode code = ErrorCodeOf(status).value_or(OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_EPERM});
  return MakeError(request.xid, code.type, code.code, raw);
}

// Table features: what a flow of table 0 may hold. Controllers (ovs-ofctl
// among them) read this before they send a flow.
std::vector<TableFeatures> OurTableFeatures() {
  TableFeatures t;
  t.table_id = 0;
  t.name = "classifier";
  t.max_entries = ONVM_MAX_RULES;
  std::vector<uint8_t> instructions;
  for (uint16_t type : {OFPIT_WRITE_ACTIONS, OFPIT_APPLY_ACTIONS, OFPIT_CLEAR_ACTIONS}) {
    instructions.insert(instructions.end(),
                        {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 4});
  }
  const std::vector<uint8_t> actions = {0, OFPAT_OUTPUT, 0, 4};
  std::vector<uint8_t> match;
  std::vector<uint8_t> wildcards;
  const auto oxm = [](std::vector<uint8_t>* out, uint8_t field, bool maskable) {
    const uint8_t len = static_cast<uint8_t>(OxmWidth(field) * (maskable ? 2 : 1));
    out->insert(out->end(),
                {0x80, 0x00, static_cast<uint8_t>(field << 1 | (maskable ? 1 : 0)), len});
  };
  for (uint8_t field :
       {OFPXMT_OFB_IN_PORT, OFPXMT_OFB_ETH_TYPE, OFPXMT_OFB_VLAN_VID, OFPXMT_OFB_IP_PROTO,
        OFPXMT_OFB_IPV4_SRC, OFPXMT_OFB_IPV4_DST, OFPXMT_OFB_TCP_SRC, OFPXMT_OFB_TCP_DST,
        OFPXMT_OFB_UDP_SRC, OFPXMT_OFB_UDP_DST, OFPXMT_OFB_SCTP_SRC, OFPXMT_OFB_SCTP_DST,
        OFPXMT_OFB_IPV6_SRC, OFPXMT_OFB_IPV6_DST}) {
    const bool maskable = field == OFPXMT_OFB_IPV4_SRC || field == OFPXMT_OFB_IPV4_DST ||
                          field == OFPXMT_OFB_IPV6_SRC || field == OFPXMT_OFB_IPV6_DST;
    oxm(&match, field, maskable);
    oxm(&wildcards, field, false);
  }
  t.properties = {
      {OFPTFPT_INSTRUCTIONS, instructions},
      {OFPTFPT_INSTRUCTIONS_MISS, instructions},
      {OFPTFPT_NEXT_TABLES, {}},
      {OFPTFPT_NEXT_TABLES_MISS, {}},
      {OFPTFPT_WRITE_ACTIONS, actions},
      {OFPTFPT_WRITE_ACTIONS_MISS, actions},
      {OFPTFPT_APPLY_ACTIONS, actions},
      {OFPTFPT_APPLY_ACTIONS_MISS, actions},
      {OFPTFPT_MATCH, match},
      {OFPTFPT_WILDCARDS, wildcards},
      {OFPTFPT_WRITE_SETFIELD, {}},
      {OFPTFPT_WRITE_SETFIELD_MISS, {}},
      {OFPTFPT_APPLY_SETFIELD, {}},
      {OFPTFPT_APPLY_SETFIELD_MISS, {}},
  };
  return {t};
}

}  // namespace

FeaturesReply OpenFlowSwitch::Features() const {
  FeaturesReply f;
  f.datapath_id = env_.datapath_id;
  f.n_buffers = 0;  // no packet is ever buffered for a controller
  f.n_tables = 1;
  f.capabilities = OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS;
  return f;
}

PortMap OpenFlowSwitch::Ports() const {
  PortMap map;
  if (env_.ports) {
    for (const EnginePort& p : env_.ports()) map.ports[p.port_id + 1] = p.name;
  }
  if (env_.store != nullptr) {
    for (const onvm::v1::Chain& c : env_.store->ListChains()) {
      map.chains[kChainPortBase + c.status().id()] = c.metadata().name();
    }
  }
  return map;
}

std::vector<Port> OpenFlowSwitch::PortDescs() const {
  std::vector<Port> out;
  if (env_.ports) {
    std::vector<EnginePort> ports = env_.ports();
    std::sort(ports.begin(), ports.end(),
              [](const EnginePort& a, const EnginePort& b) { return a.port_id < b.port_id; });
    for (const EnginePort& p : ports) {
      Port d;
      d.port_no = p.port_id + 1;
      d.hw_addr = p.mac;
      d.name = p.name;
      d.state = p.link_up ? OFPPS_LIVE : OFPPS_LINK_DOWN;
      d.curr = d.supported = d.advertised = SpeedFeatures(p.speed_mbps);
      d.curr_speed = d.max_speed = p.speed_mbps * 1000;
      out.push_back(std::move(d));
    }
  }
  if (env_.store != nullptr) {
    std::vector<onvm::v1::Chain> chains = env_.store->ListChains();
    std::sort(chains.begin(), chains.end(),
              [](const auto& a, const auto& b) { return a.status().id() < b.status().id(); });
    for (const onvm::v1::Chain& c : chains) {
      Port d;
      d.port_no = kChainPortBase + c.status().id();
      d.name = c.metadata().name();  // cut to 15 bytes on the wire
      d.state = OFPPS_LIVE;
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::vector<OpenFlowSwitch::Flow> OpenFlowSwitch::Flows(const PortMap& ports) const {
  std::vector<Flow> out;
  if (env_.store == nullptr) return out;
  for (onvm::v1::Rule& r : env_.store->ListRules()) {
    if (!IsOpenFlowRule(r)) continue;
    Flow f;
    absl::StatusOr<Match> match = FromRuleMatch(r.spec().match(), ports);
    absl::StatusOr<std::vector<Instruction>> inst = FromRuleAction(r.spec().action(), ports);
    if (match.ok() && inst.ok()) {
      f.match = *std::move(match);
      f.instructions = *std::move(inst);
      f.normal = Normalize(f.match).value_or(NormalMatch{});
      f.describable = true;
    }
    // Otherwise its port or chain has no number now: it stays selectable
    // by a match-all delete, and is left out of stats.
    f.rule = std::move(r);
    out.push_back(std::move(f));
  }
  return out;
}

absl::StatusOr<std::vector<OpenFlowSwitch::Flow>> OpenFlowSwitch::Select(
    const Match& match, bool strict, uint16_t priority, uint64_t cookie, uint64_t cookie_mask,
    uint32_t out_port, const PortMap& ports) const {
  absl::StatusOr<NormalMatch> request = Normalize(match);
  if (!request.ok()) return request.status();
  std::string strict_name;
  if (strict) {
    // A strict request names one flow: the rule of this priority and match.
    absl::StatusOr<onvm::v1::Match> m = ToRuleMatch(match, ports);
    if (!m.ok()) return std::vector<Flow>{};  // no flow can have that match
    strict_name = RuleNameFor(priority, *m);
  }
  std::vector<Flow> out;
  for (Flow& f : Flows(ports)) {
    if (!CookieMatches(f.rule.status().openflow_cookie(), cookie, cookie_mask)) continue;
    if (out_port != OFPP_ANY && !OutputsTo(f.instructions, out_port)) continue;
    if (strict ? f.rule.metadata().name() != strict_name : !Covers(*request, f.normal)) continue;
    out.push_back(std::move(f));
  }
  return out;
}

absl::Status OpenFlowSwitch::AddLocked(const FlowMod& mod, const PortMap& ports) {
  if (mod.table_id != 0) {
    return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID,
                   absl::StrCat("table ", mod.table_id, ": the switch has table 0 only"));
  }
  if (mod.buffer_id != OFP_NO_BUFFER) {
    return OfError(OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN, "the switch buffers no packets");
  }
  if (mod.idle_timeout != 0 || mod.hard_timeout != 0) {
    return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TIMEOUT,
                   "flow timeouts are not supported (flows stay until deleted)");
  }
  constexpr uint16_t kAllowedFlags =
      OFPFF_CHECK_OVERLAP | OFPFF_NO_PKT_COUNTS | OFPFF_NO_BYT_COUNTS;
  if ((mod.flags & ~kAllowedFlags) != 0) {
    return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS,
                   absl::StrCat("flags 0x", absl::Hex(mod.flags),
                                ": send_flow_rem and reset_counts are not supported"));
  }
  absl::StatusOr<onvm::v1::Match> match = ToRuleMatch(mod.match, ports);
  if (!match.ok()) return match.status();
  absl::StatusOr<onvm::v1::RuleAction> action = ToRuleAction(mod.instructions, ports);
  if (!action.ok()) return action.status();
  const std::string name = RuleNameFor(mod.priority, *match);

  if ((mod.flags & OFPFF_CHECK_OVERLAP) != 0) {
    absl::StatusOr<NormalMatch> normal = Normalize(mod.match);
    if (!normal.ok()) return normal.status();
    for (const Flow& f : Flows(ports)) {
      if (f.rule.spec().priority() == mod.priority && f.rule.metadata().name() != name &&
          Overlaps(*normal, f.normal)) {
        return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP,
                       absl::StrCat("overlaps flow ", f.rule.metadata().name()));
      }
    }
  }

  onvm::v1::Rule rule;
  rule.set_api_version("onvm/v1");
  rule.set_kind("Rule");
  rule.mutable_metadata()->set_name(name);
  rule.mutable_spec()->set_priority(mod.priority);
  *rule.mutable_spec()->mutable_match() = *std::move(match);
  *rule.mutable_spec()->mutable_action() = *std::move(action);
  rule.mutable_status()->set_openflow_cookie(mod.cookie);
  if (absl::Status s = env_.store->ChangeRules(kRuleOriginOpenFlow, {rule}, {}); !s.ok()) {
    return StoreError(s);
  }
  installed_[name] = absl::Now();  // an ADD of the same flow starts it anew
  return absl::OkStatus();
}

absl::Status OpenFlowSwitch::FlowModLocked(const FlowMod& mod) {
  if (env_.store == nullptr) return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_EPERM, "no store");
  const PortMap ports = Ports();
  switch (mod.command) {
    case OFPFC_ADD:
      return AddLocked(mod, ports);
    case OFPFC_MODIFY:
    case OFPFC_MODIFY_STRICT: {
      if (mod.table_id != 0) {
        return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID, "table 0 only");
      }
      absl::StatusOr<onvm::v1::RuleAction> action = ToRuleAction(mod.instructions, ports);
      if (!action.ok()) return action.status();
      absl::StatusOr<std::vector<Flow>> flows =
          Select(mod.match, mod.command == OFPFC_MODIFY_STRICT, mod.priority, mod.cookie,
                 mod.cookie_mask, OFPP_ANY, ports);
      if (!flows.ok()) return flows.status();
      // OpenFlow 1.3: a modify that selects nothing changes nothing. The
      // cookie, counters and duration of what it selects stay.
      std::vector<onvm::v1::Rule> upserts;
      for (Flow& f : *flows) {
        *f.rule.mutable_spec()->mutable_action() = *action;
        upserts.push_back(std::move(f.rule));
      }
      if (upserts.empty()) return absl::OkStatus();
      if (absl::Status s = env_.store->ChangeRules(kRuleOriginOpenFlow, upserts, {}); !s.ok()) {
        return StoreError(s);
      }
      return absl::OkStatus();
    }
    case OFPFC_DELETE:
    case OFPFC_DELETE_STRICT: {
      if (mod.table_id != 0 && mod.table_id != OFPTT_ALL) return absl::OkStatus();
      if (mod.out_group != OFPG_ANY) return absl::OkStatus();  // no groups: no flow outputs to one
      absl::StatusOr<std::vector<Flow>> flows =
          Select(mod.match, mod.command == OFPFC_DELETE_STRICT, mod.priority, mod.cookie,
                 mod.cookie_mask, mod.out_port, ports);
      if (!flows.ok()) return flows.status();
      std::vector<std::string> names;
      for (const Flow& f : *flows) names.push_back(f.rule.metadata().name());
      if (names.empty()) return absl::OkStatus();
      if (absl::Status s = env_.store->ChangeRules(kRuleOriginOpenFlow, {}, names); !s.ok()) {
        return StoreError(s);
      }
      for (const std::string& n : names) installed_.erase(n);
      return absl::OkStatus();
    }
    default:
      return OfError(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND,
                     absl::StrCat("flow_mod command ", mod.command));
  }
}

std::vector<FlowStats> OpenFlowSwitch::FlowStatsFor(const std::vector<Flow>& flows) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> counters;
  if (env_.rule_stats) {
    for (const ::onvm::RuleStats& r : env_.rule_stats()) counters[r.name] = {r.packets, r.bytes};
  }
  const absl::Time now = absl::Now();
  std::vector<FlowStats> out;
  absl::MutexLock lock(&mu_);
  for (const Flow& f : flows) {
    if (!f.describable) continue;
    FlowStats s;
    s.table_id = 0;
    auto it = installed_.find(f.rule.metadata().name());
    const absl::Duration age = now - (it == installed_.end() ? started_ : it->second);
    s.duration_sec = static_cast<uint32_t>(absl::ToInt64Seconds(age));
    s.duration_nsec =
        static_cast<uint32_t>(absl::ToInt64Nanoseconds(age - absl::Seconds(s.duration_sec)));
    s.priority = static_cast<uint16_t>(f.rule.spec().priority());
    s.cookie = f.rule.status().openflow_cookie();
    auto c = counters.find(f.rule.metadata().name());
    if (c != counters.end()) {
      s.packet_count = c->second.first;
      s.byte_count = c->second.second;
    }
    s.match = f.match;
    s.instructions = f.instructions;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Message> OpenFlowSwitch::Multipart(const Message& request, const MultipartRequest& mp,
                                               std::span<const uint8_t> raw) {
  Message reply = Reply(request, OFPT_MULTIPART_REPLY);
  MultipartReply body;
  body.type = mp.type;
  if ((mp.flags & OFPMPF_REQ_MORE) != 0) {
    return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, raw)};
  }
  switch (mp.type) {
    case OFPMP_DESC: {
      Desc d;
      d.mfr_desc = "onvm";
      d.hw_desc = "onvm-engine (DPDK)";
      d.sw_desc = "onvm-agent";
      d.dp_desc = env_.dp_desc;
      body.body = std::move(d);
      break;
    }
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE: {
      const auto* req = std::get_if<FlowStatsRequest>(&mp.body);
      if (req == nullptr) return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, raw)};
      std::vector<FlowStats> stats;
      if ((req->table_id == 0 || req->table_id == OFPTT_ALL) && req->out_group == OFPG_ANY) {
        const PortMap ports = Ports();
        absl::StatusOr<std::vector<Flow>> flows =
            Select(req->match, false, 0, req->cookie, req->cookie_mask, req->out_port, ports);
        if (!flows.ok()) return {ErrorReply(request, flows.status(), raw)};
        stats = FlowStatsFor(*flows);
      }
      if (mp.type == OFPMP_AGGREGATE) {
        AggregateStats a;
        for (const FlowStats& s : stats) {
          a.packet_count += s.packet_count;
          a.byte_count += s.byte_count;
          ++a.flow_count;
        }
        body.body = a;
        break;
      }
      // Split so that no message exceeds 64 KiB; all but the last say
      // "more".
      std::vector<Message> replies;
      for (size_t i = 0; i == 0 || i < stats.size(); i += kFlowsPerReply) {
        const size_t end = std::min(stats.size(), i + kFlowsPerReply);
        MultipartReply part;
        part.type = OFPMP_FLOW;
        part.flags = end < stats.size() ? OFPMPF_REPLY_MORE : 0;
        part.body = std::vector<FlowStats>(stats.begin() + static_cast<std::ptrdiff_t>(i),
                                           stats.begin() + static_cast<std::ptrdiff_t>(end));
        Message m = reply;
        m.body = std::move(part);
        replies.push_back(std::move(m));
      }
      return replies;
    }
    case OFPMP_TABLE: {
      TableStats t;
      t.table_id = 0;
      if (env_.store != nullptr) {
        for (const onvm::v1::Rule& r : env_.store->ListRules()) {
          if (IsOpenFlowRule(r)) ++t.active_count;
        }
      }
      if (env_.port_stats) {
        for (const ::onvm::PortStats& p : env_.port_stats()) t.lookup_count += p.rx_packets;
      }
      if (env_.rule_stats) {
        for (const ::onvm::RuleStats& r : env_.rule_stats()) t.matched_count += r.packets;
      }
      body.body = std::vector<TableStats>{t};
      break;
    }
    case OFPMP_PORT_STATS: {
      const auto* req = std::get_if<PortStatsRequest>(&mp.body);
      if (req == nullptr) return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, raw)};
      const PortMap ports = Ports();
      if (req->port_no != OFPP_ANY && !ports.ports.contains(req->port_no)) {
        return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, raw)};
      }
      std::map<std::string, ::onvm::PortStats> by_name;
      if (env_.port_stats) {
        for (::onvm::PortStats& p : env_.port_stats()) by_name[p.name] = std::move(p);
      }
      std::vector<PortStats> out;
      for (const auto& [no, name] : ports.ports) {
        if (req->port_no != OFPP_ANY && req->port_no != no) continue;
        PortStats s;
        s.port_no = no;
        if (auto it = by_name.find(name); it != by_name.end()) {
          s.rx_packets = it->second.rx_packets;
          s.tx_packets = it->second.tx_packets;
          s.rx_bytes = it->second.rx_bytes;
          s.tx_bytes = it->second.tx_bytes;
          s.rx_dropped = it->second.rx_missed;
          s.tx_dropped = it->second.tx_dropped;
        }
        out.push_back(s);
      }
      body.body = std::move(out);
      break;
    }
    case OFPMP_PORT_DESC:
      body.body = PortDescs();
      break;
    case OFPMP_TABLE_FEATURES:
      if (!mp.raw.empty()) {
        return {MakeError(request.xid, OFPET_TABLE_FEATURES_FAILED, OFPTFFC_EPERM, raw)};
      }
      body.body = OurTableFeatures();
      break;
    default:
      return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, raw)};
  }
  reply.body = std::move(body);
  return {reply};
}

std::vector<Message> OpenFlowSwitch::Handle(const Message& request, std::span<const uint8_t> raw) {
  switch (request.type) {
    case OFPT_FEATURES_REQUEST: {
      Message reply = Reply(request, OFPT_FEATURES_REPLY);
      reply.body = Features();
      return {reply};
    }
    case OFPT_FLOW_MOD: {
      const auto* mod = std::get_if<FlowMod>(&request.body);
      if (mod == nullptr) return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, raw)};
      absl::Status s;
      {
        absl::MutexLock lock(&mu_);
        s = FlowModLocked(*mod);
      }
      if (s.ok()) return {};
      LogWarning(absl::StrCat("openflow: flow_mod refused: ", s.message()));
      return {ErrorReply(request, s, raw)};
    }
    case OFPT_MULTIPART_REQUEST: {
      const auto* mp = std::get_if<MultipartRequest>(&request.body);
      if (mp == nullptr) return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, raw)};
      return Multipart(request, *mp, raw);
    }
    case OFPT_EXPERIMENTER:
      return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER, raw)};
    default:
      // PACKET_OUT, GROUP_MOD, PORT_MOD, TABLE_MOD, METER_MOD, ROLE and
      // ASYNC messages, and replies a switch never receives.
      return {MakeError(request.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, raw)};
  }
}

}  // namespace onvm::agent::openflow
