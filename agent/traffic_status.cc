#include "agent/traffic_status.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "onvm/stats_reader.h"

namespace onvm::agent {
namespace {

// Slots by name. The engine keeps one slot per chain or rule name, so a
// name finds at most one; should two ever carry it, the first wins.
template <typename Stats>
absl::flat_hash_map<std::string, const Stats*> ByName(const std::vector<Stats>& all) {
  absl::flat_hash_map<std::string, const Stats*> out;
  for (const Stats& s : all) out.emplace(s.name, &s);
  return out;
}

// The map points into the vector: it must outlive the map.
template <typename Stats>
void ByName(std::vector<Stats>&&) = delete;

void SetChain(const ChainStats* stats, onvm::v1::ChainStatus* status) {
  status->set_packets(stats == nullptr ? 0 : stats->packets);
  status->set_bytes(stats == nullptr ? 0 : stats->bytes);
  status->set_completed_packets(stats == nullptr ? 0 : stats->completed);
  status->clear_latency_bucket_bounds_seconds();
  for (uint64_t bound_ns : kLatencyBoundsNs) {
    status->add_latency_bucket_bounds_seconds(static_cast<double>(bound_ns) / 1e9);
  }
  status->clear_latency_bucket_counts();
  for (size_t b = 0; b < ONVM_STATS_LATENCY_BUCKETS; ++b) {
    status->add_latency_bucket_counts(stats == nullptr ? 0 : stats->latency_buckets[b]);
  }
  status->set_latency_sum_seconds(
      stats == nullptr ? 0 : static_cast<double>(stats->latency_sum_ns) / 1e9);
}

void SetRule(const RuleStats* stats, onvm::v1::RuleStatus* status) {
  status->set_hits(stats == nullptr ? 0 : stats->packets);
  status->set_bytes(stats == nullptr ? 0 : stats->bytes);
}

template <typename Stats>
const Stats* Find(const absl::flat_hash_map<std::string, const Stats*>& by_name,
                  const std::string& name) {
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

// The slots in use now; none without a segment. The reader is held only
// while the copies are taken, so an engine restart cannot unmap it under us.
std::vector<ChainStats> ChainSlots(StatsSource* source) {
  const std::shared_ptr<const StatsReader> reader = source == nullptr ? nullptr : source->Get();
  return reader == nullptr ? std::vector<ChainStats>() : reader->chains();
}

std::vector<RuleStats> RuleSlots(StatsSource* source) {
  const std::shared_ptr<const StatsReader> reader = source == nullptr ? nullptr : source->Get();
  return reader == nullptr ? std::vector<RuleStats>() : reader->rules();
}

}  // namespace

void TrafficStatus::Fill(onvm::v1::Chain* chain) const {
  const std::vector<ChainStats> slots = ChainSlots(stats_);
  const auto by_name = ByName(slots);
  SetChain(Find(by_name, chain->metadata().name()), chain->mutable_status());
}

void TrafficStatus::Fill(onvm::v1::Rule* rule) const {
  const std::vector<RuleStats> slots = RuleSlots(stats_);
  const auto by_name = ByName(slots);
  SetRule(Find(by_name, rule->metadata().name()), rule->mutable_status());
}

void TrafficStatus::Fill(google::protobuf::RepeatedPtrField<onvm::v1::Chain>* chains) const {
  const std::vector<ChainStats> slots = ChainSlots(stats_);
  const auto by_name = ByName(slots);
  for (onvm::v1::Chain& chain : *chains) {
    SetChain(Find(by_name, chain.metadata().name()), chain.mutable_status());
  }
}

void TrafficStatus::Fill(google::protobuf::RepeatedPtrField<onvm::v1::Rule>* rules) const {
  const std::vector<RuleStats> slots = RuleSlots(stats_);
  const auto by_name = ByName(slots);
  for (onvm::v1::Rule& rule : *rules) {
    SetRule(Find(by_name, rule.metadata().name()), rule.mutable_status());
  }
}

}  // namespace onvm::agent
