/* Per-packet metadata carried in an mbuf dynamic field between the engine
 * and NFs. Shared by C and C++; covered by ONVM_ABI_VERSION. */
#ifndef ONVM_PKT_META_H_
#define ONVM_PKT_META_H_

#include <stdint.h>

#define ONVM_PKT_META_DYNFIELD "onvm_pkt_meta"

/* What an NF wants done with a packet. */
enum onvm_action {
  ONVM_ACTION_NEXT = 0,       /* next service of the packet's chain */
  ONVM_ACTION_DROP = 1,       /* free the packet (counted) */
  ONVM_ACTION_TO_SERVICE = 2, /* jump to service id `arg` */
  ONVM_ACTION_OUT = 3,        /* transmit out of port id `arg` */
};

struct onvm_pkt_meta {
  uint16_t chain; /* chain id the packet travels */
  uint8_t hop;    /* index of the service it is at within the chain */
  uint8_t action; /* enum onvm_action, written by the NF */
  uint16_t arg;   /* service id or port id for TO_SERVICE / OUT */
  uint8_t hops;   /* services visited so far (loop guard) */
  uint8_t in_port;
  /* Instance id of the NF holding the packet, 0 while the engine has it.
   * Written only by the engine: set when the packet enters an NF's rx ring,
   * cleared when it comes back (or is freed). When an NF dies, the mbufs
   * still marked with its id are the ones it held, and the engine returns
   * them to the pool. An NF must therefore never free a packet itself: it
   * returns DROP. */
  uint16_t owner;
  /* Engine-internal: port index a packet handed between packet lcores is
   * to be sent out of. */
  uint16_t out_port;
  uint32_t reserved1;
  uint64_t rx_tsc; /* TSC when the engine received it (chain latency) */
};

#endif /* ONVM_PKT_META_H_ */
