// Schema-guided conversion of a YAML tree into protobuf JSON text.
#ifndef ONVM_CLI_YAML_TO_JSON_H_
#define ONVM_CLI_YAML_TO_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "yaml-cpp/yaml.h"

namespace onvm::cli {

// Converts `node` into JSON that protobuf's JSON parser will accept for a
// message of type `descriptor`.
//
// YAML does not say whether `80` is a number or a string, so the conversion
// follows the message schema: any scalar is a string where the field is a
// string, and must be an integer or a boolean where the field is one. Doing
// the checks here (instead of leaving them to the protobuf parser) lets
// every error name the field path in manifest terms, e.g.
// "spec.match.dstPort: unknown field", and catches what YAML itself lets
// through, such as duplicate keys. Field names may be lowerCamelCase (the
// JSON names) or the proto names, as protobuf's own JSON parser allows.
absl::StatusOr<std::string> YamlToJson(const YAML::Node& node,
                                       const google::protobuf::Descriptor& descriptor);

}  // namespace onvm::cli

#endif  // ONVM_CLI_YAML_TO_JSON_H_
