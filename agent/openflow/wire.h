// OpenFlow 1.3 wire constants (OpenFlow Switch Specification 1.3.5, section
// 7 and appendix A), spelled as in the spec so that code reads against it.
// Only what onvm's switch sends or reads is listed.
#ifndef ONVM_AGENT_OPENFLOW_WIRE_H_
#define ONVM_AGENT_OPENFLOW_WIRE_H_

#include <cstddef>
#include <cstdint>

namespace onvm::agent::openflow {

inline constexpr uint8_t OFP_VERSION = 0x04;  // OpenFlow 1.3
inline constexpr size_t OFP_HEADER_LEN = 8;
// The length field is 16 bits: no message is longer, which also bounds what
// a peer can make us buffer.
inline constexpr size_t OFP_MAX_MSG_LEN = 65535;

// enum ofp_type
enum : uint8_t {
  OFPT_HELLO = 0,
  OFPT_ERROR = 1,
  OFPT_ECHO_REQUEST = 2,
  OFPT_ECHO_REPLY = 3,
  OFPT_EXPERIMENTER = 4,
  OFPT_FEATURES_REQUEST = 5,
  OFPT_FEATURES_REPLY = 6,
  OFPT_GET_CONFIG_REQUEST = 7,
  OFPT_GET_CONFIG_REPLY = 8,
  OFPT_SET_CONFIG = 9,
  OFPT_PACKET_IN = 10,
  OFPT_FLOW_REMOVED = 11,
  OFPT_PORT_STATUS = 12,
  OFPT_PACKET_OUT = 13,
  OFPT_FLOW_MOD = 14,
  OFPT_GROUP_MOD = 15,
  OFPT_PORT_MOD = 16,
  OFPT_TABLE_MOD = 17,
  OFPT_MULTIPART_REQUEST = 18,
  OFPT_MULTIPART_REPLY = 19,
  OFPT_BARRIER_REQUEST = 20,
  OFPT_BARRIER_REPLY = 21,
  OFPT_QUEUE_GET_CONFIG_REQUEST = 22,
  OFPT_QUEUE_GET_CONFIG_REPLY = 23,
  OFPT_ROLE_REQUEST = 24,
  OFPT_ROLE_REPLY = 25,
  OFPT_GET_ASYNC_REQUEST = 26,
  OFPT_GET_ASYNC_REPLY = 27,
  OFPT_SET_ASYNC = 28,
  OFPT_METER_MOD = 29,
};

// enum ofp_hello_elem_type
inline constexpr uint16_t OFPHET_VERSIONBITMAP = 1;

// enum ofp_error_type and the codes we send.
enum : uint16_t {
  OFPET_HELLO_FAILED = 0,
  OFPET_BAD_REQUEST = 1,
  OFPET_BAD_ACTION = 2,
  OFPET_BAD_INSTRUCTION = 3,
  OFPET_BAD_MATCH = 4,
  OFPET_FLOW_MOD_FAILED = 5,
  OFPET_SWITCH_CONFIG_FAILED = 10,
};
enum : uint16_t { OFPHFC_INCOMPATIBLE = 0, OFPHFC_EPERM = 1 };
enum : uint16_t {
  OFPBRC_BAD_VERSION = 0,
  OFPBRC_BAD_TYPE = 1,
  OFPBRC_BAD_MULTIPART = 2,
  OFPBRC_BAD_EXPERIMENTER = 3,
  OFPBRC_BAD_EXP_TYPE = 4,
  OFPBRC_EPERM = 5,
  OFPBRC_BAD_LEN = 6,
  OFPBRC_BUFFER_EMPTY = 7,
  OFPBRC_BUFFER_UNKNOWN = 8,
  OFPBRC_BAD_TABLE_ID = 9,
  OFPBRC_IS_SLAVE = 10,
  OFPBRC_BAD_PORT = 11,
  OFPBRC_BAD_PACKET = 12,
  OFPBRC_MULTIPART_BUFFER_OVERFLOW = 13,
};
enum : uint16_t {
  OFPBAC_BAD_TYPE = 0,
  OFPBAC_BAD_LEN = 1,
  OFPBAC_BAD_EXPERIMENTER = 2,
  OFPBAC_BAD_EXP_TYPE = 3,
  OFPBAC_BAD_OUT_PORT = 4,
  OFPBAC_BAD_ARGUMENT = 5,
  OFPBAC_EPERM = 6,
  OFPBAC_TOO_MANY = 7,
  OFPBAC_BAD_QUEUE = 8,
  OFPBAC_BAD_OUT_GROUP = 9,
  OFPBAC_MATCH_INCONSISTENT = 10,
  OFPBAC_UNSUPPORTED_ORDER = 11,
};
enum : uint16_t {
  OFPBIC_UNKNOWN_INST = 0,
  OFPBIC_UNSUP_INST = 1,
  OFPBIC_BAD_TABLE_ID = 2,
  OFPBIC_UNSUP_METADATA = 3,
  OFPBIC_UNSUP_METADATA_MASK = 4,
  OFPBIC_BAD_EXPERIMENTER = 5,
  OFPBIC_BAD_EXP_TYPE = 6,
  OFPBIC_BAD_LEN = 7,
  OFPBIC_EPERM = 8,
};
enum : uint16_t {
  OFPBMC_BAD_TYPE = 0,
  OFPBMC_BAD_LEN = 1,
  OFPBMC_BAD_TAG = 2,
  OFPBMC_BAD_DL_ADDR_MASK = 3,
  OFPBMC_BAD_NW_ADDR_MASK = 4,
  OFPBMC_BAD_WILDCARDS = 5,
  OFPBMC_BAD_FIELD = 6,
  OFPBMC_BAD_VALUE = 7,
  OFPBMC_BAD_MASK = 8,
  OFPBMC_BAD_PREREQ = 9,
  OFPBMC_DUP_FIELD = 10,
  OFPBMC_EPERM = 11,
};
enum : uint16_t {
  OFPFMFC_UNKNOWN = 0,
  OFPFMFC_TABLE_FULL = 1,
  OFPFMFC_BAD_TABLE_ID = 2,
  OFPFMFC_OVERLAP = 3,
  OFPFMFC_EPERM = 4,
  OFPFMFC_BAD_TIMEOUT = 5,
  OFPFMFC_BAD_COMMAND = 6,
  OFPFMFC_BAD_FLAGS = 7,
};
enum : uint16_t { OFPSCFC_BAD_FLAGS = 0, OFPSCFC_BAD_LEN = 1, OFPSCFC_EPERM = 2 };

// enum ofp_flow_mod_command
enum : uint8_t {
  OFPFC_ADD = 0,
  OFPFC_MODIFY = 1,
  OFPFC_MODIFY_STRICT = 2,
  OFPFC_DELETE = 3,
  OFPFC_DELETE_STRICT = 4,
};
// enum ofp_flow_mod_flags
enum : uint16_t {
  OFPFF_SEND_FLOW_REM = 1 << 0,
  OFPFF_CHECK_OVERLAP = 1 << 1,
  OFPFF_RESET_COUNTS = 1 << 2,
  OFPFF_NO_PKT_COUNTS = 1 << 3,
  OFPFF_NO_BYT_COUNTS = 1 << 4,
};

// Table numbering.
inline constexpr uint8_t OFPTT_MAX = 0xfe;
inline constexpr uint8_t OFPTT_ALL = 0xff;
inline constexpr uint32_t OFP_NO_BUFFER = 0xffffffff;

// Port numbering (enum ofp_port_no).
inline constexpr uint32_t OFPP_MAX = 0xffffff00;
inline constexpr uint32_t OFPP_IN_PORT = 0xfffffff8;
inline constexpr uint32_t OFPP_TABLE = 0xfffffff9;
inline constexpr uint32_t OFPP_NORMAL = 0xfffffffa;
inline constexpr uint32_t OFPP_FLOOD = 0xfffffffb;
inline constexpr uint32_t OFPP_ALL = 0xfffffffc;
inline constexpr uint32_t OFPP_CONTROLLER = 0xfffffffd;
inline constexpr uint32_t OFPP_LOCAL = 0xfffffffe;
inline constexpr uint32_t OFPP_ANY = 0xffffffff;
inline constexpr uint32_t OFPG_ANY = 0xffffffff;

// enum ofp_port_config, ofp_port_state, ofp_port_features (the bits used).
inline constexpr uint32_t OFPPC_PORT_DOWN = 1 << 0;
inline constexpr uint32_t OFPPS_LINK_DOWN = 1 << 0;
inline constexpr uint32_t OFPPS_LIVE = 1 << 2;
inline constexpr uint32_t OFPPF_10MB_FD = 1 << 1;
inline constexpr uint32_t OFPPF_100MB_FD = 1 << 3;
inline constexpr uint32_t OFPPF_1GB_FD = 1 << 5;
inline constexpr uint32_t OFPPF_10GB_FD = 1 << 6;
inline constexpr uint32_t OFPPF_40GB_FD = 1 << 7;
inline constexpr uint32_t OFPPF_100GB_FD = 1 << 8;
inline constexpr uint32_t OFPPF_OTHER = 1 << 10;
// enum ofp_port_reason
enum : uint8_t { OFPPR_ADD = 0, OFPPR_DELETE = 1, OFPPR_MODIFY = 2 };

// enum ofp_capabilities (the bits we announce).
inline constexpr uint32_t OFPC_FLOW_STATS = 1 << 0;
inline constexpr uint32_t OFPC_TABLE_STATS = 1 << 1;
inline constexpr uint32_t OFPC_PORT_STATS = 1 << 2;

// ofp_match
inline constexpr uint16_t OFPMT_OXM = 1;
inline constexpr uint16_t OFPXMC_OPENFLOW_BASIC = 0x8000;
// enum oxm_ofb_match_fields
enum : uint8_t {
  OFPXMT_OFB_IN_PORT = 0,
  OFPXMT_OFB_IN_PHY_PORT = 1,
  OFPXMT_OFB_METADATA = 2,
  OFPXMT_OFB_ETH_DST = 3,
  OFPXMT_OFB_ETH_SRC = 4,
  OFPXMT_OFB_ETH_TYPE = 5,
  OFPXMT_OFB_VLAN_VID = 6,
  OFPXMT_OFB_VLAN_PCP = 7,
  OFPXMT_OFB_IP_DSCP = 8,
  OFPXMT_OFB_IP_ECN = 9,
  OFPXMT_OFB_IP_PROTO = 10,
  OFPXMT_OFB_IPV4_SRC = 11,
  OFPXMT_OFB_IPV4_DST = 12,
  OFPXMT_OFB_TCP_SRC = 13,
  OFPXMT_OFB_TCP_DST = 14,
  OFPXMT_OFB_UDP_SRC = 15,
  OFPXMT_OFB_UDP_DST = 16,
  OFPXMT_OFB_SCTP_SRC = 17,
  OFPXMT_OFB_SCTP_DST = 18,
  OFPXMT_OFB_IPV6_SRC = 26,
  OFPXMT_OFB_IPV6_DST = 27,
};
inline constexpr uint16_t OFPVID_PRESENT = 0x1000;
inline constexpr uint16_t OFPVID_NONE = 0x0000;

// enum ofp_instruction_type
enum : uint16_t {
  OFPIT_GOTO_TABLE = 1,
  OFPIT_WRITE_METADATA = 2,
  OFPIT_WRITE_ACTIONS = 3,
  OFPIT_APPLY_ACTIONS = 4,
  OFPIT_CLEAR_ACTIONS = 5,
  OFPIT_METER = 6,
  OFPIT_EXPERIMENTER = 0xffff,
};
// enum ofp_action_type (only OUTPUT is understood; the rest are refused).
inline constexpr uint16_t OFPAT_OUTPUT = 0;
inline constexpr uint16_t OFPAT_EXPERIMENTER = 0xffff;
inline constexpr uint16_t OFPCML_NO_BUFFER = 0xffff;

// enum ofp_multipart_type
enum : uint16_t {
  OFPMP_DESC = 0,
  OFPMP_FLOW = 1,
  OFPMP_AGGREGATE = 2,
  OFPMP_TABLE = 3,
  OFPMP_PORT_STATS = 4,
  OFPMP_QUEUE = 5,
  OFPMP_GROUP = 6,
  OFPMP_GROUP_DESC = 7,
  OFPMP_GROUP_FEATURES = 8,
  OFPMP_METER = 9,
  OFPMP_METER_CONFIG = 10,
  OFPMP_METER_FEATURES = 11,
  OFPMP_TABLE_FEATURES = 12,
  OFPMP_PORT_DESC = 13,
  OFPMP_EXPERIMENTER = 0xffff,
};
// enum ofp_table_feature_prop_type
enum : uint16_t {
  OFPTFPT_INSTRUCTIONS = 0,
  OFPTFPT_INSTRUCTIONS_MISS = 1,
  OFPTFPT_NEXT_TABLES = 2,
  OFPTFPT_NEXT_TABLES_MISS = 3,
  OFPTFPT_WRITE_ACTIONS = 4,
  OFPTFPT_WRITE_ACTIONS_MISS = 5,
  OFPTFPT_APPLY_ACTIONS = 6,
  OFPTFPT_APPLY_ACTIONS_MISS = 7,
  OFPTFPT_MATCH = 8,
  OFPTFPT_WILDCARDS = 10,
  OFPTFPT_WRITE_SETFIELD = 12,
  OFPTFPT_WRITE_SETFIELD_MISS = 13,
  OFPTFPT_APPLY_SETFIELD = 14,
  OFPTFPT_APPLY_SETFIELD_MISS = 15,
};
inline constexpr uint16_t OFPET_TABLE_FEATURES_FAILED = 13;
inline constexpr uint16_t OFPTFFC_EPERM = 5;
inline constexpr size_t OFP_TABLE_FEATURES_FIXED_LEN = 64;
inline constexpr size_t OFP_MAX_TABLE_NAME_LEN = 32;
inline constexpr uint16_t OFPMPF_REQ_MORE = 1;
inline constexpr uint16_t OFPMPF_REPLY_MORE = 1;

// Fixed sizes of structures (spec appendix A, OFP_ASSERTs).
inline constexpr size_t OFP_MULTIPART_HEADER_LEN = 16;  // ofp_multipart_request/reply
inline constexpr size_t OFP_FLOW_MOD_FIXED_LEN = 48;    // ofp_flow_mod without match
inline constexpr size_t OFP_PORT_LEN = 64;              // ofp_port
inline constexpr size_t OFP_PORT_STATS_LEN = 112;       // ofp_port_stats
inline constexpr size_t OFP_FLOW_STATS_FIXED_LEN = 48;  // ofp_flow_stats without match
inline constexpr size_t OFP_FLOW_STATS_REQ_FIXED_LEN = 32;
inline constexpr size_t OFP_TABLE_STATS_LEN = 24;
inline constexpr size_t OFP_AGGREGATE_REPLY_LEN = 24;
inline constexpr size_t OFP_DESC_LEN = 1056;
inline constexpr size_t OFP_ACTION_OUTPUT_LEN = 16;
inline constexpr size_t OFP_MAX_PORT_NAME_LEN = 16;
inline constexpr size_t OFP_ERROR_DATA_MAX = 64;  // bytes of the offending request echoed

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_WIRE_H_
