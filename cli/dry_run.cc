#include "cli/dry_run.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace onvm::cli {

absl::StatusOr<DryRun> ParseDryRun(const std::optional<std::string>& flag) {
  if (!flag.has_value() || *flag == "none") return DryRun::kNone;
  if (*flag == "server") return DryRun::kServer;
  if (*flag == "client") {
    return absl::InvalidArgumentError(
        "--dry-run=client is not supported: use --dry-run=server (the agent checks the request "
        "and changes nothing)");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value \"", *flag, "\" for --dry-run (want server or none)"));
}

absl::string_view DryRunSuffix(DryRun dry_run) {
  return dry_run == DryRun::kServer ? " (server dry run)" : "";
}

}  // namespace onvm::cli
