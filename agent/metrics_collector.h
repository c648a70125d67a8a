// Prometheus metrics built from the engine's stats segment at scrape time.
// Families are rebuilt on every scrape, so a port, instance, chain, rule,
// lcore or mempool that is gone has no series left behind.
#ifndef ONVM_AGENT_METRICS_COLLECTOR_H_
#define ONVM_AGENT_METRICS_COLLECTOR_H_

#include <vector>

#include "agent/stats_source.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace onvm::agent {

class MetricsCollector : public prometheus::Collectable {
 public:
  // `stats` must outlive the collector.
  explicit MetricsCollector(StatsSource* stats) : stats_(stats) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  StatsSource* const stats_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_METRICS_COLLECTOR_H_
