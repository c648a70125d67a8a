// `--dry-run` of apply and delete, in kubectl's words.
#ifndef ONVM_CLI_DRY_RUN_H_
#define ONVM_CLI_DRY_RUN_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::cli {

enum class DryRun {
  kNone,
  // The agent validates the request as for real (validate_only) and
  // answers what would happen; nothing changes.
  kServer,
};

// "none" or absent: kNone; "server": kServer. "client" is refused: onvmctl
// has no offline model of the agent's checks, and a client dry run that
// passes requests the agent would refuse would mislead.
absl::StatusOr<DryRun> ParseDryRun(const std::optional<std::string>& flag);

// What follows each line of output: " (server dry run)" or "".
absl::string_view DryRunSuffix(DryRun dry_run);

}  // namespace onvm::cli

#endif  // ONVM_CLI_DRY_RUN_H_
