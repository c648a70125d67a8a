// Quantile estimates from a bucketed latency histogram (the engine's per-chain
// histogram, as the public API and /metrics carry it), computed the way
// Prometheus' histogram_quantile() does, so that onvmctl and a dashboard over
// /metrics agree on what "p99" means.
#ifndef ONVM_LATENCY_HISTOGRAM_H_
#define ONVM_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace onvm {

// Estimates the q-quantile (0 <= q <= 1) of the observations counted in
// `counts`, one count per bucket (not cumulative): counts[i] counts values
// in (upper_bounds[i-1], upper_bounds[i]] (the first bucket starts at 0) and
// the last count, counts[upper_bounds.size()], everything above the last
// bound (+Inf).
//
// As histogram_quantile(): the bucket holding the q-th observation is found
// from the cumulative counts and the value is interpolated linearly inside
// it, assuming observations spread evenly over the bucket; a quantile that
// falls in the +Inf bucket is reported as the last finite bound (nothing
// better is known); a first bound <= 0 is returned as is when the quantile
// falls in the first bucket. One deliberate difference: q = 0 gives the
// lower edge of the first non-empty bucket where Prometheus gives NaN when
// the first bucket is empty.
//
// nullopt when nothing was observed, q is outside [0, 1] or NaN, there is no
// finite bound, the bounds do not increase strictly, or counts does not
// have exactly one more element than upper_bounds.
std::optional<double> HistogramQuantile(double q, std::span<const double> upper_bounds,
                                        std::span<const uint64_t> counts);

// The observations made between two samples of the same per-bucket
// histogram: after[i] - before[i] for every bucket. nullopt when the sizes
// differ or any bucket went down (the counters were reset in between, e.g.
// the engine restarted or the chain was re-created), since no difference
// then describes the interval.
std::optional<std::vector<uint64_t>> BucketDelta(std::span<const uint64_t> before,
                                                 std::span<const uint64_t> after);

}  // namespace onvm

#endif  // ONVM_LATENCY_HISTOGRAM_H_
