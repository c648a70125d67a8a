#!/usr/bin/python3
"""Writes a small pcap of varied traffic for the demo: IPv4 and IPv6, TCP and
UDP, a few VLAN-tagged frames, sizes 64..1518. Standard library only."""
import random
import struct
import sys

SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(i: int, rng: random.Random) -> bytes:
    size = rng.randint(64, 1518)
    v6 = i % 3 == 0
    tcp = i % 2 == 0
    vlan = i % 5 == 0
    l2 = DST_MAC + SRC_MAC
    if vlan:
        l2 += struct.pack("!HH", 0x8100, 100 + i % 4)
    l2 += struct.pack("!H", 0x86DD if v6 else 0x0800)
    l3_len = 40 if v6 else 20
    l4_len = 20 if tcp else 8
    payload_len = max(0, size - len(l2) - l3_len - l4_len)
    payload = struct.pack("!I", i) + bytes(rng.getrandbits(8) for _ in range(max(0, payload_len - 4)))
    payload = payload[:payload_len]
    sport, dport = 1024 + rng.randint(0, 60000), rng.choice([53, 80, 443, 8080])
    if tcp:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 5 << 4, 0x18, 65535, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    proto = 6 if tcp else 17
    if v6:
        src = bytes.fromhex("20010db8000000000000000000000001")
        dst = bytes.fromhex("20010db8000000000000000000000002")
        l3 = struct.pack("!IHBB", 6 << 28, len(l4) + len(payload), proto, 64) + src + dst
    else:
        src, dst = bytes([192, 0, 2, 1 + i % 50]), bytes([198, 51, 100, 1 + i % 20])
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4) + len(payload), i & 0xFFFF, 0,
                          64, proto, 0, src, dst)
        l3 = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return l2 + l3 + l4 + payload


def main() -> None:
    out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 512
    rng = random.Random(7)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            data = frame(i, rng)
            f.write(struct.pack("<IIII", i // 1000, (i % 1000) * 1000, len(data), len(data)))
            f.write(data)


if __name__ == "__main__":
    main()
