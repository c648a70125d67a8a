// The OpenFlow switch over a real StateStore: flows become rules of origin
// openflow, what the classifier cannot do is refused with the right error
// and leaves the store as it was, and gRPC rules are neither shown nor
// touched. Also the flow <-> rule translation and a session over a socket
// pair (HELLO, ECHO, BARRIER, garbage).
#include "agent/openflow/switch.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "agent/openflow/codec.h"
#include "agent/openflow/error.h"
#include "agent/openflow/flow_translate.h"
#include "agent/openflow/session.h"
#include "agent/rule_origin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/agent/test_util.h"

namespace onvm::agent::openflow {
namespace {

using ::onvm::agent::testing::MakeChain;
using ::onvm::agent::testing::MakeRule;
using ::onvm::agent::testing::MakeService;

OxmField Exact(uint8_t field, std::vector<uint8_t> v) { return OxmField{field, false, v, {}}; }
OxmField Masked(uint8_t field, std::vector<uint8_t> v, std::vector<uint8_t> m) {
  return OxmField{field, true, v, m};
}
const OxmField kIpv4 = Exact(OFPXMT_OFB_ETH_TYPE, {0x08, 0x00});
const OxmField kUdp = Exact(OFPXMT_OFB_IP_PROTO, {17});

std::vector<Instruction> Output(uint32_t port) {
  Instruction i;
  i.type = OFPIT_APPLY_ACTIONS;
  i.actions.push_back(Action{OFPAT_OUTPUT, port, 0, {}});
  return {i};
}

class OpenFlowSwitchTest : public ::testing::Test {
 protected:
  OpenFlowSwitchTest() {
    StateStore::Hooks hooks;
    hooks.port_names = [] { return PortNames{"in", "out"}; };
    hooks.push = [this](const AgentState&) { return push_result_; };
    store_ = std::make_unique<StateStore>(DesiredState{}, std::move(hooks));
    EXPECT_TRUE(store_->CreateService(MakeService("fw")).ok());
    EXPECT_TRUE(store_->CreateChain(MakeChain("web", {"fw"}, "out")).ok());
    SwitchEnv env;
    env.store = store_.get();
    env.ports = [] {
      return std::vector<EnginePort>{{"in", 0, {2, 0, 0, 0, 0, 1}, true, 10000},
                                     {"out", 1, {2, 0, 0, 0, 0, 2}, false, 0}};
    };
    env.rule_stats = [this] { return rule_stats_; };
    env.port_stats = [] {
      ::onvm::PortStats in;
      in.name = "in";
      in.rx_packets = 7;
      in.rx_bytes = 700;
      in.rx_missed = 1;
      return std::vector<::onvm::PortStats>{in};
    };
    sw_ = std::make_unique<OpenFlowSwitch>(std::move(env));
  }

  // Sends `m` through encode and decode, as a connection would.
  std::vector<Message> Send(Message m) {
    m.xid = ++xid_;
    const std::vector<uint8_t> bytes = Encode(m);
    absl::StatusOr<Message> decoded = Decode(bytes);
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return sw_->Handle(*decoded, bytes);
  }
  std::vector<Message> Mod(FlowMod fm) {
    Message m;
    m.type = OFPT_FLOW_MOD;
    m.body = std::move(fm);
    return Send(m);
  }
  // The error a flow mod got; {0, 0} if none.
  OfErrorCode ModError(FlowMod fm) {
    std::vector<Message> replies = Mod(std::move(fm));
    if (replies.empty()) return {0, 0};
    const Error& e = std::get<Error>(replies.at(0).body);
    return {e.type, e.code};
  }
  std::vector<FlowStats> DumpFlows(Match match = {}, uint64_t cookie = 0, uint64_t mask = 0) {
    MultipartRequest mp;
    mp.type = OFPMP_FLOW;
    FlowStatsRequest r;
    r.match = std::move(match);
    r.cookie = cookie;
    r.cookie_mask = mask;
    mp.body = r;
    Message m;
    m.type = OFPT_MULTIPART_REQUEST;
    m.body = mp;
    std::vector<FlowStats> out;
    for (const Message& reply : Send(m)) {
      const auto& body = std::get<MultipartReply>(reply.body);
      for (const FlowStats& s : std::get<std::vector<FlowStats>>(body.body)) out.push_back(s);
    }
    return out;
  }
  std::vector<onvm::v1::Rule> OpenFlowRules() {
    std::vector<onvm::v1::Rule> out;
    for (const onvm::v1::Rule& r : store_->ListRules()) {
      if (IsOpenFlowRule(r)) out.push_back(r);
    }
    return out;
  }
  // priority 100, udp dst 53 from 10.0.0.0/8 -> chain web, cookie 0x53
  FlowMod Dns() {
    FlowMod fm;
    fm.cookie = 0x53;
    fm.priority = 100;
    fm.match = {kIpv4, kUdp, Masked(OFPXMT_OFB_IPV4_SRC, {10, 0, 0, 0}, {255, 0, 0, 0}),
                Exact(OFPXMT_OFB_UDP_DST, {0, 53})};
    fm.instructions = Output(kChainPortBase + 1);
    return fm;
  }

  absl::Status push_result_;
  std::vector<::onvm::RuleStats> rule_stats_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<OpenFlowSwitch> sw_;
  uint32_t xid_ = 0;
};

TEST_F(OpenFlowSwitchTest, AddInstallsARuleThroughTheStore) {
  EXPECT_EQ(ModError(Dns()), (OfErrorCode{0, 0}));
  std::vector<onvm::v1::Rule> rules = OpenFlowRules();
  ASSERT_EQ(rules.size(), 1u);
  const onvm::v1::Rule r = rules[0];
  EXPECT_THAT(r.metadata().name(), ::testing::MatchesRegex("of-[0-9a-f]{16}"));
  EXPECT_EQ(r.status().origin(), "openflow");
  EXPECT_EQ(r.status().openflow_cookie(), 0x53u);
  EXPECT_EQ(r.spec().priority(), 100u);
  EXPECT_EQ(r.spec().match().eth_type(), "0x0800");
  EXPECT_EQ(r.spec().match().ip_proto(), "17");
  EXPECT_EQ(r.spec().match().src_prefix(), "10.0.0.0/8");
  EXPECT_EQ(r.spec().match().dst_ports(), "53");
  EXPECT_EQ(r.spec().action().chain(), "web");

  // The same priority and match again replaces it (new cookie, new action).
  FlowMod again = Dns();
  again.cookie = 0x54;
  again.instructions = Output(2);
  EXPECT_EQ(ModError(again), (OfErrorCode{0, 0}));
  rules = OpenFlowRules();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].metadata().name(), r.metadata().name());
  EXPECT_EQ(rules[0].spec().action().out(), "out");
  EXPECT_EQ(rules[0].status().openflow_cookie(), 0x54u);
}

TEST_F(OpenFlowSwitchTest, FlowStatsShowOpenFlowRulesWithEngineCounters) {
  ASSERT_TRUE(store_->CreateRule(MakeRule("grpc-web", "web")).ok());
  ASSERT_EQ(ModError(Dns()), (OfErrorCode{0, 0}));
  const std::string name = OpenFlowRules().at(0).metadata().name();
  rule_stats_ = {{0, 1, name, 5, 400}, {1, 1, "grpc-web", 9, 900}};
  std::vector<FlowStats> flows = DumpFlows();
  ASSERT_EQ(flows.size(), 1u);  // not the gRPC rule
  EXPECT_EQ(flows[0].cookie, 0x53u);
  EXPECT_EQ(flows[0].priority, 100);
  EXPECT_EQ(flows[0].packet_count, 5u);
  EXPECT_EQ(flows[0].byte_count, 400u);
  EXPECT_EQ(Normalize(flows[0].match).value(), Normalize(Dns().match).value());
  EXPECT_EQ(flows[0].instructions, Output(kChainPortBase + 1));
  // Non-strict selection: a wider match selects it, a narrower one not.
  EXPECT_EQ(DumpFlows({kIpv4}).size(), 1u);
  EXPECT_EQ(DumpFlows({kIpv4, kUdp, Exact(OFPXMT_OFB_IPV4_SRC, {10, 1, 2, 3})}).size(), 0u);
  // Cookie filter.
  EXPECT_EQ(DumpFlows({}, 0x53, ~uint64_t{0}).size(), 1u);
  EXPECT_EQ(DumpFlows({}, 0x99, ~uint64_t{0}).size(), 0u);
}

TEST_F(OpenFlowSwitchTest, DeleteAllLeavesGrpcRulesAlone) {
  ASSERT_TRUE(store_->CreateRule(MakeRule("grpc-web", "web")).ok());
  ASSERT_EQ(ModError(Dns()), (OfErrorCode{0, 0}));
  FlowMod del;
  del.command = OFPFC_DELETE;
  del.table_id = OFPTT_ALL;
  EXPECT_EQ(ModError(del), (OfErrorCode{0, 0}));
  EXPECT_TRUE(OpenFlowRules().empty());
  EXPECT_TRUE(store_->GetRule("grpc-web").ok());
  EXPECT_EQ(store_->GetRule("grpc-web")->status().origin(), "grpc");
}

TEST_F(OpenFlowSwitchTest, GrpcCannotDeleteOrReplaceAnOpenFlowRule) {
  ASSERT_EQ(ModError(Dns()), (OfErrorCode{0, 0}));
  const onvm::v1::Rule r = OpenFlowRules().at(0);
  absl::Status s = store_->DeleteRule(r.metadata().name());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("OpenFlow"));
  onvm::v1::ApplyRequest apply;
  onvm::v1::Rule changed = r;
  changed.mutable_spec()->set_priority(7);
  *apply.add_resources()->mutable_rule() = changed;
  EXPECT_EQ(store_->Apply(apply).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(OpenFlowRules().size(), 1u);
  // The chain a flow uses cannot go either.
  EXPECT_EQ(store_->DeleteChain("web").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OpenFlowSwitchTest, ModifyAndStrictDelete) {
  ASSERT_EQ(ModError(Dns()), (OfErrorCode{0, 0}));
  FlowMod mod;
  mod.command = OFPFC_MODIFY;
  mod.match = {kIpv4};
  mod.instructions = Output(2);
  EXPECT_EQ(ModError(mod), (OfErrorCode{0, 0}));
  ASSERT_EQ(OpenFlowRules().size(), 1u);
  EXPECT_EQ(OpenFlowRules()[0].spec().action().out(), "out");
  EXPECT_EQ(OpenFlowRules()[0].status().openflow_cookie(), 0x53u);  // kept

  // Strict: another priority selects nothing.
  FlowMod del = Dns();
  del.command = OFPFC_DELETE_STRICT;
  del.priority = 99;
  del.instructions.clear();
  EXPECT_EQ(ModError(del), (OfErrorCode{0, 0}));
  EXPECT_EQ(OpenFlowRules().size(), 1u);
  del.priority = 100;
  EXPECT_EQ(ModError(del), (OfErrorCode{0, 0}));
  EXPECT_TRUE(OpenFlowRules().empty());
}

TEST_F(OpenFlowSwitchTest, RefusesWhatTheClassifierCannotDoAndInstallsNothing) {
  const auto with_match = [&](Match m) {
    FlowMod fm = Dns();
    fm.match = std::move(m);
    return fm;
  };
  EXPECT_EQ(
      ModError(with_match({kIpv4, Masked(OFPXMT_OFB_IPV4_SRC, {10, 0, 1, 0}, {255, 0, 255, 0})})),
      (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_NW_ADDR_MASK}));
  EXPECT_EQ(ModError(with_match({Exact(OFPXMT_OFB_ETH_SRC, {0, 1, 2, 3, 4, 5})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_FIELD}));
  EXPECT_EQ(ModError(with_match({Exact(OFPXMT_OFB_IPV4_SRC, {10, 0, 0, 1})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ}));
  EXPECT_EQ(ModError(with_match({kIpv4, kUdp, Exact(OFPXMT_OFB_TCP_DST, {0, 80})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ}));
  EXPECT_EQ(ModError(with_match({kIpv4, kIpv4})), (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_DUP_FIELD}));
  EXPECT_EQ(ModError(with_match({Exact(OFPXMT_OFB_VLAN_VID, {0, 0})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_VALUE}));
  // Found by fuzz_openflow: bits above OFPVID_PRESENT.
  EXPECT_EQ(ModError(with_match({Exact(OFPXMT_OFB_VLAN_VID, {0xfe, 0x0a})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_VALUE}));
  EXPECT_EQ(ModError(with_match({Exact(OFPXMT_OFB_IN_PORT, {0, 0, 0, 9})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_VALUE}));
  EXPECT_EQ(ModError(with_match({kIpv4, kUdp, Masked(OFPXMT_OFB_UDP_DST, {0x01, 0}, {0xff, 0})})),
            (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_MASK}));
  EXPECT_EQ(
      ModError(with_match({kIpv4, Masked(OFPXMT_OFB_IPV4_DST, {10, 0, 0, 1}, {255, 0, 0, 0})})),
      (OfErrorCode{OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS}));

  FlowMod two = Dns();
  two.instructions[0].actions.push_back(Action{OFPAT_OUTPUT, 1, 0, {}});
  EXPECT_EQ(ModError(two), (OfErrorCode{OFPET_BAD_ACTION, OFPBAC_TOO_MANY}));
  FlowMod set_field = Dns();
  set_field.instructions[0].actions[0] = Action{25, 0, 0, {0, 0, 0, 0}};
  EXPECT_EQ(ModError(set_field), (OfErrorCode{OFPET_BAD_ACTION, OFPBAC_BAD_TYPE}));
  FlowMod to_controller = Dns();
  to_controller.instructions = Output(OFPP_CONTROLLER);
  EXPECT_EQ(ModError(to_controller), (OfErrorCode{OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT}));
  FlowMod goto_table = Dns();
  goto_table.instructions = {Instruction{OFPIT_GOTO_TABLE, {}, 1, {}}};
  EXPECT_EQ(ModError(goto_table), (OfErrorCode{OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID}));
  FlowMod meter = Dns();
  meter.instructions = {Instruction{OFPIT_METER, {}, 0, {0, 0, 0, 1}}};
  EXPECT_EQ(ModError(meter), (OfErrorCode{OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST}));

  FlowMod table1 = Dns();
  table1.table_id = 1;
  EXPECT_EQ(ModError(table1), (OfErrorCode{OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID}));
  FlowMod timeout = Dns();
  timeout.idle_timeout = 10;
  EXPECT_EQ(ModError(timeout), (OfErrorCode{OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TIMEOUT}));
  FlowMod flow_rem = Dns();
  flow_rem.flags = OFPFF_SEND_FLOW_REM;
  EXPECT_EQ(ModError(flow_rem), (OfErrorCode{OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS}));
  FlowMod buffered = Dns();
  buffered.buffer_id = 3;
  EXPECT_EQ(ModError(buffered), (OfErrorCode{OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN}));
  FlowMod bad_command = Dns();
  bad_command.command = 9;
  EXPECT_EQ(ModError(bad_command), (OfErrorCode{OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND}));

  EXPECT_TRUE(OpenFlowRules().empty());
}

TEST_F(OpenFlowSwitchTest, OverlapCheckAndTableFull) {
  ASSERT_EQ(ModError(Dns()), (OfErrorCode{0, 0}));
  FlowMod overlap;
  overlap.priority = 100;
  overlap.flags = OFPFF_CHECK_OVERLAP;
  overlap.match = {kIpv4, kUdp};
  EXPECT_EQ(ModError(overlap), (OfErrorCode{OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP}));
  overlap.match = {kIpv4, Exact(OFPXMT_OFB_IP_PROTO, {6})};
  EXPECT_EQ(ModError(overlap), (OfErrorCode{0, 0}));

  push_result_ = absl::ResourceExhaustedError("the engine is full");
  FlowMod more = Dns();
  more.priority = 1;
  EXPECT_EQ(ModError(more), (OfErrorCode{OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL}));
  EXPECT_EQ(OpenFlowRules().size(), 2u);
}

TEST_F(OpenFlowSwitchTest, PortsAndTheirStats) {
  std::vector<Port> ports = sw_->PortDescs();
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0].port_no, 1u);
  EXPECT_EQ(ports[0].name, "in");
  EXPECT_EQ(ports[0].state, OFPPS_LIVE);
  EXPECT_EQ(ports[0].curr, OFPPF_10GB_FD);
  EXPECT_EQ(ports[1].port_no, 2u);
  EXPECT_EQ(ports[1].state, OFPPS_LINK_DOWN);
  EXPECT_EQ(ports[2].port_no, kChainPortBase + 1);
  EXPECT_EQ(ports[2].name, "web");

  MultipartRequest mp;
  mp.type = OFPMP_PORT_STATS;
  mp.body = PortStatsRequest{OFPP_ANY};
  Message m;
  m.type = OFPT_MULTIPART_REQUEST;
  m.body = mp;
  std::vector<Message> replies = Send(m);
  ASSERT_EQ(replies.size(), 1u);
  const auto& stats =
      std::get<std::vector<PortStats>>(std::get<MultipartReply>(replies[0].body).body);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].port_no, 1u);
  EXPECT_EQ(stats[0].rx_packets, 7u);
  EXPECT_EQ(stats[0].rx_bytes, 700u);
  EXPECT_EQ(stats[0].rx_dropped, 1u);

  mp.body = PortStatsRequest{42};
  m.body = mp;
  replies = Send(m);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::get<Error>(replies[0].body).code, OFPBRC_BAD_PORT);
}

TEST_F(OpenFlowSwitchTest, UnsupportedMessagesGetBadType) {
  Message m;
  m.type = OFPT_PACKET_OUT;
  std::vector<Message> replies = Send(m);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::get<Error>(replies[0].body).type, OFPET_BAD_REQUEST);
  EXPECT_EQ(std::get<Error>(replies[0].body).code, OFPBRC_BAD_TYPE);
}

TEST(OpenFlowTranslateTest, RuleNamesAreStableAndDependOnPriorityAndMatch) {
  onvm::v1::Match m;
  m.set_eth_type("0x0800");
  EXPECT_EQ(RuleNameFor(1, m), RuleNameFor(1, m));
  EXPECT_NE(RuleNameFor(1, m), RuleNameFor(2, m));
  onvm::v1::Match other = m;
  other.set_vlan_id(0);
  EXPECT_NE(RuleNameFor(1, m), RuleNameFor(1, other));
  // Pinned: a rule installed by an older agent must keep its name.
  EXPECT_EQ(RuleNameFor(0, onvm::v1::Match()), "of-de74d778d8f205ad");
}

// --- a session over a socket pair ----------------------------------------

class SessionTest : public OpenFlowSwitchTest {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    peer_ = fds[1];
    SessionOptions options;
    options.echo_interval = absl::Milliseconds(200);
    options.dead_after = absl::Seconds(5);
    session_ = std::make_unique<Session>(fds[0], "test peer", sw_.get(), options);
    thread_ = std::thread([this] { session_->Run(); });
  }
  void TearDown() override {
    session_->Stop();
    thread_.join();
    close(peer_);
  }
  void Write(const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(write(peer_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // The next message from the switch; nullopt when the connection closed.
  std::optional<Message> Read() {
    std::vector<uint8_t> buf(8);
    if (!ReadFull(buf.data(), 8)) return std::nullopt;
    const size_t len = PeekHeader(buf)->length;
    buf.resize(len);
    if (!ReadFull(buf.data() + 8, len - 8)) return std::nullopt;
    absl::StatusOr<Message> m = Decode(buf);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? std::optional<Message>(*m) : std::nullopt;
  }
  bool ReadFull(uint8_t* p, size_t n) {
    while (n > 0) {
      const ssize_t got = read(peer_, p, n);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  void SendHello(uint32_t bitmap = 1u << OFP_VERSION) {
    Message hello;
    hello.type = OFPT_HELLO;
    hello.body = openflow::Hello{bitmap};
    Write(Encode(hello));
  }

  int peer_ = -1;
  std::unique_ptr<Session> session_;
  std::thread thread_;
};

TEST_F(SessionTest, NegotiatesThenAnswersInOrder) {
  std::optional<Message> hello = Read();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->type, OFPT_HELLO);
  EXPECT_EQ(std::get<Hello>(hello->body).version_bitmap, 1u << OFP_VERSION);
  SendHello(0x12);  // 1.0 and 1.3
  Message features;
  features.type = OFPT_FEATURES_REQUEST;
  features.xid = 5;
  Message barrier;
  barrier.type = OFPT_BARRIER_REQUEST;
  barrier.xid = 6;
  Message echo;
  echo.type = OFPT_ECHO_REQUEST;
  echo.xid = 7;
  echo.body = Echo{{1, 2, 3}};
  std::vector<uint8_t> all = Encode(features);
  for (const Message& m : {barrier, echo}) {
    const std::vector<uint8_t> b = Encode(m);
    all.insert(all.end(), b.begin(), b.end());
  }
  // One write, split at odd places: framing must not care.
  Write(std::vector<uint8_t>(all.begin(), all.begin() + 5));
  Write(std::vector<uint8_t>(all.begin() + 5, all.end()));
  std::optional<Message> m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, OFPT_FEATURES_REPLY);
  EXPECT_EQ(m->xid, 5u);
  EXPECT_EQ(std::get<FeaturesReply>(m->body).n_tables, 1);
  m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, OFPT_BARRIER_REPLY);
  EXPECT_EQ(m->xid, 6u);
  m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, OFPT_ECHO_REPLY);
  EXPECT_EQ(std::get<Echo>(m->body).data, (std::vector<uint8_t>{1, 2, 3}));
  // Idle: the switch asks for an echo (keepalive).
  m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, OFPT_ECHO_REQUEST);
}

TEST_F(SessionTest, RefusesAPeerWithoutOpenFlow13) {
  ASSERT_TRUE(Read().has_value());  // our HELLO
  SendHello(1u << 1);               // 1.0 only
  std::optional<Message> m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<Error>(m->body).type, OFPET_HELLO_FAILED);
  EXPECT_EQ(std::get<Error>(m->body).code, OFPHFC_INCOMPATIBLE);
  EXPECT_FALSE(Read().has_value());  // closed
}

TEST_F(SessionTest, GarbageGetsAnErrorAndTheConnectionCloses) {
  ASSERT_TRUE(Read().has_value());
  SendHello();
  Write({0x04, 0x0e, 0x00, 0x03, 0, 0, 0, 9});  // length 3 < header
  std::optional<Message> m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->xid, 9u);
  EXPECT_EQ(std::get<Error>(m->body).code, OFPBRC_BAD_LEN);
  EXPECT_FALSE(Read().has_value());
}

TEST_F(SessionTest, AMalformedFlowModGetsAnErrorAndTheSessionGoesOn) {
  ASSERT_TRUE(Read().has_value());
  SendHello();
  Message fm;
  fm.type = OFPT_FLOW_MOD;
  fm.xid = 3;
  fm.body = FlowMod{};
  std::vector<uint8_t> bytes = Encode(fm);
  bytes[49] = 0;  // match type 0 (OFPMT_STANDARD, 1.1's): not OXM
  Write(bytes);
  std::optional<Message> m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<Error>(m->body).type, OFPET_BAD_MATCH);
  EXPECT_EQ(std::get<Error>(m->body).code, OFPBMC_BAD_TYPE);
  Message barrier;
  barrier.type = OFPT_BARRIER_REQUEST;
  barrier.xid = 4;
  Write(Encode(barrier));
  m = Read();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, OFPT_BARRIER_REPLY);
}

}  // namespace
}  // namespace onvm::agent::openflow
