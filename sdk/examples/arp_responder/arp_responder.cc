// onvm-nf-arp_responder: answers ARP requests for the configured IPv4
// addresses, out of the port the request came in on. Every other packet
// goes on (Next).
#include <onvm/nf.hpp>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "arp.h"

namespace {

using onvm::examples::arp::Responder;

class ArpResponder {
 public:
  static constexpr const char* kUsage =
      "  --ip A.B.C.D[,A.B.C.D...]  addresses to answer for (repeatable; required)\n"
      "  --mac XX:XX:XX:XX:XX:XX    MAC to answer with (default: 02:00 followed by\n"
      "                             the four bytes of the address asked for)\n";

  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    auto config = onvm::examples::arp::ParseFlags(args);
    if (!config.ok()) return config.status();
    responder_ = std::make_unique<Responder>(*config);
    program_ = ctx.program;
    std::fprintf(stderr, "%s: answering for %zu addresses\n", program_.c_str(), config->ips.size());
    return absl::OkStatus();
  }

  void Handle(onvm::Burst& burst) {
    const Responder& responder = *responder_;
    for (onvm::Packet& pkt : burst) {
      if (responder.Reply(pkt.data(), pkt.length())) {
        pkt.Out(pkt.meta().in_port);
        ++replies_;
      }
    }
  }

  void Shutdown() {
    std::fprintf(stderr, "%s: %" PRIu64 " replies sent\n", program_.c_str(), replies_);
  }

 private:
  std::unique_ptr<Responder> responder_;
  uint64_t replies_ = 0;
  std::string program_;
};

}  // namespace

int main(int argc, char** argv) {
  ArpResponder nf;
  return onvm::RunNf(argc, argv, nf);
}
