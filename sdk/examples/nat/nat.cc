// onvm-nf-nat: source NAT for IPv4 TCP and UDP. Packets from the inside
// port leave with the external address and a port of their own; answers
// from the flow's remote end, sent to that address and port, are translated
// back. Flow table on rte_hash, idle timeout, incremental checksums.
#include <rte_cycles.h>
#include <unistd.h>
#include <onvm/nf.hpp>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nat_table.h"

namespace {

using onvm::examples::nat::Nat;
using onvm::examples::nat::NatConfig;
using onvm::examples::nat::Verdict;

static_assert(onvm::Burst::kMaxSize <= Nat::kMaxBurst);

class NatNf {
 public:
  static constexpr const char* kUsage =
      "  --external-ip A.B.C.D  address inside flows are translated to (required)\n"
      "  --inside-port N        DPDK port id of the inside network (default 0); packets\n"
      "                         that arrived on any other port are from the outside\n"
      "  --port-range A-B       external ports to hand out, per protocol\n"
      "                         (default 20000-59999)\n"
      "  --timeout-s N          a mapping idle for N seconds expires (default 60)\n"
      "  --max-flows N          flow table capacity (default 65536)\n";

  ~NatNf() {
    // Without Shutdown (start-up failed after Init) EAL may be gone already:
    // the table's memory goes with the engine's shared memory.
    (void)nat_.release();
  }

  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    auto config = onvm::examples::nat::ParseFlags(args);
    if (!config.ok()) return config.status();
    // rte_hash names are global to the engine's shared memory.
    const std::string name = absl::StrCat("nat", ctx.instance_id, "_", getpid());
    auto nat = Nat::Create(*config, name, ctx.socket_id, rte_get_tsc_hz());
    if (!nat.ok()) return nat.status();
    nat_ = *std::move(nat);
    program_ = ctx.program;
    const uint8_t* ip = config->external_ip;
    std::fprintf(stderr,
                 "%s: external %u.%u.%u.%u ports %u-%u, inside port %u, timeout %us, "
                 "%u flows\n",
                 program_.c_str(), ip[0], ip[1], ip[2], ip[3], config->port_lo, config->port_hi,
                 config->inside_port, config->timeout_s, config->max_flows);
    return absl::OkStatus();
  }

  void Handle(onvm::Burst& burst) {
    uint8_t* data[onvm::Burst::kMaxSize];
    uint32_t len[onvm::Burst::kMaxSize];
    uint16_t in_port[onvm::Burst::kMaxSize];
    Verdict verdicts[onvm::Burst::kMaxSize];
    const uint16_t n = burst.size();
    for (uint16_t i = 0; i < n; ++i) {
      data[i] = burst[i].data();
      len[i] = burst[i].length();
      in_port[i] = burst[i].meta().in_port;
    }
    nat_->Process(data, len, in_port, n, rte_rdtsc(), verdicts);
    for (uint16_t i = 0; i < n; ++i) {
      if (verdicts[i] == Verdict::kDrop) burst[i].Drop();
    }
  }

  void Shutdown() {
    const auto& s = nat_->stats();
    std::fprintf(stderr,
                 "%s: outbound %" PRIu64 ", inbound %" PRIu64 ", passed %" PRIu64
                 ", new flows %" PRIu64 ", expired %" PRIu64 ", active %zu, dropped: bad %" PRIu64
                 ", unknown %" PRIu64 ", full %" PRIu64 "\n",
                 program_.c_str(), s.outbound, s.inbound, s.passed, s.new_flows, s.expired,
                 nat_->active_flows(), s.dropped_bad, s.dropped_unknown, s.dropped_full);
    nat_.reset();  // rte_hash_free while EAL is still up
  }

 private:
  std::unique_ptr<Nat> nat_;
  std::string program_;
};

}  // namespace

int main(int argc, char** argv) {
  NatNf nf;
  return onvm::RunNf(argc, argv, nf);
}
