// onvm-test-nf: a forwarding NF that misbehaves on request, for fault tests.
//
//   --delay-us N      sleep N microseconds per burst: a slow NF whose rx
//                     ring fills up (back-pressure tests)
//   --hold-file PATH  while PATH exists, keep the current burst in hand and
//                     do nothing; PATH.held gets the number of packets held
//                     (kill -9 tests: the NF dies with mbufs in hand)
//   --to-service ID   TO_SERVICE(ID) for every packet instead of NEXT
//   --init-hold-file PATH
//                     while PATH exists, stay in Init: registered and
//                     attached to the engine's shared memory, but not yet
//                     ready (tests of an NF that dies during registration);
//                     PATH.init gets this process's pid once it is there
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
      "  --hold-file PATH  while PATH exists, hold the current burst\n"
      "  --init-hold-file PATH  while PATH exists, stay in Init (not ready)\n"
      "  --to-service ID   send every packet to service ID (TO_SERVICE) instead of NEXT\n";

  absl::Status Init(onvm::NfContext& /*ctx*/, std::span<const std::string> args) {
    auto flags = onvm::examples::SplitFlags(
        args, {"--delay-us", "--hold-file", "--init-hold-file", "--to-service"});
    if (!flags.ok()) return flags.status();
    std::string init_hold;
    for (const auto& f : *flags) {
      if (f.name == "--delay-us") {
        auto n = onvm::examples::ParseFlagNumber(f, 0, 10'000'000);
        if (!n.ok()) return n.status();
        delay_us_ = static_cast<uint32_t>(*n);
      } else if (f.name == "--hold-file") {
        hold_file_ = f.value;
      } else if (f.name == "--to-service") {
        auto id = onvm::examples::ParseFlagNumber(f, 1, 4095);
        if (!id.ok()) return id.status();
        to_service_ = static_cast<uint16_t>(*id);
      } else {
        init_hold = f.value;
      }
    }
    if (!init_hold.empty() && access(init_hold.c_str(), F_OK) == 0) {
      std::ofstream(init_hold + ".init.tmp") << getpid() << "\n";
      std::rename((init_hold + ".init.tmp").c_str(), (init_hold + ".init").c_str());
      while (access(init_hold.c_str(), F_OK) == 0) usleep(1000);
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
    for (auto& pkt : burst) {
      if (to_service_ != 0) {
        pkt.ToService(to_service_);
      } else {
        pkt.Next();
      }
    }
  }

 private:
  uint32_t delay_us_ = 0;
  uint16_t to_service_ = 0;  // non-zero: send every packet to this service id
  std::string hold_file_;
};

}  // namespace

int main(int argc, char** argv) {
  TestNf nf;
  return onvm::RunNf(argc, argv, nf);
}
