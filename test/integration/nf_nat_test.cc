// onvm-nf-nat through a real engine: inside flows leave `out` with the
// external address and a port of their own (valid checksums, nothing else
// changed); the answers sent into `out` come out of `in` translated back;
// unsolicited and expired ones are dropped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <set>
#include <thread>

#include "onvm/packet_key.h"
#include "stack.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kExternal[] = "203.0.113.1";
constexpr char kServer[] = "198.51.100.1";

struct Flow {
  std::string inside_ip;
  uint16_t inside_port;
  bool tcp;
  uint16_t server_port;
};

Frame Build(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
            bool tcp, uint32_t seq) {
  PacketBuilder b;
  b.Ipv4(src, dst);
  if (tcp) {
    b.Tcp(sport, dport);
  } else {
    b.Udp(sport, dport);
  }
  return b.Sequence(seq).FrameSize(64 + (seq * 53) % 1200).Build();
}

PacketKey KeyOf(const Frame& f) {
  PacketKey key;
  ParsePacket(f.data(), f.size(), &key);
  return key;
}

// Sends frames one window at a time and collects `want` frames from `out`
// (plus anything else that arrives shortly after).
std::vector<Frame> Exchange(RawSocket& in, RawSocket& out, const std::vector<Frame>& frames,
                            size_t want) {
  constexpr size_t kWindow = 32;
  std::vector<Frame> received;
  size_t next = 0;
  auto fill = [&] {
    while (next < frames.size() && next - received.size() < kWindow) {
      if (!in.Send(frames[next++]).ok()) return false;
    }
    return true;
  };
  if (!fill()) return received;
  while (received.size() < want) {
    std::optional<Frame> f = out.ReceiveOne(seconds(5));
    if (!f.has_value()) break;
    received.push_back(*std::move(f));
    if (!fill()) return received;
  }
  for (Frame& f : out.Receive(milliseconds(300))) received.push_back(std::move(f));
  return received;
}

class NatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    ASSERT_TRUE(stack_->Apply(kNatChainsYaml).ok());
    auto in = stack_->OpenPeer("in");
    ASSERT_TRUE(in.ok()) << in.status();
    in_ = *std::move(in);
    auto out = stack_->OpenPeer("out");
    ASSERT_TRUE(out.ok()) << out.status();
    out_ = *std::move(out);
  }

  void StartNat(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--external-ip", kExternal,    "--inside-port", "0",
                                     "--port-range",  "40000-40999"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto nf = stack_->StartNf("onvm-nf-nat", "nat", args);
    ASSERT_TRUE(nf.ok()) << nf.status();
    nf_ = *nf;
  }

  double HandlerDrops() {
    return stack_
        ->Metric("onvm_nf_dropped_packets_total",
                 {{"service", "nat"}, {"instance", "1"}, {"reason", "handler"}})
        .value_or(-1);
  }

  std::unique_ptr<Stack> stack_;
  std::unique_ptr<RawSocket> in_;
  std::unique_ptr<RawSocket> out_;
  Process* nf_ = nullptr;
};

TEST_F(NatTest, TranslatesOutboundAndRepliesBothWays) {
  ASSERT_NO_FATAL_FAILURE(StartNat({}));
  std::vector<Flow> flows;
  for (uint16_t i = 0; i < 8; ++i) {
    flows.push_back({"10.0.0." + std::to_string(1 + i % 4), static_cast<uint16_t>(1000 + i),
                     i % 2 == 0, static_cast<uint16_t>(i % 2 == 0 ? 443 : 53)});
  }
  // Two flows that differ only in the inside address share the inside port.
  flows.push_back({"10.0.0.9", 1000, true, 443});

  // Outbound: 10 packets per flow, interleaved.
  std::vector<Frame> sent;
  std::vector<size_t> flow_of;
  for (uint32_t round = 0; round < 10; ++round) {
    for (size_t f = 0; f < flows.size(); ++f) {
      const Flow& fl = flows[f];
      sent.push_back(Build(fl.inside_ip, fl.inside_port, kServer, fl.server_port, fl.tcp,
                           static_cast<uint32_t>(sent.size())));
      flow_of.push_back(f);
    }
  }
  const std::vector<Frame> outside = Exchange(*in_, *out_, sent, sent.size());
  ASSERT_EQ(outside.size(), sent.size()) << stack_->Logs();

  std::map<size_t, uint16_t> ext_port;  // flow -> external port
  for (size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(CheckFrame(outside[i]), "") << "frame " << i << "\n" << HexDump(outside[i]);
    const PacketKey k = KeyOf(outside[i]);
    ASSERT_GE(k.src_port, 40000);
    ASSERT_LE(k.src_port, 40999);
    const Flow& fl = flows[flow_of[i]];
    const auto it = ext_port.emplace(flow_of[i], k.src_port).first;
    EXPECT_EQ(it->second, k.src_port) << "flow " << flow_of[i] << " changed its port";
    // Exactly the original with the source rewritten: same payload, same
    // destination, checksums as if built that way.
    const Frame want =
        Build(kExternal, k.src_port, kServer, fl.server_port, fl.tcp, static_cast<uint32_t>(i));
    ASSERT_EQ(outside[i], want) << "frame " << i << "\nwant:\n"
                                << HexDump(want) << "got:\n"
                                << HexDump(outside[i]);
  }
  // Every flow has a port of its own (per protocol).
  std::set<std::pair<bool, uint16_t>> distinct;
  for (auto [f, port] : ext_port) distinct.emplace(flows[f].tcp, port);
  EXPECT_EQ(distinct.size(), flows.size());

  // The server answers each flow twice; the answers come out of `in`
  // addressed to the inside host.
  std::vector<Frame> replies;
  std::vector<Frame> want_inside;
  for (uint32_t round = 0; round < 2; ++round) {
    for (size_t f = 0; f < flows.size(); ++f) {
      const Flow& fl = flows[f];
      const uint32_t seq = 100000 + static_cast<uint32_t>(replies.size());
      replies.push_back(Build(kServer, fl.server_port, kExternal, ext_port[f], fl.tcp, seq));
      want_inside.push_back(
          Build(kServer, fl.server_port, fl.inside_ip, fl.inside_port, fl.tcp, seq));
    }
  }
  const std::vector<Frame> inside = Exchange(*out_, *in_, replies, replies.size());
  ASSERT_EQ(inside.size(), replies.size()) << stack_->Logs();
  for (size_t i = 0; i < inside.size(); ++i) {
    ASSERT_EQ(CheckFrame(inside[i]), "") << "reply " << i;
    ASSERT_EQ(inside[i], want_inside[i]) << "reply " << i << "\nwant:\n"
                                         << HexDump(want_inside[i]) << "got:\n"
                                         << HexDump(inside[i]);
  }
  EXPECT_EQ(HandlerDrops(), 0);

  // Unsolicited: an unused external port, and a used one from another host.
  const std::vector<Frame> unsolicited = {
      Build(kServer, 443, kExternal, 40999, true, 7),
      Build("198.51.100.2", flows[0].server_port, kExternal, ext_port[0], flows[0].tcp, 8),
  };
  ASSERT_TRUE(out_->SendAll(unsolicited).ok());
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_dropped_packets_total",
                                 {{"service", "nat"}, {"instance", "1"}, {"reason", "handler"}}, 2))
      << HandlerDrops();
  EXPECT_TRUE(in_->Receive(milliseconds(300)).empty());
}

TEST_F(NatTest, IdleMappingsExpire) {
  ASSERT_NO_FATAL_FAILURE(StartNat({"--timeout-s", "1"}));
  const Frame first = Build("10.0.0.1", 5000, kServer, 80, true, 1);
  std::vector<Frame> out = Exchange(*in_, *out_, {first}, 1);
  ASSERT_EQ(out.size(), 1u) << stack_->Logs();
  const uint16_t port = KeyOf(out[0]).src_port;
  // An answer within the timeout gets through.
  std::vector<Frame> back =
      Exchange(*out_, *in_, {Build(kServer, 80, kExternal, port, true, 2)}, 1);
  ASSERT_EQ(back.size(), 1u) << stack_->Logs();
  // After 2 s of silence the mapping is gone: the answer is dropped.
  std::this_thread::sleep_for(seconds(2));
  back = Exchange(*out_, *in_, {Build(kServer, 80, kExternal, port, true, 3)}, 0);
  EXPECT_TRUE(back.empty());
  EXPECT_TRUE(stack_->WaitMetric("onvm_nf_dropped_packets_total",
                                 {{"service", "nat"}, {"instance", "1"}, {"reason", "handler"}}, 1))
      << HandlerDrops();
  // The flow starts over with a fresh port (freed ports are reused last).
  out = Exchange(*in_, *out_, {Build("10.0.0.1", 5000, kServer, 80, true, 4)}, 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(KeyOf(out[0]).src_port, port);
  EXPECT_EQ(CheckFrame(out[0]), "");
}

}  // namespace
}  // namespace onvm::testing
