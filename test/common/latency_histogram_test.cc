#include "onvm/latency_histogram.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onvm {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Optional;

std::optional<double> Quantile(double q, const std::vector<double>& bounds,
                               const std::vector<uint64_t>& counts) {
  return HistogramQuantile(q, bounds, counts);
}

// Prometheus' own test data (promql/testdata/histograms.test, the
// "positive" series): cumulative buckets le=0.1: 5, le=0.2: 7, le=1: 11,
// le=+Inf: 12, i.e. 5, 2, 4 and 1 per bucket.
TEST(HistogramQuantileTest, MatchesPrometheusTestData) {
  const std::vector<double> bounds = {0.1, 0.2, 1};
  const std::vector<uint64_t> counts = {5, 2, 4, 1};
  EXPECT_THAT(Quantile(0.3, bounds, counts), Optional(DoubleNear(0.072, 1e-12)));
  EXPECT_THAT(Quantile(0.5, bounds, counts), Optional(DoubleNear(0.15, 1e-12)));
  EXPECT_THAT(Quantile(0.8, bounds, counts), Optional(DoubleNear(0.72, 1e-12)));
  // Rank 11.88 is past the last finite bucket (11): the last finite bound.
  EXPECT_THAT(Quantile(0.99, bounds, counts), Optional(1.0));
  EXPECT_THAT(Quantile(1, bounds, counts), Optional(1.0));
}

TEST(HistogramQuantileTest, InterpolatesLinearlyInsideTheBucket) {
  const std::vector<double> bounds = {1, 2, 5};
  const std::vector<uint64_t> counts = {10, 10, 0, 0};
  EXPECT_THAT(Quantile(0.25, bounds, counts), Optional(0.5));  // half of (0, 1]
  EXPECT_THAT(Quantile(0.5, bounds, counts), Optional(1.0));   // the end of the first bucket
  EXPECT_THAT(Quantile(0.75, bounds, counts), Optional(1.5));  // half of (1, 2]
  EXPECT_THAT(Quantile(1, bounds, counts), Optional(2.0));     // not 5: that bucket is empty
}

TEST(HistogramQuantileTest, EmptyBucketsBetweenAreSkipped) {
  const std::vector<double> bounds = {1, 2, 5, 10};
  const std::vector<uint64_t> counts = {4, 0, 0, 4, 0};
  // Rank 4 is reached at the end of the first bucket already.
  EXPECT_THAT(Quantile(0.5, bounds, counts), Optional(1.0));
  // Rank 6: half way into (5, 10].
  EXPECT_THAT(Quantile(0.75, bounds, counts), Optional(7.5));
}

TEST(HistogramQuantileTest, InfBucketGivesTheLastFiniteBound) {
  const std::vector<double> bounds = {1, 2};
  EXPECT_THAT(Quantile(0.5, bounds, {1, 0, 9}), Optional(2.0));
  EXPECT_THAT(Quantile(0.01, bounds, {0, 0, 9}), Optional(2.0));
  // Only the quantiles that land there.
  EXPECT_THAT(Quantile(0.05, bounds, {1, 0, 9}), Optional(0.5));
}

TEST(HistogramQuantileTest, QuantileZeroIsTheLowerEdgeOfTheFirstObservation) {
  EXPECT_THAT(Quantile(0, {1, 2, 5}, {0, 3, 1, 0}), Optional(1.0));
  EXPECT_THAT(Quantile(0, {1, 2, 5}, {3, 0, 0, 0}), Optional(0.0));
}

TEST(HistogramQuantileTest, NonPositiveFirstBound) {
  // As Prometheus: a quantile in the first bucket is its bound when that is
  // <= 0 (no lower edge to interpolate from).
  EXPECT_THAT(Quantile(0.25, {0, 1}, {2, 2, 0}), Optional(0.0));
  EXPECT_THAT(Quantile(0.75, {-1, 1}, {2, 2, 0}), Optional(0.0));
}

// The engine's bounds (1 us .. 100 ms) in seconds, every packet between
// 10 and 20 microseconds.
TEST(HistogramQuantileTest, EngineBounds) {
  const std::vector<double> bounds = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4,
                                      2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 1e-1};
  std::vector<uint64_t> counts(bounds.size() + 1, 0);
  counts[4] = 1000;
  EXPECT_THAT(Quantile(0.5, bounds, counts), Optional(DoubleNear(15e-6, 1e-12)));
  EXPECT_THAT(Quantile(0.99, bounds, counts), Optional(DoubleNear(19.9e-6, 1e-12)));
  // Counts past 2^53 still land in the right bucket.
  counts[4] = uint64_t{1} << 60;
  counts[13] = 1;
  EXPECT_THAT(Quantile(0.5, bounds, counts), Optional(DoubleNear(15e-6, 1e-12)));
}

TEST(HistogramQuantileTest, NothingToEstimate) {
  const std::vector<double> bounds = {1, 2};
  EXPECT_EQ(Quantile(0.5, bounds, {0, 0, 0}), std::nullopt);  // no observation
  EXPECT_EQ(Quantile(-0.1, bounds, {1, 1, 1}), std::nullopt);
  EXPECT_EQ(Quantile(1.1, bounds, {1, 1, 1}), std::nullopt);
  EXPECT_EQ(Quantile(std::nan(""), bounds, {1, 1, 1}), std::nullopt);
  EXPECT_EQ(Quantile(0.5, bounds, {1, 1}), std::nullopt);        // no +Inf count
  EXPECT_EQ(Quantile(0.5, bounds, {1, 1, 1, 1}), std::nullopt);  // one too many
  EXPECT_EQ(Quantile(0.5, {}, {5}), std::nullopt);               // only +Inf
  EXPECT_EQ(Quantile(0.5, {2, 1}, {1, 1, 1}), std::nullopt);     // decreasing
  EXPECT_EQ(Quantile(0.5, {1, 1}, {1, 1, 1}), std::nullopt);     // repeated
  EXPECT_EQ(Quantile(0.5, {1, std::numeric_limits<double>::infinity()}, {1, 1, 1}), std::nullopt);
}

TEST(BucketDeltaTest, SubtractsPerBucket) {
  const std::vector<uint64_t> before = {1, 2, 3};
  const std::vector<uint64_t> after = {1, 5, 10};
  EXPECT_THAT(BucketDelta(before, after), Optional(ElementsAre(0, 3, 7)));
}

TEST(BucketDeltaTest, ResetOrMismatchGivesNothing) {
  const std::vector<uint64_t> before = {1, 2, 3};
  const std::vector<uint64_t> reset = {0, 9, 9};
  const std::vector<uint64_t> shorter = {1, 2};
  EXPECT_EQ(BucketDelta(before, reset), std::nullopt);
  EXPECT_EQ(BucketDelta(before, shorter), std::nullopt);
}

}  // namespace
}  // namespace onvm
