#include "flags.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onvm::examples {

absl::StatusOr<std::vector<Flag>> SplitFlags(std::span<const std::string> args,
                                             std::initializer_list<absl::string_view> known) {
  std::vector<Flag> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    absl::string_view name = arg;
    bool inline_value = false;
    absl::string_view value;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != arg.npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", arg, "\""));
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      value = args[++i];
    }
    flags.push_back(Flag{std::string(name), std::string(value)});
  }
  return flags;
}

absl::StatusOr<uint64_t> ParseFlagNumber(const Flag& flag, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  const bool digits = !flag.value.empty() && flag.value.size() <= 19 &&
                      std::all_of(flag.value.begin(), flag.value.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || !absl::SimpleAtoi(flag.value, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag.name, ": '", flag.value, "' is not a number ", min, "..", max));
  }
  return v;
}

absl::StatusOr<uint32_t> ParseIpv4(absl::string_view field, absl::string_view text) {
  in_addr a{};
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text, "' is not an IPv4 address such as 192.0.2.1"));
  }
  uint32_t v = 0;
  std::memcpy(&v, &a, 4);
  return v;
}

}  // namespace onvm::examples
