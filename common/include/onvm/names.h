// Names and paths shared by every onvm process.
#ifndef ONVM_NAMES_H_
#define ONVM_NAMES_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace onvm {

// Checks that `value` is an RFC 1123 DNS label (what Kubernetes calls a
// DNS label name). `field` is the field path quoted in the error.
absl::Status ValidateName(absl::string_view field, absl::string_view value);

// Checks that `value` can name an NF's own counter: [a-z_][a-z0-9_]*,
// shorter than ONVM_STATS_CUSTOM_NAME_LEN (it becomes a Prometheus label
// value and lives in a fixed-size stats field).
absl::Status ValidateCounterName(absl::string_view field, absl::string_view value);

// Where an engine named `name` keeps its per-instance objects. The run
// directory is /run/onvm unless ONVM_RUN_DIR says otherwise.
struct EnginePaths {
  std::string run_dir;         // /run/onvm
  std::string control_socket;  // /run/onvm/NAME.sock
  std::string stats_shm;       // /onvm-NAME.stats (shm_open name)
  std::string stats_path;      // /dev/shm/onvm-NAME.stats
  std::string file_prefix;     // onvm-NAME (DPDK --file-prefix)
};

EnginePaths PathsForEngine(absl::string_view name);

}  // namespace onvm

#endif  // ONVM_NAMES_H_
