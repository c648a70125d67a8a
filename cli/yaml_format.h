// `-o yaml`: the same structure as `-o json`, in YAML.
#ifndef ONVM_CLI_YAML_FORMAT_H_
#define ONVM_CLI_YAML_FORMAT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace onvm::cli {

// Same shape and field selection as FormatJson (lowerCamelCase names,
// default values left out), written from the messages directly rather than
// from their JSON: JSON carries 64-bit counters as strings, which would
// come out quoted here, and some strings ("10", "true", a MAC address) must
// be quoted for YAML readers to keep them strings.
std::string FormatYaml(const std::vector<const google::protobuf::Message*>& items, bool as_list);

// Whether a plain YAML scalar with this text would be read back as
// something other than a string (a number, a boolean, null) by a YAML 1.1
// or 1.2 reader.
bool YamlNeedsQuotes(absl::string_view text);

}  // namespace onvm::cli

#endif  // ONVM_CLI_YAML_FORMAT_H_
