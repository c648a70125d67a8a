// onvm-nf-forward: sends every packet on to the next service of its chain.
#include <onvm/nf.hpp>

int main(int argc, char** argv) {
  return onvm::RunNf(argc, argv, [](onvm::Burst& burst) {
    for (auto& pkt : burst) pkt.Next();
  });
}
