// `-o json`: resources in the proto3 JSON mapping, indented for people.
#ifndef ONVM_CLI_JSON_FORMAT_H_
#define ONVM_CLI_JSON_FORMAT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace onvm::cli {

// Re-indents well-formed compact JSON with four spaces per level (kubectl's
// layout); empty objects and arrays stay on one line. Ends with a newline.
std::string PrettyJson(absl::string_view compact);

// One object when `as_list` is false (and there is exactly one item),
// otherwise `{"apiVersion": "onvm/v1", "kind": "List", "items": [...]}`.
// Field names are lowerCamelCase; fields at their default value are left
// out, and 64-bit counters are strings, as the proto3 JSON mapping says.
absl::StatusOr<std::string> FormatJson(const std::vector<const google::protobuf::Message*>& items,
                                       bool as_list);

}  // namespace onvm::cli

#endif  // ONVM_CLI_JSON_FORMAT_H_
