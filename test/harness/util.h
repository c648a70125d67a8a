// Small helpers for integration tests: paths of the built binaries, unique
// names, free ports, temporary directories and polling.
#ifndef ONVM_TEST_HARNESS_UTIL_H_
#define ONVM_TEST_HARNESS_UTIL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace onvm::testing {

// Path of build/bin/NAME (the directory comes from CMake; the environment
// variable ONVM_BIN_DIR overrides it).
std::string BinPath(std::string_view name);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read
// the port, close). Returns 0 if no socket could be bound.
uint16_t FreeTcpPort();

// A name unique within this machine's running tests: "<prefix>-<pid>-<n>",
// e.g. "test-12345-1". Lower-case prefixes give valid DNS labels. Keep the
// prefix short: engine names end up in socket paths and DPDK file prefixes.
// The default prefix makes the engine's DPDK file prefix "onvm-test-...",
// which is what scripts/test.sh cleans up after a crashed test.
std::string UniqueName(std::string_view prefix = "test");

// Calls `predicate` every `poll_interval` until it returns true (-> true) or
// `timeout` has passed (-> false). The predicate is called at least once and
// once more at the deadline.
bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll_interval = std::chrono::milliseconds(10));

// A fresh directory under /tmp, removed with its contents on destruction
// (kept when ONVM_TEST_KEEP_TMP=1, for post-mortems).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

// Reads a whole file; empty if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);
// Writes `contents` to `path`, replacing it. Returns false on error.
bool WriteFile(const std::string& path, std::string_view contents);

}  // namespace onvm::testing

#endif  // ONVM_TEST_HARNESS_UTIL_H_
