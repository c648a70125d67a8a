#include "agent/token_auth.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/flag_file.h"

namespace onvm::agent {
namespace {

// Only the public API is guarded; grpc.health.v1 and
// grpc.reflection.v1alpha describe the server and change nothing.
constexpr absl::string_view kApiPrefix = "/onvm.v1.";

// Method-name verbs that only read. Everything else under onvm.v1 writes.
constexpr std::array<absl::string_view, 3> kReadOnlyVerbs = {"Get", "List", "Watch"};

constexpr absl::string_view kBearer = "Bearer ";

// Characters a token may hold: visible ASCII without spaces, what an HTTP/2
// header value carries unchanged (RFC 6750's b64token is a subset).
bool IsTokenChar(char c) { return c > ' ' && c < 0x7f; }

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& flag, const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFlagFile(flag, path, FileSecrecy::kSecret);
  if (!contents.ok()) return contents.status();
  const std::string token(absl::StripAsciiWhitespace(*contents));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": holds only whitespace"));
  }
  for (char c : token) {
    if (!IsTokenChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " ", path,
                       ": the token must be one line of visible ASCII characters without spaces"));
    }
  }
  return token;
}

bool IsMutatingMethod(absl::string_view path) {
  if (!absl::StartsWith(path, kApiPrefix)) return false;
  const size_t slash = path.rfind('/');
  const absl::string_view method = path.substr(slash + 1);
  for (absl::string_view verb : kReadOnlyVerbs) {
    // "ListRules", not "Listen" or "Getaway": the verb is a whole word.
    if (absl::StartsWith(method, verb) &&
        (method.size() == verb.size() || absl::ascii_isupper(method[verb.size()]))) {
      return false;
    }
  }
  return true;
}

bool ConstantTimeEquals(absl::string_view expected, absl::string_view presented) {
  // Every byte of `expected` is compared whatever `presented` holds, and the
  // result is only read at the end; volatile keeps the compiler from
  // turning the loop into an early-exit memcmp.
  volatile unsigned char diff = expected.size() == presented.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char other = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff = diff | (static_cast<unsigned char>(expected[i]) ^ other);
  }
  return diff == 0;
}

absl::Status CheckCall(absl::string_view token, absl::string_view path,
                       const std::optional<absl::string_view>& authorization) {
  if (!authorization.has_value()) {
    if (!IsMutatingMethod(path)) return absl::OkStatus();
    return absl::UnauthenticatedError(absl::StrCat(
        path.substr(path.rfind('/') + 1),
        " changes state and this agent requires a bearer token for that: send metadata "
        "\"authorization: Bearer <token>\" (onvmctl --token-file FILE)"));
  }
  // The scheme is case-insensitive (RFC 7235).
  if (authorization->size() < kBearer.size() ||
      !absl::EqualsIgnoreCase(authorization->substr(0, kBearer.size()), kBearer)) {
    return absl::UnauthenticatedError("the authorization metadata must be \"Bearer <token>\"");
  }
  if (!ConstantTimeEquals(token,
                          absl::StripAsciiWhitespace(authorization->substr(kBearer.size())))) {
    return absl::UnauthenticatedError("the bearer token is not valid for this agent");
  }
  return absl::OkStatus();
}

}  // namespace onvm::agent
