// Builders and helpers shared by the agent unit tests.
#ifndef ONVM_TEST_AGENT_TEST_UTIL_H_
#define ONVM_TEST_AGENT_TEST_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

#include "onvm/v1/chain.pb.h"
#include "onvm/v1/rule.pb.h"
#include "onvm/v1/service.pb.h"

namespace onvm::agent::testing {

// Polls `done` every 20 ms until it holds (true) or `timeout` has passed
// (false).
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// An engine name that no other test of this process has used.
inline std::string UniqueEngine() {
  static std::atomic<int> n{0};
  return absl::StrCat("agenttest-", getpid(), "-", ++n);
}

inline onvm::v1::Service MakeService(const std::string& name, uint32_t replicas = 1) {
  onvm::v1::Service s;
  s.mutable_metadata()->set_name(name);
  s.mutable_spec()->set_replicas(replicas);
  return s;
}

inline onvm::v1::Chain MakeChain(const std::string& name,
                                 std::initializer_list<std::string> services,
                                 const std::string& out = "") {
  onvm::v1::Chain c;
  c.mutable_metadata()->set_name(name);
  for (const std::string& s : services) c.mutable_spec()->add_services(s);
  if (out.empty()) {
    c.mutable_spec()->mutable_then()->set_drop(true);
  } else {
    c.mutable_spec()->mutable_then()->set_out(out);
  }
  return c;
}

inline onvm::v1::Rule MakeRule(const std::string& name, const std::string& chain,
                               uint32_t priority = 100) {
  onvm::v1::Rule r;
  r.mutable_metadata()->set_name(name);
  r.mutable_spec()->set_priority(priority);
  r.mutable_spec()->mutable_match()->set_ip_proto("tcp");
  r.mutable_spec()->mutable_match()->set_dst_ports("80-443");
  r.mutable_spec()->mutable_action()->set_chain(chain);
  return r;
}

// A fresh directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "onvm-agent-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace onvm::agent::testing

#endif  // ONVM_TEST_AGENT_TEST_UTIL_H_
