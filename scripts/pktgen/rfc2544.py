#!/usr/bin/python3
"""RFC 2544 (section 26.1) throughput search, independent of the traffic generator.

The search: for each frame size, binary search on the offered rate for the highest rate at
which a trial of fixed length loses no frame (received == sent; a loss tolerance in ppm can be
allowed).  A trial is: clear counters, offer `rate` for `duration` seconds, wait for the
in-flight frames to drain, read sent and received.  The search stops when the interval between
the highest passing and the lowest failing rate is below `resolution` (a fraction of the line
rate, default 0.5 %), or after `max_trials`.  The line rate itself is tried first: a DUT that
passes it needs no search.

A generator is a backend object with
    trial(size, rate, duration) -> (sent, received)     rate in frames per second
    line_rate(size) -> maximum rate (frames per second) the backend can offer at that size
Backends here:
    PktgenBackend    a running `pktgen -G` (pktgen-dpdk's Lua socket, TCP port 22022): sets
                     size and rate (% of line rate), starts, stops and reads port stats
    TcpreplayBackend `tcpreplay --pps RATE --limit N` into an interface; received frames are
                     counted by a callback (an interface's rx_packets, sluice port stats, ...)
    FakeBackend      a simulated DUT with a capacity (pps) and optional burst noise: for the
                     unit test of the search itself

usage (command line):
    rfc2544.py --backend tcpreplay --iface IF --pcap-dir DIR --rx-count CMD \\
               [--sizes 64,512,1518] [--max-rate PPS] [--min-rate PPS] [--duration S] ...
    rfc2544.py --backend pktgen [--pktgen-host 127.0.0.1:22022] --tx-port 0 --rx-port 1 ...
    rfc2544.py --backend fake --capacity PPS ...
  --rx-count CMD: a shell command that prints the receive counter (an integer); the
  difference over a trial is the received count.
Prints one line per trial and a final table; --json FILE writes the results.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time


class SearchResult:
    def __init__(self, size):
        self.size = size
        self.trials = []          # dicts: rate, sent, received, loss
        self.rate = 0.0           # highest zero-loss rate found (frames/s)
        self.line_rate = None

    def as_dict(self):
        return {"frame_size": self.size, "zero_loss_fps": self.rate,
                "zero_loss_mbps": self.rate * (self.size + 20) * 8 / 1e6,
                "line_rate_fps": self.line_rate,
                "zero_loss_pct_of_line": 100.0 * self.rate / self.line_rate
                if self.line_rate else None, "trials": self.trials}


def passes(sent, received, loss_ppm):
    if sent <= 0:
        return False
    lost = max(0, sent - received)
    return lost * 1e6 <= loss_ppm * sent


def search(backend, size, duration=1.0, resolution=0.005, loss_ppm=0.0, min_rate=None,
           max_rate=None, max_trials=20, log=None):
    """Binary search for the zero-loss rate of one frame size.  Returns a SearchResult."""
    res = SearchResult(size)
    top = max_rate or backend.line_rate(size)
    res.line_rate = top
    lo, hi = (min_rate or 0.0), top      # lo: highest rate known to pass; hi: lowest failing
    rate, n = top, 0
    while n < max_trials:
        sent, received = backend.trial(size, rate, duration)
        ok = passes(sent, received, loss_ppm)
        n += 1
        t = {"rate": rate, "sent": sent, "received": received, "pass": ok,
             "loss_pct": 100.0 * max(0, sent - received) / sent if sent else None}
        res.trials.append(t)
        if log:
            log("size %4d  trial %2d  rate %12.0f fps  sent %10d  received %10d  %s" % (
                size, n, rate, sent, received, "pass" if ok else "LOSS"))
        if ok:
            lo = rate
            if rate >= top:
                break
        else:
            hi = rate
        if hi - lo <= resolution * top:
            break
        rate = (lo + hi) / 2.0
    res.rate = lo
    return res


# ------------------------------------------------------------------ backends
class FakeBackend:
    """A DUT that forwards everything up to `capacity` frames/s (scaled by 64/size for bigger
    frames when `bytes_limited`), loses the excess; `line` is the generator's maximum."""

    def __init__(self, capacity, line=14.88e6, bytes_limited=False):
        self.capacity, self.line, self.bytes_limited = capacity, line, bytes_limited
        self.calls = 0

    def line_rate(self, size):
        return self.line * 84.0 / (size + 20)

    def trial(self, size, rate, duration):
        self.calls += 1
        cap = self.capacity * (84.0 / (size + 20) if self.bytes_limited else 1.0)
        sent = int(rate * duration)
        return sent, min(sent, int(cap * duration))


class TcpreplayBackend:
    """tcpreplay --pps into an interface; frames of each size come from DIR/size_<N>.pcap
    (made by make_pcaps()), looped as needed.  The receive side is counted by a shell command
    that prints an integer counter (read before and after a trial)."""

    def __init__(self, iface, pcap_dir, rx_count_cmd, max_rate=20000, settle=0.5, netns=None):
        self.iface, self.dir, self.rx_cmd = iface, pcap_dir, rx_count_cmd
        self.max_rate, self.settle, self.netns = max_rate, settle, netns

    def line_rate(self, size):
        return float(self.max_rate)

    def _rx(self):
        out = subprocess.run(self.rx_cmd, shell=True, capture_output=True, text=True,
                             timeout=30)
        if out.returncode != 0:
            raise RuntimeError("rx counter command failed: %s" % out.stderr.strip())
        return int(out.stdout.strip().split()[-1])

    def trial(self, size, rate, duration):
        n = max(1, int(rate * duration))
        pcap = os.path.join(self.dir, "size_%d.pcap" % size)
        cmd = ["tcpreplay", "-q", "-i", self.iface, "--pps=%d" % max(1, int(rate)),
               "--limit=%d" % n, "--loop=0", pcap]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        r0 = self._settled()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration * 5 + 30)
        if out.returncode != 0:
            raise RuntimeError("tcpreplay failed: %s" % (out.stderr or out.stdout).strip()[:300])
        sent = n
        for line in out.stdout.splitlines():   # "Actual: 1000 packets (...) sent in ..."
            if line.strip().startswith("Actual:"):
                sent = int(line.split()[1])
        time.sleep(self.settle)
        return sent, self._settled() - r0

    def _settled(self, timeout=10.0):
        """The receive counter once it has stopped moving: frames the DUT buffered during
        the previous trial must not be counted in the next one."""
        deadline, last = time.time() + timeout, self._rx()
        while time.time() < deadline:
            time.sleep(0.2)
            cur = self._rx()
            if cur == last:
                return cur
            last = cur
        return last


class PktgenBackend:
    """pktgen-dpdk started with -G (Lua commands over TCP, default port 22022).  Rate is set in
    percent of the port's line rate; counters are pktgen's own port stats."""

    def __init__(self, host="127.0.0.1", port=22022, tx_port=0, rx_port=1, link_gbps=None):
        self.addr = (host, port)
        self.tx, self.rx = tx_port, rx_port
        self.link_gbps = link_gbps

    def lua(self, code):
        with socket.create_connection(self.addr, timeout=30) as s:
            s.sendall(code.encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        return data.decode(errors="replace")

    def _gbps(self):
        if self.link_gbps:
            return self.link_gbps
        out = self.lua('local l = pktgen.linkState("%d"); print(l[%d])' % (self.tx, self.tx))
        # "<UP-10000-FD>"
        for tok in out.replace("<", " ").replace(">", " ").replace("-", " ").split():
            if tok.isdigit() and int(tok) >= 10:
                return int(tok) / 1000.0
        return 10.0

    def line_rate(self, size):
        return self._gbps() * 1e9 / ((size + 20) * 8)

    def trial(self, size, rate, duration):
        pct = min(100.0, 100.0 * rate / self.line_rate(size))
        code = """
pktgen.stop("all"); pktgen.clr();
pktgen.set("%(tx)d", "size", %(size)d); pktgen.set("%(tx)d", "rate", %(pct).4f);
pktgen.set("%(tx)d", "count", %(count)d);
pktgen.delay(200);
pktgen.start("%(tx)d"); pktgen.delay(%(ms)d); pktgen.stop("%(tx)d"); pktgen.delay(500);
local s = pktgen.portStats("all", "port");
print(string.format("RESULT %%d %%d", s[%(tx)d].opackets, s[%(rx)d].ipackets));
""" % {"tx": self.tx, "rx": self.rx, "size": size - 4, "pct": pct,
            "count": int(rate * duration), "ms": int(duration * 1000)}
        out = self.lua(code)
        for line in out.splitlines():
            if line.startswith("RESULT"):
                _, sent, rcv = line.split()
                return int(sent), int(rcv)
        raise RuntimeError("pktgen gave no RESULT line: %s" % out[-300:])


def make_pcaps(d, sizes, flows=1):
    """size_<N>.pcap: `flows` UDP frames of N bytes on the wire (N - 4 in the pcap, the FCS
    is added by the wire), 10.1.0.x:1024+i -> 10.2.0.1:5000, correct checksums."""
    import struct
    os.makedirs(d, exist_ok=True)

    def csum(b):
        if len(b) & 1:
            b += b"\0"
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return (~s) & 0xFFFF

    for size in sizes:
        with open(os.path.join(d, "size_%d.pcap" % size), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for i in range(flows):
                pl = size - 4 - 42
                src = bytes([10, 1, (i >> 8) & 255, i & 255])
                dst = bytes([10, 2, 0, 1])
                udp = struct.pack("!HHHH", 1024 + i % 60000, 5000, 8 + pl, 0) + b"\0" * pl
                c = csum(src + dst + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xFFFF
                udp = udp[:6] + struct.pack("!H", c) + udp[8:]
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                                 src, dst)
                ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
                fr = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp
                f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)))
                f.write(fr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", required=True, choices=["pktgen", "tcpreplay", "fake"])
    ap.add_argument("--sizes", default="64,512,1518")
    ap.add_argument("--duration", type=float, default=10.0, help="trial length, s (RFC 2544: 60)")
    ap.add_argument("--resolution", type=float, default=0.005,
                    help="stop when hi - lo <= this fraction of the line rate")
    ap.add_argument("--loss-ppm", type=float, default=0.0)
    ap.add_argument("--max-rate", type=float, help="frames/s to start from (default: line rate)")
    ap.add_argument("--min-rate", type=float)
    ap.add_argument("--max-trials", type=int, default=20)
    ap.add_argument("--json")
    ap.add_argument("--iface")
    ap.add_argument("--netns")
    ap.add_argument("--pcap-dir")
    ap.add_argument("--flows", type=int, default=1)
    ap.add_argument("--rx-count")
    ap.add_argument("--pktgen-host", default="127.0.0.1:22022")
    ap.add_argument("--tx-port", type=int, default=0)
    ap.add_argument("--rx-port", type=int, default=1)
    ap.add_argument("--link-gbps", type=float)
    ap.add_argument("--capacity", type=float, default=1e6)
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    if a.backend == "fake":
        be = FakeBackend(a.capacity)
    elif a.backend == "tcpreplay":
        if not (a.iface and a.pcap_dir and a.rx_count):
            ap.error("tcpreplay needs --iface, --pcap-dir and --rx-count")
        make_pcaps(a.pcap_dir, sizes, a.flows)
        be = TcpreplayBackend(a.iface, a.pcap_dir, a.rx_count, a.max_rate or 20000,
                              netns=a.netns)
    else:
        h, _, p = a.pktgen_host.partition(":")
        be = PktgenBackend(h, int(p or 22022), a.tx_port, a.rx_port, a.link_gbps)

    def log(m):
        print(m, flush=True)

    results = []
    for size in sizes:
        r = search(be, size, a.duration, a.resolution, a.loss_ppm, a.min_rate, a.max_rate,
                   a.max_trials, log)
        results.append(r.as_dict())
    print()
    print("RFC 2544 throughput (zero loss%s, %g s trials, resolution %g %% of the start rate)" % (
        "" if not a.loss_ppm else " within %g ppm" % a.loss_ppm, a.duration, 100 * a.resolution))
    print("%10s %16s %12s %14s %8s" % ("frame B", "zero-loss fps", "Mbit/s", "% of start rate",
                                         "trials"))
    for r in results:
        print("%10d %16.0f %12.1f %14.1f %8d" % (r["frame_size"], r["zero_loss_fps"],
                                                 r["zero_loss_mbps"],
                                                 r["zero_loss_pct_of_line"] or 0,
                                                 len(r["trials"])))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"backend": a.backend, "duration_s": a.duration, "results": results}, f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
