// Everything an integration test needs: include this one header.
#ifndef ONVM_TEST_HARNESS_HARNESS_H_
#define ONVM_TEST_HARNESS_HARNESS_H_

#include "harness/metrics.h"  // IWYU pragma: export
#include "harness/netns.h"    // IWYU pragma: export
#include "harness/packets.h"  // IWYU pragma: export
#include "harness/pcap.h"     // IWYU pragma: export
#include "harness/process.h"  // IWYU pragma: export
#include "harness/util.h"     // IWYU pragma: export

#endif  // ONVM_TEST_HARNESS_HARNESS_H_
