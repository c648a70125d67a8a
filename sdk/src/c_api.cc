// The C API (onvm/nf.h) over the C++ runtime. struct onvm_nf_burst and
// struct onvm_nf_ctx are never defined: they are onvm::Burst and
// onvm::NfContext behind an opaque pointer.
#include "onvm/nf.h"

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "onvm/nf.hpp"

namespace {

onvm::Burst& B(onvm_nf_burst* b) { return *reinterpret_cast<onvm::Burst*>(b); }
const onvm::Burst& B(const onvm_nf_burst* b) { return *reinterpret_cast<const onvm::Burst*>(b); }
const onvm::NfContext& C(const onvm_nf_ctx* c) {
  return *reinterpret_cast<const onvm::NfContext*>(c);
}

static_assert(ONVM_NF_BURST_MAX == onvm::Burst::kMaxSize);

// The C NF as the C++ runtime sees it.
struct CNf {
  onvm_nf_callbacks cb;
  void* user;
  // argv for the init callback: program name, the NF's arguments, NULL.
  std::vector<std::string> args;
  std::vector<char*> argv;
};

}  // namespace

extern "C" {

int onvm_nf_run(int argc, char** argv, const onvm_nf_callbacks* cb, void* user) {
  if (cb == nullptr || cb->handle == nullptr) {
    std::fprintf(stderr, "onvm_nf_run: the handle callback is required\n");
    return ONVM_NF_EXIT_FAILURE;
  }
  CNf nf{*cb, user, {}, {}};
  onvm::internal::NfHooks hooks;
  hooks.nf = &nf;
  hooks.handle = [](void* p, onvm::Burst& burst) {
    CNf& self = *static_cast<CNf*>(p);
    self.cb.handle(reinterpret_cast<onvm_nf_burst*>(&burst), self.user);
  };
  if (cb->init != nullptr) {
    hooks.init = [](void* p, onvm::NfContext& ctx,
                    std::span<const std::string> args) -> absl::Status {
      CNf& self = *static_cast<CNf*>(p);
      self.args.assign(1, ctx.program);
      self.args.insert(self.args.end(), args.begin(), args.end());
      self.argv.clear();
      for (std::string& a : self.args) self.argv.push_back(a.data());
      self.argv.push_back(nullptr);
      const int rc = self.cb.init(reinterpret_cast<onvm_nf_ctx*>(&ctx),
                                  static_cast<int>(self.args.size()), self.argv.data(), self.user);
      if (rc == ONVM_NF_EXIT_OK) return absl::OkStatus();
      // The callback printed its own message.
      if (rc == ONVM_NF_EXIT_USAGE) return absl::InvalidArgumentError("");
      return absl::UnknownError("");
    };
  }
  if (cb->shutdown != nullptr) {
    hooks.shutdown = [](void* p) {
      CNf& self = *static_cast<CNf*>(p);
      self.cb.shutdown(self.user);
    };
  }
  if (cb->poll != nullptr) {
    hooks.poll = [](void* p, onvm::NfContext& ctx) -> bool {
      CNf& self = *static_cast<CNf*>(p);
      return self.cb.poll(reinterpret_cast<onvm_nf_ctx*>(&ctx), self.user) != 0;
    };
  }
  if (cb->periodic != nullptr) {
    hooks.periodic = [](void* p, onvm::NfContext& ctx) {
      CNf& self = *static_cast<CNf*>(p);
      self.cb.periodic(reinterpret_cast<onvm_nf_ctx*>(&ctx), self.user);
    };
  }
  if (cb->periodic_ms != 0) hooks.periodic_ms = cb->periodic_ms;
  hooks.usage = cb->usage;
  return onvm::internal::RunNf(argc, argv, hooks);
}

void onvm_nf_request_stop(void) { onvm::RequestStop(); }

uint16_t onvm_nf_burst_count(const onvm_nf_burst* burst) { return B(burst).size(); }

rte_mbuf* onvm_nf_pkt_mbuf(const onvm_nf_burst* burst, uint16_t i) { return B(burst)[i].mbuf(); }

uint8_t* onvm_nf_pkt_data(const onvm_nf_burst* burst, uint16_t i) { return B(burst)[i].data(); }

uint32_t onvm_nf_pkt_length(const onvm_nf_burst* burst, uint16_t i) { return B(burst)[i].length(); }

uint32_t onvm_nf_pkt_packet_length(const onvm_nf_burst* burst, uint16_t i) {
  return B(burst)[i].packet_length();
}

const onvm_pkt_meta* onvm_nf_pkt_meta(const onvm_nf_burst* burst, uint16_t i) {
  return &B(burst)[i].meta();
}

void onvm_nf_pkt_next(onvm_nf_burst* burst, uint16_t i) { B(burst)[i].Next(); }

void onvm_nf_pkt_drop(onvm_nf_burst* burst, uint16_t i) { B(burst)[i].Drop(); }

void onvm_nf_pkt_to_service(onvm_nf_burst* burst, uint16_t i, uint16_t service_id) {
  B(burst)[i].ToService(service_id);
}

void onvm_nf_pkt_out(onvm_nf_burst* burst, uint16_t i, uint16_t port_id) {
  B(burst)[i].Out(port_id);
}

onvm_action onvm_nf_pkt_action(const onvm_nf_burst* burst, uint16_t i) {
  return static_cast<onvm_action>(B(burst)[i].action());
}

uint16_t onvm_nf_pkt_action_arg(const onvm_nf_burst* burst, uint16_t i) {
  return B(burst)[i].action_arg();
}

const char* onvm_nf_ctx_program(const onvm_nf_ctx* ctx) { return C(ctx).program.c_str(); }
const char* onvm_nf_ctx_engine(const onvm_nf_ctx* ctx) { return C(ctx).engine.c_str(); }
const char* onvm_nf_ctx_service(const onvm_nf_ctx* ctx) { return C(ctx).service.c_str(); }
uint32_t onvm_nf_ctx_service_id(const onvm_nf_ctx* ctx) { return C(ctx).service_id; }
uint32_t onvm_nf_ctx_instance_id(const onvm_nf_ctx* ctx) { return C(ctx).instance_id; }
unsigned onvm_nf_ctx_cpu(const onvm_nf_ctx* ctx) { return C(ctx).cpu; }
int onvm_nf_ctx_socket_id(const onvm_nf_ctx* ctx) { return C(ctx).socket_id; }
rte_mempool* onvm_nf_ctx_pktmbuf_pool(const onvm_nf_ctx* ctx) { return C(ctx).pktmbuf_pool; }

void onvm_nf_ctx_stats(const onvm_nf_ctx* ctx, onvm_nf_stats* out) {
  const onvm::NfStats& s = C(ctx).stats;
  out->rx_packets = s.rx_packets;
  out->tx_packets = s.tx_packets;
  out->dropped = s.dropped;
  out->freed_on_stop = s.freed_on_stop;
  out->originated = s.originated;
}

uint64_t* onvm_nf_ctx_add_counter(onvm_nf_ctx* ctx, const char* name) {
  auto& c = *reinterpret_cast<onvm::NfContext*>(ctx);
  absl::StatusOr<onvm::Counter> counter = c.AddCounter(name == nullptr ? "" : name);
  if (!counter.ok()) {
    std::fprintf(stderr, "%s: %s\n", c.program.c_str(),
                 std::string(counter.status().message()).c_str());
    return nullptr;
  }
  return counter->address();
}

int onvm_nf_ctx_chain_id(const onvm_nf_ctx* ctx, const char* name) {
  absl::StatusOr<uint16_t> id = C(ctx).ChainId(name == nullptr ? "" : name);
  if (!id.ok()) {
    std::fprintf(stderr, "%s: %s\n", C(ctx).program.c_str(),
                 std::string(id.status().message()).c_str());
    return -1;
  }
  return *id;
}

uint16_t onvm_nf_alloc(onvm_nf_ctx* ctx, rte_mbuf** mbufs, uint16_t n) {
  return reinterpret_cast<onvm::NfContext*>(ctx)->Alloc(mbufs, n);
}

uint16_t onvm_nf_send(onvm_nf_ctx* ctx, rte_mbuf* const* mbufs, uint16_t n, uint16_t chain,
                      uint8_t hop, onvm_action action, uint16_t arg) {
  const onvm::Origin from{chain, hop, static_cast<onvm::Action>(action), arg};
  return reinterpret_cast<onvm::NfContext*>(ctx)->Send(mbufs, n, from);
}

void onvm_nf_free(onvm_nf_ctx* ctx, rte_mbuf* const* mbufs, uint16_t n) {
  reinterpret_cast<onvm::NfContext*>(ctx)->Free(mbufs, n);
}

}  // extern "C"
