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
  udp_rr_1.pcap      the first request/response pair of udp_rr_10k: 1 flow, 2 frames
  udp_200k_h0.pcap, udp_200k_h1.pcap   (when DIR holds the peer's udp_200k.pcap) its first
                     and second 100,000 frames: disjoint tuples, one file per rx queue of the
                     two-PMD setup-rate scenario

With "gen_extra.py DIR big" (DIR holds the peer's udp_1m.pcap), the 1,000,000-connection
inputs of the ct-*-1m scenarios (kept between runs: big, and slow to make in Python):
  udp_rr_1m.pcap     for each frame of udp_1m (src 10.(64 + i>>16).(i>>8&255).(i&255),
                     sport 1024 + i % 60000 -> 10.2.0.1:5000) the request and its reply
                     = 2,000,000 frames; after the first pass every packet is +est
  tcp_1m.pcap        1,000,000 TCP connections, both directions, the peer's tcp_10k pattern
                     with udp_1m's addressing (A = 10.(64 + i>>16).(i>>8&255).(i&255):
                     1024 + i % 60000, B = 10.2.0.1:80): 1M SYN, 1M SYN/ACK, 1M ACK, then one
                     round of (A->B ACK, B->A ACK) per connection = 5,000,000 frames (380 MB;
                     one round instead of tcp_10k's two keeps the feeder's mbufs near 2.4 GB)

usage: gen_extra.py DIR [big]  (files that exist with the right size are kept)
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


def write_pcap_stream(path, frames, n):
    """Writes n frames from an iterator without holding them (tmp file, then rename)."""
    rec = struct.Struct("<IIII")
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        k = 0
        for b in frames:
            f.write(rec.pack(k // 1000000, k % 1000000, len(b), len(b)))
            f.write(b)
            k += 1
    assert k == n, (path, k, n)
    os.rename(path + ".tmp", path)


SMAC, DMAC, B_IP = "02:00:00:00:00:01", "02:00:00:00:00:02", "10.2.0.1"
ISN_A, ISN_B = 1000, 500000   # the peer's gen_pcaps.py
TCP_FLAGS = {"S": 0x02, "SA": 0x12, "A": 0x10}
W16 = struct.Struct("!10H")   # pseudo header (12 B) + the first 8 B of the TCP header


def big_ip(i):
    return "10.%d.%d.%d" % (64 + (i >> 16), (i >> 8) & 255, i & 255)


def tcp_frame(i, a_to_b, flags, seq, ack):
    """60-byte Ethernet/IPv4/TCP frame of connection i, as the peer's tcp_raw() builds it."""
    a, b = ip4(big_ip(i)), ip4(B_IP)
    sp = 1024 + i % 60000
    if a_to_b:
        sm, dm, sip, dip, s_port, d_port = SMAC, DMAC, a, b, sp, 80
    else:
        sm, dm, sip, dip, s_port, d_port = DMAC, SMAC, b, a, 80, sp
    l4 = struct.pack("!HHIIBBHHH", s_port, d_port, seq, ack, 5 << 4, TCP_FLAGS[flags],
                     65535, 0, 0)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0, sip, dip)
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    c = csum(sip + dip + struct.pack("!BBH", 0, 6, 20) + l4)
    l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
    fr = mac(dm) + mac(sm) + b"\x08\x00" + iph + l4
    return fr + b"\0" * (60 - len(fr))


def tcp_1m_frames(n):
    """SYN x n, SYN/ACK x n, ACK x n, then (A->B ACK, B->A ACK) per connection."""
    for i in range(n):
        yield tcp_frame(i, True, "S", ISN_A, 0)
    for i in range(n):
        yield tcp_frame(i, False, "SA", ISN_B, ISN_A + 1)
    for i in range(n):
        yield tcp_frame(i, True, "A", ISN_A + 1, ISN_B + 1)
    for i in range(n):
        yield tcp_frame(i, True, "A", ISN_A + 1, ISN_B + 1)
        yield tcp_frame(i, False, "A", ISN_B + 1, ISN_A + 1)


def main_big(d):
    n = 1000000
    base = read_pcap(os.path.join(d, "udp_1m.pcap"))
    assert len(base) == n and all(len(b) == 60 for b in base)
    from scapy.all import Ether, IP, UDP, TCP, Raw
    rnd = random.Random(5)
    path = os.path.join(d, "udp_rr_1m.pcap")
    if os.path.exists(path) and os.path.getsize(path) == 24 + 2 * n * 76:
        print("%-18s %7d frames (kept)" % ("udp_rr_1m.pcap", 2 * n))
    else:
        for i in rnd.sample(range(n), 40) + [n - 1]:
            q = Ether(base[i])
            r = Ether(src=q.dst, dst=q.src) / IP(src=q[IP].dst, dst=q[IP].src, ttl=64, id=1) / \
                UDP(sport=q[UDP].dport, dport=q[UDP].sport) / Raw(bytes(q[UDP].payload))
            assert bytes(r) == reverse_udp(base[i]), ("rr_1m mismatch", i)
        write_pcap_stream(path, (x for fr in base for x in (fr, reverse_udp(fr))), 2 * n)
        print("%-18s %7d frames of 60 B, 41 sampled replies == scapy" % ("udp_rr_1m.pcap", 2 * n))
    del base
    path = os.path.join(d, "tcp_1m.pcap")
    if os.path.exists(path) and os.path.getsize(path) == 24 + 5 * n * 76:
        print("%-18s %7d frames (kept)" % ("tcp_1m.pcap", 5 * n))
        return
    # an independent scapy build of a sample (connection i, packet kind k)
    kinds = [(True, "S", ISN_A, 0), (False, "SA", ISN_B, ISN_A + 1),
             (True, "A", ISN_A + 1, ISN_B + 1), (True, "A", ISN_A + 1, ISN_B + 1),
             (False, "A", ISN_B + 1, ISN_A + 1)]
    for i in rnd.sample(range(n), 30) + [0, n - 1]:
        for a_to_b, fl, seq, ack in kinds:
            sp = 1024 + i % 60000
            if a_to_b:
                p = Ether(src=SMAC, dst=DMAC) / IP(src=big_ip(i), dst=B_IP, ttl=64, id=1) / \
                    TCP(sport=sp, dport=80, flags=fl, seq=seq, ack=ack, window=65535)
            else:
                p = Ether(src=DMAC, dst=SMAC) / IP(src=B_IP, dst=big_ip(i), ttl=64, id=1) / \
                    TCP(sport=80, dport=sp, flags=fl, seq=seq, ack=ack, window=65535)
            want = bytes(p) + b"\0" * (60 - len(bytes(p)))
            assert want == tcp_frame(i, a_to_b, fl, seq, ack), ("tcp_1m mismatch", i, fl)
    write_pcap_stream(path, tcp_1m_frames(n), 5 * n)
    print("%-18s %7d frames of 60 B, 160 sampled frames == scapy" % ("tcp_1m.pcap", 5 * n))


def main():
    d = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "big":
        main_big(d)
        return
    base = read_pcap(os.path.join(d, "udp_10k.pcap"))
    assert len(base) == 10000 and all(len(b) == 60 for b in base)
    shuf = list(base)
    random.Random(7).shuffle(shuf)
    rr = []
    for fr in base:
        rr += [fr, reverse_udp(fr)]
    vx = [vxlan_encap(fr, i) for i, fr in enumerate(base)]
    files = {"udp_10k_shuf.pcap": shuf, "udp_rr_10k.pcap": rr, "vxlan_10k.pcap": vx,
             "udp_rr_1.pcap": rr[:2]}
    if os.path.exists(os.path.join(d, "udp_200k.pcap")):
        # ct-setup-2pmd: one half of the 200,000 tuples per rx queue (PMD), disjoint
        t200 = read_pcap(os.path.join(d, "udp_200k.pcap"))
        assert len(t200) == 200000 and len(set(t200)) == 200000
        files["udp_200k_h0.pcap"], files["udp_200k_h1.pcap"] = t200[:100000], t200[100000:]
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
