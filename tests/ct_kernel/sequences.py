# SPDX-License-Identifier: BSD-3-Clause
"""Packet sequences of the lib/ct differential test (tests/ct_kernel).

Each sequence is a list of (side, frame): side 'a' is the client end of the
router namespace (198.18.1.2 / 2001:db8:1::2), side 'b' the server end
(198.18.2.2 / 2001:db8:2::2).  Frames are complete Ethernet frames addressed
to the router's port on that side, so the same bytes go to the kernel (sent
from the end namespaces) and to ct_replay (from a pcap).  Every sequence uses
its own ports, so the sequences do not interact even without a flush.
"""
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_EOL, IPOption_NOP
from scapy.layers.inet6 import (ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest,
                                 ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6,
                                 IPv6ExtHdrDestOpt, IPv6ExtHdrFragment)
from scapy.layers.sctp import (SCTP, SCTPChunkCookieAck, SCTPChunkCookieEcho, SCTPChunkData,
                                SCTPChunkInit, SCTPChunkInitAck, SCTPChunkSACK)
from scapy.packet import Raw
from scapy.layers.l2 import Ether

A_MAC, RA_MAC = "02:00:00:00:01:02", "02:00:00:00:01:01"
B_MAC, RB_MAC = "02:00:00:00:02:02", "02:00:00:00:02:01"
ADDR = {
    (4, "a"): "198.18.1.2",
    (4, "b"): "198.18.2.2",
    (6, "a"): "2001:db8:1::2",
    (6, "b"): "2001:db8:2::2",
}
ROUTER_ADDR = {
    (4, "a"): "198.18.1.1",
    (4, "b"): "198.18.2.1",
    (6, "a"): "2001:db8:1::1",
    (6, "b"): "2001:db8:2::1",
}
# A host behind the router on side b that is not the server (ICMP errors from the path).
OTHER_B = {4: "198.18.2.99", 6: "2001:db8:2::99"}


def other(side):
    return "b" if side == "a" else "a"


def frame(side, l3):
    if side == "a":
        return ("a", Ether(src=A_MAC, dst=RA_MAC) / l3)
    return ("b", Ether(src=B_MAC, dst=RB_MAC) / l3)


def ip(v, side, src=None, dst=None):
    src = src or ADDR[(v, side)]
    dst = dst or ADDR[(v, other(side))]
    return IP(src=src, dst=dst, ttl=64) if v == 4 else IPv6(src=src, dst=dst, hlim=64)


class Tcp:
    """One TCP connection between side a (client) and side b (server)."""

    def __init__(self, v, sport, dport=80):
        self.v, self.sport, self.dport = v, sport, dport

    def seg(self, side, flags, seq, ack=0, data=0, win=64240, opts=None):
        sp, dp = (self.sport, self.dport) if side == "a" else (self.dport, self.sport)
        t = TCP(sport=sp, dport=dp, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=win,
                options=opts or [])
        return frame(side, ip(self.v, side) / t / (b"x" * data))

    def handshake(self, isn_a=1000, isn_b=5000, win=64240, opts_a=None, opts_b=None):
        return [
            self.seg("a", "S", isn_a, 0, win=win, opts=opts_a),
            self.seg("b", "SA", isn_b, isn_a + 1, win=win, opts=opts_b),
            self.seg("a", "A", isn_a + 1, isn_b + 1, win=win),
        ]

    def close(self, a, b):
        """Client-initiated close from SEQs a (client) and b (server)."""
        return [
            self.seg("a", "FA", a, b),
            self.seg("b", "A", b, a + 1),
            self.seg("b", "FA", b, a + 1),
            self.seg("a", "A", a + 1, b + 1),
        ]


def tcp_close(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "PA", 1001, 5001, data=100),
        t.seg("b", "A", 5001, 1101),
        t.seg("b", "PA", 5001, 1101, data=50),
        t.seg("a", "A", 1101, 5051),
    ] + t.close(1101, 5051)


def tcp_rst(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "PA", 1001, 5001, data=10),
        t.seg("b", "R", 5001),
        t.seg("a", "A", 1011, 5001),
    ]


def tcp_rst_out_of_window(v, port):
    t = Tcp(v, port)
    return t.handshake(win=8192) + [
        t.seg("b", "R", 5001 + 100000),
        t.seg("a", "PA", 1001, 5001, data=10, win=8192),
        t.seg("b", "RA", 5001, 1011),
    ]


def tcp_out_of_window(v, port):
    t = Tcp(v, port)
    return t.handshake(win=8192) + [
        t.seg("a", "PA", 1001 + 200000, 5001, data=10, win=8192),  # SEQ above the window
        t.seg("a", "PA", 1001, 5001 + 100000, data=10, win=8192),  # ACKs data never sent
        t.seg("a", "PA", 1001 - 80000, 5001, data=10, win=8192),  # long before the window
        t.seg("a", "PA", 1001, 5001, data=10, win=8192),
        t.seg("b", "A", 5001, 1011, win=8192),
    ]


def tcp_retransmit(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "PA", 1001, 5001, data=100),
        t.seg("a", "PA", 1001, 5001, data=100),
        t.seg("b", "A", 5001, 1101),
        t.seg("b", "A", 5001, 1101),
        t.seg("a", "PA", 1101, 5001, data=100),
        t.seg("a", "PA", 1001, 5001, data=100),  # old data again after the ACK
        t.seg("b", "A", 5001, 1201),
    ]


def tcp_syn_retransmit(v, port):
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000), t.seg("a", "S", 1000)] + t.handshake()[1:]


def tcp_bad_synack(v, port):
    t = Tcp(v, port)
    return [
        t.seg("a", "S", 1000),
        t.seg("b", "SA", 5000, 7777),  # acknowledges nothing the client sent
        t.seg("a", "A", 1001, 5001),  # ACK before a valid SYN/ACK
        t.seg("b", "SA", 5000, 1001),
        t.seg("a", "A", 1001, 5001),
    ]


def tcp_time_wait_reuse(v, port):
    t = Tcp(v, port)
    return tcp_close_on(t) + t.handshake(isn_a=900000, isn_b=700000)


def tcp_close_on(t):
    return t.handshake() + t.close(1001, 5001)


def tcp_server_rst_then_syn(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("b", "RA", 5001, 1001),
        t.seg("a", "S", 900000),
        t.seg("b", "SA", 700000, 900001),
        t.seg("a", "A", 900001, 700001),
    ]


def tcp_client_rst_then_syn(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "R", 1001),
        t.seg("a", "S", 900000),
        t.seg("b", "SA", 700000, 900001),
        t.seg("a", "A", 900001, 700001),
    ]


def tcp_simultaneous_open(v, port):
    t = Tcp(v, port, dport=port + 1)
    return [
        t.seg("a", "S", 1000),
        t.seg("b", "S", 5000),
        t.seg("a", "SA", 1000, 5001),
        t.seg("b", "SA", 5000, 1001),
        t.seg("a", "A", 1001, 5001),
        t.seg("b", "PA", 5001, 1001, data=20),
    ]


def tcp_window_scale(v, port):
    t = Tcp(v, port)
    ws = [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]
    return t.handshake(win=65535, opts_a=ws, opts_b=ws) + [
        t.seg("b", "A", 5001, 1001, win=1000),  # 128000 bytes scaled
        t.seg("a", "PA", 1001 + 100000, 5001, data=10, win=1000),  # beyond 65535, within 128000
        t.seg("a", "PA", 1001 + 200000, 5001, data=10, win=1000),  # beyond the scaled window
        t.seg("a", "PA", 1001, 5001, data=10, win=1000),
    ]


def tcp_window_scale_one_side(v, port):
    t = Tcp(v, port)
    ws = [("MSS", 1460), ("WScale", 7)]
    return t.handshake(win=65535, opts_a=[("MSS", 1460)], opts_b=ws) + [
        t.seg("b", "A", 5001, 1001, win=1000),  # unscaled: 1000 bytes
        t.seg("a", "PA", 1001 + 100000, 5001, data=10, win=1000),
        t.seg("a", "PA", 1001, 5001, data=10, win=1000),
    ]


def tcp_pickup(v, port):
    t = Tcp(v, port)
    return [
        t.seg("a", "PA", 123456, 654321, data=10),
        t.seg("b", "A", 654321, 123466),
        t.seg("a", "PA", 123466, 654321, data=10),
    ]


def tcp_fin_rst(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "FA", 1001, 5001),
        t.seg("b", "A", 5001, 1002),
        t.seg("b", "RA", 5001, 1002),
        t.seg("a", "A", 1002, 5001),
    ]


def udp(v, port, side, data=8):
    sp, dp = (port, 53) if side == "a" else (53, port)
    return frame(side, ip(v, side) / UDP(sport=sp, dport=dp) / (b"q" * data))


def udp_request_response(v, port):
    return [udp(v, port, "a"), udp(v, port, "b"), udp(v, port, "a"), udp(v, port, "b", 100)]


def udp_unreplied(v, port):
    return [udp(v, port, "a"), udp(v, port, "a"), udp(v, port, "a")]


def echo(v, side, ident, seq, reply=False):
    if v == 4:
        l4 = ICMP(type=0 if reply else 8, id=ident, seq=seq)
    else:
        l4 = (ICMPv6EchoReply if reply else ICMPv6EchoRequest)(id=ident, seq=seq)
    return frame(side, ip(v, side) / l4 / (b"p" * 16))


def ping(v, port):
    return [echo(v, "a", port, 1), echo(v, "b", port, 1, True),
            echo(v, "a", port, 2), echo(v, "b", port, 2, True)]


def ping_reply_first(v, port):
    return [echo(v, "b", port, 1, True), echo(v, "a", port, 1)]


def unreach(v, side, inner, src=None):
    """ICMP port unreachable from 'side' quoting the IP packet 'inner' (a frame)."""
    quoted = bytes(inner[1].payload)[: 28 if v == 4 else 48]
    if v == 4:
        l4 = ICMP(type=3, code=3) / quoted
    else:
        l4 = ICMPv6DestUnreach(code=4) / quoted
    return frame(side, ip(v, side, src=src) / l4)


def icmp_port_unreachable(v, port):
    req = udp(v, port, "a")
    return [req, unreach(v, "b", req), udp(v, port, "a")]


def icmp_error_from_path(v, port):
    """An error from a router on the path (not the server) is related too."""
    req = udp(v, port, "a")
    return [req, unreach(v, "b", req, src=OTHER_B[v])]


def icmp_error_wrong_direction(v, port):
    """The client 'reports' its own packet to the server."""
    req = udp(v, port, "a")
    return [req, unreach(v, "a", req)]


def icmp_error_untracked(v, port):
    req = udp(v, port, "a")
    return [unreach(v, "b", req)]


def icmp_error_tcp(v, port):
    t = Tcp(v, port)
    syn = t.seg("a", "S", 1000)
    return [syn, unreach(v, "b", syn), t.seg("b", "SA", 5000, 1001)]


def tcp_syn_rst(v, port):
    """The server refuses: an RST before any reply deletes the connection."""
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000), t.seg("b", "RA", 0, 1001), t.seg("a", "S", 2000)]


def tcp_client_abort(v, port):
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000), t.seg("a", "R", 1001), t.seg("b", "SA", 5000, 1001)]


def tcp_rst_inexact(v, port):
    """An in-window RST of an established connection that is not exactly at the
    expected SEQ (RFC 5961: answered by a challenge ACK) keeps it established."""
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "PA", 1001, 5001, data=10),
        t.seg("b", "A", 5001, 1011),
        t.seg("b", "R", 5001 + 500),
        t.seg("a", "A", 1011, 5001),
        t.seg("b", "R", 5001),
    ]


def tcp_last_ack_challenge(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "FA", 1001, 5001),
        t.seg("b", "A", 5001, 1002),
        t.seg("b", "FA", 5001, 1002),
        t.seg("a", "S", 900000),  # ignored in LAST_ACK
        t.seg("b", "A", 5002, 1002),  # challenge ACK, not the last ACK
        t.seg("a", "A", 1002, 5002),  # the real last ACK
    ]


def tcp_synack_retransmit(v, port):
    t = Tcp(v, port)
    h = t.handshake()
    return h[:2] + [h[1]] + h[2:] + [t.seg("b", "SA", 5000, 1001)]


def tcp_resync_new_syn(v, port):
    """The peers restart while we hold the old connection: SYN ignored, SYN/ACK resyncs."""
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "S", 900000, win=2000),
        t.seg("b", "SA", 700000, 900001, win=3000),
        t.seg("a", "A", 900001, 700001),
        t.seg("a", "PA", 900001, 700001, data=10),
    ]


def tcp_server_closes_first(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("b", "FA", 5001, 1001),
        t.seg("a", "A", 1001, 5002),
        t.seg("a", "PA", 1001, 5002, data=10),
        t.seg("b", "A", 5002, 1011),
        t.seg("a", "FA", 1011, 5002),
        t.seg("b", "A", 5002, 1012),
    ]


def tcp_keepalive_zero_window(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "A", 1000, 5001),  # keepalive probe: SEQ one below
        t.seg("b", "A", 5001, 1001),
        t.seg("b", "A", 5001, 1001, win=0),  # window closed
        t.seg("a", "PA", 1001, 5001, data=1),  # zero-window probe
        t.seg("b", "A", 5001, 1001, win=0),
        t.seg("b", "A", 5001, 1001, win=8000),
        t.seg("a", "PA", 1001, 5001, data=100),
    ]


def tcp_sack(v, port):
    t = Tcp(v, port)
    ok = [("SAckOK", b"")]
    return t.handshake(opts_a=ok, opts_b=ok) + [
        t.seg("a", "PA", 1001, 5001, data=100),
        t.seg("a", "PA", 1101, 5001, data=100),
        t.seg("a", "PA", 1201, 5001, data=100),
        t.seg("b", "A", 5001, 1101, opts=[("SAck", (1201, 1301))]),
        t.seg("b", "A", 5001, 1101, opts=[("SAck", (1201, 1401))]),  # SACKs unsent data
        t.seg("a", "PA", 1101, 5001, data=100),
        t.seg("b", "A", 5001, 1301),
    ]


def tcp_fin_before_synack(v, port):
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000), t.seg("a", "FA", 1001, 0), t.seg("b", "SA", 5000, 1001)]


def tcp_bad_flags(v, port):
    t = Tcp(v, port)
    return [t.seg("a", "SF", 1000), t.seg("a", "", 1000), t.seg("a", "S", 1000),
            t.seg("b", "SAR", 5000, 1001), t.seg("b", "SA", 5000, 1001)]


def udp_other_port_reply(v, port):
    """A reply from another port is a new connection of its own (+new)."""
    return [udp(v, port, "a"),
            frame("b", ip(v, "b") / UDP(sport=54, dport=port) / b"r")]


def other_protocol(v, port, proto=253):
    l3a = ip(v, "a")
    l3b = ip(v, "b")
    if v == 4:
        l3a.proto = l3b.proto = proto
    else:
        l3a.nh = l3b.nh = proto
    return [frame("a", l3a / Raw(b"o" * 12)), frame("b", l3b / Raw(b"o" * 12)),
            frame("a", l3a / Raw(b"o" * 12))]


def ping_two_ids(v, port):
    return [echo(v, "a", port, 1), echo(v, "a", port + 1, 1), echo(v, "b", port + 1, 1, True),
            echo(v, "b", port, 1, True)]


def icmp_timestamp(v, port):
    return [frame("a", ip(4, "a") / ICMP(type=13, id=port, seq=1) / (b"t" * 12)),
            frame("b", ip(4, "b") / ICMP(type=14, id=port, seq=1) / (b"t" * 12))]


def icmp_time_exceeded_ping(v, port):
    """TTL exceeded from a router on the path, quoting a tracked echo request."""
    req = echo(v, "a", port, 1)
    quoted = bytes(req[1].payload)[: 28 if v == 4 else 48]
    if v == 4:
        l4 = ICMP(type=11, code=0) / quoted
    else:
        l4 = ICMPv6TimeExceeded(code=0) / quoted
    return [req, frame("b", ip(v, "b", src=OTHER_B[v]) / l4)]


def icmp_error_tcp_established(v, port):
    t = Tcp(v, port)
    seg = t.seg("a", "PA", 1001, 5001, data=10)
    return t.handshake() + [seg, unreach(v, "b", seg, src=OTHER_B[v]), t.seg("b", "A", 5001, 1011)]


def tcp_simultaneous_open_reply_ack(v, port):
    """Simultaneous open finished by the reply side's ACK."""
    t = Tcp(v, port, dport=port + 1)
    return [
        t.seg("a", "S", 1000),
        t.seg("b", "S", 5000),
        t.seg("a", "SA", 1000, 5001),
        t.seg("b", "A", 5001, 1001),
        t.seg("a", "PA", 1001, 5001, data=20),
    ]


def tcp_ack_bad_seq(v, port):
    """A segment without data is checked by its SEQ too."""
    t = Tcp(v, port)
    return t.handshake(win=8192) + [
        t.seg("a", "A", 1001 + 200000, 5001, win=8192),
        t.seg("a", "A", 1001, 5001, win=8192),
    ]


def tcp_time_wait_reuse_by_server(v, port):
    """The server reopens a TIME_WAIT tuple: the new connection's originator is the server."""
    t = Tcp(v, port)
    return tcp_close_on(t) + [
        t.seg("b", "S", 700000),
        t.seg("a", "SA", 900000, 700001),
        t.seg("b", "A", 700001, 900001),
    ]


def tcp_fin_retransmit_and_data(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "FA", 1001, 5001),
        t.seg("a", "FA", 1001, 5001),  # retransmitted FIN
        t.seg("b", "PA", 5001, 1002, data=30),  # the server still sends in CLOSE_WAIT
        t.seg("a", "A", 1002, 5031),
        t.seg("b", "FA", 5031, 1002),
        t.seg("b", "FA", 5031, 1002),  # retransmitted in LAST_ACK
        t.seg("a", "A", 1002, 5032),
        t.seg("a", "A", 1002, 5032),  # retransmitted last ACK in TIME_WAIT
    ]


def tcp_syn_with_data(v, port):
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000, data=20), t.seg("b", "SA", 5000, 1021),
            t.seg("a", "A", 1021, 5001)]


def icmp_unknown_type(v, port):
    return [frame("a", ip(4, "a") / ICMP(type=9, code=0) / (b"r" * 8)),
            frame("a", ip(4, "a") / ICMP(type=42, code=0) / (b"r" * 8))]


def ping_duplicates(v, port):
    return [echo(v, "a", port, 1), echo(v, "a", port, 1), echo(v, "b", port, 1, True),
            echo(v, "b", port, 1, True)]


def tcp_pickup_resync(v, port):
    """A picked-up connection restarted by its peers: the SYN/ACK's side stays liberal."""
    t = Tcp(v, port)
    return [
        t.seg("a", "PA", 123456, 654321, data=10),
        t.seg("b", "A", 654321, 123466),
        t.seg("a", "S", 900000, win=2000),
        t.seg("b", "SA", 700000, 900001, win=3000),
        t.seg("b", "PA", 700001 + 500000, 900001, data=10),  # far out of window
        t.seg("a", "A", 900001, 700001),
    ]


def tcp_rst_seq0_answering_syn(v, port):
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000), t.seg("b", "R", 0), t.seg("a", "S", 1000)]


def tcp_rst_ack_zero(v, port):
    """Some stacks send RST|ACK with ACK 0."""
    t = Tcp(v, port)
    return t.handshake() + [t.seg("b", "RA", 5001, 0), t.seg("a", "A", 1001, 5001)]


def tcp_fin_in_syn_recv(v, port):
    t = Tcp(v, port)
    return t.handshake()[:2] + [
        t.seg("a", "FA", 1001, 5001),
        t.seg("b", "FA", 5001, 1002),
        t.seg("a", "A", 1002, 5002),
    ]


def tcp_server_data_before_third_ack(v, port):
    t = Tcp(v, port)
    h = t.handshake()
    return h[:2] + [t.seg("b", "PA", 5001, 1001, data=40), h[2],
                    t.seg("a", "A", 1001, 5041)]


def tcp_challenge_ack_in_syn_sent(v, port):
    """A SYN hits a half-open connection: the server's challenge ACK, the client's RST."""
    t = Tcp(v, port)
    return [t.seg("a", "S", 1000), t.seg("b", "A", 5001, 777777), t.seg("a", "R", 777777),
            t.seg("a", "S", 2000), t.seg("b", "SA", 9000, 2001)]


def tcp_simultaneous_close(v, port):
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "FA", 1001, 5001),
        t.seg("b", "FA", 5001, 1001),
        t.seg("a", "A", 1002, 5002),
        t.seg("b", "A", 5002, 1002),
    ]


def icmp_error_quoting_echo_reply(v, port):
    rep = echo(v, "b", port, 1, True)
    quoted = bytes(rep[1].payload)[: 28 if v == 4 else 48]
    l4 = ICMP(type=3, code=1) / quoted if v == 4 else ICMPv6DestUnreach(code=3) / quoted
    return [echo(v, "a", port, 1), rep, frame("a", ip(v, "a") / l4)]


def with_ext(f, ext):
    """The frame f with IPv6 extension header(s) 'ext' before its L4 header."""
    side, pkt = f
    l3 = pkt[1]
    return (side, Ether(src=pkt.src, dst=pkt.dst) /
            IPv6(src=l3.src, dst=l3.dst, hlim=64) / ext / l3.payload)


def tcp_ext_headers(v, port):
    """TCP over IPv6 behind destination-options and hop-by-hop headers."""
    t = Tcp(6, port)
    h = t.handshake()
    return [with_ext(h[0], IPv6ExtHdrDestOpt()), h[1], h[2],
            with_ext(t.seg("a", "PA", 1001, 5001, data=10), IPv6ExtHdrDestOpt()),
            t.seg("b", "A", 5001, 1011)]


def udp_atomic_fragment(v, port):
    """An IPv6 atomic fragment (fragment header, offset 0, no M): the kernel tracks it as a
    whole packet (RFC 6946); lib/ct sees lib/flowcache's key, which marks any fragment header
    as a fragment.  A documented difference (known_differences.txt): fixed port 40100."""
    port = 40100
    return [with_ext(udp(6, port, "a"), IPv6ExtHdrFragment(offset=0, m=0, id=7)),
            udp(6, port, "b"), udp(6, port, "a")]


def icmp6_packet_too_big(v, port):
    t = Tcp(6, port)
    seg = t.seg("a", "PA", 1001, 5001, data=10)
    quoted = bytes(seg[1].payload)[:48]
    return t.handshake() + [seg, frame("b", ip(6, "b", src=OTHER_B[6]) /
                                       ICMPv6PacketTooBig(mtu=1280) / quoted)]


def icmp_error_quoting_ext_headers(v, port):
    """An ICMPv6 error quoting a segment that had a destination-options header."""
    t = Tcp(6, port)
    seg = with_ext(t.seg("a", "PA", 1001, 5001, data=10), IPv6ExtHdrDestOpt())
    quoted = bytes(seg[1].payload)[:56]
    return t.handshake() + [seg, frame("b", ip(6, "b") / ICMPv6DestUnreach(code=4) / quoted),
                            t.seg("b", "A", 5001, 1011)]


def icmp_error_for_reply(v, port):
    """An error about the server's reply, sent back to the server: related, original side."""
    rep = udp(v, port, "b")
    return [udp(v, port, "a"), rep, unreach(v, "a", rep)]


def tcp_sack_not_permitted(v, port):
    """SACK blocks toward a receiver that did not allow SACK are ignored."""
    t = Tcp(v, port)
    return t.handshake() + [
        t.seg("a", "PA", 1001, 5001, data=100),
        t.seg("b", "A", 5001, 1001, opts=[("SAck", (1001, 9001))]),
        t.seg("b", "A", 5001, 1101),
    ]


def tcp_seq_wrap(v, port):
    """Sequence numbers wrapping around 2^32 on both sides."""
    t = Tcp(v, port)
    a, b = 2**32 - 150, 2**32 - 30
    return t.handshake(isn_a=a, isn_b=b) + [
        t.seg("a", "PA", a + 1, b + 1, data=100),
        t.seg("a", "PA", a + 101, b + 1, data=100),  # crosses 2^32
        t.seg("b", "PA", b + 1, a + 201, data=100),  # crosses 2^32
        t.seg("a", "A", a + 201, b + 101),
        t.seg("a", "PA", a + 201 + 100000, b + 101, data=10),  # far over the window
    ] + t.close(a + 201, b + 101)


def tcp_wscale_clamped(v, port):
    """A window scale over 14 counts as 14 (RFC 7323)."""
    t = Tcp(v, port)
    ws = [("WScale", 15)]
    return t.handshake(win=65535, opts_a=ws, opts_b=ws) + [
        t.seg("b", "A", 5001, 1001, win=100),  # 100 << 14 = 1638400
        t.seg("a", "PA", 1001 + 1500000, 5001, data=10, win=100),
        t.seg("a", "PA", 1001 + 1700000, 5001, data=10, win=100),
    ]


def udp_bad_length(v, port):
    """UDP length field over the payload, then under the header size: malformed."""
    def bad(ulen, side="a"):
        sp, dp = (port, 53) if side == "a" else (53, port)
        return frame(side, ip(v, side) / UDP(sport=sp, dport=dp, len=ulen) / (b"q" * 8))
    return [bad(200), bad(4), udp(v, port, "a"), bad(100, "b"), udp(v, port, "b")]


def tcp_malformed_options(v, port):
    """Option lists a parser must stop at: a zero option length, an option running past the
    header.  nf_conntrack stops reading options there and tracks the segment."""
    t = Tcp(v, port)

    def raw_opts(f, opts):
        side, pkt = f
        tcp = pkt[TCP]
        tcp.dataofs = 5 + len(opts) // 4
        tcp.remove_payload()
        tcp.add_payload(Raw(opts))
        return (side, Ether(bytes(pkt)))

    return [raw_opts(t.seg("a", "S", 1000), b"\x08\x00\x01\x01"),
            raw_opts(t.seg("b", "SA", 5000, 1001), b"\x03\x03\x07\x08\x0a\x01\x01\x01"),
            t.seg("a", "A", 1001, 5001)]


def tcp_ip_options_bad_offset(v, port):
    """IPv4 options before TCP; then a TCP data offset beyond the segment (malformed)."""
    t = Tcp(4, port)

    def with_ipopts(f):
        side, pkt = f
        l3 = pkt[IP]
        l3.options = [IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]
        return (side, Ether(bytes(pkt)))

    bad = t.seg("a", "PA", 1001, 5001)
    bad[1][TCP].dataofs = 15
    return [with_ipopts(f) for f in t.handshake()] + [
        (bad[0], Ether(bytes(bad[1]))),
        with_ipopts(t.seg("a", "PA", 1001, 5001, data=10)),
    ]


def icmp_echo_code(v, port):
    """Echo with a non-zero code: the reply must carry the same code."""
    req = frame("a", ip(4, "a") / ICMP(type=8, code=3, id=port, seq=1) / b"x")
    rep_other = frame("b", ip(4, "b") / ICMP(type=0, code=0, id=port, seq=1) / b"x")
    rep = frame("b", ip(4, "b") / ICMP(type=0, code=3, id=port, seq=1) / b"x")
    return [req, rep_other, rep]


def tcp_new_isn_in_handshake(v, port):
    """A SYN and a SYN/ACK re-sent with new ISNs during the handshake."""
    t = Tcp(v, port)
    return [
        t.seg("a", "S", 1000),
        t.seg("a", "S", 3000),  # new ISN: the client's side starts over
        t.seg("b", "SA", 5000, 1001),  # acknowledges the old ISN
        t.seg("b", "SA", 5000, 3001),
        t.seg("b", "SA", 8000, 3001),  # new ISN from the server: ignored in SYN_RECV
        t.seg("a", "A", 3001, 8001),
        t.seg("a", "A", 3001, 5001),
        t.seg("a", "FA", 3001, 5001, data=20),  # FIN carrying data
        t.seg("b", "RA", 5001, 3022),
    ]


def sctp(v, port, side, vtag, chunk):
    sp, dp = (port, 9) if side == "a" else (9, port)
    return frame(side, ip(v, side) / SCTP(sport=sp, dport=dp, tag=vtag) / chunk)


def sctp_handshake(v, port):
    """SCTP INIT / INIT-ACK / COOKIE-ECHO / COOKIE-ACK / DATA / SACK.  lib/ct tracks SCTP by
    ports only: verdicts agree, the kernel's SCTP state does not exist in lib/ct (a documented
    difference, fixed port 40200)."""
    port = 40200

    def sctp_(side, vtag, chunk):
        return sctp(v, port, side, vtag, chunk)
    return [
        sctp_("a", 0, SCTPChunkInit(init_tag=0x1111, a_rwnd=65535, n_out_streams=1,
                                    n_in_streams=1, init_tsn=1)),
        sctp_("b", 0x1111, SCTPChunkInitAck(init_tag=0x2222, a_rwnd=65535, n_out_streams=1,
                                           n_in_streams=1, init_tsn=1)),
        sctp_("a", 0x2222, SCTPChunkCookieEcho(cookie=b"c" * 8)),
        sctp_("b", 0x1111, SCTPChunkCookieAck()),
        sctp_("a", 0x2222, SCTPChunkData(tsn=1, data=b"d" * 8)),
        sctp_("b", 0x1111, SCTPChunkSACK(cumul_tsn_ack=1, a_rwnd=65535)),
    ]


def sctp_data_without_init(v, port):
    """SCTP DATA with no association: invalid for the kernel's SCTP tracker, new for lib/ct
    (documented difference, fixed port 40202)."""
    return [sctp(v, 40202, "a", 0x3333, SCTPChunkData(tsn=1, data=b"d" * 8))]


def udplite(v, port):
    """UDP-Lite request/response; a checksum coverage beyond the datagram, a missing checksum."""
    def pkt(side, cov, data=8, csum=0x1234):
        sp, dp = (port, 53) if side == "a" else (53, port)
        hdr = bytes([sp >> 8, sp & 255, dp >> 8, dp & 255, cov >> 8, cov & 255, csum >> 8,
                     csum & 255])
        l3 = ip(v, side)
        if v == 4:
            l3.proto = 136
        else:
            l3.nh = 136
        return frame(side, l3 / Raw(hdr + b"l" * data))
    # Checksums are not verified (nf_conntrack_checksum=0), but UDP-Lite must have one.
    return [pkt("a", 8), pkt("b", 0), pkt("a", 200), pkt("a", 16), pkt("b", 8, csum=0)]


def icmp_other_queries(v, port):
    """Information and address-mask request/reply; a reply without request; an error quoting
    an error."""
    def q(side, t, ident):
        return frame(side, ip(4, side) / ICMP(type=t, id=ident, seq=1) / (b"m" * 4))
    req = udp(4, port, "a")
    err = unreach(4, "b", req)
    quoted = bytes(err[1].payload)[:28]
    return [q("a", 15, port), q("b", 16, port), q("a", 17, port + 1), q("b", 18, port + 1),
            q("b", 14, port + 2), req, err,
            frame("a", ip(4, "a") / ICMP(type=3, code=3) / quoted)]


def tcp_syn_reinit_without_options(v, port):
    """A SYN re-sent with a new ISN but no options keeps the first SYN's window scale."""
    t = Tcp(v, port)
    ws = [("WScale", 7), ("SAckOK", b"")]
    return [
        t.seg("a", "S", 1000, win=65535, opts=ws),
        t.seg("a", "S", 3000, win=65535),
        t.seg("b", "SA", 5000, 3001, win=65535, opts=ws),
        t.seg("a", "A", 3001, 5001, win=1000),
        t.seg("b", "A", 5001, 3001, win=1000),  # 128000 bytes if scaled
        t.seg("a", "PA", 3001 + 100000, 5001, data=10, win=1000),
    ]


def tcp_zero_window_synack(v, port):
    """The server opens with a zero window, then opens it."""
    t = Tcp(v, port)
    return [
        t.seg("a", "S", 1000),
        t.seg("b", "SA", 5000, 1001, win=0),
        t.seg("a", "A", 1001, 5001),
        t.seg("a", "PA", 1001, 5001, data=1),  # window probe
        t.seg("b", "A", 5001, 1001, win=0),
        t.seg("b", "A", 5001, 1001, win=2000),
        t.seg("a", "PA", 1001, 5001, data=1000),
        t.seg("a", "PA", 2001, 5001, data=1400),  # ends 400 bytes past the window
        t.seg("a", "PA", 3401, 5001, data=100),  # starts past it
        t.seg("b", "A", 5001, 3501, win=2000),
    ]


# name -> (builder, IP versions)
SEQUENCES = {
    "tcp_close": (tcp_close, (4, 6)),
    "tcp_rst": (tcp_rst, (4, 6)),
    "tcp_rst_out_of_window": (tcp_rst_out_of_window, (4,)),
    "tcp_out_of_window": (tcp_out_of_window, (4, 6)),
    "tcp_retransmit": (tcp_retransmit, (4, 6)),
    "tcp_syn_retransmit": (tcp_syn_retransmit, (4,)),
    "tcp_bad_synack": (tcp_bad_synack, (4,)),
    "tcp_time_wait_reuse": (tcp_time_wait_reuse, (4, 6)),
    "tcp_server_rst_then_syn": (tcp_server_rst_then_syn, (4, 6)),
    "tcp_client_rst_then_syn": (tcp_client_rst_then_syn, (4, 6)),
    "tcp_simultaneous_open": (tcp_simultaneous_open, (4, 6)),
    "tcp_window_scale": (tcp_window_scale, (4, 6)),
    "tcp_window_scale_one_side": (tcp_window_scale_one_side, (4,)),
    "tcp_pickup": (tcp_pickup, (4, 6)),
    "tcp_fin_rst": (tcp_fin_rst, (4,)),
    "udp_request_response": (udp_request_response, (4, 6)),
    "udp_unreplied": (udp_unreplied, (4, 6)),
    "ping": (ping, (4, 6)),
    "ping_reply_first": (ping_reply_first, (4, 6)),
    "icmp_port_unreachable": (icmp_port_unreachable, (4, 6)),
    "icmp_error_from_path": (icmp_error_from_path, (4, 6)),
    "icmp_error_wrong_direction": (icmp_error_wrong_direction, (4, 6)),
    "icmp_error_untracked": (icmp_error_untracked, (4, 6)),
    "icmp_error_tcp": (icmp_error_tcp, (4,)),
    "tcp_syn_rst": (tcp_syn_rst, (4, 6)),
    "tcp_client_abort": (tcp_client_abort, (4,)),
    "tcp_rst_inexact": (tcp_rst_inexact, (4, 6)),
    "tcp_last_ack_challenge": (tcp_last_ack_challenge, (4, 6)),
    "tcp_synack_retransmit": (tcp_synack_retransmit, (4,)),
    "tcp_resync_new_syn": (tcp_resync_new_syn, (4,)),
    "tcp_server_closes_first": (tcp_server_closes_first, (4,)),
    "tcp_keepalive_zero_window": (tcp_keepalive_zero_window, (4,)),
    "tcp_sack": (tcp_sack, (4, 6)),
    "tcp_fin_before_synack": (tcp_fin_before_synack, (4,)),
    "tcp_bad_flags": (tcp_bad_flags, (4,)),
    "udp_other_port_reply": (udp_other_port_reply, (4,)),
    "other_protocol": (other_protocol, (4, 6)),
    "gre": (lambda v, port: other_protocol(v, port, 47), (4,)),
    "dccp": (lambda v, port: other_protocol(v, port, 33), (4,)),
    "ping_two_ids": (ping_two_ids, (4, 6)),
    "icmp_timestamp": (icmp_timestamp, (4,)),
    "icmp_time_exceeded_ping": (icmp_time_exceeded_ping, (4, 6)),
    "icmp_error_tcp_established": (icmp_error_tcp_established, (4, 6)),
    "tcp_simultaneous_open_reply_ack": (tcp_simultaneous_open_reply_ack, (4,)),
    "tcp_ack_bad_seq": (tcp_ack_bad_seq, (4,)),
    "tcp_time_wait_reuse_by_server": (tcp_time_wait_reuse_by_server, (4, 6)),
    "tcp_fin_retransmit_and_data": (tcp_fin_retransmit_and_data, (4, 6)),
    "tcp_syn_with_data": (tcp_syn_with_data, (4,)),
    "icmp_unknown_type": (icmp_unknown_type, (4,)),
    "ping_duplicates": (ping_duplicates, (4, 6)),
    "tcp_pickup_resync": (tcp_pickup_resync, (4,)),
    "tcp_rst_seq0_answering_syn": (tcp_rst_seq0_answering_syn, (4,)),
    "tcp_rst_ack_zero": (tcp_rst_ack_zero, (4,)),
    "tcp_fin_in_syn_recv": (tcp_fin_in_syn_recv, (4,)),
    "tcp_server_data_before_third_ack": (tcp_server_data_before_third_ack, (4,)),
    "tcp_challenge_ack_in_syn_sent": (tcp_challenge_ack_in_syn_sent, (4,)),
    "tcp_simultaneous_close": (tcp_simultaneous_close, (4, 6)),
    "icmp_error_quoting_echo_reply": (icmp_error_quoting_echo_reply, (4, 6)),
    "tcp_ext_headers": (tcp_ext_headers, (6,)),
    "icmp_packet_too_big": (icmp6_packet_too_big, (6,)),
    "udp_atomic_fragment": (udp_atomic_fragment, (6,)),
    "icmp_error_quoting_ext_headers": (icmp_error_quoting_ext_headers, (6,)),
    "icmp_error_for_reply": (icmp_error_for_reply, (4, 6)),
    "tcp_sack_not_permitted": (tcp_sack_not_permitted, (4,)),
    "tcp_seq_wrap": (tcp_seq_wrap, (4, 6)),
    "tcp_wscale_clamped": (tcp_wscale_clamped, (4,)),
    "udp_bad_length": (udp_bad_length, (4, 6)),
    "tcp_malformed_options": (tcp_malformed_options, (4,)),
    "tcp_ip_options_bad_offset": (tcp_ip_options_bad_offset, (4,)),
    "icmp_echo_code": (icmp_echo_code, (4,)),
    "tcp_new_isn_in_handshake": (tcp_new_isn_in_handshake, (4, 6)),
    "sctp_handshake": (sctp_handshake, (4,)),
    "sctp_data_without_init": (sctp_data_without_init, (4,)),
    "udplite": (udplite, (4, 6)),
    "icmp_other_queries": (icmp_other_queries, (4,)),
    "tcp_syn_reinit_without_options": (tcp_syn_reinit_without_options, (4,)),
    "tcp_zero_window_synack": (tcp_zero_window_synack, (4,)),
}


def build_all():
    """Returns [(name, [(side, bytes)])], each sequence on its own port."""
    out = []
    port = 41000
    for name, (fn, versions) in SEQUENCES.items():
        for v in versions:
            port += 2
            frames = [(side, bytes(f)) for side, f in fn(v, port)]
            out.append((name + ("6" if v == 6 else ""), frames))
    return out
