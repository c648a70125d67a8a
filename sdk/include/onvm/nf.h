/* The onvm NF SDK for C: the same library as onvm/nf.hpp, behind a C11 API.
 *
 *   #include <onvm/nf.h>
 *
 *   static void handle(struct onvm_nf_burst* burst, void* user) {
 *     (void)user;
 *     for (uint16_t i = 0; i < onvm_nf_burst_count(burst); ++i)
 *       onvm_nf_pkt_next(burst, i);
 *   }
 *
 *   int main(int argc, char** argv) {
 *     const struct onvm_nf_callbacks cb = {.handle = handle};
 *     return onvm_nf_run(argc, argv, &cb, NULL);
 *   }
 *
 * The SDK parses the standard flags (--engine, --service, --core,
 * --idle-sleep-us), registers with the engine, attaches to its shared memory,
 * runs `handle` once per burst of up to ONVM_NF_BURST_MAX packets, and stops
 * cleanly on SIGINT/SIGTERM. Every packet of a burst starts with the action
 * NEXT; the last call for a packet wins. The handler never frees, sends or
 * keeps an mbuf: the SDK hands every packet back to the engine.
 *
 * This header needs no DPDK header: struct rte_mbuf and struct rte_mempool
 * are only declared. An NF that wants DPDK's mbuf API includes <rte_mbuf.h>
 * itself. Packet indexes must be below onvm_nf_burst_count(); nothing is
 * checked on the packet path. */
#ifndef ONVM_NF_H_
#define ONVM_NF_H_

#include <stdint.h>

#include "onvm/pkt_meta.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;
struct rte_mempool;

/* The packets of one burst. Only valid inside the handle callback. */
struct onvm_nf_burst;
/* Who this NF is. Valid from the init callback until onvm_nf_run returns. */
struct onvm_nf_ctx;

#define ONVM_NF_BURST_MAX 32

/* Exit codes of an NF process, also what the init callback returns. */
#define ONVM_NF_EXIT_OK 0
#define ONVM_NF_EXIT_FAILURE 1
#define ONVM_NF_EXIT_USAGE 2

struct onvm_nf_callbacks {
  /* Optional. Runs after the NF has attached to the engine, before any
   * traffic. argv[0] is the program name, argv[1..argc-1] are the arguments
   * the SDK did not take (the NF's own flags), argv[argc] is NULL (so getopt
   * works). Return ONVM_NF_EXIT_OK to go on, ONVM_NF_EXIT_USAGE for a usage
   * error (the NF exits 2 after printing the synopsis), anything else to
   * fail (exit 1). Print your own message to stderr before failing. Without
   * init, any argument the SDK does not know is a usage error. */
  int (*init)(struct onvm_nf_ctx* ctx, int argc, char** argv, void* user);
  /* Required. Once per burst, on the NF's poll thread; must not block. */
  void (*handle)(struct onvm_nf_burst* burst, void* user);
  /* Optional. After the last burst has been handed back. */
  void (*shutdown)(void* user);
  /* Optional. Describes the NF's own flags in --help. */
  const char* usage;
  /* Optional. Once per iteration of the poll loop, after the burst if there
   * was one and also when none came: where an NF makes packets of its own
   * (onvm_nf_alloc, onvm_nf_send). Returns non-zero if it did work; while
   * it returns 0 and no packet arrives, an NF with --idle-sleep-us or
   * --shared-core may sleep. */
  int (*poll)(struct onvm_nf_ctx* ctx, void* user);
  /* Optional. About every periodic_ms milliseconds (0: 1000), on the poll
   * thread: reports, timers. Neither poll nor periodic runs once the NF is
   * stopping. */
  void (*periodic)(struct onvm_nf_ctx* ctx, void* user);
  uint32_t periodic_ms;
};

/* Runs the NF until SIGINT/SIGTERM or until the engine goes away; returns
 * the process exit code (0 stopped by a signal, 1 failure, 2 usage error).
 * `user` is passed to every callback. */
int onvm_nf_run(int argc, char** argv, const struct onvm_nf_callbacks* cb, void* user);

/* Asks the running NF to stop as SIGTERM would. Async-signal safe; may be
 * called from the handler. */
void onvm_nf_request_stop(void);

/* --- the burst (inside handle) --- */

uint16_t onvm_nf_burst_count(const struct onvm_nf_burst* burst);
struct rte_mbuf* onvm_nf_pkt_mbuf(const struct onvm_nf_burst* burst, uint16_t i);
/* The Ethernet header of packet i; onvm_nf_pkt_length() bytes there are
 * contiguous (the first segment). */
uint8_t* onvm_nf_pkt_data(const struct onvm_nf_burst* burst, uint16_t i);
uint32_t onvm_nf_pkt_length(const struct onvm_nf_burst* burst, uint16_t i);
/* The whole packet, all segments. */
uint32_t onvm_nf_pkt_packet_length(const struct onvm_nf_burst* burst, uint16_t i);
/* What the engine recorded (chain, hop, in_port). The action chosen by the
 * handler is not in it: see onvm_nf_pkt_action(). */
const struct onvm_pkt_meta* onvm_nf_pkt_meta(const struct onvm_nf_burst* burst, uint16_t i);

void onvm_nf_pkt_next(struct onvm_nf_burst* burst, uint16_t i);
void onvm_nf_pkt_drop(struct onvm_nf_burst* burst, uint16_t i);
void onvm_nf_pkt_to_service(struct onvm_nf_burst* burst, uint16_t i, uint16_t service_id);
void onvm_nf_pkt_out(struct onvm_nf_burst* burst, uint16_t i, uint16_t port_id);
/* The action chosen so far, and its argument (service or port id; 0 for
 * NEXT and DROP). */
enum onvm_action onvm_nf_pkt_action(const struct onvm_nf_burst* burst, uint16_t i);
uint16_t onvm_nf_pkt_action_arg(const struct onvm_nf_burst* burst, uint16_t i);

/* --- the context (from init until onvm_nf_run returns) --- */

struct onvm_nf_stats {
  uint64_t rx_packets;    /* dequeued from the rx ring */
  uint64_t tx_packets;    /* handed back on the tx ring */
  uint64_t dropped;       /* the handler chose DROP */
  uint64_t freed_on_stop; /* tx ring full when the NF stopped */
  uint64_t originated;    /* packets of its own, handed over by onvm_nf_send */
};

const char* onvm_nf_ctx_program(const struct onvm_nf_ctx* ctx);
const char* onvm_nf_ctx_engine(const struct onvm_nf_ctx* ctx);
const char* onvm_nf_ctx_service(const struct onvm_nf_ctx* ctx);
uint32_t onvm_nf_ctx_service_id(const struct onvm_nf_ctx* ctx);
uint32_t onvm_nf_ctx_instance_id(const struct onvm_nf_ctx* ctx);
unsigned onvm_nf_ctx_cpu(const struct onvm_nf_ctx* ctx);
int onvm_nf_ctx_socket_id(const struct onvm_nf_ctx* ctx);
struct rte_mempool* onvm_nf_ctx_pktmbuf_pool(const struct onvm_nf_ctx* ctx);
/* Counted by the SDK, updated after every burst. */
void onvm_nf_ctx_stats(const struct onvm_nf_ctx* ctx, struct onvm_nf_stats* out);

/* Declares a counter of the NF's own (only inside init), exported by the
 * agent as onvm_nf_custom_total{service,instance,name}: at most 16, names
 * [a-z_][a-z0-9_]* of up to 31 characters, each once. Returns NULL (and
 * prints why) on a bad name. Add to it with onvm_nf_counter_add() from the
 * handler only. */
uint64_t* onvm_nf_ctx_add_counter(struct onvm_nf_ctx* ctx, const char* name);
static inline void onvm_nf_counter_add(uint64_t* counter, uint64_t n) {
  __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* --- packets the NF makes itself (on the poll thread only: handle, poll,
 * periodic) --- */

/* The id of the engine's chain `name`, for onvm_nf_send; read from the
 * engine's stats segment (a control-path call: use it in init). Returns -1
 * and prints why when there is no such chain. */
int onvm_nf_ctx_chain_id(const struct onvm_nf_ctx* ctx, const char* name);
/* Takes n mbufs from the engine's pool: all or none (returns n or 0), reset
 * and marked as held by this NF (the engine reclaims them if it dies). */
uint16_t onvm_nf_alloc(struct onvm_nf_ctx* ctx, struct rte_mbuf** mbufs, uint16_t n);
/* Hands packets from onvm_nf_alloc to the engine as if they had arrived at
 * position `hop` of chain `chain` and the handler had chosen `action` (and
 * `arg`: service or port id) for them; NEXT sends them to service hop + 1.
 * The next service's replica is chosen by mbuf->hash.rss (set it per flow).
 * Returns how many were enqueued, from the front; the others are still the
 * NF's: send them later or onvm_nf_free them. */
uint16_t onvm_nf_send(struct onvm_nf_ctx* ctx, struct rte_mbuf* const* mbufs, uint16_t n,
                      uint16_t chain, uint8_t hop, enum onvm_action action, uint16_t arg);
/* Returns mbufs from onvm_nf_alloc that were not sent. */
void onvm_nf_free(struct onvm_nf_ctx* ctx, struct rte_mbuf* const* mbufs, uint16_t n);

#ifdef __cplusplus
}
#endif

#endif /* ONVM_NF_H_ */
