// Configuration changes lose no packet: a continuous stream runs through a
// chain while, 100 times a second for 10 seconds, the chain's services and
// the rules that steer flows change, and replicas come and go (new NFs
// start, running ones stop cleanly). Afterwards every packet sent is
// accounted for, and none was dropped because of a change.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "absl/strings/str_cat.h"
#include "onvm/v1/apply.grpc.pb.h"
#include "stack.h"
#include "traffic.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kChanges = 1000;
constexpr milliseconds kChangeEvery(10);  // 100 a second

constexpr char kBase[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: a}
spec: {replicas: 2}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: b}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: main}
spec: {services: [a], then: {out: out}}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: alt}
spec: {services: [b], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: all-in}
spec: {priority: 1, match: {inPort: in}, action: {chain: main}}
)";

onvm::v1::Resource ChainResource(const std::string& name, std::vector<std::string> services) {
  onvm::v1::Resource r;
  onvm::v1::Chain* c = r.mutable_chain();
  c->set_api_version("onvm/v1");
  c->set_kind("Chain");
  c->mutable_metadata()->set_name(name);
  for (std::string& s : services) c->mutable_spec()->add_services(std::move(s));
  c->mutable_spec()->mutable_then()->set_out("out");
  return r;
}

onvm::v1::Resource RuleResource(const std::string& name, uint32_t priority,
                                const std::string& src_ports, const std::string& chain) {
  onvm::v1::Resource r;
  onvm::v1::Rule* rule = r.mutable_rule();
  rule->set_api_version("onvm/v1");
  rule->set_kind("Rule");
  rule->mutable_metadata()->set_name(name);
  rule->mutable_spec()->set_priority(priority);
  rule->mutable_spec()->mutable_match()->set_in_port("in");
  rule->mutable_spec()->mutable_match()->set_ip_proto("udp");
  rule->mutable_spec()->mutable_match()->set_src_ports(src_ports);
  rule->mutable_spec()->mutable_action()->set_chain(chain);
  return r;
}

// Change i of the sequence: the chains' services, which flows a steering
// rule sends where, and its priority, in turn.
onvm::v1::ApplyRequest Change(int i) {
  static const std::vector<std::vector<std::string>> kMain = {{"a", "b"}, {"b", "a"}, {"a"}};
  static const std::vector<std::vector<std::string>> kAlt = {{"b"}, {"b", "a"}, {"a", "b"}};
  const uint32_t lo = TrafficStream::kFirstSrcPort + static_cast<uint32_t>(i % 64);
  onvm::v1::ApplyRequest req;
  switch (i % 3) {
    case 0:
      *req.add_resources() = ChainResource("main", kMain[(i / 3) % kMain.size()]);
      break;
    case 1:
      *req.add_resources() = RuleResource("steer", 10 + static_cast<uint32_t>(i % 7),
                                          absl::StrCat(lo, "-", lo + 15), i % 2 ? "alt" : "main");
      break;
    default:
      *req.add_resources() = ChainResource("alt", kAlt[(i / 3) % kAlt.size()]);
      *req.add_resources() = RuleResource(absl::StrCat("extra-", i % 5), 5,
                                          absl::StrCat(lo + 100, "-", lo + 200), "alt");
      break;
  }
  return req;
}

TEST(LosslessUpdateTest, EveryPacketIsAccountedForWhileConfigAndReplicasChange) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
  auto stack_or = Stack::Start();
  ASSERT_TRUE(stack_or.ok()) << stack_or.status();
  Stack& stack = **stack_or;
  ASSERT_TRUE(stack.Apply(kBase).ok());
  std::vector<Process*> a;
  for (int i = 0; i < 2; ++i) {
    auto nf = stack.StartNf("onvm-test-nf", "a");
    ASSERT_TRUE(nf.ok()) << nf.status();
    a.push_back(*nf);
  }
  auto b = stack.StartNf("onvm-test-nf", "b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto in = stack.OpenPeer("in");
  ASSERT_TRUE(in.ok()) << in.status();
  auto out = stack.OpenPeer("out");
  ASSERT_TRUE(out.ok()) << out.status();

  TrafficStream traffic(in->get(), out->get(), {.flows = 64, .frames_per_ms = 8});

  // Config changes on their own thread, paced at 100 a second.
  std::atomic<int> applied{0};
  std::atomic<bool> failed{false};
  std::string failure;
  const auto start = std::chrono::steady_clock::now();
  std::thread changer([&] {
    auto manifests = onvm::v1::Manifests::NewStub(stack.channel());
    auto tick = std::chrono::steady_clock::now();
    for (int i = 0; i < kChanges; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
      onvm::v1::ApplyResponse resp;
      const grpc::Status s = manifests->Apply(&ctx, Change(i), &resp);
      if (!s.ok()) {
        failure = absl::StrCat("change ", i, ": ", s.error_message());
        failed = true;
        return;
      }
      applied.fetch_add(1);
      tick += kChangeEvery;
      std::this_thread::sleep_until(tick);
    }
  });

  // Meanwhile the replica sets change: a third replica of `a` comes and
  // goes, a second one of `b` comes, and an original `a` stops. Stops are
  // clean (SIGTERM): the NF drains before it lets go.
  auto at_change = [&](int n) {
    while (applied.load() < n && !failed.load()) std::this_thread::sleep_for(milliseconds(5));
  };
  at_change(150);
  // Slow enough to always have packets on its rings when it is told to
  // stop (5 ms a burst: it still keeps up with its share of the flows).
  auto a3 = stack.StartNf("onvm-test-nf", "a", {"--delay-us", "5000"});
  EXPECT_TRUE(a3.ok()) << a3.status();
  at_change(400);
  if (a3.ok()) {
    EXPECT_TRUE((*a3)->Stop(seconds(10)).ok()) << (*a3)->Describe();
  }
  at_change(550);
  auto b2 = stack.StartNf("onvm-test-nf", "b");
  EXPECT_TRUE(b2.ok()) << b2.status();
  at_change(750);
  EXPECT_TRUE(a[0]->Stop(seconds(10)).ok()) << a[0]->Describe();
  changer.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(failed.load()) << failure << "\n" << stack.Logs();
  ASSERT_EQ(applied.load(), kChanges);
  std::printf("applied %d changes in %.1f s (%.0f/s); %lu packets sent\n", kChanges, secs,
              kChanges / secs, static_cast<unsigned long>(traffic.sent()));
  traffic.Stop(seconds(1));

  const double sent = static_cast<double>(traffic.sent());
  ASSERT_GT(sent, 10'000);
  // The engine read every frame sent (nothing was lost before it).
  ASSERT_TRUE(stack.WaitMetric("onvm_port_rx_packets_total", {{"port", "in"}}, sent))
      << stack.Metric("onvm_port_rx_packets_total", {{"port", "in"}}).value_or(-1) << " of "
      << sent;
  // No drop that a change could cause, or any other.
  for (const char* reason : {"rule", "chain_end", "no_instance", "loop", "bad_action", "nf_gone"}) {
    EXPECT_EQ(stack.Metric("onvm_engine_dropped_packets_total", {{"reason", reason}}).value_or(-1),
              0)
        << reason;
  }
  EXPECT_EQ(
      stack.Metric("onvm_port_dropped_packets_total", {{"port", "in"}, {"reason", "no_match"}})
          .value_or(-1),
      0);
  // Every packet came out, once.
  EXPECT_EQ(static_cast<double>(traffic.received()), sent) << stack.Logs();
  EXPECT_EQ(traffic.foreign(), 0u);
  EXPECT_EQ(stack.Metric("onvm_port_tx_packets_total", {{"port", "out"}}).value_or(-1), sent);
  EXPECT_TRUE(stack.engine().Running());
}

}  // namespace
}  // namespace onvm::testing
