// Prometheus metrics built from the engine's stats segment at scrape time.
// Families are rebuilt on every scrape, so a port, instance, chain, rule,
// lcore or mempool that is gone has no series left behind.
#ifndef ONVM_AGENT_METRICS_COLLECTOR_H_
#define ONVM_AGENT_METRICS_COLLECTOR_H_

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "agent/stats_source.h"
#include "agent/supervisor.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace onvm::agent {

// What the agent itself knows, next to the engine's stats segment. Every
// part is optional: without it its series are not exported.
struct MetricsAgentSources {
  // onvm_replica_restarts_total, onvm_replica_running. Must outlive the
  // collector.
  const Supervisor* supervisor = nullptr;
  // onvm_config_generation: the desired state's generation.
  std::function<uint64_t()> desired_generation;
  // onvm_config_applied_generation: what the engine reports it runs;
  // nullopt while the agent has no engine.
  std::function<std::optional<uint64_t>()> applied_generation;
};

class MetricsCollector : public prometheus::Collectable {
 public:
  // `stats` must outlive the collector.
  explicit MetricsCollector(StatsSource* stats) : stats_(stats) {}
  MetricsCollector(StatsSource* stats, MetricsAgentSources agent)
      : stats_(stats), agent_(std::move(agent)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  StatsSource* const stats_;
  const MetricsAgentSources agent_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_METRICS_COLLECTOR_H_
