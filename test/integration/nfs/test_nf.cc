// onvm-test-nf: a forwarding NF that misbehaves on request, for fault tests.
//
//   --delay-us N      sleep N microseconds per burst: a slow NF whose rx
//                     ring fills up (back-pressure tests)
//   --hold-file PATH  while PATH exists, keep the current burst in hand and
//                     do nothing; PATH.held gets the number of packets held
//                     (kill -9 tests: the NF dies with mbufs in hand)
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "flags.h"
#include "onvm/nf.hpp"

namespace {

class TestNf {
 public:
  static constexpr const char* kUsage =
      "  --delay-us N      sleep N microseconds per burst\n"
      "  --hold-file PATH  while PATH exists, hold the current burst\n";

  absl::Status Init(onvm::NfContext& /*ctx*/, std::span<const std::string> args) {
    auto flags = onvm::examples::SplitFlags(args, {"--delay-us", "--hold-file"});
    if (!flags.ok()) return flags.status();
    for (const auto& f : *flags) {
      if (f.name == "--delay-us") {
        auto n = onvm::examples::ParseFlagNumber(f, 0, 10'000'000);
        if (!n.ok()) return n.status();
        delay_us_ = static_cast<uint32_t>(*n);
      } else {
        hold_file_ = f.value;
      }
    }
    return absl::OkStatus();
  }

  void Handle(onvm::Burst& burst) {
    if (!hold_file_.empty() && access(hold_file_.c_str(), F_OK) == 0) {
      // Tell the test how much is in hand, then keep it until killed or
      // until the file is removed.
      std::ofstream(hold_file_ + ".held.tmp") << burst.size() << "\n";
      std::rename((hold_file_ + ".held.tmp").c_str(), (hold_file_ + ".held").c_str());
      while (access(hold_file_.c_str(), F_OK) == 0) usleep(1000);
    }
    if (delay_us_ != 0) usleep(delay_us_);
    for (auto& pkt : burst) pkt.Next();
  }

 private:
  uint32_t delay_us_ = 0;
  std::string hold_file_;
};

}  // namespace

int main(int argc, char** argv) {
  TestNf nf;
  return onvm::RunNf(argc, argv, nf);
}
