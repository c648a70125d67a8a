#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into test/fuzz/corpus/<target>/.

The seeds are small, valid or nearly valid inputs that reach every branch a
fuzzer should start from; the fuzzer mutates them. The generated files are
committed; re-run this script after changing it (it only writes seed-*
files and leaves regressions/ and hand-made files alone):

    python3 test/fuzz/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- packets --------------------------------------------------------------
MACS = bytes.fromhex("020000000002" "020000000001")


def eth(ether_type, payload, tags=()):
    out = MACS
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ether_type) + payload


def ipv4(proto, payload, src="10.1.2.3", dst="192.0.2.200", frag=0, options=b""):
    ihl = (20 + len(options)) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 1, frag,
                      64, proto, 0, bytes(map(int, src.split("."))),
                      bytes(map(int, dst.split("."))))
    return hdr + options + payload


def v6addr(text):
    import ipaddress
    return ipaddress.IPv6Address(text).packed


def ipv6(nh, payload, src="2001:db8::1", dst="fe80::1"):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + v6addr(src) + v6addr(
        dst) + payload


def l4(sport, dport, extra=b"\0" * 4):
    return struct.pack("!HH", sport, dport) + extra


def packets():
    t = "fuzz_packet"
    write(t, "ipv4-tcp", eth(0x0800, ipv4(6, l4(40000, 80, b"\0" * 16))))
    write(t, "ipv4-udp", eth(0x0800, ipv4(17, l4(53, 5353))))
    write(t, "ipv4-sctp", eth(0x0800, ipv4(132, l4(1, 2, b"\0" * 8))))
    write(t, "ipv4-icmp", eth(0x0800, ipv4(1, b"\x08\0\0\0\0\0\0\0")))
    write(t, "ipv4-options", eth(0x0800, ipv4(17, l4(1, 2), options=b"\x01" * 8)))
    write(t, "ipv4-frag-first", eth(0x0800, ipv4(17, l4(7, 8), frag=0x2000)))
    write(t, "ipv4-frag-later", eth(0x0800, ipv4(17, l4(7, 8), frag=0x0010)))
    write(t, "ipv4-truncated-l4", eth(0x0800, ipv4(6, b"\x01\x02")))
    write(t, "ipv4-bad-ihl", eth(0x0800, b"\x4f" + ipv4(6, l4(1, 2))[1:]))
    write(t, "vlan-ipv4", eth(0x0800, ipv4(6, l4(1, 443)), tags=[(0x8100, 100)]))
    write(t, "qinq-ipv6", eth(0x86dd, ipv6(17, l4(1111, 2222)), tags=[(0x88a8, 4095),
                                                                    (0x8100, 7)]))
    write(t, "three-tags", eth(0x0800, b"", tags=[(0x8100, 1), (0x8100, 2), (0x8100, 3)]))
    write(t, "vlan-runt", MACS + b"\x81\x00\x00")
    write(t, "ipv6-tcp", eth(0x86dd, ipv6(6, l4(80, 40000, b"\0" * 16))))
    ext = lambda nh, n=0: bytes([nh, n]) + b"\0" * (6 + 8 * n)
    write(t, "ipv6-ext-chain", eth(0x86dd, ipv6(0, ext(43) + ext(60, 1) + l4(1, 2))))
    write(t, "ipv6-frag-first", eth(0x86dd, ipv6(44, b"\x11\0\0\0\0\0\0\1" + l4(3, 4))))
    write(t, "ipv6-frag-later", eth(0x86dd, ipv6(44, b"\x11\0\x01\0\0\0\0\1" + l4(3, 4))))
    write(t, "ipv6-ext-truncated", eth(0x86dd, ipv6(60, b"\x06\x10\0\0")))
    write(t, "ipv6-icmpv6", eth(0x86dd, ipv6(58, b"\x80\0\0\0")))
    write(t, "arp", eth(0x0806, b"\0\1\x08\0\6\4\0\1" + b"\0" * 20))
    write(t, "lldp", eth(0x88cc, b"\x02\x07\x04" + b"\0" * 6))
    write(t, "runt", MACS[:13])


# --- classifier -----------------------------------------------------------
def cls_frames(frames):
    """[(port, frame bytes)] in fuzz_classifier's framing: length, port, bytes."""
    out = b""
    for port, f in frames:
        assert len(f) < 256
        out += bytes([len(f), port]) + f
    return out


def cls_rule(fields=0, flags=0, port=0, vlan_or_eth=0, src_len=0, dst_len=0, proto=0,
             sports=(0, 65535), dports=(0, 65535), src=b"\0" * 4, dst=b"\0" * 4):
    """One rule as fuzz_classifier's DecodeRule reads it (24 bytes)."""
    return (bytes([fields, flags, port]) + struct.pack("!HBBB", vlan_or_eth, src_len, dst_len, proto) +
            struct.pack("!HHHH", *sports, *dports) + src + dst)


def classifier():
    t = "fuzz_classifier"
    tcp4 = lambda src, dst, sport, dport: eth(0x0800, ipv4(6, l4(sport, dport, b"\0" * 16),
                                                         src=src, dst=dst))
    udp6 = lambda src, dst, sport, dport: eth(0x86dd, ipv6(17, l4(sport, dport), src=src,
                                                         dst=dst))
    # Fixed rule set (byte 0 = 0): frames on the hand-written rules' edges.
    write(t, "fixed-edges", b"\0" + cls_frames([
        (255, tcp4("10.1.1.1", "1.1.1.1", 9, 80)),
        (127, tcp4("10.1.1.1", "1.1.1.1", 9, 80)),
        (1, tcp4("11.1.1.1", "1.1.1.1", 9, 443)),
        (1, tcp4("11.1.1.1", "1.1.1.1", 9, 444)),
        (0, tcp4("10.0.0.1", "192.168.1.128", 1, 2)),
        (0, tcp4("10.0.0.2", "192.168.1.127", 1, 2)),
        (3, udp6("2001:db8:7fff:ffff::", "::2", 0, 7)),
        (3, udp6("::ffff:1.2.3.4", "::1", 1, 2)),
        (2, eth(0x0806, b"\0\1\x08\0\6\4\0\1" + b"\0" * 20)),
        (0, eth(0x88cc, b"\x02\x07\x04" + b"\0" * 6, tags=[(0x8100, 4095)])),
        (0, eth(0x0800, ipv4(17, l4(1, 2)), tags=[(0x88a8, 100), (0x8100, 0)])),
    ]))
    write(t, "fixed-malformed", b"\0" + cls_frames([
        (0, MACS[:13]),
        (1, MACS + b"\x81\x00\x00"),
        (2, eth(0x0800, b"\x4f" + ipv4(6, l4(1, 2))[1:])),
        (3, eth(0x0800, ipv4(6, b"\x01\x02"))),
        (0, eth(0x0800, ipv4(17, l4(7, 8), frag=0x0010))),
        (1, eth(0x86dd, ipv6(60, b"\x06\x10\0\0"))),
        (2, eth(0x86dd, ipv6(44, b"\x11\0\x01\0\0\0\0\1" + l4(3, 4)))),
        (3, eth(0x0800, b"", tags=[(0x8100, 1), (0x8100, 2), (0x8100, 3)])),
    ]))
    # Own rules (byte 0 = 0x80 | count): prefixes anchored on the first
    # frame's addresses, port ranges, per-port, VLAN and non-IP rules.
    rules = [
        cls_rule(fields=0x08 | 0x20 | 0x80, flags=0x02, src_len=24, proto=6, dports=(80, 443)),
        cls_rule(fields=0x01 | 0x10, flags=0x04, port=1, dst_len=31),
        cls_rule(fields=0x04 | 0x02, flags=0x20, vlan_or_eth=7),
        cls_rule(fields=0x01, port=255),
        cls_rule(fields=0x08, flags=0x01 | 0x02, src_len=127),
        cls_rule(fields=0x20 | 0x40, proto=17, sports=(1024, 65535)),
    ]
    frames = cls_frames([
        (0, tcp4("10.1.2.3", "192.0.2.9", 5, 80)),
        (1, tcp4("10.1.2.4", "192.0.2.8", 5, 443)),
        (1, tcp4("10.1.3.3", "192.0.2.9", 5, 444)),
        (255, eth(0x0806, b"\0" * 28, tags=[(0x8100, 7)])),
        (2, udp6("2001:db8::1", "fe80::1", 1024, 53)),
        (2, udp6("2001:db8::1", "fe80::1", 1023, 53)),
    ])
    write(t, "own-rules", bytes([0x80 | len(rules)]) + b"".join(rules) + frames)
    # The same, compiled with every set grouped and split, 2 rules a context.
    write(t, "own-rules-split", bytes([0xC0 | 0x10 | len(rules)]) + b"".join(rules) + frames)
    write(t, "own-rules-v6", bytes([0x82]) +
          cls_rule(fields=0x18, flags=0x07, src_len=64, dst_len=128) +
          cls_rule(fields=0x10, flags=0x05, dst_len=33) +
          cls_frames([(0, udp6("2001:db8::1", "2001:db8::2", 1, 2)),
                      (1, udp6("2001:db8::1", "2001:db8::3", 1, 2)),
                      (1, udp6("2001:db8:8000::1", "2001:db8::2", 1, 2))]))
    write(t, "no-rules", bytes([0x80]) + cls_frames([(0, tcp4("1.1.1.1", "2.2.2.2", 1, 2))]))


# --- manifests ------------------------------------------------------------
def manifests():
    t = "fuzz_manifest"
    root = os.path.dirname(os.path.dirname(HERE))
    for name in ("demo.yaml", "demo-chain.yaml"):
        with open(os.path.join(root, "deploy", "examples", name)) as f:
            write(t, "example-" + name, f.read())
    write(t, "service-launch.yaml", """apiVersion: onvm/v1
kind: Service
metadata: {name: fw}
spec:
  replicas: 2
  launch:
    command: onvm-nf-firewall
    args: ["--deny", "10.0.0.0/8"]
    env: {LOG: debug, "N": "1"}
""")
    write(t, "rule-full.yaml", """apiVersion: onvm/v1
kind: Rule
metadata:
  name: web-in
  generation: 3
spec:
  priority: 65535
  match:
    inPort: wan
    ethType: ipv4
    vlanId: 4095
    ipProto: tcp
    srcPrefix: 10.0.0.0/8
    dstPrefix: 192.0.2.0/24
    srcPorts: "1024-65535"
    dstPorts: 80-443
  action: {out: lan}
status: {id: 7, hits: "12"}
""")
    write(t, "rule-v6-proto-names.yaml", """apiVersion: onvm/v1
kind: Rule
metadata: {name: v6}
spec:
  priority: 1
  match: {ip_proto: "0x11", src_prefix: "2001:db8::/33", eth_type: "0x86DD", dst_ports: "53"}
  action: {drop: true}
""")
    write(t, "chain-drop.yaml", """---
apiVersion: onvm/v1
kind: Chain
metadata: {name: c1}
spec: {services: [a, b, c], then: {drop: true}}
...
---
# empty document above and below
---
""")
    write(t, "list.json", """{"apiVersion": "onvm/v1", "kind": "List", "items": [
 {"apiVersion": "onvm/v1", "kind": "Service", "metadata": {"name": "s"},
  "spec": {"replicas": 3}},
 {"apiVersion": "onvm/v1", "kind": "Chain", "metadata": {"name": "c"},
  "spec": {"services": ["s"], "then": {"out": "p"}}}]}
""")
    write(t, "single.json", '{"apiVersion":"onvm/v1","kind":"Rule","metadata":{"name":"r"},'
          '"spec":{"priority":5,"match":{"dstPrefix":"198.51.100.7"},"action":{"chain":"c"}}}')
    write(t, "anchors-tags.yaml", """apiVersion: onvm/v1
kind: Service
metadata: &m {name: "a1"}
spec: !!map {replicas: !!int "1", launch: {command: 'x', args: [&a "y", *a, "true", 10, ~]}}
""")
    write(t, "bad-duplicate-key.yaml", "apiVersion: onvm/v1\nkind: Rule\nkind: Rule\n")
    write(t, "bad-kind.yaml", "apiVersion: onvm/v1\nkind: Port\nmetadata: {name: p}\n")
    write(t, "bad-types.yaml", "apiVersion: onvm/v1\nkind: Service\nmetadata: {name: [x]}\n"
          "spec: {replicas: -1}\n")
    write(t, "bad-yaml.yaml", "apiVersion: [onvm/v1\nkind: {\n")


# --- control frames -------------------------------------------------------
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, value):
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def msg(*fields):
    return b"".join(field(n, v) for n, v in fields)


def frame(payload):
    return struct.pack("<I", len(payload)) + payload


def meta(name):
    return msg((1, name))


def service(name, sid):
    return msg((1, "onvm/v1"), (2, "Service"), (3, meta(name)), (4, msg((1, 1))),
               (5, msg((1, sid))))


def chain(name, cid, services, out=None):
    then = msg((1, out)) if out else msg((2, 1))
    spec = b"".join(field(1, s) for s in services) + field(2, then)
    return msg((3, meta(name)), (4, spec), (5, msg((1, cid))))


def rule(name, prio, match, action):
    return msg((3, meta(name)), (4, msg((1, prio), (2, match), (3, action))))


def match(**kw):
    nums = {"in_port": 1, "eth_type": 2, "vlan_id": 3, "src_prefix": 4, "dst_prefix": 5,
            "ip_proto": 6, "src_ports": 7, "dst_ports": 8}
    return msg(*[(nums[k], v) for k, v in kw.items()])


def control_frames():
    t = "fuzz_control_frame"
    register = msg((1, 1), (2, msg((1, "fw"), (2, 1), (3, "DPDK 22.11.4"), (4, 4242))))
    ready = msg((1, 2), (3, b""))
    get_state = msg((1, 3), (5, b""))
    config = msg((1, 4), (4, msg(
        (1, 9),
        (2, service("fw", 1)), (2, service("mon", 2)),
        (3, chain("web", 1, ["fw", "mon"], out="out")), (3, chain("dark", 2, ["mon"])),
        (4, rule("web-in", 100, match(in_port="in", ip_proto="tcp", dst_prefix="192.0.2.0/24",
                                      dst_ports="80-443"), msg((1, "web")))),
        (4, rule("v6", 7, match(src_prefix="2001:db8::/33", vlan_id=12, ip_proto="udp",
                                src_ports="53"), msg((2, "in")))),
        (4, rule("rest", 0, b"", msg((3, 1)))))))
    write(t, "register", frame(register))
    write(t, "nf-session", frame(register) + frame(ready) + frame(get_state))
    write(t, "set-config", frame(config))
    write(t, "set-config-empty", frame(msg((1, 5), (4, msg((1, 1))))))
    bad_config = msg((1, 6), (4, msg(
        (2, service("fw", 4096)), (3, chain("c", 1, ["nope"])),
        (4, rule("r", 70000, match(src_ports="9-1"), msg((1, "c")))))))
    write(t, "set-config-invalid", frame(bad_config))
    write(t, "empty-frame", frame(b""))
    write(t, "not-a-request", frame(b"\xff\xff\xff\xff"))
    write(t, "truncated", frame(get_state + b"\x08")[:-3])
    write(t, "oversized-header", struct.pack("<I", 8 << 20 | 1) + b"\0" * 8)
    write(t, "max-header", struct.pack("<I", 8 << 20))
    write(t, "then-oversized", frame(get_state) + struct.pack("<I", 0xFFFFFFFF))


if __name__ == "__main__":
    packets()
    classifier()
    manifests()
    control_frames()
    for target in sorted(os.listdir(CORPUS)):
        n = len([f for f in os.listdir(os.path.join(CORPUS, target)) if f.startswith("seed-")])
        print(f"{target}: {n} seeds")
