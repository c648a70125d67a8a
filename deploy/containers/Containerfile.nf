# An NF image from scratch: every example NF, its shared libraries and
# DPDK's drivers, staged by build-images.sh (which also builds this). Run
# one NF by naming it, e.g.
#   podman run ... onvm/nf:0.1.0 onvm-nf-forward --engine NAME --service S
# The mounts it needs are in sdk/README.md ("Running an NF in a container").
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/bin
CMD ["onvm-nf-forward", "--help"]
