// What the traffic-carrying integration tests share: a fixture with a whole
// Stack and raw sockets on the test side of its `in` and `out` ports, the
// engine's counters by name, a timed poll and a liveness check by pid.
#ifndef ONVM_TEST_INTEGRATION_STACK_TEST_H_
#define ONVM_TEST_INTEGRATION_STACK_TEST_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "stack.h"

namespace onvm::testing {

// The engine's mbuf pool on the main socket (engine/mempools.cc).
inline constexpr char kMainPool[] = "onvm_pktmbuf_pool";

// Running: exists and is not a zombie (an adopted replica's parent is
// init, which may reap it late).
inline bool Alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

// Polls `cond` every 10 ms for up to `limit`; returns the time it took, or
// nullopt if it never held.
template <typename Cond>
std::optional<std::chrono::milliseconds> TimeUntil(Cond cond, std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (;;) {
    if (cond()) return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (Clock::now() - start >= limit) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (hugepages, network namespaces)";
    auto stack = Stack::Start();
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    auto in = stack_->OpenPeer("in");
    ASSERT_TRUE(in.ok()) << in.status();
    in_ = *std::move(in);
    auto out = stack_->OpenPeer("out");
    ASSERT_TRUE(out.ok()) << out.status();
    out_ = *std::move(out);
  }

  std::optional<double> MbufsInUse() const {
    return stack_->Metric("onvm_mempool_mbufs_in_use", {{"mempool", kMainPool}, {"socket", "0"}});
  }
  // A counter's current value; 0 when absent.
  double Counter(const std::string& name, const Labels& labels) const {
    return stack_->Metric(name, labels).value_or(0);
  }

  std::unique_ptr<Stack> stack_;
  std::unique_ptr<RawSocket> in_;
  std::unique_ptr<RawSocket> out_;
};

}  // namespace onvm::testing

#endif  // ONVM_TEST_INTEGRATION_STACK_TEST_H_
