// Flag parsing shared by the example NFs: they all take "--flag VALUE" or
// "--flag=VALUE", in any order, some of them repeatable.
#ifndef ONVM_SDK_EXAMPLES_COMMON_FLAGS_H_
#define ONVM_SDK_EXAMPLES_COMMON_FLAGS_H_

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::examples {

struct Flag {
  std::string name;  // with the leading "--"
  std::string value;
};

// Splits `args` into flags, in order. Every flag takes a value. An argument
// that is not one of `known` (names with "--"), or a flag without a value, is
// an InvalidArgument error naming it.
absl::StatusOr<std::vector<Flag>> SplitFlags(std::span<const std::string> args,
                                             std::initializer_list<absl::string_view> known);

// Decimal digits only, at most `max`. Error: "<flag>: '<value>' is not a
// number 0..max" (or min..max).
absl::StatusOr<uint64_t> ParseFlagNumber(const Flag& flag, uint64_t min, uint64_t max);

// A dotted-quad IPv4 address, in network byte order as 4 bytes.
absl::StatusOr<uint32_t> ParseIpv4(absl::string_view field, absl::string_view text);

}  // namespace onvm::examples

#endif  // ONVM_SDK_EXAMPLES_COMMON_FLAGS_H_
