// The engine after EAL initialisation: owns the mempool, ports, NF table,
// stats segment, routing snapshot and the worker lcore, and serves the
// control socket on the calling (main) thread.
#ifndef ONVM_ENGINE_ENGINE_H_
#define ONVM_ENGINE_ENGINE_H_

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "control_server.h"
#include "engine_options.h"
#include "lcore_layout.h"
#include "mempools.h"
#include "named_slots.h"
#include "nf_table.h"
#include "ports.h"
#include "snapshot.h"
#include "stats_segment.h"
#include "worker.h"

namespace onvm::engine {

class Engine {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> Start(const EngineOptions& options);
  // Stops the worker, then the ports (flushing pcap files), then frees.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Serves the control socket until `stop` becomes true.
  void Run(const std::atomic<bool>& stop);

 private:
  struct QsbrDeleter {
    void operator()(rte_rcu_qsbr* v) const;
  };

  explicit Engine(const EngineOptions& options) : options_(options) {}
  absl::Status Init();
  onvm::engine::v1::Response Handle(int conn_id, const onvm::engine::v1::Request& request);
  onvm::engine::v1::Response RegisterNf(int conn_id, const onvm::engine::v1::RegisterNf& req);
  onvm::engine::v1::Response NfReady(int conn_id, const onvm::engine::v1::NfReady& req);
  onvm::engine::v1::Response NfDrain(int conn_id);
  onvm::engine::v1::Response DrainInstance(uint32_t instance_id);
  // Stops routing new packets to a running instance (see NfDrain).
  onvm::engine::v1::Response Drain(NfSlot* slot);
  onvm::engine::v1::Response SetConfig(const onvm::engine::v1::SetConfig& req);
  onvm::engine::v1::Response GetState();
  void OnConnectionClosed(int conn_id);
  // Compiles the current config and instances into a snapshot, publishes it
  // and frees the previous one once the worker has moved past it.
  void Publish();
  void RefreshPortCounters();
  // Starts one packet lcore per entry of layout_.
  absl::Status LaunchWorkers();
  std::string DescribeLayout() const;
  // Mempool in-use count and NF ring depths, from the control thread.
  void RefreshGauges();

  EngineOptions options_;
  std::string boot_id_;
  std::unique_ptr<StatsSegment> stats_;
  std::unique_ptr<Mempools> mempools_;
  std::unique_ptr<rte_rcu_qsbr, QsbrDeleter> qsbr_;
  int meta_offset_ = -1;
  std::vector<Port> ports_;
  std::vector<PortEntry> port_entries_;
  std::unique_ptr<NfTable> nfs_;
  onvm::engine::v1::SetConfig config_;
  std::shared_ptr<const RuleTable> rules_;  // config_'s rules, compiled
  NamedSlots chain_slots_{"chains", ONVM_STATS_MAX_CHAINS};
  NamedSlots rule_slots_{"rules", ONVM_STATS_MAX_RULES};
  ChainStats chain_stats_;  // config_'s chains' stats slots
  std::unique_ptr<Snapshot> published_;
  std::atomic<const Snapshot*> current_{nullptr};
  std::atomic<bool> worker_stop_{false};
  LcoreLayout layout_;
  std::vector<rte_ring*> inbound_;                       // by packet lcore index (owned)
  std::vector<std::unique_ptr<WorkerContext>> workers_;  // launched ones
  std::unique_ptr<ControlServer> control_;
};

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_ENGINE_H_
