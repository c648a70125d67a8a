// The SDK tutorial (sdk/tutorial, shown in sdk/README.md) as a user meets
// it: install the SDK from this build into a fresh prefix, build the
// tutorial's NF against the installed SDK twice (CMake find_package(onvm)
// and pkg-config onvm-nf), then run each build through a real engine with
// traffic: packets with a TTL of 64 come out, packets with a TTL of 1 are
// dropped and counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "stack_test.h"

namespace onvm::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kChain[] = R"(
apiVersion: onvm/v1
kind: Service
metadata: {name: ttl}
spec: {replicas: 1}
---
apiVersion: onvm/v1
kind: Chain
metadata: {name: filtered}
spec:
  services: [ttl]
  then: {out: out}
---
apiVersion: onvm/v1
kind: Rule
metadata: {name: from-in}
spec:
  priority: 100
  match: {inPort: in}
  action: {chain: filtered}
)";

class SdkTutorialTest : public StackTest {
 protected:
  // Runs `script` with sh -c; fails the test with its output otherwise.
  void Sh(const std::string& script, std::chrono::seconds timeout = seconds(120)) {
    CommandResult r = RunCommand({"sh", "-c", script}, timeout);
    ASSERT_TRUE(r.ok()) << script << "\n" << r.status.ToString() << "\n" << r.output;
  }

  // Starts `binary` for service "ttl" and waits until the engine runs it.
  Process* StartTutorialNf(const std::string& binary, int n) {
    auto p = Process::Start(binary,
                            {"--engine", stack_->engine_name(), "--service", "ttl",
                             "--idle-sleep-us", "20", "--min-ttl", "2"},
                            stack_->tmp().File(absl::StrCat("ttl-", n, ".log")));
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    nfs_.push_back(*std::move(p));
    Process* nf = nfs_.back().get();
    const bool running = WaitFor(
        [&] {
          if (!nf->Running()) return true;
          auto list = stack_->ListInstances();
          if (!list.ok()) return false;
          for (const auto& inst : list->items()) {
            if (inst.status().pid() == nf->pid() &&
                inst.status().state() == onvm::v1::InstanceStatus::RUNNING) {
              return true;
            }
          }
          return false;
        },
        seconds(30), milliseconds(50));
    EXPECT_TRUE(running && nf->Running()) << nf->Describe();
    return running && nf->Running() ? nf : nullptr;
  }

  // 40 frames, every 4th with TTL 1: the 30 others must come out of `out`
  // and the NF must count 10 drops. Then SIGTERM: exit 0 and its summary.
  void RunTraffic(Process* nf, uint32_t first_seq) {
    std::set<uint32_t> expected;
    for (uint32_t i = 0; i < 40; ++i) {
      const bool low = i % 4 == 0;
      PacketBuilder b;
      b.Ipv4("198.18.0.1", "198.19.0.1").Udp(1024, 5000).Sequence(first_seq + i).Ttl(low ? 1 : 64);
      ASSERT_TRUE(in_->Send(b.Build()).ok());
      if (!low) expected.insert(first_seq + i);
    }
    std::set<uint32_t> got;
    while (got.size() < expected.size()) {
      std::optional<Frame> f = out_->ReceiveOne(seconds(5));
      if (!f.has_value()) break;
      if (std::optional<uint32_t> seq = SequenceOf(*f); seq.has_value()) got.insert(*seq);
    }
    EXPECT_EQ(got, expected) << stack_->Logs() << nf->Log();
    const std::string instance = [&] {
      auto list = stack_->ListInstances();
      if (list.ok()) {
        for (const auto& inst : list->items()) {
          if (inst.status().pid() == nf->pid()) return absl::StrCat(inst.status().instance_id());
        }
      }
      return std::string("?");
    }();
    EXPECT_TRUE(stack_->WaitMetric(
        "onvm_nf_custom_total",
        {{"service", "ttl"}, {"instance", instance}, {"name", "low_ttl_packets"}}, 10))
        << instance;
    ASSERT_TRUE(nf->Signal(SIGTERM));
    std::optional<ExitStatus> st = nf->WaitExit(seconds(10));
    ASSERT_TRUE(st.has_value()) << nf->Describe();
    EXPECT_TRUE(st->ok()) << st->ToString() << nf->Log();
    EXPECT_THAT(nf->Log(), ::testing::HasSubstr("saw 40 packets, dropped 10 with a TTL below 2"));
  }

  std::vector<std::unique_ptr<Process>> nfs_;
};

TEST_F(SdkTutorialTest, BuildsAgainstTheInstalledSdkAndRuns) {
  const std::string tmp = stack_->tmp().File("tutorial");
  const std::string prefix = tmp + "/prefix";
  const std::string src = std::string(ONVM_SOURCE_ROOT) + "/sdk/tutorial";
  // 1. Install the SDK (only its component: headers, libraries, CMake
  // package, pkg-config file).
  Sh(absl::StrCat("cmake --install '", ONVM_BUILD_ROOT, "' --component sdk --prefix '", prefix,
                  "' >/dev/null"));
  // 2. Build the tutorial with CMake and find_package(onvm), out of tree.
  // (A sanitizer build's libraries need its flags: ONVM_TUTORIAL_FLAGS.)
  const std::string flags = ONVM_TUTORIAL_FLAGS;
  Sh(absl::StrCat("cmake -S '", src, "' -B '", tmp, "/cmake' -G Ninja -DCMAKE_BUILD_TYPE=Release",
                  " -DCMAKE_PREFIX_PATH='", prefix, "' -DCMAKE_CXX_FLAGS='", flags,
                  "' -DCMAKE_EXE_LINKER_FLAGS='", flags, "' >/dev/null && cmake --build '", tmp,
                  "/cmake'"));
  // 3. Build it again with nothing but pkg-config, as the README shows.
  Sh(absl::StrCat("cd '", src, "' && PKG_CONFIG_PATH='", prefix,
                  "/lib/pkgconfig' && export PKG_CONFIG_PATH && "
                  "g++ -std=c++20 -O2 ",
                  flags, " ttl_filter.cc $(pkg-config --cflags --libs onvm-nf) -o '", tmp,
                  "/onvm-nf-ttl_filter'"));

  ASSERT_TRUE(stack_->Apply(kChain).ok()) << stack_->Logs();
  // 4. Each build through the engine, one after the other.
  Process* nf = StartTutorialNf(tmp + "/cmake/onvm-nf-ttl_filter", 1);
  ASSERT_NE(nf, nullptr);
  RunTraffic(nf, 1000);
  nf = StartTutorialNf(tmp + "/onvm-nf-ttl_filter", 2);
  ASSERT_NE(nf, nullptr);
  RunTraffic(nf, 2000);
}

}  // namespace
}  // namespace onvm::testing
