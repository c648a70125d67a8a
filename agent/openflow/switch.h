// The OpenFlow switch behind every connection: answers a controller's
// requests (FLOW_MOD, MULTIPART, FEATURES) from the agent's desired state
// and the engine's counters. Flows live as rules of origin "openflow" in
// the StateStore (flow_translate.h), so they are validated, pushed to the
// engine, persisted and counted like any rule. Thread-safe: several
// connections may share one switch.
#ifndef ONVM_AGENT_OPENFLOW_SWITCH_H_
#define ONVM_AGENT_OPENFLOW_SWITCH_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/openflow/flow_translate.h"
#include "agent/openflow/messages.h"
#include "agent/state_store.h"
#include "onvm/stats_reader.h"

namespace onvm::agent::openflow {

// An engine port as the switch describes it.
struct EnginePort {
  std::string name;
  uint32_t port_id = 0;  // DPDK port id
  std::array<uint8_t, 6> mac = {};
  bool link_up = false;
  uint32_t speed_mbps = 0;
};

// What the switch reads. Every function may be empty (tests).
struct SwitchEnv {
  StateStore* store = nullptr;
  // The engine's ports; empty while they are not known.
  std::function<std::vector<EnginePort>()> ports;
  // Counters from the engine's stats segment; empty without one.
  std::function<std::vector<::onvm::PortStats>()> port_stats;
  std::function<std::vector<::onvm::RuleStats>()> rule_stats;
  uint64_t datapath_id = 1;
  std::string dp_desc;
};

class OpenFlowSwitch {
 public:
  explicit OpenFlowSwitch(SwitchEnv env) : env_(std::move(env)) {}

  OpenFlowSwitch(const OpenFlowSwitch&) = delete;
  OpenFlowSwitch& operator=(const OpenFlowSwitch&) = delete;

  // Answers one message of a connection that has negotiated 1.3 (HELLO,
  // ECHO, BARRIER and switch config are the session's). `raw` is the
  // message's bytes, quoted in errors. Replies in order; empty when none.
  std::vector<Message> Handle(const Message& request, std::span<const uint8_t> raw);

  FeaturesReply Features() const;
  // PORT_DESC: the engine's ports (OpenFlow port = DPDK port id + 1), then
  // one logical port per chain (kChainPortBase + chain id).
  std::vector<Port> PortDescs() const;
  PortMap Ports() const;

 private:
  // A rule of origin openflow seen as a flow.
  struct Flow {
    onvm::v1::Rule rule;
    Match match;
    NormalMatch normal;
    std::vector<Instruction> instructions;
    // False when its port or chain has no number now (stats skip it).
    bool describable = false;
  };

  absl::Status FlowModLocked(const FlowMod& mod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddLocked(const FlowMod& mod, const PortMap& ports)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The flows a modify, delete or stats request selects: non-strict by
  // covering match, strict by the same priority and match; cookie and
  // out_port filters as the spec says.
  absl::StatusOr<std::vector<Flow>> Select(const Match& match, bool strict, uint16_t priority,
                                           uint64_t cookie, uint64_t cookie_mask, uint32_t out_port,
                                           const PortMap& ports) const;
  std::vector<Flow> Flows(const PortMap& ports) const;
  std::vector<Message> Multipart(const Message& request, const MultipartRequest& mp,
                                 std::span<const uint8_t> raw);
  std::vector<FlowStats> FlowStatsFor(const std::vector<Flow>& flows);

  const SwitchEnv env_;
  // Serialises flow table changes: a modify or delete selects flows and
  // changes them as one step.
  absl::Mutex mu_;
  // When each flow was installed (for duration); since the agent started
  // for flows it found in its state.
  std::map<std::string, absl::Time> installed_ ABSL_GUARDED_BY(mu_);
  const absl::Time started_ = absl::Now();
};

}  // namespace onvm::agent::openflow

#endif  // ONVM_AGENT_OPENFLOW_SWITCH_H_
