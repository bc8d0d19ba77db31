#!/usr/bin/python3
"""The benchmark inputs that the peer's gen_pcaps.py does not make.  All frames have correct
IPv4 and L4 checksums (conntrack checks them); a sample of each file is rebuilt with scapy and
must be byte-identical.

  udp_10k_shuf.pcap  the 10,000 frames of the peer's udp_10k.pcap (read from DIR) in a fixed
                     random order (seed 7): consecutive packets belong to different megaflows,
                     so a classifier's last-hit check does not decide l2-20masks
  udp_rr_10k.pcap    UDP request/response over 10,000 flows: request i (A->B, as udp_10k
                     packet i) is followed by its response (B->A, addresses and ports swapped)
                     = 20,000 frames of 60 B; after the first pass every packet is +est
  vxlan_10k.pcap     udp_10k's frames encapsulated in VXLAN (VNI 100) as a remote VTEP
                     172.31.1.2 sends them to the local VTEP 172.31.1.1: outer Ethernet
                     02:00:00:00:01:02 -> 02:70:63:61:70:00 (the MAC DPDK's net_pcap0 reports,
                     and the one the OVS run gives its br-phy), IPv4 TTL 64, DF, UDP source
                     port 49152 + i % 16384, destination 4789, checksum 0 = 110 B frames

usage: gen_extra.py DIR     (DIR holds udp_10k.pcap; files that exist with the right size are kept)
"""
import os
import random
import struct
import sys

VTEP_MAC_LOCAL = "02:70:63:61:70:00"
VTEP_MAC_REMOTE = "02:00:00:00:01:02"
VTEP_LOCAL, VTEP_REMOTE, VNI = "172.31.1.1", "172.31.1.2", 100


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 24
    while off < len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, b in enumerate(frames):
            f.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(b), len(b)))
            f.write(b)


def reverse_udp(fr):
    """The reply to a 60-byte Ethernet/IPv4/UDP frame: MACs, addresses, ports swapped."""
    eth, iph, l4 = fr[:14], bytearray(fr[14:34]), bytearray(fr[34:])
    eth = eth[6:12] + eth[0:6] + eth[12:14]
    iph[12:16], iph[16:20] = fr[30:34], fr[26:30]
    iph[10:12] = b"\0\0"
    iph[10:12] = struct.pack("!H", csum(bytes(iph)))
    ulen = struct.unpack("!H", l4[4:6])[0]
    l4[0:2], l4[2:4] = fr[36:38], fr[34:36]
    l4[6:8] = b"\0\0"
    pseudo = bytes(iph[12:20]) + struct.pack("!BBH", 0, 17, ulen)
    c = csum(pseudo + bytes(l4[:ulen])) or 0xFFFF
    l4[6:8] = struct.pack("!H", c)
    return eth + bytes(iph) + bytes(l4)


def vxlan_encap(inner, i):
    vx = struct.pack("!II", 0x08000000, VNI << 8)
    udp = struct.pack("!HHHH", 49152 + i % 16384, 4789, 8 + len(vx) + len(inner), 0)
    tot = 20 + len(udp) + len(vx) + len(inner)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, 17, 0,
                      ip4(VTEP_REMOTE), ip4(VTEP_LOCAL))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    return mac(VTEP_MAC_LOCAL) + mac(VTEP_MAC_REMOTE) + b"\x08\x00" + iph + udp + vx + inner


def main():
    d = sys.argv[1]
    base = read_pcap(os.path.join(d, "udp_10k.pcap"))
    assert len(base) == 10000 and all(len(b) == 60 for b in base)
    shuf = list(base)
    random.Random(7).shuffle(shuf)
    rr = []
    for fr in base:
        rr += [fr, reverse_udp(fr)]
    vx = [vxlan_encap(fr, i) for i, fr in enumerate(base)]
    files = {"udp_10k_shuf.pcap": shuf, "udp_rr_10k.pcap": rr, "vxlan_10k.pcap": vx}
    # independent rebuild of a sample with scapy
    from scapy.all import Ether, IP, UDP, Raw
    from scapy.layers.vxlan import VXLAN
    rnd = random.Random(3)
    for i in rnd.sample(range(10000), 40) + [9999]:
        q = Ether(base[i])
        r = Ether(src=q.dst, dst=q.src) / IP(src=q[IP].dst, dst=q[IP].src, ttl=64, id=1) / \
            UDP(sport=q[UDP].dport, dport=q[UDP].sport) / Raw(bytes(q[UDP].payload))
        assert bytes(r) == rr[2 * i + 1], ("rr mismatch", i)
        v = Ether(src=VTEP_MAC_REMOTE, dst=VTEP_MAC_LOCAL) / \
            IP(src=VTEP_REMOTE, dst=VTEP_LOCAL, ttl=64, id=0, flags="DF") / \
            UDP(sport=49152 + i % 16384, dport=4789, chksum=0) / VXLAN(vni=VNI, flags=0x08) / \
            Raw(base[i])
        assert bytes(v) == vx[i], ("vxlan mismatch", i)
    assert sorted(shuf) == sorted(base) and shuf != base
    for name, fr in files.items():
        path = os.path.join(d, name)
        want = 24 + sum(16 + len(b) for b in fr)
        if os.path.exists(path) and os.path.getsize(path) == want:
            print("%-18s %6d frames (kept)" % (name, len(fr)))
            continue
        write_pcap(path, fr)
        print("%-18s %6d frames of %d B, 41 sampled frames == scapy" % (name, len(fr), len(fr[0])))


if __name__ == "__main__":
    main()
