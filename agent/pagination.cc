#include "agent/pagination.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace onvm::agent {
namespace {

// Version of the token's layout: "onvm-page-1|<method>|<last name>", in
// web-safe base64 so that clients treat it as opaque.
constexpr absl::string_view kTokenPrefix = "onvm-page-1|";
// Instance names are "<service>-<id>": a little over a DNS label.
constexpr size_t kMaxNameLength = 128;

bool NameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "page_token: ", why, "; pass the next_page_token of the previous response unchanged"));
}

}  // namespace

absl::StatusOr<PageQuery> ParsePageRequest(absl::string_view method, int32_t page_size,
                                           absl::string_view page_token) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", page_size,
                                                   " is negative (0 asks for the default of ",
                                                   kDefaultPageSize, ")"));
  }
  PageQuery query;
  if (page_size > 0) query.size = static_cast<size_t>(std::min(page_size, kMaxPageSize));
  if (page_token.empty()) return query;
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(page_token, &decoded) ||
      !absl::StartsWith(decoded, kTokenPrefix)) {
    return BadToken("not a page token of this server");
  }
  absl::string_view rest = absl::string_view(decoded).substr(kTokenPrefix.size());
  const size_t bar = rest.find('|');
  if (bar == absl::string_view::npos) return BadToken("not a page token of this server");
  if (rest.substr(0, bar) != method) {
    return BadToken(absl::StrCat("issued for another call, not ", method));
  }
  absl::string_view name = rest.substr(bar + 1);
  if (name.empty() || name.size() > kMaxNameLength ||
      !std::all_of(name.begin(), name.end(), NameChar)) {
    return BadToken("not a page token of this server");
  }
  query.after = std::string(name);
  return query;
}

std::string NextPageToken(absl::string_view method, absl::string_view last_name) {
  return absl::WebSafeBase64Escape(absl::StrCat(kTokenPrefix, method, "|", last_name));
}

}  // namespace onvm::agent
