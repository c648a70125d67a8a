// Traffic counters of chains and rules (packets, bytes, latency), read from
// the engine's stats segment by name and filled into the status of the
// resources the API returns. The desired-state store never sees them: they
// describe what the engine did, not what the operator asked for.
#ifndef ONVM_AGENT_TRAFFIC_STATUS_H_
#define ONVM_AGENT_TRAFFIC_STATUS_H_

#include "agent/stats_source.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/rule.pb.h"

namespace onvm::agent {

class TrafficStatus {
 public:
  // `stats` must outlive this object; nullptr fills zeros (tests).
  explicit TrafficStatus(StatsSource* stats) : stats_(stats) {}

  // Sets the traffic fields of the status (everything but id) from the
  // counters of the stats slot with the resource's name; zeros when the
  // engine has no such slot (not yet applied, or no stats segment). A chain
  // always gets the latency bounds and one count per bucket, so that
  // clients see one shape.
  void Fill(onvm::v1::Chain* chain) const;
  void Fill(onvm::v1::Rule* rule) const;
  // The same for many, reading the segment once.
  void Fill(google::protobuf::RepeatedPtrField<onvm::v1::Chain>* chains) const;
  void Fill(google::protobuf::RepeatedPtrField<onvm::v1::Rule>* rules) const;

 private:
  StatsSource* const stats_;
};

}  // namespace onvm::agent

#endif  // ONVM_AGENT_TRAFFIC_STATUS_H_
