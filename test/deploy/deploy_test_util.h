// Helpers shared by the deployment integration tests: the repository's
// deploy/ files, a chain through one forward NF, and traffic through it.
#ifndef ONVM_TEST_DEPLOY_DEPLOY_TEST_UTIL_H_
#define ONVM_TEST_DEPLOY_DEPLOY_TEST_UTIL_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "stack.h"

namespace onvm::testing {

// Path of `relative` in the source tree (ONVM_SOURCE_DIR from CMake).
std::string SourcePath(std::string_view relative);

// Service "fwd", chain "through" (fwd, then out of port "out"), rule
// "from-in" sending everything that arrives on port "in" into the chain:
// the same shape as deploy/examples/demo-chain.yaml, on the Stack's ports.
extern const char kForwardChain[];

// Applies kForwardChain, starts one onvm-nf-forward for "fwd", sends
// `count` generated frames into port "in" and receives them on "out".
// Returns how many arrived.
absl::StatusOr<size_t> ForwardTraffic(Stack& stack, size_t count);

// Parses a JSON document (google.protobuf.Struct).
absl::StatusOr<google::protobuf::Struct> ParseJson(const std::string& json);

// Percent-encodes a URL query parameter value.
std::string UrlEncode(std::string_view value);

}  // namespace onvm::testing

#endif  // ONVM_TEST_DEPLOY_DEPLOY_TEST_UTIL_H_
