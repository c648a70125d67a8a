// Durable storage of the desired state in <state-dir>/state.json.
#ifndef ONVM_AGENT_STATE_FILE_H_
#define ONVM_AGENT_STATE_FILE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/state.pb.h"

namespace onvm::agent {

class StateFile {
 public:
  // Creates `dir` if needed and locks it, so that two agents never write
  // the same state. The lock is held until the StateFile is destroyed.
  static absl::StatusOr<std::unique_ptr<StateFile>> Open(const std::string& dir);
  ~StateFile();

  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  // nullopt when no state has been saved yet. A file that does not parse is
  // an error that names it: the agent must not start over silently.
  absl::StatusOr<std::optional<AgentState>> Load() const;
  // Replaces the file atomically: a crash at any point leaves either the old
  // or the new state on disk, never a mix.
  absl::Status Save(const AgentState& state) const;

  const std::string& path() const { return path_; }

 private:
  StateFile(std::string dir, int lock_fd);

  const std::string dir_;
  const std::string path_;
  const int lock_fd_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_STATE_FILE_H_
