/* Per-instance block of shared memory between the engine and one NF (a
 * memzone the engine reserves per instance slot and names in its
 * RegisterNfReply). Shared by C and C++; covered by ONVM_ABI_VERSION. */
#ifndef ONVM_NF_SHM_H_
#define ONVM_NF_SHM_H_

#include <stdint.h>

#include "onvm/stats_layout.h"

struct onvm_nf_shm {
  /* The NF's own counters (NfContext::AddCounter), written by the NF only;
   * the engine copies them into the stats segment. */
  uint64_t counters[ONVM_STATS_MAX_CUSTOM];
  /* Shared-core mode (--shared-core). An NF about to sleep reads wake_seq,
   * sets `sleeping`, makes sure its rx ring is still empty, and waits on
   * wake_seq (a futex) until it changes. A packet lcore that has enqueued on
   * the NF's rx ring and sees `sleeping` bumps wake_seq and wakes it. Both
   * sides put a full fence between their store and their load, so that one
   * of them always sees the other. */
  uint32_t sleeping __attribute__((aligned(64)));
  uint32_t wake_seq;
  uint64_t wakeups; /* wakes the engine sent (for tests and benchmarks) */
};

#endif /* ONVM_NF_SHM_H_ */
