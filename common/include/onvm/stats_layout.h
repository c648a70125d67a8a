/* Layout of the engine's stats segment, /dev/shm/onvm-NAME.stats.
 *
 * Written only by the engine, mapped read-only by everyone else. Every
 * counter has exactly one writer and is read and written with relaxed
 * atomics (__atomic_load_n / __atomic_store_n), so no reader takes a lock and
 * no writer waits. Metadata of a slot (names, ids) is guarded by its
 * `generation`: odd while the engine rewrites the slot, even when stable. A
 * reader copies a slot and accepts the copy only if the generation was even
 * and unchanged across the copy. Shared by C and C++. */
#ifndef ONVM_STATS_LAYOUT_H_
#define ONVM_STATS_LAYOUT_H_

#include <stdint.h>

#define ONVM_STATS_MAGIC 0x5441545354564e4fULL /* "ONVSTAT" + 'T', little-endian */
#define ONVM_STATS_LAYOUT_VERSION 1u
#define ONVM_STATS_MAX_PORTS 32
#define ONVM_STATS_MAX_INSTANCES 128
#define ONVM_STATS_NAME_LEN 64

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
} __attribute__((aligned(64)));

struct onvm_stats_segment {
  struct onvm_stats_header header;
  struct onvm_stats_port ports[ONVM_STATS_MAX_PORTS];
  struct onvm_stats_instance instances[ONVM_STATS_MAX_INSTANCES];
};

/* Single-writer increment: a relaxed load and store, no locked instruction. */
static inline void onvm_stats_add(uint64_t* counter, uint64_t n) {
  __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t onvm_stats_read(const uint64_t* counter) {
  return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif /* ONVM_STATS_LAYOUT_H_ */
