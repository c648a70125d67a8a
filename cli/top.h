// What `onvmctl top` shows: rates over the interval between two samples of
// the counters of ports, NF instances, chains and rules. Separate from the
// verb so that tests can render fixed samples.
#ifndef ONVM_CLI_TOP_H_
#define ONVM_CLI_TOP_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "onvm/v1/chain.pb.h"
#include "onvm/v1/instance.pb.h"
#include "onvm/v1/port.pb.h"
#include "onvm/v1/rule.pb.h"

namespace onvm::cli {

struct TopSample {
  absl::Time at;
  std::vector<v1::Port> ports;
  std::vector<v1::Instance> instances;
  std::vector<v1::Chain> chains;
  std::vector<v1::Rule> rules;
};

// How many rules the RULES table lists, busiest first.
inline constexpr size_t kTopRules = 10;

// The PORT, INSTANCE, CHAIN and RULE tables for the interval from `before`
// to `now`, one blank line apart. A rate is "-" where `before` has no value
// to compare with (new resource, counter reset); a latency is "-" where no
// packet completed the chain in the interval.
std::string RenderTop(const TopSample& before, const TopSample& now);

}  // namespace onvm::cli

#endif  // ONVM_CLI_TOP_H_
