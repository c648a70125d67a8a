// Random rule sets and frames for testing and benchmarking the classifier:
// rules mix every match field (ports, ether types, VLANs, IPv4/IPv6
// prefixes of all lengths, protocols, port ranges, wildcards), and frames
// are built to land on the rules' edges (first/last address of a prefix and
// the ones just outside, range ends +-1), with VLAN stacks, fragments, IPv6
// extension headers and truncated or bogus headers mixed in.
#ifndef ONVM_TEST_ENGINE_RULE_GEN_H_
#define ONVM_TEST_ENGINE_RULE_GEN_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "classifier.h"
#include "onvm/match.h"
#include "onvm/packet_key.h"

namespace onvm::engine::testing {

inline constexpr int kGenPorts = 4;  // in_port indices 0..3

struct GenRule {
  CompiledMatch match;
  int32_t in_port = -1;
};

struct GenFrame {
  std::vector<uint8_t> bytes;
  uint16_t in_port = 0;  // port index it arrives on
};

class TrafficGen {
 public:
  explicit TrafficGen(uint64_t seed) : rng_(seed) {}

  // Rules mixing every field and shape: a stress set for correctness (and
  // the worst case for decision tries).
  GenRule RandomRule();
  std::vector<GenRule> RandomRules(size_t n);
  // Rules in the style of firewall ACLs (ClassBench "acl" seeds): mostly
  // IPv4 5-tuples with long destination prefixes, shorter or wild source
  // prefixes, TCP/UDP with well-known destination ports or port ranges,
  // some per in_port, a few IPv6 and VLAN rules.
  GenRule AclRule();
  std::vector<GenRule> AclRules(size_t n);
  // A frame biased towards the edges of `rules` (any frame if empty), and
  // the port it arrives on.
  GenFrame RandomFrame(const std::vector<GenRule>& rules);
  uint16_t RandomInPort() { return static_cast<uint16_t>(Uniform(0, kGenPorts - 1)); }

  uint32_t Uniform(uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::mt19937_64& rng() { return rng_; }

 private:
  Prefix RandomPrefix(int version);
  uint16_t EdgePort(const PortRange& r);
  void EdgeAddress(const Prefix& p, uint8_t* out);
  void RandomAddress(int version, uint8_t* out);

  std::mt19937_64 rng_;
};

// The classifier's view of `rules` (pointers into it).
std::vector<ClassifierRule> AsClassifierRules(const std::vector<GenRule>& rules);

// The reference: first rule in order whose port and headers match, by
// onvm::MatchesHeaders, or Classifier::kNoMatch.
uint32_t LinearClassify(const std::vector<GenRule>& rules, const PacketKey& key, uint16_t in_port);

}  // namespace onvm::engine::testing

#endif  // ONVM_TEST_ENGINE_RULE_GEN_H_
