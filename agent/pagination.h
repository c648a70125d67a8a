// Pages of List calls (AIP-158): page_size and page_token in, the items
// after the token's name, in name order, and next_page_token out. See
// proto/onvm/v1/meta.proto, "Pagination".
#ifndef ONVM_AGENT_PAGINATION_H_
#define ONVM_AGENT_PAGINATION_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onvm::agent {

inline constexpr int32_t kDefaultPageSize = 100;
inline constexpr int32_t kMaxPageSize = 1000;

struct PageQuery {
  // Return only items named after this ("" on the first page).
  std::string after;
  // At most this many.
  size_t size = kDefaultPageSize;
};

// `method` is the List call ("ListRules"): a token is good only for the
// call that issued it. INVALID_ARGUMENT naming page_size or page_token.
absl::StatusOr<PageQuery> ParsePageRequest(absl::string_view method, int32_t page_size,
                                           absl::string_view page_token);

// The token for the page after the one that ended with `last_name`.
std::string NextPageToken(absl::string_view method, absl::string_view last_name);

// For lists built whole (ports, instances): keeps the page of `items`
// (sorted by name here) that `query` asks for, and sets *next_page_token
// when more follow.
template <typename T>
void KeepPage(absl::string_view method, const PageQuery& query, std::vector<T>* items,
              std::string* next_page_token) {
  auto by_name = [](const T& a, const T& b) { return a.metadata().name() < b.metadata().name(); };
  std::sort(items->begin(), items->end(), by_name);
  auto first = items->begin();
  if (!query.after.empty()) {
    first = std::partition_point(items->begin(), items->end(), [&](const T& item) {
      return item.metadata().name() <= query.after;
    });
  }
  items->erase(items->begin(), first);
  next_page_token->clear();
  if (items->size() > query.size) {
    items->resize(query.size);
    if (!items->empty()) *next_page_token = NextPageToken(method, items->back().metadata().name());
  }
}

}  // namespace onvm::agent

#endif  // ONVM_AGENT_PAGINATION_H_
