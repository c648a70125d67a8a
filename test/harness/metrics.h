// Scraping and reading Prometheus text exposition (the agent's /metrics).
#ifndef ONVM_TEST_HARNESS_METRICS_H_
#define ONVM_TEST_HARNESS_METRICS_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onvm::testing {

using Labels = std::map<std::string, std::string>;

// Plain HTTP/1.0 GET of `path` from `host_port` ("127.0.0.1:9470") over a
// TCP socket. Returns the body of a 200 response; other statuses are errors.
absl::StatusOr<std::string> HttpGet(const std::string& host_port, const std::string& path,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
// HttpGet(host_port, "/metrics").
absl::StatusOr<std::string> MetricsScrape(
    const std::string& host_port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

struct MetricSample {
  std::string name;
  Labels labels;
  double value = 0;
};

// Every sample line of a text exposition (comments skipped). Lines that do
// not parse are skipped too; `errors`, if given, receives a note for each.
std::vector<MetricSample> ParseMetrics(const std::string& body,
                                       std::vector<std::string>* errors = nullptr);

// The value of the sample `name` whose label set is exactly `labels`.
std::optional<double> ParseMetric(const std::string& body, const std::string& name,
                                  const Labels& labels = {});

}  // namespace onvm::testing

#endif  // ONVM_TEST_HARNESS_METRICS_H_
