#include "agent/metrics_collector.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

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
  for (MetricFamily* f : {&rx_packets, &tx_packets, &rx_bytes, &tx_bytes, &dropped}) {
    if (!f->metric.empty()) out->push_back(std::move(*f));
  }
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
  for (const InstanceStats& in : reader.instances()) {
    const std::string id = absl::StrCat(in.instance_id);
    AddCounter(&rx, {{"service", in.service}, {"instance", id}}, in.rx_packets);
    AddCounter(&tx, {{"service", in.service}, {"instance", id}}, in.tx_packets);
    AddCounter(&dropped, {{"service", in.service}, {"instance", id}, {"reason", "ring_full"}},
               in.dropped_ring_full);
    AddCounter(&dropped, {{"service", in.service}, {"instance", id}, {"reason", "handler"}},
               in.dropped_by_handler);
  }
  for (MetricFamily* f : {&rx, &tx, &dropped}) {
    if (!f->metric.empty()) out->push_back(std::move(*f));
  }
}

void AddEngineDrops(const StatsReader& reader, std::vector<MetricFamily>* out) {
  MetricFamily dropped = Family(
      "onvm_engine_dropped_packets_total",
      "Packets the engine dropped outside any port or NF instance, by reason: rule (a rule's "
      "action is drop), chain_end (a chain ends in drop, or was removed under the packet), "
      "no_instance (the service had no running instance), loop (hop limit), bad_action (an NF "
      "named an unknown service or port), nf_gone (left on the rings of an NF that exited).",
      MetricType::Counter);
  const StatsHeader header = reader.header();
  for (int i = 0; i < ONVM_DROP_REASON_MAX; ++i) {
    if (const char* name = DropReasonName(i))
      AddCounter(&dropped, {{"reason", name}}, header.drops[i]);
  }
  out->push_back(std::move(dropped));
}

}  // namespace

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
    AddEngineDrops(*reader, &out);
    AddPortMetrics(*reader, &out);
    AddInstanceMetrics(*reader, &out);
  }
  return out;
}

}  // namespace onvm::agent
