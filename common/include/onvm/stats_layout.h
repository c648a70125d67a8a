/* Layout of the engine's stats segment, /dev/shm/onvm-NAME.stats.
 *
 * Written only by the engine, mapped read-only by everyone else. Counters
 * are read and written with relaxed atomics, so no reader takes a lock and no
 * writer waits. With one packet lcore (the 2-core layout) every counter has
 * exactly one writer and is updated with a plain load and store
 * (onvm_stats_add). With split rx/tx lcores the counters more than one lcore
 * can touch (drops, rules, chains, an instance's rx side, a port's tx drops)
 * are updated with relaxed atomic adds instead; per-lcore counters
 * (onvm_stats_lcore) keep one writer. Slot sizes: onvm_stats_rule is not
 * cache-line aligned on purpose (32,768 of them), the others are. Metadata of a slot (names, ids)
 * is guarded by its `generation`: odd while the engine rewrites the slot, even when stable. A
 * reader copies a slot and accepts the copy only if the generation was even
 * and unchanged across the copy. Shared by C and C++. */
#ifndef ONVM_STATS_LAYOUT_H_
#define ONVM_STATS_LAYOUT_H_

#include <stdint.h>

#define ONVM_STATS_MAGIC 0x5441545354564e4fULL /* "ONVTSTAT" in little-endian byte order */
#define ONVM_STATS_LAYOUT_VERSION 4u
#define ONVM_STATS_MAX_PORTS 32
#define ONVM_STATS_MAX_INSTANCES 256
/* Running instances of one service: the engine spreads flows over them with
 * a Maglev table of one-byte replica positions. */
#define ONVM_MAX_REPLICAS 255
/* Chain and rule slots are keyed by name and kept across configuration
 * changes (a rule's counter survives an unrelated edit). A new name takes a
 * slot that neither the running nor the next snapshot uses, so the slot
 * arrays hold twice the configurable maximum (ONVM_MAX_CHAINS/RULES). */
#define ONVM_MAX_CHAINS 1024
#define ONVM_MAX_RULES 16384
#define ONVM_STATS_MAX_CHAINS (2 * ONVM_MAX_CHAINS)
#define ONVM_STATS_MAX_RULES (2 * ONVM_MAX_RULES)
#define ONVM_STATS_MAX_LCORES 64
#define ONVM_STATS_MAX_MEMPOOLS 8
#define ONVM_STATS_NAME_LEN 64
/* Counters an NF declares for itself (onvm::NfContext::AddCounter): at
 * most this many per instance, names [a-z_][a-z0-9_]* shorter than
 * ONVM_STATS_CUSTOM_NAME_LEN. */
#define ONVM_STATS_MAX_CUSTOM 16
#define ONVM_STATS_CUSTOM_NAME_LEN 32
/* Per-chain latency (engine rx to leaving the chain) histogram: upper bounds
 * of each bucket in nanoseconds, log-scale 1-2-5; the last bucket is +Inf. */
#define ONVM_STATS_LATENCY_BOUNDS_NS                                                          \
  {                                                                                           \
    1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000, \
        10000000, 100000000                                                                   \
  }
#define ONVM_STATS_LATENCY_BUCKETS 15 /* 14 bounds + Inf */

/* Engine-wide drop reasons for packets that no port or instance slot owns.
 * Per-port (no_match, tx_full) and per-instance (ring_full, handler) drops
 * live in their slots. */
enum onvm_drop_reason {
  ONVM_DROP_RULE = 0,        /* a rule's action was drop */
  ONVM_DROP_CHAIN_END = 1,   /* a chain ended with then: drop */
  ONVM_DROP_NO_INSTANCE = 2, /* the service had no running instance */
  ONVM_DROP_LOOP = 3,        /* hop limit reached (TO_SERVICE cycle) */
  ONVM_DROP_BAD_ACTION = 4,  /* NF asked for an unknown service/port/action */
  ONVM_DROP_NF_GONE = 5,     /* left on the rings of an NF that went away;
                                written by the control thread */
  ONVM_DROP_REASON_MAX = 8,
};

enum onvm_stats_instance_state {
  ONVM_STATS_INSTANCE_FREE = 0,
  ONVM_STATS_INSTANCE_STARTING = 1,
  ONVM_STATS_INSTANCE_RUNNING = 2,
  ONVM_STATS_INSTANCE_DRAINING = 3,
};

struct onvm_stats_header {
  uint64_t magic;
  uint32_t layout_version;
  uint32_t header_size;
  uint64_t total_size;
  char engine_name[ONVM_STATS_NAME_LEN];
  char boot_id[40];           /* UUID text, NUL-terminated */
  uint64_t start_time_ns;     /* CLOCK_REALTIME */
  uint64_t heartbeat_ns;      /* CLOCK_REALTIME, refreshed by the control thread */
  uint64_t config_generation; /* last SetConfig generation applied */
  uint32_t max_ports;
  uint32_t max_instances;
  uint32_t max_chains;
  uint32_t max_rules;
  uint32_t max_lcores;
  uint32_t max_mempools;
  /* Highest rule slot in use + 1, so that readers need not scan all slots. */
  uint32_t rule_slots_used;
  uint32_t reserved0;
  uint64_t tsc_hz; /* cycles per second of the lcore counters below */
  /* Indexed by enum onvm_drop_reason; written by the worker lcore. */
  uint64_t drops[ONVM_DROP_REASON_MAX] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

struct onvm_stats_port {
  uint64_t generation;
  uint32_t in_use;
  uint32_t port_id;
  char name[ONVM_STATS_NAME_LEN];
  /* Counters, written by the worker lcore that polls the port. */
  uint64_t rx_packets;
  uint64_t rx_bytes;
  uint64_t tx_packets;
  uint64_t tx_bytes;
  uint64_t rx_missed;        /* from the PMD (imissed), refreshed by control */
  uint64_t tx_dropped;       /* tx burst could not take them */
  uint64_t no_match_dropped; /* matched no rule */
} __attribute__((aligned(64)));

struct onvm_stats_instance {
  uint64_t generation;
  uint32_t state; /* enum onvm_stats_instance_state */
  uint32_t instance_id;
  int32_t pid;
  uint32_t service_id;
  char service[ONVM_STATS_NAME_LEN];
  /* Counters, written by the worker lcore. Zeroed while the slot is odd. */
  uint64_t rx_packets;         /* enqueued to the NF's rx ring */
  uint64_t tx_packets;         /* dequeued from the NF's tx ring */
  uint64_t dropped_ring_full;  /* NF rx ring full */
  uint64_t dropped_by_handler; /* NF returned DROP */
  /* Written by the control thread. */
  uint64_t rx_ring_count; /* packets waiting in the NF's rx ring */
  uint64_t tx_ring_count; /* packets waiting in its tx ring */
  uint64_t reclaimed;     /* mbufs it held when it died, returned to the pool */
  uint32_t custom_count;  /* custom counters declared (names below) */
  char custom_names[ONVM_STATS_MAX_CUSTOM][ONVM_STATS_CUSTOM_NAME_LEN];
  /* The NF's own counters, copied from its memzone by the control thread
   * (about every 100 ms). */
  uint64_t custom[ONVM_STATS_MAX_CUSTOM];
} __attribute__((aligned(64)));

struct onvm_stats_chain {
  uint64_t generation;
  uint32_t in_use;
  uint32_t chain_id;
  char name[ONVM_STATS_NAME_LEN];
  /* Counters, written by the worker lcore. */
  uint64_t packets; /* entered the chain from a rule */
  uint64_t bytes;
  uint64_t completed; /* left the chain at its end (out a port or drop) */
  /* Engine rx to chain end, counted per bucket (not cumulative). */
  uint64_t latency_buckets[ONVM_STATS_LATENCY_BUCKETS];
  uint64_t latency_sum_ns;
} __attribute__((aligned(64)));

struct onvm_stats_rule {
  uint64_t generation;
  uint32_t in_use;
  uint32_t reserved0;
  char name[ONVM_STATS_NAME_LEN];
  uint64_t packets; /* written by the worker lcore */
  uint64_t bytes;
};

enum onvm_stats_lcore_role {
  ONVM_LCORE_NONE = 0,
  ONVM_LCORE_CONTROL = 1, /* control socket, liveness, stats refresh; not on the packet path */
  ONVM_LCORE_WORKER = 2,  /* combined rx and tx */
  ONVM_LCORE_RX = 3,
  ONVM_LCORE_TX = 4,
};

struct onvm_stats_lcore {
  uint64_t generation;
  uint32_t in_use;
  uint32_t lcore_id;
  uint32_t role;  /* enum onvm_stats_lcore_role */
  int32_t socket; /* NUMA socket */
  uint32_t cpu;   /* first CPU of its cpuset */
  uint32_t reserved0;
  /* Written by the lcore itself: TSC cycles spent in loop iterations that
   * moved packets, and in all iterations. */
  uint64_t busy_cycles;
  uint64_t total_cycles;
} __attribute__((aligned(64)));

struct onvm_stats_mempool {
  uint64_t generation;
  uint32_t in_use;
  int32_t socket;
  char name[ONVM_STATS_NAME_LEN];
  uint64_t size;         /* mbufs */
  uint64_t cache_size;   /* per-lcore cache */
  uint64_t mbufs_in_use; /* refreshed by the control thread (excludes lcore caches) */
} __attribute__((aligned(64)));

struct onvm_stats_segment {
  struct onvm_stats_header header;
  struct onvm_stats_port ports[ONVM_STATS_MAX_PORTS];
  struct onvm_stats_instance instances[ONVM_STATS_MAX_INSTANCES];
  struct onvm_stats_chain chains[ONVM_STATS_MAX_CHAINS];
  struct onvm_stats_lcore lcores[ONVM_STATS_MAX_LCORES];
  struct onvm_stats_mempool mempools[ONVM_STATS_MAX_MEMPOOLS];
  struct onvm_stats_rule rules[ONVM_STATS_MAX_RULES];
};

/* Single-writer increment: a relaxed load and store, no locked instruction. */
static inline void onvm_stats_add(uint64_t* counter, uint64_t n) {
  __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t onvm_stats_read(const uint64_t* counter) {
  return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif /* ONVM_STATS_LAYOUT_H_ */
