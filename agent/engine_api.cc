#include "agent/engine_api.h"

#include <time.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "onvm/stats_reader.h"

#ifndef ONVM_VERSION
#error "ONVM_VERSION must be defined by the build (the CMake project version)"
#endif

namespace onvm::agent {
namespace {

uint64_t RealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

const char* AgentVersion() { return ONVM_VERSION; }

grpc::Status EngineApi::GetEngine(grpc::ServerContext*, const onvm::v1::GetEngineRequest*,
                                  onvm::v1::EngineInfo* response) {
  response->set_name(link_->engine_name());
  response->set_agent_version(AgentVersion());
  response->set_desired_generation(store_->generation());

  const std::optional<onvm::engine::v1::EngineState> state =
      link_->connected() ? link_->current_state() : std::nullopt;
  if (state.has_value()) {
    response->set_connected(true);
    response->set_boot_id(state->boot_id());
    response->set_dpdk_version(state->dpdk_version());
    response->set_abi_version(state->abi_version());
    response->set_applied_generation(state->applied_generation());
    for (const onvm::engine::v1::LcoreInfo& in : state->lcores()) {
      onvm::v1::EngineLcore* out = response->add_lcores();
      out->set_lcore_id(in.lcore_id());
      out->set_role(in.role());
      out->set_socket(in.socket());
      out->set_cpu(in.cpu());
      out->mutable_rx_ports()->CopyFrom(in.rx_ports());
      out->mutable_tx_ports()->CopyFrom(in.tx_ports());
    }
  }

  // The start time and the pools live in the stats segment; take them only
  // from the segment of the engine described above (or, disconnected, of a
  // live one).
  const std::shared_ptr<const StatsReader> reader = stats_->Get();
  if (reader != nullptr) {
    const StatsHeader header = reader->header();
    const bool same_engine =
        state.has_value() ? header.boot_id == state->boot_id() : reader->EngineAlive();
    if (same_engine) {
      for (const MempoolStats& in : reader->mempools()) {
        onvm::v1::EngineMempool* out = response->add_mempools();
        out->set_name(in.name);
        out->set_socket(in.socket);
        out->set_size(in.size);
        out->set_cache_size(in.cache_size);
        out->set_mbufs_in_use(in.mbufs_in_use);
      }
    }
    if (same_engine && header.start_time_ns > 0) {
      constexpr uint64_t kNsPerSec = 1'000'000'000u;
      google::protobuf::Timestamp* started = response->mutable_started_at();
      started->set_seconds(static_cast<int64_t>(header.start_time_ns / kNsPerSec));
      started->set_nanos(static_cast<int32_t>(header.start_time_ns % kNsPerSec));
      const uint64_t now = RealtimeNs();
      if (now > header.start_time_ns) {
        response->set_uptime_seconds((now - header.start_time_ns) / kNsPerSec);
      }
    }
  }
  return grpc::Status::OK;
}

}  // namespace onvm::agent
