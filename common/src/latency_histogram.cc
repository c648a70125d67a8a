#include "onvm/latency_histogram.h"

#include <cmath>

namespace onvm {

std::optional<double> HistogramQuantile(double q, std::span<const double> upper_bounds,
                                        std::span<const uint64_t> counts) {
  if (std::isnan(q) || q < 0 || q > 1) return std::nullopt;
  if (upper_bounds.empty() || counts.size() != upper_bounds.size() + 1) return std::nullopt;
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i])) return std::nullopt;
    if (i > 0 && upper_bounds[i] <= upper_bounds[i - 1]) return std::nullopt;
  }
  // Cumulative counts, as Prometheus' le buckets hold them. Summed in
  // integers so that no observation is lost to rounding before the end.
  std::vector<uint64_t> cumulative(counts.size());
  uint64_t total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    total += counts[i];
    cumulative[i] = total;
  }
  if (total == 0) return std::nullopt;

  double rank = q * static_cast<double>(total);
  // The first finite bucket whose cumulative count reaches the rank; the
  // `> 0` only matters for q = 0 (rank 0), where it skips empty leading
  // buckets instead of dividing 0 by 0 as Prometheus does.
  const size_t finite = upper_bounds.size();
  size_t b = 0;
  while (b < finite && !(static_cast<double>(cumulative[b]) >= rank && cumulative[b] > 0)) ++b;
  if (b == finite) return upper_bounds[finite - 1];
  if (b == 0 && upper_bounds[0] <= 0) return upper_bounds[0];

  double start = 0;
  const double end = upper_bounds[b];
  // Not zero: an empty bucket never reaches a rank its predecessor missed.
  const double count = static_cast<double>(counts[b]);
  if (b > 0) {
    start = upper_bounds[b - 1];
    rank -= static_cast<double>(cumulative[b - 1]);
  }
  return start + (end - start) * (rank / count);
}

std::optional<std::vector<uint64_t>> BucketDelta(std::span<const uint64_t> before,
                                                 std::span<const uint64_t> after) {
  if (before.size() != after.size()) return std::nullopt;
  std::vector<uint64_t> delta(after.size());
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i] < before[i]) return std::nullopt;
    delta[i] = after[i] - before[i];
  }
  return delta;
}

}  // namespace onvm
