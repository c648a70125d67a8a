// OpenFlow 1.3 messages as plain structs: what codec.h decodes from and
// encodes to the wire. Fields keep the spec's names and widths; lengths and
// padding are the codec's business and do not appear here.
#ifndef ONVM_AGENT_OPENFLOW_MESSAGES_H_
#define ONVM_AGENT_OPENFLOW_MESSAGES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/openflow/wire.h"

namespace onvm::agent::openflow {

// One OXM TLV of class OPENFLOW_BASIC. `value` (and `mask` when has_mask)
// have the field's fixed width, checked by the decoder.
struct OxmField {
  uint8_t field = 0;
  bool has_mask = false;
  std::vector<uint8_t> value;
  std::vector<uint8_t> mask;
  bool operator==(const OxmField&) const = default;
};
// ofp_match of type OXM: the fields in wire order.
using Match = std::vector<OxmField>;

// An action. Only OUTPUT has its fields decoded; any other keeps its type
// and body so that the switch can refuse it with the right error.
struct Action {
  uint16_t type = OFPAT_OUTPUT;
  uint32_t port = 0;                    // OUTPUT
  uint16_t max_len = OFPCML_NO_BUFFER;  // OUTPUT
  std::vector<uint8_t> body;            // other types: bytes after type and length
  bool operator==(const Action&) const = default;
};

struct Instruction {
  uint16_t type = OFPIT_APPLY_ACTIONS;
  std::vector<Action> actions;  // WRITE_ACTIONS, APPLY_ACTIONS
  uint8_t table_id = 0;         // GOTO_TABLE
  std::vector<uint8_t> body;    // other types: bytes after type and length
  bool operator==(const Instruction&) const = default;
};

struct Hello {
  // Versions offered by the OFPHET_VERSIONBITMAP element (bit n: version
  // n), first 32 bits; nullopt when the peer sent no bitmap.
  std::optional<uint32_t> version_bitmap;
  bool operator==(const Hello&) const = default;
};

struct Error {
  uint16_t type = 0;
  uint16_t code = 0;
  std::vector<uint8_t> data;
  bool operator==(const Error&) const = default;
};

// ECHO_REQUEST and ECHO_REPLY.
struct Echo {
  std::vector<uint8_t> data;
  bool operator==(const Echo&) const = default;
};

struct FeaturesReply {
  uint64_t datapath_id = 0;
  uint32_t n_buffers = 0;
  uint8_t n_tables = 0;
  uint8_t auxiliary_id = 0;
  uint32_t capabilities = 0;
  bool operator==(const FeaturesReply&) const = default;
};

// GET_CONFIG_REPLY and SET_CONFIG.
struct SwitchConfig {
  uint16_t flags = 0;
  uint16_t miss_send_len = 0;
  bool operator==(const SwitchConfig&) const = default;
};

struct FlowMod {
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;
  uint8_t table_id = 0;
  uint8_t command = OFPFC_ADD;
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  uint16_t priority = 0;
  uint32_t buffer_id = OFP_NO_BUFFER;
  uint32_t out_port = OFPP_ANY;
  uint32_t out_group = OFPG_ANY;
  uint16_t flags = 0;
  Match match;
  std::vector<Instruction> instructions;
  bool operator==(const FlowMod&) const = default;
};

// ofp_port
struct Port {
  uint32_t port_no = 0;
  std::array<uint8_t, 6> hw_addr = {};
  std::string name;  // at most 15 bytes on the wire
  uint32_t config = 0;
  uint32_t state = 0;
  uint32_t curr = 0;
  uint32_t advertised = 0;
  uint32_t supported = 0;
  uint32_t peer = 0;
  uint32_t curr_speed = 0;  // kbps
  uint32_t max_speed = 0;
  bool operator==(const Port&) const = default;
};

struct PortStatus {
  uint8_t reason = OFPPR_MODIFY;
  Port desc;
  bool operator==(const PortStatus&) const = default;
};

// Body of OFPMP_FLOW and OFPMP_AGGREGATE requests.
struct FlowStatsRequest {
  uint8_t table_id = OFPTT_ALL;
  uint32_t out_port = OFPP_ANY;
  uint32_t out_group = OFPG_ANY;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;
  Match match;
  bool operator==(const FlowStatsRequest&) const = default;
};

// Body of OFPMP_PORT_STATS requests.
struct PortStatsRequest {
  uint32_t port_no = OFPP_ANY;
  bool operator==(const PortStatsRequest&) const = default;
};

struct MultipartRequest {
  uint16_t type = OFPMP_DESC;
  uint16_t flags = 0;
  // DESC, TABLE, PORT_DESC: no body. Other types keep their raw body.
  std::variant<std::monostate, FlowStatsRequest, PortStatsRequest> body;
  std::vector<uint8_t> raw;
  bool operator==(const MultipartRequest&) const = default;
};

struct Desc {
  std::string mfr_desc, hw_desc, sw_desc, serial_num, dp_desc;
  bool operator==(const Desc&) const = default;
};

struct FlowStats {
  uint8_t table_id = 0;
  uint32_t duration_sec = 0;
  uint32_t duration_nsec = 0;
  uint16_t priority = 0;
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  uint16_t flags = 0;
  uint64_t cookie = 0;
  uint64_t packet_count = 0;
  uint64_t byte_count = 0;
  Match match;
  std::vector<Instruction> instructions;
  bool operator==(const FlowStats&) const = default;
};

struct AggregateStats {
  uint64_t packet_count = 0;
  uint64_t byte_count = 0;
  uint32_t flow_count = 0;
  bool operator==(const AggregateStats&) const = default;
};

struct TableStats {
  uint8_t table_id = 0;
  uint32_t active_count = 0;
  uint64_t lookup_count = 0;
  uint64_t matched_count = 0;
  bool operator==(const TableStats&) const = default;
};

struct PortStats {
  uint32_t port_no = 0;
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_dropped = 0, tx_dropped = 0, rx_errors = 0, tx_errors = 0;
  uint64_t rx_frame_err = 0, rx_over_err = 0, rx_crc_err = 0, collisions = 0;
  uint32_t duration_sec = 0;
  uint32_t duration_nsec = 0;
  bool operator==(const PortStats&) const = default;
};

// ofp_table_feature_prop_header and its payload (without padding).
struct TableFeatureProp {
  uint16_t type = 0;
  std::vector<uint8_t> data;
  bool operator==(const TableFeatureProp&) const = default;
};

// ofp_table_features
struct TableFeatures {
  uint8_t table_id = 0;
  std::string name;  // at most 31 bytes on the wire
  uint64_t metadata_match = 0;
  uint64_t metadata_write = 0;
  uint32_t config = 0;
  uint32_t max_entries = 0;
  std::vector<TableFeatureProp> properties;
  bool operator==(const TableFeatures&) const = default;
};

struct MultipartReply {
  uint16_t type = OFPMP_DESC;
  uint16_t flags = 0;
  std::variant<Desc, std::vector<FlowStats>, AggregateStats, std::vector<TableStats>,
               std::vector<PortStats>, std::vector<Port>, std::vector<TableFeatures>>
      body;
  bool operator==(const MultipartReply&) const = default;
};

// A whole message. Types without a body (FEATURES_REQUEST,
// GET_CONFIG_REQUEST, BARRIER_REQUEST/REPLY) and types this switch does not
// decode hold std::monostate; `type` tells them apart.
struct Message {
  uint8_t version = OFP_VERSION;
  uint8_t type = OFPT_HELLO;
  uint32_t xid = 0;
  std::variant<std::monostate, Hello, Error, Echo, FeaturesReply, SwitchConfig, FlowMod,
               MultipartRequest, MultipartReply, PortStatus>
      body;
  bool operator==(const Message&) const = default;
};

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_MESSAGES_H_
