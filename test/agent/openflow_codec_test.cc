// The OpenFlow codec against byte sequences: requests captured from
// `ovs-ofctl -O OpenFlow13` (Open vSwitch 3.1, Debian 12) talking to a
// recording server, and replies written out from the OpenFlow 1.3.5 spec.
#include "agent/openflow/codec.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "agent/openflow/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm::agent::openflow {
namespace {

std::vector<uint8_t> Hex(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  return {bytes.begin(), bytes.end()};
}

std::string ToHex(const std::vector<uint8_t>& bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

OfErrorCode CodeOf(const absl::Status& s) {
  return ErrorCodeOf(s).value_or(OfErrorCode{0xffff, 0xffff});
}

// ovs-ofctl's HELLO: version 1.3, one version-bitmap element offering 1.3.
constexpr char kOvsHello[] = "04000010000000010001000800000010";
// ovs-ofctl add-flow "cookie=0x1234,priority=7,dl_vlan=10,ip,nw_src=192.0.2.1,
//   nw_proto=6,tp_src=80,actions=drop"
constexpr char kAddFlowVlanTcp[] =
    "040e005800000006000000000000123400000000000000000000000000000007ffffffffffffffffffffffff0000"
    "00000001002380000a02080080000c02100a80001604c0000201800014010680001a0200500000000000";
// ovs-ofctl add-flow "priority=9,ipv6,ipv6_dst=2001:db8::/32,actions=output:2"
constexpr char kAddFlowIpv6[] =
    "040e007800000006000000000000000000000000000000000000000000000009ffffffffffffffffffffffff0000"
    "00000001002e80000a0286dd8000372020010db8000000000000000000000000ffffffff00000000000000000000"
    "00000000000400180000000000000010000000020000000000000000";
// ovs-ofctl del-flows "cookie=0x5/-1,tcp6,ipv6_src=2001:db8::/32"
constexpr char kDelFlows[] =
    "040e0068000000060000000000000005ffffffffffffffffff03000000008000ffffffffffffffffffffffff0000"
    "00000001003380000a0286dd8000352020010db8000000000000000000000000ffffffff00000000000000000000"
    "000080001401060000000000";
// ovs-ofctl del-flows --strict "priority=7,udp,tp_dst=53"
constexpr char kDelStrict[] =
    "040e00480000000600000000000000000000000000000000ff04000000000007ffffffffffffffffffffffff0000"
    "00000001001580000a0208008000140111800020020035000000";
// ovs-ofctl dump-flows
constexpr char kDumpFlows[] =
    "04120038000000020001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000"
    "000001000400000000";
// ovs-ofctl dump-ports SW 1
constexpr char kDumpPort1[] = "041200180000000200040000000000000000000100000000";
// ovs-ofctl dump-ports-desc, dump-tables, show (features), add-flow's first
// request (table features).
constexpr char kPortDesc[] = "0412001000000002000d000000000000";
constexpr char kTableStats[] = "04120010000000020003000000000000";
constexpr char kFeaturesRequest[] = "0405000800000002";
constexpr char kTableFeatures[] = "0412001000000002000c000000000000";
constexpr char kBarrier[] = "0414000800000007";

TEST(OpenFlowCodecTest, DecodesOvsHello) {
  absl::StatusOr<Message> m = Decode(Hex(kOvsHello));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, OFPT_HELLO);
  EXPECT_EQ(m->xid, 1u);
  ASSERT_TRUE(std::holds_alternative<Hello>(m->body));
  EXPECT_EQ(std::get<Hello>(m->body).version_bitmap, 0x10u);
  EXPECT_EQ(ToHex(Encode(*m)), kOvsHello);
}

TEST(OpenFlowCodecTest, DecodesHelloWithoutElementsAndOtherVersions) {
  // An OpenFlow 1.0 HELLO: no elements; only the header version counts.
  absl::StatusOr<Message> m = Decode(Hex("0100000800000009"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version, 1);
  EXPECT_FALSE(std::get<Hello>(m->body).version_bitmap.has_value());
  // Unknown elements are skipped; the bitmap after them is found.
  m = Decode(Hex("04000018000000010007000500000000000100080000005a"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(std::get<Hello>(m->body).version_bitmap, 0x5au);
}

TEST(OpenFlowCodecTest, DecodesOvsAddFlowWithVlanAndTcp) {
  absl::StatusOr<Message> m = Decode(Hex(kAddFlowVlanTcp));
  ASSERT_TRUE(m.ok()) << m.status();
  const FlowMod& fm = std::get<FlowMod>(m->body);
  EXPECT_EQ(fm.command, OFPFC_ADD);
  EXPECT_EQ(fm.cookie, 0x1234u);
  EXPECT_EQ(fm.priority, 7);
  EXPECT_EQ(fm.buffer_id, OFP_NO_BUFFER);
  EXPECT_EQ(fm.out_port, OFPP_ANY);
  ASSERT_EQ(fm.match.size(), 5u);
  EXPECT_EQ(fm.match[0], (OxmField{OFPXMT_OFB_ETH_TYPE, false, {0x08, 0x00}, {}}));
  EXPECT_EQ(fm.match[1], (OxmField{OFPXMT_OFB_VLAN_VID, false, {0x10, 0x0a}, {}}));
  EXPECT_EQ(fm.match[2], (OxmField{OFPXMT_OFB_IPV4_SRC, false, {192, 0, 2, 1}, {}}));
  EXPECT_EQ(fm.match[3], (OxmField{OFPXMT_OFB_IP_PROTO, false, {6}, {}}));
  EXPECT_EQ(fm.match[4], (OxmField{OFPXMT_OFB_TCP_SRC, false, {0, 80}, {}}));
  EXPECT_TRUE(fm.instructions.empty());  // actions=drop
  EXPECT_EQ(ToHex(Encode(*m)), kAddFlowVlanTcp);
}

TEST(OpenFlowCodecTest, DecodesOvsAddFlowWithMaskedIpv6AndOutput) {
  absl::StatusOr<Message> m = Decode(Hex(kAddFlowIpv6));
  ASSERT_TRUE(m.ok()) << m.status();
  const FlowMod& fm = std::get<FlowMod>(m->body);
  ASSERT_EQ(fm.match.size(), 2u);
  EXPECT_TRUE(fm.match[1].has_mask);
  EXPECT_EQ(fm.match[1].field, OFPXMT_OFB_IPV6_DST);
  EXPECT_EQ(fm.match[1].mask, Hex("ffffffff000000000000000000000000"));
  ASSERT_EQ(fm.instructions.size(), 1u);
  EXPECT_EQ(fm.instructions[0].type, OFPIT_APPLY_ACTIONS);
  ASSERT_EQ(fm.instructions[0].actions.size(), 1u);
  EXPECT_EQ(fm.instructions[0].actions[0].type, OFPAT_OUTPUT);
  EXPECT_EQ(fm.instructions[0].actions[0].port, 2u);
  EXPECT_EQ(ToHex(Encode(*m)), kAddFlowIpv6);
}

TEST(OpenFlowCodecTest, DecodesOvsDeletes) {
  absl::StatusOr<Message> m = Decode(Hex(kDelFlows));
  ASSERT_TRUE(m.ok()) << m.status();
  const FlowMod& del = std::get<FlowMod>(m->body);
  EXPECT_EQ(del.command, OFPFC_DELETE);
  EXPECT_EQ(del.table_id, OFPTT_ALL);
  EXPECT_EQ(del.cookie, 5u);
  EXPECT_EQ(del.cookie_mask, ~uint64_t{0});
  EXPECT_EQ(ToHex(Encode(*m)), kDelFlows);

  m = Decode(Hex(kDelStrict));
  ASSERT_TRUE(m.ok()) << m.status();
  const FlowMod& strict = std::get<FlowMod>(m->body);
  EXPECT_EQ(strict.command, OFPFC_DELETE_STRICT);
  EXPECT_EQ(strict.priority, 7);
  ASSERT_EQ(strict.match.size(), 3u);
  EXPECT_EQ(strict.match[2], (OxmField{OFPXMT_OFB_UDP_DST, false, {0, 53}, {}}));
  EXPECT_EQ(ToHex(Encode(*m)), kDelStrict);
}

TEST(OpenFlowCodecTest, DecodesOvsMultipartRequests) {
  absl::StatusOr<Message> m = Decode(Hex(kDumpFlows));
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& flows = std::get<MultipartRequest>(m->body);
  EXPECT_EQ(flows.type, OFPMP_FLOW);
  const auto& req = std::get<FlowStatsRequest>(flows.body);
  EXPECT_EQ(req.table_id, OFPTT_ALL);
  EXPECT_EQ(req.out_port, OFPP_ANY);
  EXPECT_TRUE(req.match.empty());
  EXPECT_EQ(ToHex(Encode(*m)), kDumpFlows);

  m = Decode(Hex(kDumpPort1));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(std::get<PortStatsRequest>(std::get<MultipartRequest>(m->body).body).port_no, 1u);
  EXPECT_EQ(ToHex(Encode(*m)), kDumpPort1);

  for (const char* hex : {kPortDesc, kTableStats, kTableFeatures, kFeaturesRequest, kBarrier}) {
    m = Decode(Hex(hex));
    ASSERT_TRUE(m.ok()) << hex << ": " << m.status();
    EXPECT_EQ(ToHex(Encode(*m)), hex);
  }
}

TEST(OpenFlowCodecTest, EncodesFeaturesReplyAsTheSpecLaysItOut) {
  Message m;
  m.type = OFPT_FEATURES_REPLY;
  m.xid = 2;
  m.body = FeaturesReply{0x0000a1b2c3d4e5f6, 0, 1, 0, 7};
  // ofp_switch_features: datapath_id, n_buffers, n_tables, auxiliary_id,
  // pad[2], capabilities, reserved: 32 bytes.
  EXPECT_EQ(ToHex(Encode(m)),
            "04060020000000020000a1b2c3d4e5f6000000000100000000000007"
            "00000000");
}

TEST(OpenFlowCodecTest, EncodesPortDescAndPortStatus) {
  Port p;
  p.port_no = 1;
  p.hw_addr = {0x02, 0, 0, 0, 0, 1};
  p.name = "a-name-longer-than-fifteen";
  p.state = OFPPS_LIVE;
  p.curr = OFPPF_10GB_FD;
  p.curr_speed = 10000000;
  Message m;
  m.type = OFPT_PORT_STATUS;
  m.body = PortStatus{OFPPR_MODIFY, p};
  const std::vector<uint8_t> bytes = Encode(m);
  ASSERT_EQ(bytes.size(), 80u);  // header, reason, pad[7], ofp_port (64)
  const std::string hex = ToHex(bytes);
  EXPECT_EQ(hex.substr(0, 16), "040c005000000000");
  EXPECT_EQ(hex.substr(16, 16), "0200000000000000");                  // reason MODIFY, pad
  EXPECT_EQ(hex.substr(32, 16), "0000000100000000");                  // port_no, pad
  EXPECT_EQ(hex.substr(48, 16), "0200000000010000");                  // hw_addr, pad
  EXPECT_EQ(hex.substr(64, 32), "612d6e616d652d6c6f6e6765722d7400");  // name, cut, NUL
  EXPECT_EQ(hex.substr(96, 32), "00000000000000040000004000000000");  // config, state, curr, adv
  EXPECT_EQ(hex.substr(144, 16), "0098968000000000");                 // curr_speed, max_speed
  absl::StatusOr<Message> back = Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(std::get<PortStatus>(back->body).desc.name, "a-name-longer-t");
}

TEST(OpenFlowCodecTest, FlowStatsRoundTrip) {
  FlowStats s;
  s.priority = 100;
  s.cookie = 0xabc;
  s.packet_count = 3;
  s.byte_count = 180;
  s.match = {OxmField{OFPXMT_OFB_ETH_TYPE, false, {0x08, 0x00}, {}},
             OxmField{OFPXMT_OFB_IPV4_DST, true, {10, 0, 0, 0}, {255, 0, 0, 0}}};
  Instruction apply;
  apply.actions.push_back(Action{OFPAT_OUTPUT, 0x8001, 0, {}});
  s.instructions = {apply};
  MultipartReply r;
  r.type = OFPMP_FLOW;
  r.body = std::vector<FlowStats>{s, s};
  Message m;
  m.type = OFPT_MULTIPART_REPLY;
  m.body = r;
  const std::vector<uint8_t> bytes = Encode(m);
  // Per flow: 48 fixed + match (4 + 6 + 12 = 22, padded to 24) + apply
  // actions (8 + 16).
  EXPECT_EQ(bytes.size(), 16u + 2 * (48 + 24 + 24));
  absl::StatusOr<Message> back = Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
}

TEST(OpenFlowCodecTest, TableFeaturesRoundTrip) {
  TableFeatures t;
  t.name = "classifier";
  t.max_entries = 16384;
  t.properties = {{OFPTFPT_INSTRUCTIONS, {0, 4, 0, 4}}, {OFPTFPT_NEXT_TABLES, {}}};
  MultipartReply r;
  r.type = OFPMP_TABLE_FEATURES;
  r.body = std::vector<TableFeatures>{t};
  Message m;
  m.type = OFPT_MULTIPART_REPLY;
  m.body = r;
  const std::vector<uint8_t> bytes = Encode(m);
  EXPECT_EQ(bytes.size(), 16u + 64 + 8 + 8);  // properties padded to 8
  absl::StatusOr<Message> back = Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
}

TEST(OpenFlowCodecTest, RefusesBadLengthsWithTheRightError) {
  // Header length disagrees with the bytes.
  EXPECT_EQ(CodeOf(Decode(Hex("0405000900000002")).status()),
            (OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_BAD_LEN}));
  // FEATURES_REQUEST with a body.
  EXPECT_EQ(CodeOf(Decode(Hex("040500090000000200")).status()),
            (OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_BAD_LEN}));
  // Truncated flow_mod.
  std::vector<uint8_t> add = Hex(kAddFlowIpv6);
  add.resize(40);
  add[3] = 40;
  EXPECT_EQ(CodeOf(Decode(add).status()), (OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_BAD_LEN}));
  // Match length past the message.
  add = Hex(kAddFlowIpv6);
  add[50] = 0x0f;  // ofp_match.length = 0x0f2e
  EXPECT_EQ(CodeOf(Decode(add).status()), (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_LEN}));
  // OXM with the wrong width for its field (eth_type of 3 bytes).
  add = Hex(kAddFlowIpv6);
  add[55] = 3;
  EXPECT_EQ(CodeOf(Decode(add).status()), (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_LEN}));
  // Output action of length 8.
  add = Hex(kAddFlowIpv6);
  add[107] = 8;
  EXPECT_EQ(CodeOf(Decode(add).status()), (OfErrorCode{OFPET_BAD_ACTION, OFPBAC_BAD_LEN}));
  // Instruction length not a multiple of 8.
  add = Hex(kAddFlowIpv6);
  add[99] = 0x17;
  EXPECT_EQ(CodeOf(Decode(add).status()), (OfErrorCode{OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN}));
  // Another OXM class (experimenter).
  add = Hex(kAddFlowIpv6);
  add[52] = 0xff;
  add[53] = 0xff;
  EXPECT_EQ(CodeOf(Decode(add).status()), (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_FIELD}));
  // A 1.0 message after negotiating 1.3.
  EXPECT_EQ(CodeOf(Decode(Hex("0105000800000002")).status()),
            (OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION}));
}

TEST(OpenFlowCodecTest, EveryPrefixOfAMessageIsRefusedWithoutReadingPastIt) {
  // Each prefix is given as a message of its own length (header patched),
  // in a buffer of exactly that size: ASan catches any read past it.
  for (const char* hex : {kAddFlowVlanTcp, kAddFlowIpv6, kDelFlows, kDumpFlows, kDumpPort1}) {
    const std::vector<uint8_t> full = Hex(hex);
    for (size_t n = 8; n < full.size(); ++n) {
      std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      part[2] = static_cast<uint8_t>(n >> 8);
      part[3] = static_cast<uint8_t>(n);
      absl::StatusOr<Message> m = Decode(part);
      if (m.ok()) {
        // Only a shorter message that is itself complete may decode, and
        // then it must re-encode to something that decodes the same.
        absl::StatusOr<Message> again = Decode(Encode(*m));
        ASSERT_TRUE(again.ok()) << hex << " cut at " << n;
        EXPECT_EQ(*again, *m);
      } else {
        EXPECT_TRUE(ErrorCodeOf(m.status()).has_value()) << m.status();
      }
    }
  }
}

TEST(OpenFlowCodecTest, PeekHeaderNeedsEightBytes) {
  EXPECT_FALSE(PeekHeader(Hex("04050008000000")).has_value());
  std::optional<Header> h = PeekHeader(Hex("0405000800000002"));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->length, 8);
  EXPECT_EQ(h->xid, 2u);
}

TEST(OpenFlowCodecTest, ErrorQuotesAtMost64BytesOfTheRequest) {
  const std::vector<uint8_t> request = Hex(kAddFlowIpv6);
  Message e = MakeError(6, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, request);
  const std::vector<uint8_t> bytes = Encode(e);
  EXPECT_EQ(bytes.size(), 8u + 4 + 64);
  EXPECT_EQ(ToHex(bytes).substr(0, 24), "0401004c0000000600040006");
}

}  // namespace
}  // namespace onvm::agent::openflow

namespace onvm::agent::openflow {
namespace {

TEST(OpenFlowCodecTest, OxmWidthsFollowTheSpecTable) {
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_IN_PORT), 4u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_ETH_DST), 6u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_ETH_TYPE), 2u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_VLAN_VID), 2u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_IP_PROTO), 1u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_IPV4_SRC), 4u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_IPV4_DST), 4u);
  for (uint8_t f : {OFPXMT_OFB_TCP_SRC, OFPXMT_OFB_TCP_DST, OFPXMT_OFB_UDP_SRC, OFPXMT_OFB_UDP_DST,
                    OFPXMT_OFB_SCTP_SRC, OFPXMT_OFB_SCTP_DST}) {
    EXPECT_EQ(OxmWidth(f), 2u) << static_cast<int>(f);
  }
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_IPV6_SRC), 16u);
  EXPECT_EQ(OxmWidth(OFPXMT_OFB_IPV6_DST), 16u);
  EXPECT_EQ(OxmWidth(38), 8u);  // tunnel_id
  EXPECT_EQ(OxmWidth(39), 2u);  // ipv6_exthdr
  EXPECT_EQ(OxmWidth(40), 0u);  // unknown
}

TEST(OpenFlowCodecTest, DecodesOvsUdpPortMatch) {
  // ovs-ofctl add-flow "cookie=0x42,priority=100,udp,tp_dst=53,actions=drop"
  absl::StatusOr<Message> m =
      Decode(Hex("040e00480000000600000000000000420000000000000000000000000000006"
                 "4ffffffffffffffffffffffff000000000001001580000a02080080001401118000200200350000"
                 "00"));
  ASSERT_TRUE(m.ok()) << m.status();
  const FlowMod& fm = std::get<FlowMod>(m->body);
  ASSERT_EQ(fm.match.size(), 3u);
  EXPECT_EQ(fm.match[2], (OxmField{OFPXMT_OFB_UDP_DST, false, {0, 53}, {}}));
}

}  // namespace
}  // namespace onvm::agent::openflow
