// Printing resources the way `get -o FORMAT` asks for.
#ifndef ONVM_CLI_OUTPUT_H_
#define ONVM_CLI_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/json_format.h"
#include "cli/kinds.h"
#include "cli/tables.h"
#include "cli/yaml_format.h"
#include "google/protobuf/message.h"

namespace onvm::cli {

enum class OutputFormat { kTable, kWide, kJson, kYaml, kName };

// Parses the argument of `-o`; the empty string is the default table.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// Fills in apiVersion and kind when the server left them out, so that
// printed objects are always complete manifests.
template <typename T>
void FillTypeMeta(Kind kind, T& item) {
  if (item.api_version().empty()) item.set_api_version("onvm/v1");
  if (item.kind().empty()) item.set_kind(std::string(KindTitle(kind)));
}

// Renders `items` of `kind`. `as_list` says whether the user asked for a
// list (no NAME) rather than one object; json and yaml print a List then.
template <typename T>
absl::StatusOr<std::string> FormatResources(Kind kind, const std::vector<T>& items, bool as_list,
                                            OutputFormat format) {
  std::vector<const google::protobuf::Message*> messages;
  for (const T& item : items) messages.push_back(&item);
  switch (format) {
    case OutputFormat::kTable:
    case OutputFormat::kWide:
      return MakeTable(items, format == OutputFormat::kWide).Render();
    case OutputFormat::kJson:
      return FormatJson(messages, as_list);
    case OutputFormat::kYaml:
      return FormatYaml(messages, as_list);
    case OutputFormat::kName: {
      std::string out;
      for (const T& item : items) {
        absl::StrAppend(&out, KindSingular(kind), "/", item.metadata().name(), "\n");
      }
      return out;
    }
  }
  return std::string();
}

}  // namespace onvm::cli

#endif  // ONVM_CLI_OUTPUT_H_
