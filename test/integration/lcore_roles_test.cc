// The engine with separate rx and tx lcores (--lcores with three lcores):
// the roles show in the API and in /metrics, and packets are delivered, none
// lost, both through a chain of two NFs (rx lcore -> NF -> NF -> tx lcore)
// and port to port by a rule (rx lcore hands them to the tx lcore).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "onvm/v1/engine.grpc.pb.h"
#include "stack.h"
#include "traffic.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;

TEST(LcoreRolesTest, SplitRxAndTxLcoresMoveEveryPacket) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
  // Main lcore on CPU 0, the rx and tx lcores share the second CPU (CI has
  // two; on one CPU all three share it).
  const int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
  StackOptions options;
  options.engine_args = {"--lcores", absl::StrCat("0@0,1@", cpu, ",2@", cpu)};
  auto stack_or = Stack::Start(options);
  ASSERT_TRUE(stack_or.ok()) << stack_or.status();
  Stack& stack = **stack_or;

  // The API shows who does what.
  auto engine = onvm::v1::Engine::NewStub(stack.channel());
  grpc::ClientContext ctx;
  onvm::v1::EngineInfo info;
  ASSERT_TRUE(engine->GetEngine(&ctx, onvm::v1::GetEngineRequest(), &info).ok());
  ASSERT_EQ(info.lcores_size(), 3) << info.DebugString();
  EXPECT_EQ(info.lcores(0).role(), "control");
  EXPECT_EQ(info.lcores(1).role(), "rx");
  EXPECT_EQ(info.lcores(1).lcore_id(), 1u);
  EXPECT_EQ(
      std::vector<std::string>(info.lcores(1).rx_ports().begin(), info.lcores(1).rx_ports().end()),
      (std::vector<std::string>{"in", "out"}));
  EXPECT_TRUE(info.lcores(1).tx_ports().empty());
  EXPECT_EQ(info.lcores(2).role(), "tx");
  EXPECT_EQ(info.lcores(2).tx_ports_size(), 2);
  // One pool, on the socket of the lcores, with the default 16383 mbufs.
  ASSERT_EQ(info.mempools_size(), 1) << info.DebugString();
  EXPECT_EQ(info.mempools(0).name(), "onvm_pktmbuf_pool");
  EXPECT_EQ(info.mempools(0).socket(), info.lcores(1).socket());
  EXPECT_EQ(info.mempools(0).size(), 16383u);
  EXPECT_LE(info.mempools(0).mbufs_in_use(), info.mempools(0).size());

  const uint16_t split = TrafficStream::kFirstSrcPort + 32;
  ASSERT_TRUE(stack
                  .Apply(absl::StrCat(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: a}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: b}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: ab}
spec: {services: [a, b], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: chained}
spec:
  priority: 10
  match: {inPort: in, ipProto: udp, srcPorts: ")",
                                      TrafficStream::kFirstSrcPort, "-", split - 1, R"("}
  action: {chain: ab}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: direct}
spec:
  priority: 10
  match: {inPort: in, ipProto: udp, srcPorts: ")",
                                      split, "-", TrafficStream::kFirstSrcPort + 63, R"("}
  action: {out: out}
)"))
                  .ok());
  ASSERT_TRUE(stack.StartNf("onvm-test-nf", "a").ok());
  ASSERT_TRUE(stack.StartNf("onvm-test-nf", "b").ok());
  auto in = stack.OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack.OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();

  TrafficStream traffic(in->get(), out->get(), {.flows = 64, .frames_per_ms = 4});
  ASSERT_TRUE(WaitFor([&] { return traffic.sent() >= 8000; }, seconds(30)));
  traffic.Stop(seconds(1));

  const double sent = static_cast<double>(traffic.sent());
  ASSERT_TRUE(stack.WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent));
  EXPECT_EQ(static_cast<double>(traffic.received()), sent) << stack.Logs();
  for (uint32_t f = 0; f < 64; ++f) EXPECT_GT(traffic.received(f), 0u) << "flow " << f;
  EXPECT_EQ(traffic.foreign(), 0u);
  const double chained = stack.Metric("onvm_rule_hits_total", {{"rule", "chained"}}).value_or(-1);
  const double direct = stack.Metric("onvm_rule_hits_total", {{"rule", "direct"}}).value_or(-1);
  EXPECT_EQ(chained + direct, sent);
  EXPECT_EQ(stack.Metric("onvm_chain_completed_packets_total", {{"chain", "ab"}}), chained);
  EXPECT_EQ(stack.Metric("onvm_port_tx_packets_total", {{"port", "out"}}), sent);
  // Each packet lcore accounts for its own time.
  EXPECT_GT(stack.Metric("onvm_lcore_seconds_total", {{"lcore", "1"}, {"role", "rx"}}).value_or(0),
            0);
  EXPECT_GT(stack.Metric("onvm_lcore_seconds_total", {{"lcore", "2"}, {"role", "tx"}}).value_or(0),
            0);
}

}  // namespace
}  // namespace onvm::testing
