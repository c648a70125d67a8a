// onvm-nf-firewall: allows or denies packets by address prefix, protocol and
// port range; the first matching rule wins, then the default policy.
// Allowed packets go on (Next), denied ones are dropped (handler drops).
#include <onvm/nf.hpp>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "firewall_rules.h"
#include "onvm/packet_key.h"

namespace {

using onvm::examples::firewall::Config;
using onvm::examples::firewall::RuleSet;
using onvm::examples::firewall::Verdict;

class Firewall {
 public:
  static constexpr const char* kUsage =
      "  --allow SPEC          allow packets matching SPEC (repeatable)\n"
      "  --deny SPEC           deny packets matching SPEC (repeatable)\n"
      "  --rules FILE          rules from FILE, one \"allow|deny SPEC\" a line, # comments\n"
      "  --default allow|deny  verdict when no rule matches (default: allow)\n"
      "  SPEC: [src PREFIX] [dst PREFIX] [proto tcp|udp|icmp|N] [sport A[-B]] [dport A[-B]]\n"
      "        or a bare PREFIX (= src PREFIX); rules apply in command-line order,\n"
      "        the first match wins\n";

  absl::Status Init(onvm::NfContext& ctx, std::span<const std::string> args) {
    auto config = onvm::examples::firewall::ParseFlags(args);
    if (!config.ok()) return config.status();
    config_ = *std::move(config);
    rules_ = std::make_unique<RuleSet>(config_);
    hits_.assign(config_.rules.size() + 1, 0);
    program_ = ctx.program;
    std::fprintf(stderr, "%s: %zu rules, default %s\n", program_.c_str(), config_.rules.size(),
                 config_.default_verdict == Verdict::kAllow ? "allow" : "deny");
    return absl::OkStatus();
  }

  void Handle(onvm::Burst& burst) {
    const RuleSet& rules = *rules_;
    uint64_t* hits = hits_.data() + 1;  // hits[-1]: the default
    for (onvm::Packet& pkt : burst) {
      onvm::PacketKey key;
      onvm::ParsePacket(pkt.data(), pkt.length(), &key);
      const int rule = rules.Match(key);
      ++hits[rule];
      if (rules.VerdictOf(rule) == Verdict::kDeny) pkt.Drop();
    }
  }

  void Shutdown() {
    for (size_t i = 0; i < config_.rules.size(); ++i) {
      std::fprintf(stderr, "%s: rule %zu \"%s\": %" PRIu64 " packets\n", program_.c_str(), i + 1,
                   config_.rules[i].text.c_str(), hits_[i + 1]);
    }
    std::fprintf(stderr, "%s: default: %" PRIu64 " packets\n", program_.c_str(), hits_[0]);
  }

 private:
  Config config_;
  std::unique_ptr<RuleSet> rules_;
  std::vector<uint64_t> hits_;
  std::string program_;
};

}  // namespace

int main(int argc, char** argv) {
  Firewall nf;
  return onvm::RunNf(argc, argv, nf);
}
