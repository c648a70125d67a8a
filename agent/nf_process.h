// The operating-system side of the supervisor: starting an NF replica
// process, watching it through a pidfd, signalling it, reading how it ended,
// and finding the replicas an earlier agent process started.
#ifndef ONVM_AGENT_NF_PROCESS_H_
#define ONVM_AGENT_NF_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onvm::agent {

// Every replica carries ONVM_SUPERVISED=<engine>/<service>/<index>/<spec
// fingerprint> in its environment, so that a restarted agent recognises the
// processes its predecessor started (they outlive it: restarting the agent
// never touches the data path).
inline constexpr char kSupervisedEnv[] = "ONVM_SUPERVISED";

struct LaunchRequest {
  std::string command;  // absolute, or looked up in the agent's PATH
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to the agent's environment
  int core = -1;                           // CPU affinity; -1: inherit
};

// A process being watched. Owns the pidfd.
class NfProcess {
 public:
  // Starts the process: its own process group, default signal handling,
  // empty signal mask, pinned to `request.core`. NOT_FOUND if the command
  // is not an executable file.
  static absl::StatusOr<NfProcess> Launch(const LaunchRequest& request);
  // Watches `pid`, started by an earlier agent process (not our child: how
  // it ends cannot be read). NOT_FOUND if it is gone.
  static absl::StatusOr<NfProcess> Adopt(pid_t pid);

  NfProcess(NfProcess&& other) noexcept;
  NfProcess& operator=(NfProcess&& other) noexcept;
  ~NfProcess();

  pid_t pid() const { return pid_; }
  // Readable (poll) once the process has ended.
  int pidfd() const { return pidfd_; }
  // SIGTERM / SIGKILL; no-op once it ended.
  void Signal(int signo) const;
  // Whether the process has ended; if so `how` says how ("exit code 1",
  // "killed by signal 9 (Killed)"). Reaps it when it is our child.
  bool Ended(std::string* how);

 private:
  NfProcess(pid_t pid, int pidfd, bool child) : pid_(pid), pidfd_(pidfd), child_(child) {}

  pid_t pid_ = 0;
  int pidfd_ = -1;
  bool child_ = false;
};

// A replica found by FindSupervised.
struct SupervisedProcess {
  pid_t pid = 0;
  std::string service;
  uint32_t index = 0;
  std::string fingerprint;
};

// The value of kSupervisedEnv for a replica.
std::string SupervisedMarker(const std::string& engine, const std::string& service, uint32_t index,
                             const std::string& fingerprint);
// Running processes whose environment carries a marker for `engine` (read
// from /proc/PID/environ; processes the agent may not read are skipped).
std::vector<SupervisedProcess> FindSupervised(const std::string& engine);

}  // namespace onvm::agent

#endif  // ONVM_AGENT_NF_PROCESS_H_
