// Child processes for integration tests: the binaries under test, and the
// command-line tools (ip, ethtool, sysctl) the harness drives.
#ifndef ONVM_TEST_HARNESS_PROCESS_H_
#define ONVM_TEST_HARNESS_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace onvm::testing {

// How a child process ended.
struct ExitStatus {
  bool exited = false;  // true: exited with `code`; false: killed by `signal`
  int code = 0;
  int signal = 0;

  bool ok() const { return exited && code == 0; }
  // "exit code 0" or "killed by signal 9 (Killed)".
  std::string ToString() const;
  static ExitStatus FromWaitStatus(int wstatus);
};

struct ProcessOptions {
  // "KEY=VALUE" entries added to (or replacing in) the inherited environment.
  std::vector<std::string> env;
  // If set, the process runs inside this named network namespace (started
  // through `ip netns exec`, which execs, so pid() is still the process).
  std::string netns;
  // Working directory; empty: inherit.
  std::string cwd;
  // Have the kernel SIGKILL the child if the thread that started it dies
  // (a crashed or killed test leaves no orphans). Start processes from the
  // test's main thread when this is on.
  bool kill_with_parent = true;
};

// A started child process. Not copyable or movable; not thread-safe. The
// destructor stops it: SIGTERM, up to 5 s of grace, then SIGKILL, always by
// pid (the child is not reaped before that, so the pid cannot be reused).
class Process {
 public:
  // Starts `binary` (a path, or a name searched in PATH) with `args`;
  // stdout and stderr are appended to `log_path`, stdin is /dev/null.
  static absl::StatusOr<std::unique_ptr<Process>> Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        const std::string& log_path,
                                                        const ProcessOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  const std::string& log_path() const { return log_path_; }

  // Sends `sig`. False once the process has been reaped.
  bool Signal(int sig);
  // Waits until the process exits (and reaps it), at most `timeout`.
  // nullopt: still running when the timeout expired.
  std::optional<ExitStatus> WaitExit(std::chrono::milliseconds timeout);
  // True while the process has not exited (reaps it if it has).
  bool Running();
  // Set once the process has been reaped.
  const std::optional<ExitStatus>& exit_status() const { return status_; }
  // SIGTERM, wait up to `grace`, then SIGKILL; returns how it ended.
  ExitStatus Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // The whole log, or its last `lines` lines.
  std::string Log() const;
  std::string Tail(size_t lines = 40) const;
  // Polls the log until it contains `text`.
  bool WaitForLog(std::string_view text, std::chrono::milliseconds timeout) const;
  // One paragraph for failure messages: name, pid, state and Tail().
  std::string Describe(size_t lines = 40);

 private:
  Process(std::string name, pid_t pid, int pidfd, std::string log_path);
  bool Reap(bool block);

  std::string name_;
  pid_t pid_;
  int pidfd_;  // -1 if pidfd_open is unavailable (then WaitExit polls)
  std::string log_path_;
  std::optional<ExitStatus> status_;
};

struct CommandResult {
  ExitStatus status;
  bool timed_out = false;
  std::string output;  // stdout and stderr, interleaved
  bool ok() const { return !timed_out && status.ok(); }
};

// Runs argv (argv[0] searched in PATH, then the sbin directories) to
// completion with stdin at /dev/null and returns its combined output. A
// command still running at `timeout` is killed.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Resolves `name` like execvp would, also looking in the sbin directories.
// Empty if not found.
std::string FindExecutable(const std::string& name);

}  // namespace onvm::testing

#endif  // ONVM_TEST_HARNESS_PROCESS_H_
