// The EAL arguments the engine derives from its flags: the default memory
// reservation and what turns it off.
#include "engine_options.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace onvm::engine {
namespace {

EngineOptions Parse(const std::vector<std::string>& args) {
  absl::StatusOr<EngineOptions> opts = ParseEngineOptions(args);
  EXPECT_TRUE(opts.ok()) << opts.status();
  return opts.ok() ? *opts : EngineOptions();
}

// The value after `flag` in `args`, or "" when the flag is absent.
std::string ValueOf(const std::vector<std::string>& args, const std::string& flag) {
  auto it = std::find(args.begin(), args.end(), flag);
  return it == args.end() || it + 1 == args.end() ? "" : *(it + 1);
}

TEST(EngineOptionsTest, ReservesThePoolEveryNfSlotsRingsAndHeadroomByDefault) {
  const EngineOptions opts = Parse({"--name", "e", "--port", "a=net_null0"});
  // 16383 mbufs of 2560 bytes, 256 slots of two 4096-entry rings (32 KiB
  // each) plus 4 KiB each, 64 MiB: 127,923,712 bytes, 61 pages of 2 MiB.
  EXPECT_EQ(DefaultMemoryMb(opts), 122u);
  const std::vector<std::string> eal = BuildEalArgs(opts);
  EXPECT_EQ(ValueOf(eal, "-m"), "122");
  EXPECT_EQ(ValueOf(eal, "--socket-mem"), "");
}

TEST(EngineOptionsTest, ReservationGrowsWithMbufsAndRingSize) {
  const uint32_t base = DefaultMemoryMb(Parse({"--name", "e", "--port", "a=net_null0"}));
  const uint32_t more_mbufs =
      DefaultMemoryMb(Parse({"--name", "e", "--port", "a=net_null0", "--mbufs", "65535"}));
  const uint32_t bigger_rings =
      DefaultMemoryMb(Parse({"--name", "e", "--port", "a=net_null0", "--ring-size", "16384"}));
  // 49152 more mbufs: 120 MiB more, to the page.
  EXPECT_EQ(more_mbufs - base, 120u);
  // 12288 more pointers per ring, 512 rings: 48 MiB more.
  EXPECT_EQ(bigger_rings - base, 48u);
}

TEST(EngineOptionsTest, AnExplicitMemorySizeReplacesTheDefault) {
  const std::vector<std::string> socket_mem =
      BuildEalArgs(Parse({"--name", "e", "--port", "a=net_null0", "--socket-mem", "512"}));
  EXPECT_EQ(ValueOf(socket_mem, "--socket-mem"), "512");
  EXPECT_EQ(ValueOf(socket_mem, "-m"), "");

  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {"-m", "300"}, {"--socket-mem", "256,256"}, {"--socket-mem=256"}}) {
    std::vector<std::string> args = {"--name", "e", "--port", "a=net_null0", "--"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::vector<std::string> eal = BuildEalArgs(Parse(args));
    EXPECT_EQ(std::count(eal.begin(), eal.end(), "-m"), extra[0] == "-m" ? 1 : 0) << extra[0];
    EXPECT_EQ(ValueOf(eal, "--socket-mem"), extra.size() > 1 && extra[0] != "-m" ? extra[1] : "")
        << extra[0];
  }
}

}  // namespace
}  // namespace onvm::engine
