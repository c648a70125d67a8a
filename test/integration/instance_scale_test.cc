// Every NF instance slot in use at once: the agent's supervisor starts 255
// replicas of one service (the most one service may have) and one of
// another, all at the same moment, in shared-core mode. All 256 register,
// carry traffic through the Maglev table of the 255, show up in the metrics,
// and a 257th NF is refused with a message that says which limit it hit.
#include <signal.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/harness.h"
#include "onvm/stats_layout.h"
#include "stack.h"
#include "stack_test.h"
#include "traffic.h"

namespace onvm::testing {
namespace {

using std::chrono::seconds;

constexpr int kBigReplicas = ONVM_MAX_REPLICAS;
constexpr int kAllInstances = ONVM_STATS_MAX_INSTANCES;
static_assert(kBigReplicas + 1 == kAllInstances);

std::string Manifest() {
  const std::string launch = absl::StrCat("{command: ", BinPath("onvm-nf-forward"), "}");
  return absl::StrCat(R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: big}
spec: {replicas: )",
                      kBigReplicas, ", coreMode: SHARED, launch: ", launch, R"(}
---
apiVersion: onvm/v1
kind: Service
metadata: {name: small}
spec: {replicas: 1, coreMode: SHARED, launch: )",
                      launch, R"(}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: through}
spec: {services: [big], then: {out: out}}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec: {priority: 100, match: {inPort: in}, action: {chain: through}}
)");
}

class InstanceScaleTest : public StackTest {
 protected:
  void TearDown() override {
    if (stack_ == nullptr) return;
    // Replicas outlive the agent by design; the test started them (through
    // the agent), so it stops them, by pid: the agent first, so that none
    // is started again, then SIGTERM, which drains each one.
    stack_->agent().Stop();
    for (pid_t pid : pids_) ::kill(pid, SIGTERM);
    const bool gone = TimeUntil(
                          [&] {
                            for (pid_t pid : pids_) {
                              if (Alive(pid)) return false;
                            }
                            return true;
                          },
                          seconds(30))
                          .has_value();
    EXPECT_TRUE(gone) << "replicas still running 30 s after SIGTERM";
    for (pid_t pid : pids_) ::kill(pid, SIGKILL);
  }

  // Instances the agent lists as running; records every pid it lists.
  std::vector<onvm::v1::Instance> Running() {
    std::vector<onvm::v1::Instance> running;
    auto list = stack_->ListInstances();
    if (!list.ok()) return running;
    for (const auto& inst : list->items()) {
      if (inst.status().pid() > 0) pids_.insert(inst.status().pid());
      if (inst.status().state() == onvm::v1::InstanceStatus::RUNNING) running.push_back(inst);
    }
    return running;
  }

  // Starts one more forward NF by hand and returns its log once it exited.
  std::string RefusedNf(const std::string& service) {
    auto nf =
        Process::Start(BinPath("onvm-nf-forward"),
                       {"--engine", stack_->engine_name(), "--service", service, "--shared-core"},
                       stack_->tmp().File(absl::StrCat("refused-", service, ".log")));
    EXPECT_TRUE(nf.ok()) << nf.status();
    if (!nf.ok()) return "";
    const std::optional<ExitStatus> status = (*nf)->WaitExit(seconds(30));
    EXPECT_TRUE(status.has_value() && !status->ok()) << (*nf)->Describe();
    return (*nf)->Log();
  }

  std::set<pid_t> pids_;
};

TEST_F(InstanceScaleTest, EverySlotRunsCarriesTrafficAndTheNextNfIsRefused) {
  ASSERT_TRUE(stack_->Apply(Manifest()).ok()) << stack_->Logs();
  const auto started =
      TimeUntil([&] { return static_cast<int>(Running().size()) == kAllInstances; }, seconds(180));
  ASSERT_TRUE(started.has_value()) << Running().size() << " of " << kAllInstances << " running\n"
                                   << stack_->Logs();
  std::printf("%d replicas started at once: all running after %lld ms\n", kAllInstances,
              static_cast<long long>(started->count()));

  // Each limit refuses with its own message and changes nothing.
  EXPECT_TRUE(absl::StrContains(RefusedNf("big"),
                                absl::StrCat("already has ", kBigReplicas, " instances")));
  EXPECT_TRUE(absl::StrContains(
      RefusedNf("small"), absl::StrCat("all ", kAllInstances, " NF instance slots are in use")));
  EXPECT_EQ(static_cast<int>(Running().size()), kAllInstances);

  // Flows spread over the 255 replicas of `big`, none lost.
  TrafficStream traffic(in_.get(), out_.get(), {.flows = 1024});
  ASSERT_TRUE(TimeUntil(
                  [&] {
                    for (uint32_t f = 0; f < traffic.flows(); ++f) {
                      if (traffic.received(f) == 0) return false;
                    }
                    return true;
                  },
                  seconds(60))
                  .has_value())
      << "received " << traffic.received() << " of " << traffic.sent() << "\n"
      << stack_->Logs();
  traffic.Stop();
  EXPECT_EQ(traffic.received(), traffic.sent());
  EXPECT_EQ(traffic.foreign(), 0u);

  auto body = MetricsScrape(stack_->metrics_address());
  ASSERT_TRUE(body.ok()) << body.status();
  int series = 0;
  std::set<std::string> busy;
  int busy_above_128 = 0;  // ids beyond the engine's old 128 slots
  for (const MetricSample& s : ParseMetrics(*body)) {
    if (s.name != "onvm_nf_rx_packets_total") continue;
    ++series;
    if (s.labels.at("service") == "big" && s.value > 0) {
      busy.insert(s.labels.at("instance"));
      if (std::stoi(s.labels.at("instance")) > 128) ++busy_above_128;
    }
  }
  EXPECT_EQ(series, kAllInstances);
  // 1024 flows over 255 replicas: about 4 each, so a replica sees none with
  // probability e^-4 (about 6 of them).
  EXPECT_GE(busy.size(), 200u);
  EXPECT_GT(busy_above_128, 50);
}

}  // namespace
}  // namespace onvm::testing
