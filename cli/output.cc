#include "cli/output.h"

#include "absl/status/status.h"

namespace onvm::cli {

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text.empty()) return OutputFormat::kTable;
  if (text == "wide") return OutputFormat::kWide;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  if (text == "name") return OutputFormat::kName;
  return absl::InvalidArgumentError(
      absl::StrCat("unable to match a printer suitable for the output format \"", std::string(text),
                   "\", allowed formats are: json,name,wide,yaml"));
}

}  // namespace onvm::cli
