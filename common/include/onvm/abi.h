/* Versions that an NF and the engine must agree on. Shared by C and C++. */
#ifndef ONVM_ABI_H_
#define ONVM_ABI_H_

/* Bump whenever the control protocol, struct onvm_pkt_meta or the ring
 * contract between engine and NF changes incompatibly. */
#define ONVM_ABI_VERSION 2u

#endif /* ONVM_ABI_H_ */
