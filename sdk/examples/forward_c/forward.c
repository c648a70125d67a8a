/* onvm-nf-forward-c: onvm-nf-forward written in C11 against onvm/nf.h.
 * Sends every packet on to the next service of its chain. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <onvm/nf.h>

struct forward {
  struct onvm_nf_ctx* ctx;
  uint64_t* bursts; /* a counter of its own: onvm_nf_custom_total{name="bursts"} */
};

static int forward_init(struct onvm_nf_ctx* ctx, int argc, char** argv, void* user) {
  struct forward* self = user;
  if (argc > 1) {
    fprintf(stderr, "%s: unknown argument \"%s\"\n", argv[0], argv[1]);
    return ONVM_NF_EXIT_USAGE;
  }
  self->ctx = ctx;
  self->bursts = onvm_nf_ctx_add_counter(ctx, "bursts");
  return self->bursts != NULL ? ONVM_NF_EXIT_OK : ONVM_NF_EXIT_FAILURE;
}

static void forward_handle(struct onvm_nf_burst* burst, void* user) {
  struct forward* self = user;
  const uint16_t n = onvm_nf_burst_count(burst);
  for (uint16_t i = 0; i < n; ++i) onvm_nf_pkt_next(burst, i);
  onvm_nf_counter_add(self->bursts, 1);
}

static void forward_shutdown(void* user) {
  const struct forward* self = user;
  struct onvm_nf_stats stats;
  onvm_nf_ctx_stats(self->ctx, &stats);
  fprintf(stderr, "%s: instance %u forwarded %llu packets\n", onvm_nf_ctx_program(self->ctx),
          (unsigned)onvm_nf_ctx_instance_id(self->ctx), (unsigned long long)stats.tx_packets);
}

int main(int argc, char** argv) {
  struct forward self = {NULL, NULL};
  const struct onvm_nf_callbacks cb = {
      .init = forward_init,
      .handle = forward_handle,
      .shutdown = forward_shutdown,
      .usage = NULL,
  };
  return onvm_nf_run(argc, argv, &cb, &self);
}
