#include "agent/openflow/codec.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/openflow/error.h"

namespace onvm::agent::openflow {
namespace {

absl::Status BadLen(absl::string_view what) {
  return OfError(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, absl::StrCat(what, ": bad length"));
}

std::vector<uint8_t> ToVector(std::span<const uint8_t> b) { return {b.begin(), b.end()}; }

// Bytes from `len` up to the next multiple of 8.
size_t PadOf(size_t len) { return (8 - len % 8) % 8; }

// --- match -------------------------------------------------------------

absl::StatusOr<OxmField> DecodeOxm(Reader* in) {
  const uint16_t oxm_class = in->U16();
  const uint8_t field_and_mask = in->U8();
  const uint8_t len = in->U8();
  if (!in->ok()) return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "truncated OXM header");
  if (oxm_class != OFPXMC_OPENFLOW_BASIC) {
    return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_FIELD,
                   absl::StrCat("OXM class 0x", absl::Hex(oxm_class), " is not supported"));
  }
  OxmField f;
  f.field = field_and_mask >> 1;
  f.has_mask = (field_and_mask & 1) != 0;
  const size_t width = OxmWidth(f.field);
  const size_t want = width * (f.has_mask ? 2 : 1);
  if ((width != 0 && len != want) || (width == 0 && f.has_mask && len % 2 != 0)) {
    return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
                   absl::StrCat("OXM field ", f.field, " has length ", len));
  }
  std::span<const uint8_t> payload = in->Bytes(len);
  if (!in->ok()) return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "OXM field past the match");
  const size_t value_len = f.has_mask ? len / 2 : len;
  f.value = ToVector(payload.first(value_len));
  if (f.has_mask) f.mask = ToVector(payload.subspan(value_len));
  return f;
}

// --- actions and instructions ------------------------------------------

absl::StatusOr<std::vector<Action>> DecodeActions(Reader in) {
  std::vector<Action> actions;
  while (in.left() > 0) {
    const uint16_t type = in.U16();
    const uint16_t len = in.U16();
    if (!in.ok() || len < 8 || len % 8 != 0 || len - 4u > in.left()) {
      return OfError(OFPET_BAD_ACTION, OFPBAC_BAD_LEN,
                     absl::StrCat("action ", type, ": bad length"));
    }
    Reader body = in.Sub(len - 4u);
    Action a;
    a.type = type;
    if (type == OFPAT_OUTPUT) {
      if (len != OFP_ACTION_OUTPUT_LEN) {
        return OfError(OFPET_BAD_ACTION, OFPBAC_BAD_LEN, "output action: length is not 16");
      }
      a.port = body.U32();
      a.max_len = body.U16();
    } else {
      a.body = ToVector(body.Bytes(body.left()));
    }
    actions.push_back(std::move(a));
  }
  return actions;
}

void EncodeActions(const std::vector<Action>& actions, Writer* out) {
  for (const Action& a : actions) {
    out->U16(a.type);
    if (a.type == OFPAT_OUTPUT) {
      out->U16(OFP_ACTION_OUTPUT_LEN);
      out->U32(a.port);
      out->U16(a.max_len);
      out->Zeros(6);
    } else {
      out->U16(static_cast<uint16_t>(4 + a.body.size()));
      out->Bytes(a.body);
    }
  }
}

// --- bodies ------------------------------------------------------------

absl::StatusOr<Hello> DecodeHello(Reader in) {
  Hello hello;
  while (in.left() >= 4) {
    const uint16_t type = in.U16();
    const uint16_t len = in.U16();
    if (len < 4 || len - 4u > in.left()) return BadLen("hello element");
    Reader elem = in.Sub(len - 4u);
    if (type == OFPHET_VERSIONBITMAP && elem.left() >= 4) hello.version_bitmap = elem.U32();
    // Elements are padded to 8 bytes; a last element may omit its padding.
    in.Skip(std::min(PadOf(len), in.left()));
  }
  return hello;
}

Port DecodePort(Reader* in) {
  Port p;
  p.port_no = in->U32();
  in->Skip(4);
  std::span<const uint8_t> mac = in->Bytes(6);
  if (mac.size() == 6) std::copy(mac.begin(), mac.end(), p.hw_addr.begin());
  in->Skip(2);
  p.name = in->FixedString(OFP_MAX_PORT_NAME_LEN);
  p.config = in->U32();
  p.state = in->U32();
  p.curr = in->U32();
  p.advertised = in->U32();
  p.supported = in->U32();
  p.peer = in->U32();
  p.curr_speed = in->U32();
  p.max_speed = in->U32();
  return p;
}

void EncodePort(const Port& p, Writer* out) {
  out->U32(p.port_no);
  out->Zeros(4);
  out->Bytes(p.hw_addr);
  out->Zeros(2);
  out->FixedString(p.name, OFP_MAX_PORT_NAME_LEN);
  out->U32(p.config);
  out->U32(p.state);
  out->U32(p.curr);
  out->U32(p.advertised);
  out->U32(p.supported);
  out->U32(p.peer);
  out->U32(p.curr_speed);
  out->U32(p.max_speed);
}

absl::StatusOr<FlowMod> DecodeFlowMod(Reader in) {
  FlowMod m;
  m.cookie = in.U64();
  m.cookie_mask = in.U64();
  m.table_id = in.U8();
  m.command = in.U8();
  m.idle_timeout = in.U16();
  m.hard_timeout = in.U16();
  m.priority = in.U16();
  m.buffer_id = in.U32();
  m.out_port = in.U32();
  m.out_group = in.U32();
  m.flags = in.U16();
  in.Skip(2);
  if (!in.ok()) return BadLen("flow_mod");
  absl::StatusOr<Match> match = DecodeMatch(&in);
  if (!match.ok()) return match.status();
  m.match = *std::move(match);
  absl::StatusOr<std::vector<Instruction>> instructions = DecodeInstructions(in);
  if (!instructions.ok()) return instructions.status();
  m.instructions = *std::move(instructions);
  return m;
}

void EncodeFlowMod(const FlowMod& m, Writer* out) {
  out->U64(m.cookie);
  out->U64(m.cookie_mask);
  out->U8(m.table_id);
  out->U8(m.command);
  out->U16(m.idle_timeout);
  out->U16(m.hard_timeout);
  out->U16(m.priority);
  out->U32(m.buffer_id);
  out->U32(m.out_port);
  out->U32(m.out_group);
  out->U16(m.flags);
  out->Zeros(2);
  EncodeMatch(m.match, out);
  EncodeInstructions(m.instructions, out);
}

absl::StatusOr<FlowStatsRequest> DecodeFlowStatsRequest(Reader in) {
  FlowStatsRequest r;
  r.table_id = in.U8();
  in.Skip(3);
  r.out_port = in.U32();
  r.out_group = in.U32();
  in.Skip(4);
  r.cookie = in.U64();
  r.cookie_mask = in.U64();
  if (!in.ok()) return OfError(OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "flow stats request: too short");
  absl::StatusOr<Match> match = DecodeMatch(&in);
  if (!match.ok()) return match.status();
  r.match = *std::move(match);
  if (in.left() != 0) return BadLen("flow stats request");
  return r;
}

void EncodeFlowStatsRequest(const FlowStatsRequest& r, Writer* out) {
  out->U8(r.table_id);
  out->Zeros(3);
  out->U32(r.out_port);
  out->U32(r.out_group);
  out->Zeros(4);
  out->U64(r.cookie);
  out->U64(r.cookie_mask);
  EncodeMatch(r.match, out);
}

absl::StatusOr<MultipartRequest> DecodeMultipartRequest(Reader in) {
  MultipartRequest r;
  r.type = in.U16();
  r.flags = in.U16();
  in.Skip(4);
  if (!in.ok()) return BadLen("multipart request");
  switch (r.type) {
    case OFPMP_DESC:
    case OFPMP_TABLE:
    case OFPMP_PORT_DESC:
      if (in.left() != 0) return BadLen("multipart request");
      break;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE: {
      absl::StatusOr<FlowStatsRequest> body = DecodeFlowStatsRequest(in);
      if (!body.ok()) return body.status();
      r.body = *std::move(body);
      break;
    }
    case OFPMP_PORT_STATS: {
      PortStatsRequest body;
      body.port_no = in.U32();
      in.Skip(4);
      if (!in.ok() || in.left() != 0) return BadLen("port stats request");
      r.body = body;
      break;
    }
    default:
      r.raw = ToVector(in.Bytes(in.left()));
      break;
  }
  return r;
}

void EncodeMultipartRequest(const MultipartRequest& r, Writer* out) {
  out->U16(r.type);
  out->U16(r.flags);
  out->Zeros(4);
  if (const auto* flow = std::get_if<FlowStatsRequest>(&r.body)) {
    EncodeFlowStatsRequest(*flow, out);
  } else if (const auto* port = std::get_if<PortStatsRequest>(&r.body)) {
    out->U32(port->port_no);
    out->Zeros(4);
  } else {
    out->Bytes(r.raw);
  }
}

absl::StatusOr<FlowStats> DecodeFlowStats(Reader* in) {
  const uint16_t length = in->U16();
  if (!in->ok() || length < OFP_FLOW_STATS_FIXED_LEN + 8 || length - 2u > in->left()) {
    return BadLen("flow stats");
  }
  Reader body = in->Sub(length - 2u);
  FlowStats s;
  s.table_id = body.U8();
  body.Skip(1);
  s.duration_sec = body.U32();
  s.duration_nsec = body.U32();
  s.priority = body.U16();
  s.idle_timeout = body.U16();
  s.hard_timeout = body.U16();
  s.flags = body.U16();
  body.Skip(4);
  s.cookie = body.U64();
  s.packet_count = body.U64();
  s.byte_count = body.U64();
  absl::StatusOr<Match> match = DecodeMatch(&body);
  if (!match.ok()) return match.status();
  s.match = *std::move(match);
  absl::StatusOr<std::vector<Instruction>> instructions = DecodeInstructions(body);
  if (!instructions.ok()) return instructions.status();
  s.instructions = *std::move(instructions);
  return s;
}

void EncodeFlowStats(const FlowStats& s, Writer* out) {
  const size_t start = out->size();
  out->U16(0);  // length, patched below
  out->U8(s.table_id);
  out->Zeros(1);
  out->U32(s.duration_sec);
  out->U32(s.duration_nsec);
  out->U16(s.priority);
  out->U16(s.idle_timeout);
  out->U16(s.hard_timeout);
  out->U16(s.flags);
  out->Zeros(4);
  out->U64(s.cookie);
  out->U64(s.packet_count);
  out->U64(s.byte_count);
  EncodeMatch(s.match, out);
  EncodeInstructions(s.instructions, out);
  out->Patch16(start, static_cast<uint16_t>(out->size() - start));
}

PortStats DecodePortStats(Reader* in) {
  PortStats s;
  s.port_no = in->U32();
  in->Skip(4);
  s.rx_packets = in->U64();
  s.tx_packets = in->U64();
  s.rx_bytes = in->U64();
  s.tx_bytes = in->U64();
  s.rx_dropped = in->U64();
  s.tx_dropped = in->U64();
  s.rx_errors = in->U64();
  s.tx_errors = in->U64();
  s.rx_frame_err = in->U64();
  s.rx_over_err = in->U64();
  s.rx_crc_err = in->U64();
  s.collisions = in->U64();
  s.duration_sec = in->U32();
  s.duration_nsec = in->U32();
  return s;
}

void EncodePortStats(const PortStats& s, Writer* out) {
  out->U32(s.port_no);
  out->Zeros(4);
  for (uint64_t v :
       {s.rx_packets, s.tx_packets, s.rx_bytes, s.tx_bytes, s.rx_dropped, s.tx_dropped, s.rx_errors,
        s.tx_errors, s.rx_frame_err, s.rx_over_err, s.rx_crc_err, s.collisions}) {
    out->U64(v);
  }
  out->U32(s.duration_sec);
  out->U32(s.duration_nsec);
}

absl::StatusOr<std::vector<TableFeatures>> DecodeTableFeatures(Reader in) {
  std::vector<TableFeatures> out;
  while (in.left() > 0) {
    const uint16_t length = in.U16();
    if (!in.ok() || length < OFP_TABLE_FEATURES_FIXED_LEN || length - 2u > in.left()) {
      return BadLen("table features");
    }
    Reader body = in.Sub(length - 2u);
    TableFeatures t;
    t.table_id = body.U8();
    body.Skip(5);
    t.name = body.FixedString(OFP_MAX_TABLE_NAME_LEN);
    t.metadata_match = body.U64();
    t.metadata_write = body.U64();
    t.config = body.U32();
    t.max_entries = body.U32();
    while (body.left() > 0) {
      TableFeatureProp prop;
      prop.type = body.U16();
      const uint16_t len = body.U16();
      if (!body.ok() || len < 4 || len - 4u > body.left()) return BadLen("table feature property");
      prop.data = ToVector(body.Bytes(len - 4u));
      body.Skip(std::min(PadOf(len), body.left()));
      t.properties.push_back(std::move(prop));
    }
    out.push_back(std::move(t));
  }
  return out;
}

void EncodeTableFeatures(const std::vector<TableFeatures>& tables, Writer* out) {
  for (const TableFeatures& t : tables) {
    const size_t start = out->size();
    out->U16(0);  // length, patched below
    out->U8(t.table_id);
    out->Zeros(5);
    out->FixedString(t.name, OFP_MAX_TABLE_NAME_LEN);
    out->U64(t.metadata_match);
    out->U64(t.metadata_write);
    out->U32(t.config);
    out->U32(t.max_entries);
    for (const TableFeatureProp& p : t.properties) {
      const size_t prop_start = out->size();
      out->U16(p.type);
      out->U16(static_cast<uint16_t>(4 + p.data.size()));
      out->Bytes(p.data);
      out->PadTo8(prop_start);
    }
    out->Patch16(start, static_cast<uint16_t>(out->size() - start));
  }
}

// Decodes `in` as a sequence of fixed-size records.
template <typename T, typename Fn>
absl::StatusOr<std::vector<T>> DecodeRecords(Reader in, size_t size, Fn decode,
                                             absl::string_view what) {
  if (in.left() % size != 0) return BadLen(what);
  std::vector<T> out;
  while (in.left() > 0) {
    Reader rec = in.Sub(size);
    out.push_back(decode(&rec));
  }
  return out;
}

absl::StatusOr<MultipartReply> DecodeMultipartReply(Reader in) {
  MultipartReply r;
  r.type = in.U16();
  r.flags = in.U16();
  in.Skip(4);
  if (!in.ok()) return BadLen("multipart reply");
  switch (r.type) {
    case OFPMP_DESC: {
      if (in.left() != OFP_DESC_LEN) return BadLen("desc reply");
      Desc d;
      d.mfr_desc = in.FixedString(256);
      d.hw_desc = in.FixedString(256);
      d.sw_desc = in.FixedString(256);
      d.serial_num = in.FixedString(32);
      d.dp_desc = in.FixedString(256);
      r.body = std::move(d);
      return r;
    }
    case OFPMP_FLOW: {
      std::vector<FlowStats> flows;
      while (in.left() > 0) {
        absl::StatusOr<FlowStats> s = DecodeFlowStats(&in);
        if (!s.ok()) return s.status();
        flows.push_back(*std::move(s));
      }
      r.body = std::move(flows);
      return r;
    }
    case OFPMP_AGGREGATE: {
      if (in.left() != OFP_AGGREGATE_REPLY_LEN) return BadLen("aggregate reply");
      AggregateStats a;
      a.packet_count = in.U64();
      a.byte_count = in.U64();
      a.flow_count = in.U32();
      r.body = a;
      return r;
    }
    case OFPMP_TABLE: {
      auto tables = DecodeRecords<TableStats>(
          in, OFP_TABLE_STATS_LEN,
          [](Reader* rec) {
            TableStats t;
            t.table_id = rec->U8();
            rec->Skip(3);
            t.active_count = rec->U32();
            t.lookup_count = rec->U64();
            t.matched_count = rec->U64();
            return t;
          },
          "table stats reply");
      if (!tables.ok()) return tables.status();
      r.body = *std::move(tables);
      return r;
    }
    case OFPMP_PORT_STATS: {
      auto ports =
          DecodeRecords<PortStats>(in, OFP_PORT_STATS_LEN, DecodePortStats, "port stats reply");
      if (!ports.ok()) return ports.status();
      r.body = *std::move(ports);
      return r;
    }
    case OFPMP_PORT_DESC: {
      auto ports = DecodeRecords<Port>(in, OFP_PORT_LEN, DecodePort, "port desc reply");
      if (!ports.ok()) return ports.status();
      r.body = *std::move(ports);
      return r;
    }
    case OFPMP_TABLE_FEATURES: {
      auto tables = DecodeTableFeatures(in);
      if (!tables.ok()) return tables.status();
      r.body = *std::move(tables);
      return r;
    }
    default:
      return OfError(OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                     absl::StrCat("multipart reply type ", r.type, " is not decoded"));
  }
}

void EncodeMultipartReply(const MultipartReply& r, Writer* out) {
  out->U16(r.type);
  out->U16(r.flags);
  out->Zeros(4);
  if (const auto* d = std::get_if<Desc>(&r.body)) {
    out->FixedString(d->mfr_desc, 256);
    out->FixedString(d->hw_desc, 256);
    out->FixedString(d->sw_desc, 256);
    out->FixedString(d->serial_num, 32);
    out->FixedString(d->dp_desc, 256);
  } else if (const auto* flows = std::get_if<std::vector<FlowStats>>(&r.body)) {
    for (const FlowStats& s : *flows) EncodeFlowStats(s, out);
  } else if (const auto* a = std::get_if<AggregateStats>(&r.body)) {
    out->U64(a->packet_count);
    out->U64(a->byte_count);
    out->U32(a->flow_count);
    out->Zeros(4);
  } else if (const auto* tables = std::get_if<std::vector<TableStats>>(&r.body)) {
    for (const TableStats& t : *tables) {
      out->U8(t.table_id);
      out->Zeros(3);
      out->U32(t.active_count);
      out->U64(t.lookup_count);
      out->U64(t.matched_count);
    }
  } else if (const auto* stats = std::get_if<std::vector<PortStats>>(&r.body)) {
    for (const PortStats& s : *stats) EncodePortStats(s, out);
  } else if (const auto* ports = std::get_if<std::vector<Port>>(&r.body)) {
    for (const Port& p : *ports) EncodePort(p, out);
  } else if (const auto* tables = std::get_if<std::vector<TableFeatures>>(&r.body)) {
    EncodeTableFeatures(*tables, out);
  }
}

// A body that must be empty (FEATURES_REQUEST, BARRIER, ...).
absl::Status ExpectEmpty(const Reader& in, absl::string_view what) {
  return in.left() == 0 ? absl::OkStatus() : BadLen(what);
}

}  // namespace

size_t OxmWidth(uint8_t field) {
  // Indexed by oxm_ofb_match_fields (OpenFlow 1.3.5, table 12).
  static constexpr uint8_t kWidths[] = {
      4, 4,  8, 6, 6, 2, 2,  1,  1, 1,  // 0 in_port .. 9 ip_ecn
      1, 4,  4, 2, 2, 2, 2,  2,  2, 1,  // 10 ip_proto .. 19 icmpv4_type
      1, 2,  4, 4, 6, 6, 16, 16, 4, 1,  // 20 icmpv4_code .. 29 icmpv6_type
      1, 16, 6, 6, 4, 1, 1,  3,  8, 2,  // 30 icmpv6_code .. 39 ipv6_exthdr
  };
  return field < sizeof(kWidths) ? kWidths[field] : 0;
}

std::optional<Header> PeekHeader(std::span<const uint8_t> data) {
  if (data.size() < OFP_HEADER_LEN) return std::nullopt;
  Reader in(data);
  Header h;
  h.version = in.U8();
  h.type = in.U8();
  h.length = in.U16();
  h.xid = in.U32();
  return h;
}

absl::StatusOr<Match> DecodeMatch(Reader* in) {
  const uint16_t type = in->U16();
  const uint16_t length = in->U16();
  if (!in->ok()) return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "truncated match");
  if (type != OFPMT_OXM) {
    return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_TYPE,
                   absl::StrCat("match type ", type, " is not OXM"));
  }
  if (length < 4 || length - 4u > in->left()) {
    return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_LEN, absl::StrCat("match length ", length));
  }
  Reader fields = in->Sub(length - 4u);
  Match match;
  while (fields.left() > 0) {
    absl::StatusOr<OxmField> f = DecodeOxm(&fields);
    if (!f.ok()) return f.status();
    match.push_back(*std::move(f));
  }
  if (PadOf(length) > in->left()) {
    return OfError(OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "match padding missing");
  }
  in->Skip(PadOf(length));
  return match;
}

void EncodeMatch(const Match& match, Writer* out) {
  const size_t start = out->size();
  out->U16(OFPMT_OXM);
  out->U16(0);  // length, patched below
  for (const OxmField& f : match) {
    out->U16(OFPXMC_OPENFLOW_BASIC);
    out->U8(static_cast<uint8_t>(f.field << 1 | (f.has_mask ? 1 : 0)));
    out->U8(static_cast<uint8_t>(f.value.size() + (f.has_mask ? f.mask.size() : 0)));
    out->Bytes(f.value);
    if (f.has_mask) out->Bytes(f.mask);
  }
  out->Patch16(start + 2, static_cast<uint16_t>(out->size() - start));
  out->PadTo8(start);
}

absl::StatusOr<std::vector<Instruction>> DecodeInstructions(Reader in) {
  std::vector<Instruction> out;
  while (in.left() > 0) {
    const uint16_t type = in.U16();
    const uint16_t len = in.U16();
    if (!in.ok() || len < 8 || len % 8 != 0 || len - 4u > in.left()) {
      return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN,
                     absl::StrCat("instruction ", type, ": bad length"));
    }
    Reader body = in.Sub(len - 4u);
    Instruction inst;
    inst.type = type;
    switch (type) {
      case OFPIT_GOTO_TABLE:
        if (len != 8) return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "goto_table length");
        inst.table_id = body.U8();
        break;
      case OFPIT_WRITE_ACTIONS:
      case OFPIT_APPLY_ACTIONS: {
        body.Skip(4);
        absl::StatusOr<std::vector<Action>> actions = DecodeActions(body);
        if (!actions.ok()) return actions.status();
        inst.actions = *std::move(actions);
        break;
      }
      case OFPIT_CLEAR_ACTIONS:
        if (len != 8) return OfError(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "clear_actions length");
        break;
      default:
        inst.body = ToVector(body.Bytes(body.left()));
        break;
    }
    out.push_back(std::move(inst));
  }
  return out;
}

void EncodeInstructions(const std::vector<Instruction>& instructions, Writer* out) {
  for (const Instruction& inst : instructions) {
    const size_t start = out->size();
    out->U16(inst.type);
    out->U16(0);  // length, patched below
    switch (inst.type) {
      case OFPIT_GOTO_TABLE:
        out->U8(inst.table_id);
        out->Zeros(3);
        break;
      case OFPIT_WRITE_ACTIONS:
      case OFPIT_APPLY_ACTIONS:
        out->Zeros(4);
        EncodeActions(inst.actions, out);
        break;
      case OFPIT_CLEAR_ACTIONS:
        out->Zeros(4);
        break;
      default:
        out->Bytes(inst.body);
        break;
    }
    out->Patch16(start + 2, static_cast<uint16_t>(out->size() - start));
  }
}

absl::StatusOr<Message> Decode(std::span<const uint8_t> data) {
  std::optional<Header> h = PeekHeader(data);
  if (!h.has_value() || h->length != data.size()) return BadLen("message");
  Message m;
  m.version = h->version;
  m.type = h->type;
  m.xid = h->xid;
  Reader in(data.subspan(OFP_HEADER_LEN));
  if (m.type == OFPT_HELLO) {
    absl::StatusOr<Hello> hello = DecodeHello(in);
    if (!hello.ok()) return hello.status();
    m.body = *hello;
    return m;
  }
  if (m.version != OFP_VERSION) {
    return OfError(OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION,
                   absl::StrCat("version 0x", absl::Hex(m.version), " after negotiating 1.3"));
  }
  switch (m.type) {
    case OFPT_ERROR: {
      Error e;
      e.type = in.U16();
      e.code = in.U16();
      if (!in.ok()) return BadLen("error");
      e.data = ToVector(in.Bytes(in.left()));
      m.body = std::move(e);
      return m;
    }
    case OFPT_ECHO_REQUEST:
    case OFPT_ECHO_REPLY:
      m.body = Echo{ToVector(in.Bytes(in.left()))};
      return m;
    case OFPT_FEATURES_REQUEST:
    case OFPT_GET_CONFIG_REQUEST:
    case OFPT_BARRIER_REQUEST:
    case OFPT_BARRIER_REPLY:
      if (absl::Status s = ExpectEmpty(in, "request"); !s.ok()) return s;
      return m;
    case OFPT_FEATURES_REPLY: {
      FeaturesReply f;
      f.datapath_id = in.U64();
      f.n_buffers = in.U32();
      f.n_tables = in.U8();
      f.auxiliary_id = in.U8();
      in.Skip(2);
      f.capabilities = in.U32();
      in.Skip(4);
      if (!in.ok() || in.left() != 0) return BadLen("features reply");
      m.body = f;
      return m;
    }
    case OFPT_GET_CONFIG_REPLY:
    case OFPT_SET_CONFIG: {
      SwitchConfig c;
      c.flags = in.U16();
      c.miss_send_len = in.U16();
      if (!in.ok() || in.left() != 0) return BadLen("switch config");
      m.body = c;
      return m;
    }
    case OFPT_FLOW_MOD: {
      absl::StatusOr<FlowMod> fm = DecodeFlowMod(in);
      if (!fm.ok()) return fm.status();
      m.body = *std::move(fm);
      return m;
    }
    case OFPT_MULTIPART_REQUEST: {
      absl::StatusOr<MultipartRequest> r = DecodeMultipartRequest(in);
      if (!r.ok()) return r.status();
      m.body = *std::move(r);
      return m;
    }
    case OFPT_MULTIPART_REPLY: {
      absl::StatusOr<MultipartReply> r = DecodeMultipartReply(in);
      if (!r.ok()) return r.status();
      m.body = *std::move(r);
      return m;
    }
    case OFPT_PORT_STATUS: {
      PortStatus ps;
      ps.reason = in.U8();
      in.Skip(7);
      ps.desc = DecodePort(&in);
      if (!in.ok() || in.left() != 0) return BadLen("port status");
      m.body = ps;
      return m;
    }
    default:
      return m;  // not decoded; the switch answers by type
  }
}

std::vector<uint8_t> Encode(const Message& m) {
  std::vector<uint8_t> bytes;
  Writer out(&bytes);
  out.U8(m.version);
  out.U8(m.type);
  out.U16(0);  // length, patched below
  out.U32(m.xid);
  if (const auto* hello = std::get_if<Hello>(&m.body)) {
    if (hello->version_bitmap.has_value()) {
      out.U16(OFPHET_VERSIONBITMAP);
      out.U16(8);
      out.U32(*hello->version_bitmap);
    }
  } else if (const auto* e = std::get_if<Error>(&m.body)) {
    out.U16(e->type);
    out.U16(e->code);
    out.Bytes(e->data);
  } else if (const auto* echo = std::get_if<Echo>(&m.body)) {
    out.Bytes(echo->data);
  } else if (const auto* f = std::get_if<FeaturesReply>(&m.body)) {
    out.U64(f->datapath_id);
    out.U32(f->n_buffers);
    out.U8(f->n_tables);
    out.U8(f->auxiliary_id);
    out.Zeros(2);
    out.U32(f->capabilities);
    out.Zeros(4);
  } else if (const auto* c = std::get_if<SwitchConfig>(&m.body)) {
    out.U16(c->flags);
    out.U16(c->miss_send_len);
  } else if (const auto* fm = std::get_if<FlowMod>(&m.body)) {
    EncodeFlowMod(*fm, &out);
  } else if (const auto* req = std::get_if<MultipartRequest>(&m.body)) {
    EncodeMultipartRequest(*req, &out);
  } else if (const auto* rep = std::get_if<MultipartReply>(&m.body)) {
    EncodeMultipartReply(*rep, &out);
  } else if (const auto* ps = std::get_if<PortStatus>(&m.body)) {
    out.U8(ps->reason);
    out.Zeros(7);
    EncodePort(ps->desc, &out);
  }
  out.Patch16(2, static_cast<uint16_t>(bytes.size()));
  return bytes;
}

Message MakeError(uint32_t xid, uint16_t type, uint16_t code, std::span<const uint8_t> request) {
  Message m;
  m.type = OFPT_ERROR;
  m.xid = xid;
  Error e;
  e.type = type;
  e.code = code;
  const size_t n = std::min(request.size(), OFP_ERROR_DATA_MAX);
  e.data.assign(request.begin(), request.begin() + static_cast<std::ptrdiff_t>(n));
  m.body = std::move(e);
  return m;
}

}  // namespace onvm::agent::openflow
