// The default (`get`) and `-o wide` table of each resource kind.
#ifndef ONVM_CLI_TABLES_H_
#define ONVM_CLI_TABLES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/table.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/instance.pb.h"
#include "onvm/v1/port.pb.h"
#include "onvm/v1/rule.pb.h"
#include "onvm/v1/service.pb.h"

namespace onvm::cli {

Table MakeTable(const std::vector<v1::Service>& items, bool wide);
Table MakeTable(const std::vector<v1::Chain>& items, bool wide);
Table MakeTable(const std::vector<v1::Rule>& items, bool wide);
Table MakeTable(const std::vector<v1::Port>& items, bool wide);
Table MakeTable(const std::vector<v1::Instance>& items, bool wide);

// "inPort=wan,ipProto=tcp,dstPorts=80-443", or "*" when the rule matches
// every packet.
std::string MatchSummary(const v1::Match& match);

// "chain:web", "out:lan", "drop", or "<none>".
std::string ActionSummary(const v1::RuleAction& action);

// "out:lan", "drop", or "<none>".
std::string ChainEndSummary(const v1::ChainEnd& end);

// "running", "draining", ...: the state's enum name in lower case, "unknown"
// when unset.
std::string InstanceStateName(v1::InstanceStatus::State state);

// A repeated proto field as a span (its storage is contiguous).
template <typename T>
std::span<const T> AsSpan(const google::protobuf::RepeatedField<T>& field) {
  return std::span<const T>(field.data(), static_cast<size_t>(field.size()));
}

// The q-quantile of chain latency in seconds, estimated from `counts`
// (per bucket, +Inf last) over the status' bucket bounds as Prometheus'
// histogram_quantile() does; nullopt when no packet was counted. The
// counts are the status' own (since the chain's counters started) or a
// difference of two samples.
std::optional<double> ChainLatency(const v1::ChainStatus& status, std::span<const uint64_t> counts,
                                   double q);
std::optional<double> ChainLatency(const v1::ChainStatus& status, double q);

// A latency with three significant digits in the unit that suits it:
// "850ns", "15.0us", "1.20ms", "2.50s"; "-" for nullopt.
std::string FormatLatency(std::optional<double> seconds);

}  // namespace onvm::cli

#endif  // ONVM_CLI_TABLES_H_
