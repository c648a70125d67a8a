#include "agent/metrics_collector.h"

#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "onvm/abi.h"
#include "onvm/stats_reader.h"

namespace onvm::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void AddCounter(MetricFamily* family, std::vector<ClientMetric::Label> labels, uint64_t value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = static_cast<double>(value);
  family->metric.push_back(std::move(metric));
}

void AddGauge(MetricFamily* family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family->metric.push_back(std::move(metric));
}

// Moves the families that got at least one series into `out`: a family
// without series would only be a HELP line for something that is absent.
void AppendNonEmpty(std::initializer_list<MetricFamily*> families, std::vector<MetricFamily>* out) {
  for (MetricFamily* f : families) {
    if (!f->metric.empty()) out->push_back(std::move(*f));
  }
}

void AddPortMetrics(const StatsReader& reader, std::vector<MetricFamily>* out) {
  MetricFamily rx_packets =
      Family("onvm_port_rx_packets_total", "Packets received on the port.", MetricType::Counter);
  MetricFamily tx_packets =
      Family("onvm_port_tx_packets_total", "Packets transmitted on the port.", MetricType::Counter);
  MetricFamily rx_bytes =
      Family("onvm_port_rx_bytes_total", "Bytes received on the port.", MetricType::Counter);
  MetricFamily tx_bytes =
      Family("onvm_port_tx_bytes_total", "Bytes transmitted on the port.", MetricType::Counter);
  MetricFamily dropped = Family(
      "onvm_port_dropped_packets_total",
      "Packets of the port dropped by the engine, by reason: rx_missed (the NIC had no room), "
      "tx_full (the transmit queue had no room), no_match (no rule matched).",
      MetricType::Counter);
  for (const PortStats& p : reader.ports()) {
    AddCounter(&rx_packets, {{"port", p.name}}, p.rx_packets);
    AddCounter(&tx_packets, {{"port", p.name}}, p.tx_packets);
    AddCounter(&rx_bytes, {{"port", p.name}}, p.rx_bytes);
    AddCounter(&tx_bytes, {{"port", p.name}}, p.tx_bytes);
    AddCounter(&dropped, {{"port", p.name}, {"reason", "rx_missed"}}, p.rx_missed);
    AddCounter(&dropped, {{"port", p.name}, {"reason", "tx_full"}}, p.tx_dropped);
    AddCounter(&dropped, {{"port", p.name}, {"reason", "no_match"}}, p.no_match_dropped);
  }
  AppendNonEmpty({&rx_packets, &tx_packets, &rx_bytes, &tx_bytes, &dropped}, out);
}

void AddInstanceMetrics(const StatsReader& reader, std::vector<MetricFamily>* out) {
  MetricFamily rx =
      Family("onvm_nf_rx_packets_total",
             "Packets the engine delivered to the NF instance's rx ring.", MetricType::Counter);
  MetricFamily tx =
      Family("onvm_nf_tx_packets_total", "Packets the engine took from the NF instance's tx ring.",
             MetricType::Counter);
  MetricFamily dropped =
      Family("onvm_nf_dropped_packets_total",
             "Packets of the NF instance dropped, by reason: ring_full (its rx ring had no room), "
             "handler (its handler returned DROP).",
             MetricType::Counter);
  MetricFamily ring =
      Family("onvm_nf_ring_packets",
             "Packets waiting in the NF instance's rings: rx (engine to NF, not yet taken by the "
             "NF), tx (NF to engine, not yet taken by the engine). Sampled by the engine's "
             "control thread.",
             MetricType::Gauge);
  MetricFamily reclaimed = Family(
      "onvm_nf_reclaimed_mbufs_total",
      "Packet buffers the NF instance still held when it exited, returned to the pool by the "
      "engine.",
      MetricType::Counter);
  MetricFamily custom = Family(
      "onvm_nf_custom_total",
      "Counters an NF declares for itself (e.g. the monitor NF's per-protocol counts), by name.",
      MetricType::Counter);
  for (const InstanceStats& in : reader.instances()) {
    const std::string id = absl::StrCat(in.instance_id);
    for (const auto& [name, value] : in.custom) {
      AddCounter(&custom, {{"service", in.service}, {"instance", id}, {"name", name}}, value);
    }
    AddCounter(&rx, {{"service", in.service}, {"instance", id}}, in.rx_packets);
    AddCounter(&tx, {{"service", in.service}, {"instance", id}}, in.tx_packets);
    AddCounter(&dropped, {{"service", in.service}, {"instance", id}, {"reason", "ring_full"}},
               in.dropped_ring_full);
    AddCounter(&dropped, {{"service", in.service}, {"instance", id}, {"reason", "handler"}},
               in.dropped_by_handler);
    AddGauge(&ring, {{"service", in.service}, {"instance", id}, {"ring", "rx"}},
             static_cast<double>(in.rx_ring_count));
    AddGauge(&ring, {{"service", in.service}, {"instance", id}, {"ring", "tx"}},
             static_cast<double>(in.tx_ring_count));
    AddCounter(&reclaimed, {{"service", in.service}, {"instance", id}}, in.reclaimed);
  }
  AppendNonEmpty({&rx, &tx, &dropped, &ring, &reclaimed, &custom}, out);
}

// The segment counts latencies per bucket; Prometheus wants cumulative
// counts with `le` bounds in seconds. The +Inf bucket is the total count,
// which the serializer writes from sample_count.
ClientMetric::Histogram LatencyHistogram(const ChainStats& chain) {
  ClientMetric::Histogram histogram;
  uint64_t cumulative = 0;
  for (size_t b = 0; b < std::size(kLatencyBoundsNs); ++b) {
    cumulative += chain.latency_buckets[b];
    ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = static_cast<double>(kLatencyBoundsNs[b]) / 1e9;
    histogram.bucket.push_back(bucket);
  }
  histogram.sample_count = cumulative + chain.latency_buckets[ONVM_STATS_LATENCY_BUCKETS - 1];
  histogram.sample_sum = static_cast<double>(chain.latency_sum_ns) / 1e9;
  return histogram;
}

void AddChainMetrics(const StatsReader& reader, std::vector<MetricFamily>* out) {
  MetricFamily packets = Family("onvm_chain_packets_total", "Packets a rule sent into the chain.",
                                MetricType::Counter);
  MetricFamily bytes =
      Family("onvm_chain_bytes_total", "Bytes of the packets a rule sent into the chain.",
             MetricType::Counter);
  MetricFamily completed = Family(
      "onvm_chain_completed_packets_total",
      "Packets that reached the end of the chain (sent out a port, or dropped by then: drop).",
      MetricType::Counter);
  MetricFamily latency =
      Family("onvm_chain_latency_seconds",
             "Time from the engine receiving a packet to the packet leaving the chain at its end.",
             MetricType::Histogram);
  for (const ChainStats& c : reader.chains()) {
    AddCounter(&packets, {{"chain", c.name}}, c.packets);
    AddCounter(&bytes, {{"chain", c.name}}, c.bytes);
    AddCounter(&completed, {{"chain", c.name}}, c.completed);
    ClientMetric metric;
    metric.label = {{"chain", c.name}};
    metric.histogram = LatencyHistogram(c);
    latency.metric.push_back(std::move(metric));
  }
  AppendNonEmpty({&packets, &bytes, &completed, &latency}, out);
}

void AddRuleMetrics(const StatsReader& reader, std::vector<MetricFamily>* out) {
  MetricFamily hits =
      Family("onvm_rule_hits_total", "Packets the rule matched.", MetricType::Counter);
  MetricFamily bytes = Family("onvm_rule_bytes_total", "Bytes of the packets the rule matched.",
                              MetricType::Counter);
  for (const RuleStats& r : reader.rules()) {
    AddCounter(&hits, {{"rule", r.name}}, r.packets);
    AddCounter(&bytes, {{"rule", r.name}}, r.bytes);
  }
  AppendNonEmpty({&hits, &bytes}, out);
}

void AddLcoreMetrics(const StatsReader& reader, uint64_t tsc_hz, std::vector<MetricFamily>* out) {
  // Cycles mean nothing without the TSC frequency; an engine that could not
  // tell it exports none rather than a wrong unit.
  if (tsc_hz == 0) return;
  MetricFamily busy = Family(
      "onvm_lcore_busy_seconds_total",
      "Time the lcore spent in loop iterations that moved packets. Busy ratio: its rate divided "
      "by the rate of onvm_lcore_seconds_total.",
      MetricType::Counter);
  MetricFamily total =
      Family("onvm_lcore_seconds_total", "Time the lcore spent in its loop (busy or polling idle).",
             MetricType::Counter);
  const auto hz = static_cast<double>(tsc_hz);
  for (const LcoreStats& l : reader.lcores()) {
    const char* role = LcoreRoleName(l.role);
    std::vector<ClientMetric::Label> labels = {{"lcore", absl::StrCat(l.lcore_id)},
                                               {"role", role != nullptr ? role : "unknown"}};
    ClientMetric busy_metric;
    busy_metric.label = labels;
    busy_metric.counter.value = static_cast<double>(l.busy_cycles) / hz;
    busy.metric.push_back(std::move(busy_metric));
    ClientMetric total_metric;
    total_metric.label = std::move(labels);
    total_metric.counter.value = static_cast<double>(l.total_cycles) / hz;
    total.metric.push_back(std::move(total_metric));
  }
  AppendNonEmpty({&busy, &total}, out);
}

void AddMempoolMetrics(const StatsReader& reader, std::vector<MetricFamily>* out) {
  MetricFamily in_use = Family(
      "onvm_mempool_mbufs_in_use",
      "Packet buffers of the pool in use (on rings, in NFs, in flight), not counting those in "
      "per-lcore caches. Sampled by the engine's control thread.",
      MetricType::Gauge);
  MetricFamily size =
      Family("onvm_mempool_mbufs", "Packet buffers the pool holds in all.", MetricType::Gauge);
  for (const MempoolStats& m : reader.mempools()) {
    const std::string socket = absl::StrCat(m.socket);
    AddGauge(&in_use, {{"mempool", m.name}, {"socket", socket}},
             static_cast<double>(m.mbufs_in_use));
    AddGauge(&size, {{"mempool", m.name}, {"socket", socket}}, static_cast<double>(m.size));
  }
  AppendNonEmpty({&in_use, &size}, out);
}

void AddEngineDrops(const StatsHeader& header, std::vector<MetricFamily>* out) {
  MetricFamily dropped = Family(
      "onvm_engine_dropped_packets_total",
      "Packets the engine dropped outside any port or NF instance, by reason: rule (a rule's "
      "action is drop), chain_end (a chain ends in drop, or was removed under the packet), "
      "no_instance (the service had no running instance), loop (hop limit), bad_action (an NF "
      "named an unknown service or port), nf_gone (left on the rings of an NF that exited).",
      MetricType::Counter);
  for (int i = 0; i < ONVM_DROP_REASON_MAX; ++i) {
    if (const char* name = DropReasonName(i))
      AddCounter(&dropped, {{"reason", name}}, header.drops[i]);
  }
  out->push_back(std::move(dropped));
}

}  // namespace

// The agent's own view of the replicas it launched: they come and go with
// the desired state, not with the engine's stats segment.
void AddReplicaMetrics(const Supervisor& supervisor, std::vector<MetricFamily>* out) {
  MetricFamily restarts = Family(
      "onvm_replica_restarts_total",
      "Times the agent's supervisor started the replica again after its process ended, since "
      "this agent process started.",
      MetricType::Counter);
  MetricFamily running =
      Family("onvm_replica_running",
             "1 while the supervised replica's process is registered with the engine and running.",
             MetricType::Gauge);
  for (const auto& [service, replicas] : supervisor.AllReplicas()) {
    for (const onvm::v1::ReplicaStatus& r : replicas) {
      std::vector<ClientMetric::Label> labels = {{"service", service},
                                                 {"replica", absl::StrCat(r.index())}};
      AddCounter(&restarts, labels, r.restarts());
      AddGauge(&running, std::move(labels),
               r.state() == onvm::v1::ReplicaStatus::RUNNING ? 1.0 : 0.0);
    }
  }
  AppendNonEmpty({&restarts, &running}, out);
}

// The build, and the desired and applied configuration generations: equal
// once the engine runs what the agent was last told.
void AddAgentMetrics(const MetricsAgentSources& agent, std::vector<MetricFamily>* out) {
  MetricFamily build =
      Family("onvm_build_info", "Always 1; the labels say which onvm agent build this is.",
             MetricType::Gauge);
  AddGauge(&build, {{"version", ONVM_VERSION}, {"abi_version", absl::StrCat(ONVM_ABI_VERSION)}}, 1);
  out->push_back(std::move(build));
  if (agent.desired_generation) {
    MetricFamily desired =
        Family("onvm_config_generation",
               "Generation of the agent's desired state (grows by one per accepted change).",
               MetricType::Gauge);
    AddGauge(&desired, {}, static_cast<double>(agent.desired_generation()));
    out->push_back(std::move(desired));
  }
  if (agent.applied_generation) {
    if (const std::optional<uint64_t> applied = agent.applied_generation(); applied.has_value()) {
      MetricFamily family = Family(
          "onvm_config_applied_generation",
          "Generation of the desired state the engine reports it runs (absent without an engine).",
          MetricType::Gauge);
      AddGauge(&family, {}, static_cast<double>(*applied));
      out->push_back(std::move(family));
    }
  }
  if (agent.supervisor != nullptr) AddReplicaMetrics(*agent.supervisor, out);
}

std::vector<MetricFamily> MetricsCollector::Collect() const {
  std::vector<MetricFamily> out;
  const std::shared_ptr<const StatsReader> reader = stats_->Get();
  const bool up = reader != nullptr && reader->EngineAlive();

  MetricFamily engine_up =
      Family("onvm_engine_up",
             "1 when the engine's stats segment is mapped, valid and its heartbeat is fresh.",
             MetricType::Gauge);
  ClientMetric metric;
  metric.gauge.value = up ? 1 : 0;
  engine_up.metric.push_back(std::move(metric));
  out.push_back(std::move(engine_up));

  // A hung engine's counters are still its last true values; Prometheus
  // sees them stop moving and onvm_engine_up says why.
  if (reader != nullptr) {
    const StatsHeader header = reader->header();
    AddEngineDrops(header, &out);
    AddPortMetrics(*reader, &out);
    AddInstanceMetrics(*reader, &out);
    AddChainMetrics(*reader, &out);
    AddRuleMetrics(*reader, &out);
    AddLcoreMetrics(*reader, header.tsc_hz, &out);
    AddMempoolMetrics(*reader, &out);
  }
  AddAgentMetrics(agent_, &out);
  return out;
}

}  // namespace onvm::agent
