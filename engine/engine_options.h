// Command line of onvm-engine and the DPDK EAL arguments derived from it.
#ifndef ONVM_ENGINE_ENGINE_OPTIONS_H_
#define ONVM_ENGINE_ENGINE_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onvm::engine {

struct PortOption {
  std::string name;     // operator's name: "wan", "lan"
  std::string devargs;  // "net_null0", "net_pcap0,rx_pcap=in.pcap", "0000:01:00.0"
  std::string device;   // devargs up to the first ','
  bool is_pci = false;
};

struct EngineOptions {
  std::string name;
  std::vector<PortOption> ports;
  std::string lcores;  // EAL --lcores; empty: derived from the CPU affinity mask
  uint32_t socket_mem_mb = 0;
  uint32_t mbufs = 16383;
  uint32_t ring_size = 4096;
  uint32_t idle_sleep_us = 0;
  std::vector<std::string> extra_eal_args;
};

inline constexpr char kEngineUsage[] =
    "usage: onvm-engine --name NAME --port PNAME=DEVARGS [--port ...] [--lcores LIST]\n"
    "                   [--socket-mem MB] [--mbufs N] [--ring-size N] [--idle-sleep-us N]\n"
    "                   [-- EXTRA_EAL_ARGS]\n";

// Parses argv (without argv[0]). Errors name the flag or port at fault.
absl::StatusOr<EngineOptions> ParseEngineOptions(const std::vector<std::string>& args);

// Hugepage memory (MB) the engine has EAL reserve at start (`-m`) unless
// --socket-mem or an EAL -m/--socket-mem says otherwise: one mbuf pool, the
// rings of every NF instance slot, and headroom for routing tables and for
// what NFs allocate while they attach. EAL pins reserved memory, so NFs
// attaching do not make the engine grow its memory. Growing it is a
// synchronous round trip to every attached NF: with a few hundred NFs
// starting at once it stalled the engine's control thread for seconds, and
// growing it at an NF's request crashed the engine (DPDK 22.11). Beyond the
// reservation, memory still grows on demand.
uint32_t DefaultMemoryMb(const EngineOptions& opts);

// EAL arguments: own --file-prefix, --no-pci unless a port is a PCI address
// (then -a for exactly those), lcores, memory.
std::vector<std::string> BuildEalArgs(const EngineOptions& opts);

}  // namespace onvm::engine

#endif  // ONVM_ENGINE_ENGINE_OPTIONS_H_
