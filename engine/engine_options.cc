#include "engine_options.h"

#include <sched.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "onvm/names.h"
#include "onvm/stats_layout.h"

namespace onvm::engine {
namespace {

// Virtual-device drivers that Debian's DPDK ships and that make sense as
// engine ports. Matching is by prefix of the device name, as DPDK's vdev bus
// does ("net_pcap0" -> net_pcap).
constexpr const char* kVdevDrivers[] = {
    "net_af_packet", "net_af_xdp", "net_bonding", "net_memif", "net_null",
    "net_pcap",      "net_ring",   "net_tap",     "net_vhost", "net_virtio_user",
};

bool AllHex(absl::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// [DOMAIN:]BUS:DEVICE.FUNCTION, e.g. 0000:01:00.0 or 01:00.1.
bool IsPciAddress(absl::string_view device) {
  const auto dot = device.rfind('.');
  if (dot == absl::string_view::npos || dot + 2 != device.size() || device[dot + 1] < '0' ||
      device[dot + 1] > '7') {
    return false;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(device.substr(0, dot), ':');
  if (parts.size() == 2) return AllHex(parts[0], 2, 2) && AllHex(parts[1], 2, 2);
  if (parts.size() == 3) {
    return AllHex(parts[0], 4, 8) && AllHex(parts[1], 2, 2) && AllHex(parts[2], 2, 2);
  }
  return false;
}

absl::StatusOr<PortOption> ParsePort(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--port '", spec, "': expected PNAME=DEVARGS, e.g. wan=net_null0"));
  }
  PortOption p;
  p.name = spec.substr(0, eq);
  p.devargs = spec.substr(eq + 1);
  if (absl::Status s = ValidateName(absl::StrCat("--port ", p.name), p.name); !s.ok()) return s;
  if (p.devargs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("port '", p.name, "': DEVARGS is empty"));
  }
  p.device = p.devargs.substr(0, p.devargs.find(','));
  p.is_pci = IsPciAddress(p.device);
  if (p.is_pci) return p;
  for (const char* driver : kVdevDrivers) {
    // What follows the driver name is the instance id ("net_pcap0").
    if (absl::StartsWith(p.device, driver)) return p;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "port '", p.name, "': unknown driver in '", p.device, "' (expected a PCI address or one of ",
      absl::StrJoin(kVdevDrivers, ", "), ", followed by an instance id such as net_null0)"));
}

absl::StatusOr<uint32_t> ParseUint(const std::string& flag, const std::string& value, uint32_t min,
                                   uint32_t max) {
  uint32_t v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", value, "' is not a number in ", min, "..", max));
  }
  return v;
}

// Two lcores: the main one (control thread) and one worker. On a machine
// with a single CPU both share it.
std::string DefaultLcores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  const int worker = cpus.size() > 1 ? cpus[1] : cpus[0];
  return absl::StrCat("0@", cpus[0], ",1@", worker);
}

}  // namespace

absl::StatusOr<EngineOptions> ParseEngineOptions(const std::vector<std::string>& args) {
  EngineOptions opts;
  std::set<std::string> port_names;
  std::set<std::string> devices;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (flag == "--") {
      opts.extra_eal_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    std::string value;
    bool has_value = false;
    if (auto eq = flag.find('=');
        absl::StartsWith(flag, "--") && eq != std::string::npos && flag.rfind("--port", 0) != 0) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    } else if (absl::StartsWith(flag, "--port=")) {
      value = flag.substr(7);
      flag = "--port";
      has_value = true;
    }
    if (flag == "-h" || flag == "--help") {
      return absl::CancelledError(kEngineUsage);
    }
    static const std::set<std::string> kWithValue = {"--name",         "--port",  "--lcores",
                                                     "--socket-mem",   "--mbufs", "--ring-size",
                                                     "--idle-sleep-us"};
    if (!kWithValue.contains(flag)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", args[i], "'"));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": missing value"));
      }
      value = args[++i];
    }
    if (flag == "--name") {
      if (absl::Status s = ValidateName("--name", value); !s.ok()) return s;
      // The name ends up in DPDK's file prefix and in socket paths.
      if (value.size() > 32) {
        return absl::InvalidArgumentError("--name: at most 32 characters");
      }
      opts.name = value;
    } else if (flag == "--port") {
      auto port = ParsePort(value);
      if (!port.ok()) return port.status();
      if (!port_names.insert(port->name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("port '", port->name, "': duplicate port name"));
      }
      if (!devices.insert(port->device).second) {
        return absl::InvalidArgumentError(absl::StrCat("port '", port->name, "': device '",
                                                       port->device,
                                                       "' is already used by another port"));
      }
      opts.ports.push_back(*std::move(port));
    } else if (flag == "--lcores") {
      opts.lcores = value;
    } else if (flag == "--socket-mem") {
      auto v = ParseUint(flag, value, 1, 1u << 20);
      if (!v.ok()) return v.status();
      opts.socket_mem_mb = *v;
    } else if (flag == "--mbufs") {
      auto v = ParseUint(flag, value, 1023, 1u << 24);
      if (!v.ok()) return v.status();
      opts.mbufs = *v;
    } else if (flag == "--ring-size") {
      auto v = ParseUint(flag, value, 64, 1u << 16);
      if (!v.ok()) return v.status();
      if ((*v & (*v - 1)) != 0) {
        return absl::InvalidArgumentError("--ring-size: must be a power of two");
      }
      opts.ring_size = *v;
    } else if (flag == "--idle-sleep-us") {
      auto v = ParseUint(flag, value, 0, 1000000);
      if (!v.ok()) return v.status();
      opts.idle_sleep_us = *v;
    }
  }
  if (opts.name.empty()) return absl::InvalidArgumentError("--name is required");
  if (opts.ports.empty()) return absl::InvalidArgumentError("at least one --port is required");
  if (opts.ports.size() > 32) return absl::InvalidArgumentError("at most 32 ports");
  return opts;
}

uint32_t DefaultMemoryMb(const EngineOptions& opts) {
  // rte_mbuf, RTE_MBUF_DEFAULT_BUF_SIZE of data room, the mempool's object
  // header and padding.
  constexpr uint64_t kMbufBytes = 2560;
  // An NF slot: rx and tx rings of pointers, their headers, onvm_nf_shm.
  const uint64_t slot_bytes = 2 * (uint64_t{opts.ring_size} * sizeof(void*) + 4096);
  constexpr uint64_t kHeadroomBytes = uint64_t{64} << 20;
  const uint64_t bytes = uint64_t{opts.mbufs} * kMbufBytes +
                         uint64_t{ONVM_STATS_MAX_INSTANCES} * slot_bytes + kHeadroomBytes;
  constexpr uint64_t kPage = uint64_t{2} << 20;
  return static_cast<uint32_t>((bytes + kPage - 1) / kPage * (kPage >> 20));
}

std::vector<std::string> BuildEalArgs(const EngineOptions& opts) {
  const EnginePaths paths = PathsForEngine(opts.name);
  std::vector<std::string> eal = {"onvm-engine", "--file-prefix", paths.file_prefix, "--proc-type",
                                  "primary"};
  bool any_pci = false;
  for (const PortOption& p : opts.ports) {
    if (p.is_pci) {
      any_pci = true;
      eal.push_back("-a");
      eal.push_back(p.devargs);
    }
  }
  if (!any_pci) {
    eal.push_back("--no-pci");
    // Virtual devices work with virtual addresses; this avoids needing
    // physical addresses (and /proc/self/pagemap) at all.
    eal.push_back("--iova-mode=va");
  }
  eal.push_back("--lcores");
  eal.push_back(opts.lcores.empty() ? DefaultLcores() : opts.lcores);
  const bool eal_memory_given =
      std::any_of(opts.extra_eal_args.begin(), opts.extra_eal_args.end(), [](const std::string& a) {
        return absl::StartsWith(a, "-m") || absl::StartsWith(a, "--socket-mem");
      });
  if (opts.socket_mem_mb > 0) {
    eal.push_back("--socket-mem");
    eal.push_back(absl::StrCat(opts.socket_mem_mb));
  } else if (!eal_memory_given) {
    eal.push_back("-m");
    eal.push_back(absl::StrCat(DefaultMemoryMb(opts)));
  }
  eal.insert(eal.end(), opts.extra_eal_args.begin(), opts.extra_eal_args.end());
  return eal;
}

}  // namespace onvm::engine
