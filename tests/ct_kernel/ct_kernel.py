# SPDX-License-Identifier: BSD-3-Clause
"""Differential test of lib/ct against the Linux kernel's nf_conntrack.

For every sequence in sequences.py:
  (a) the kernel: the frames are sent from two end namespaces (side a, side
      b) over veth to a router namespace that forwards between them with
      nf_conntrack active.  The router's nft forward chain counts each
      packet under its conntrack state and direction (named counters, read
      after every packet); `conntrack -L -o extended` gives the connections
      left at the end.
  (b) lib/ct: ct_replay replays the same frames from a pcap through
      ct_execute_burst(), one packet per burst, three per burst and all in
      one burst (all three must agree).
The two canonical texts are compared: per packet the ct_state flags, per
connection the TCP state, whether a reply was seen, packet and byte counts,
and for TCP the timeout (within a few seconds: the kernel's clock runs).

Differences listed in known_differences.txt (documented in
docs/ct-differential.md) are expected: such a difference must still occur,
or the test fails, so the list stays true.

The end namespaces drop everything they receive (netdev ingress), so their
own stacks never answer.  Every namespace is deleted on exit, also on
failure or signal.  Exit 77 (skip) when not root or without netns, nft,
conntrack or scapy.
"""
import argparse
import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CLONE_NEWNET = 0x40000000

# lib/ct defaults (ct.h, ct_timeouts_default()) in the kernel's sysctl names.
SYSCTLS = {
    "net.ipv4.ip_forward": 1,
    "net.ipv6.conf.all.forwarding": 1,
    "net.ipv4.conf.all.rp_filter": 0,
    "net.ipv4.conf.default.rp_filter": 0,
    "net.netfilter.nf_conntrack_tcp_loose": 1,
    "net.netfilter.nf_conntrack_tcp_be_liberal": 0,
    "net.netfilter.nf_conntrack_checksum": 0,  # lib/ct verifies no checksums
    "net.netfilter.nf_conntrack_acct": 1,
    "net.netfilter.nf_conntrack_tcp_timeout_syn_sent": 30,
    "net.netfilter.nf_conntrack_tcp_timeout_syn_recv": 30,
    "net.netfilter.nf_conntrack_tcp_timeout_established": 86400,
    "net.netfilter.nf_conntrack_tcp_timeout_fin_wait": 900,
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait": 900,
    "net.netfilter.nf_conntrack_tcp_timeout_last_ack": 900,
    "net.netfilter.nf_conntrack_tcp_timeout_time_wait": 45,
    "net.netfilter.nf_conntrack_tcp_timeout_close": 30,
    # lib/ct has no shortened timeouts for retransmissions or unacknowledged data.
    "net.netfilter.nf_conntrack_tcp_timeout_max_retrans": 86400,
    "net.netfilter.nf_conntrack_tcp_timeout_unacknowledged": 86400,
    "net.netfilter.nf_conntrack_udp_timeout": 60,
    "net.netfilter.nf_conntrack_udp_timeout_stream": 30,
    "net.netfilter.nf_conntrack_icmp_timeout": 60,
    "net.netfilter.nf_conntrack_icmpv6_timeout": 60,
    "net.netfilter.nf_conntrack_generic_timeout": 60,
}

# Named counter -> lib/ct flags.
COUNTERS = {
    "c_inv": "+trk+inv",
    "c_unt": "untracked",
    "c_new_o": "+trk+new",
    "c_new_r": "+trk+new+rpl",
    "c_est_o": "+trk+est",
    "c_est_r": "+trk+est+rpl",
    "c_rel_o": "+trk+rel",
    "c_rel_r": "+trk+rel+rpl",
}
RULES = {
    "c_inv": "ct state invalid",
    "c_unt": "ct state untracked",
    "c_new_o": "ct state new ct direction original",
    "c_new_r": "ct state new ct direction reply",
    "c_est_o": "ct state established ct direction original",
    "c_est_r": "ct state established ct direction reply",
    "c_rel_o": "ct state related ct direction original",
    "c_rel_r": "ct state related ct direction reply",
}

TIMEOUT_SLACK = 5  # seconds the kernel's clock may run during a sequence

# Tracker options: (name suffix, kernel sysctls, ct_replay flags, sequences it runs).  The
# default pass runs everything; the second flips both TCP knobs for the TCP sequences.
CONFIGS = [
    ("", {"net.netfilter.nf_conntrack_tcp_loose": 1,
          "net.netfilter.nf_conntrack_tcp_be_liberal": 0}, [], ""),
    ("@strict_liberal", {"net.netfilter.nf_conntrack_tcp_loose": 0,
                         "net.netfilter.nf_conntrack_tcp_be_liberal": 1}, ["-s", "-l"], "tcp_"),
]


def log(*a):
    print(*a, flush=True)


def skip(why):
    log("SKIP: " + why)
    sys.exit(SKIP)


def run(*cmd, check=True, input_=None):
    p = subprocess.run(cmd, capture_output=True, text=True, input=input_)
    if check and p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (p.stderr or p.stdout).strip()))
    return p.stdout


class Netns:
    """Router namespace r between end namespaces a and b."""

    def __init__(self):
        pre = "ctk%d" % os.getpid()
        self.a, self.b, self.r = pre + "a", pre + "b", pre + "r"
        self.made = []
        self.libc = ctypes.CDLL(None, use_errno=True)

    def nsx(self, ns, *cmd, check=True, input_=None):
        return run("ip", "netns", "exec", ns, *cmd, check=check, input_=input_)

    def cleanup(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made = []

    def probe(self):
        """Creates the namespaces; returns why not when this machine cannot."""
        for ns in (self.a, self.b, self.r):
            p = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
            if p.returncode != 0:
                return p.stderr.strip()
            self.made.append(ns)
        p = subprocess.run(["ip", "link", "add", "ctkprobe", "netns", self.r, "type", "veth",
                            "peer", "name", "ctkprobe1", "netns", self.r],
                           capture_output=True, text=True)
        if p.returncode != 0:
            return "veth: " + p.stderr.strip()
        run("ip", "-n", self.r, "link", "del", "ctkprobe")
        return None

    def setup(self):
        from sequences import A_MAC, B_MAC, RA_MAC, RB_MAC, ADDR, ROUTER_ADDR

        run("ip", "link", "add", "va", "netns", self.a, "address", A_MAC, "type", "veth",
            "peer", "name", "ra", "netns", self.r, "address", RA_MAC)
        run("ip", "link", "add", "vb", "netns", self.b, "address", B_MAC, "type", "veth",
            "peer", "name", "rb", "netns", self.r, "address", RB_MAC)
        for ns, dev in ((self.a, "va"), (self.b, "vb")):
            # No IPv6 chatter (router solicitations, MLD) from the ends; they only send
            # what the test writes and drop what they receive.
            self.nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            self.nsx(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
            run("ip", "-n", ns, "link", "set", dev, "up")
            self.nsx(ns, "nft", "-f", "-", input_=(
                "table netdev ctk_drop {\n  chain c_in {\n    type filter hook ingress"
                " device \"%s\" priority 0; policy drop;\n  }\n}\n" % dev))
        r = self.r
        run("ip", "-n", r, "link", "set", "lo", "up")
        for side, dev, mac in (("a", "ra", A_MAC), ("b", "rb", B_MAC)):
            # Offloads off: what the router forwards is what was sent, one frame each.
            subprocess.run(["ip", "netns", "exec", r, "ethtool", "-K", dev, "tx", "off",
                            "gro", "off"], capture_output=True)
            run("ip", "-n", r, "link", "set", dev, "up")
            run("ip", "-n", r, "addr", "add", ROUTER_ADDR[(4, side)] + "/24", "dev", dev)
            run("ip", "-n", r, "addr", "add", ROUTER_ADDR[(6, side)] + "/64", "dev", dev,
                "nodad")
            for v in (4, 6):
                run("ip", "-n", r, "neigh", "replace", ADDR[(v, side)], "lladdr", mac,
                    "dev", dev, "nud", "permanent")
        # A ruleset that uses ct state: only then does nf_conntrack track in this netns.
        lines = ["table inet ctk {"]
        lines += ["  counter %s { }" % c for c in COUNTERS]
        lines += ["  chain c_forward {",
                  "    type filter hook forward priority 0; policy accept;"]
        lines += ["    %s counter name \"%s\" accept" % (RULES[c], c) for c in COUNTERS]
        lines += ["  }", "}"]
        self.nsx(r, "nft", "-f", "-", input_="\n".join(lines) + "\n")
        for k, v in SYSCTLS.items():
            self.nsx(r, "sysctl", "-qw", "%s=%s" % (k, v))
        for dev in ("ra", "rb"):
            self.nsx(r, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % dev)
        self.sock = {"a": self.packet_socket(self.a, "va"),
                     "b": self.packet_socket(self.b, "vb")}

    def packet_socket(self, ns, dev):
        """An AF_PACKET socket opened inside 'ns' (it stays bound to that namespace)."""
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + ns, os.O_RDONLY)
        try:
            if self.libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + ns)
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((dev, 0))
        finally:
            self.libc.setns(home, CLONE_NEWNET)
            os.close(fd)
            os.close(home)
        return s

    def counters(self):
        out = json.loads(self.nsx(self.r, "nft", "-j", "list", "counters", "table", "inet",
                                  "ctk"))
        res = {}
        for obj in out["nftables"]:
            if "counter" in obj:
                res[obj["counter"]["name"]] = obj["counter"]["packets"]
        return res

    def reset(self):
        self.nsx(self.r, "conntrack", "-F", check=False)
        self.nsx(self.r, "nft", "reset", "counters", "table", "inet", "ctk")

    def send(self, side, data, before):
        """Sends one frame; returns the verdict the router's forward chain counted."""
        self.sock[side].send(data)
        deadline = time.monotonic() + 5.0
        while True:
            now = self.counters()
            changed = [c for c in COUNTERS if now.get(c, 0) != before.get(c, 0)]
            if changed or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        if len(changed) != 1 or now[changed[0]] - before.get(changed[0], 0) != 1:
            return now, "not_forwarded" if not changed else "?" + ",".join(changed)
        return now, COUNTERS[changed[0]]

    def conns(self):
        out = self.nsx(self.r, "conntrack", "-L", "-o", "extended", check=False)
        return [c for c in (parse_conntrack(line) for line in out.splitlines()) if c]


def parse_conntrack(line):
    """One `conntrack -L -o extended` line to a canonical conn dict."""
    tok = line.split()
    if len(tok) < 6 or tok[0] not in ("ipv4", "ipv6"):
        return None
    proto, tmo, rest = tok[2], int(tok[4]), tok[5:]
    state = "-"
    if rest and "=" not in rest[0] and not rest[0].startswith("["):
        state, rest = rest[0], rest[1:]
    kv = [[], []]  # per direction
    d = -1
    flags = set()
    for t in rest:
        if t.startswith("["):
            flags.add(t.strip("[]"))
            continue
        if "=" not in t:
            continue
        k, v = t.split("=", 1)
        if k == "src":
            d += 1
        if 0 <= d <= 1:
            kv[d].append((k, v))
    o, r = dict(kv[0]), dict(kv[1])
    if proto in ("icmp", "icmpv6"):
        sport, dport = o.get("id", "0"), o.get("type", "0")
    else:
        sport, dport = o.get("sport", "0"), o.get("dport", "0")
    return {
        "key": "conn %s src=%s dst=%s sport=%s dport=%s" % (proto, o["src"], o["dst"], sport,
                                                              dport),
        "state": state,
        "replied": "0" if "UNREPLIED" in flags else "1",
        "packets": "%s/%s" % (o.get("packets", "?"), r.get("packets", "?")),
        "bytes": "%s/%s" % (o.get("bytes", "?"), r.get("bytes", "?")),
        "timeout": tmo,
        "proto": proto,
    }


def parse_replay(text):
    pkts, conns = [], []
    for line in text.splitlines():
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "pkt":
            pkts.append(tok[2])
        elif tok[0] == "conn":
            f = dict(t.split("=", 1) for t in tok[2:])
            conns.append({
                "key": "conn %s src=%s dst=%s sport=%s dport=%s" % (
                    tok[1], f["src"], f["dst"], f["sport"], f["dport"]),
                "state": f["state"], "replied": f["replied"], "packets": f["packets"],
                "bytes": f["bytes"], "timeout": int(f["timeout"]), "proto": tok[1],
            })
    return pkts, conns


def compare(kpkts, kconns, spkts, sconns):
    """Returns difference strings 'item kernel=X sluice=Y'."""
    diffs = []
    for i in range(max(len(kpkts), len(spkts))):
        k = kpkts[i] if i < len(kpkts) else "missing"
        s = spkts[i] if i < len(spkts) else "missing"
        if k != s:
            diffs.append("pkt%d kernel=%s sluice=%s" % (i + 1, k, s))
    kmap = {c["key"]: c for c in kconns}
    smap = {c["key"]: c for c in sconns}
    for key in sorted(set(kmap) | set(smap)):
        k, s = kmap.get(key), smap.get(key)
        name = key.split(" ", 2)[1] + ":" + key.split("sport=")[1].replace(" dport=", ">")
        if k is None or s is None:
            diffs.append("%s kernel=%s sluice=%s" % (name, "present" if k else "absent",
                                                      "present" if s else "absent"))
            continue
        for f in ("state", "replied", "packets", "bytes"):
            if k[f] != s[f]:
                diffs.append("%s.%s kernel=%s sluice=%s" % (name, f, k[f], s[f]))
        if k["proto"] == "tcp" and abs(k["timeout"] - s["timeout"]) > TIMEOUT_SLACK:
            diffs.append("%s.timeout kernel=%d sluice=%d" % (name, k["timeout"],
                                                             s["timeout"]))
    return diffs


def strip_timeouts(text):
    """ct_replay's output without timeouts (its clock is per burst: they differ by grouping)."""
    return [line.rsplit(" timeout=", 1)[0] for line in text.splitlines()]


def write_pcap(path, frames):
    from scapy.utils import PcapWriter
    from scapy.layers.l2 import Ether

    w = PcapWriter(path, linktype=1, sync=True)
    t0 = 1700000000.0
    for i, (_, data) in enumerate(frames):
        p = Ether(data)
        p.time = t0 + i * 0.001
        w.write(p)
    w.close()


def replay(binary, pcap, burst, flags):
    p = subprocess.run([binary, "-b", str(burst)] + flags + [pcap], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError("ct_replay failed: " + p.stderr)
    return p.stdout


def load_known(path):
    known = {}
    if not os.path.exists(path):
        return known
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            seq, diff = line.split(None, 1)
            known.setdefault(seq, set()).add(diff)
    return known


def run_one(ns, args, known, tmp, name, frames, flags):
    """Replays one sequence through both; returns True when they agree as expected."""
    ns.reset()
    before = ns.counters()
    kpkts = []
    for side, data in frames:
        before, verdict = ns.send(side, data, before)
        kpkts.append(verdict)
    kconns = ns.conns()

    pcap = os.path.join(tmp, name + ".pcap")
    write_pcap(pcap, frames)
    out1 = replay(args.replay, pcap, 1, flags)
    spkts, sconns = parse_replay(out1)

    diffs = compare(kpkts, kconns, spkts, sconns)
    problems = []
    for burst in (3, 64):
        if strip_timeouts(replay(args.replay, pcap, burst, flags)) != strip_timeouts(out1):
            problems.append("ct_replay verdicts differ between burst 1 and %d" % burst)
    exp = known.get(name, set())
    problems += ["unexpected difference: " + d for d in diffs if d not in exp]
    problems += ["listed difference did not occur: " + d for d in sorted(exp) if d not in diffs]
    if problems or args.verbose:
        log("== %s" % name)
        log("  kernel: " + " ".join(kpkts))
        for c in sorted(kconns, key=lambda c: c["key"]):
            log("    %s state=%s replied=%s packets=%s bytes=%s timeout=%d" % (
                c["key"], c["state"], c["replied"], c["packets"], c["bytes"], c["timeout"]))
        log("  sluice:\n    " + out1.rstrip().replace("\n", "\n    "))
        for p in problems:
            log("  " + p)
    if problems:
        log("FAIL %s" % name)
        return False
    log("ok   %s%s" % (name, " (%d documented differences)" % len(exp) if exp else ""))
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True, help="path of the ct_replay binary")
    ap.add_argument("--only", help="run only sequences whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    for tool in ("ip", "nft", "conntrack"):
        if shutil.which(tool) is None:
            skip("%s not installed (Debian packages iproute2, nftables, conntrack)" % tool)
    import sequences

    ns = Netns()
    atexit.register(ns.cleanup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    why = ns.probe()
    if why is not None:
        ns.cleanup()
        skip("cannot create network namespaces or veth pairs: %s" % why)
    ns.setup()  # a failure past the probe is an error, not a skip

    known = load_known(os.path.join(HERE, "known_differences.txt"))
    tmp = tempfile.mkdtemp(prefix="ct_kernel.")
    atexit.register(shutil.rmtree, tmp, True)
    n_pass = n_fail = 0
    for suffix, sysctls, flags, prefix in CONFIGS:
        for k, v in sysctls.items():
            ns.nsx(ns.r, "sysctl", "-qw", "%s=%s" % (k, v))
        for name, frames in sequences.build_all():
            name += suffix
            if not name.startswith(prefix) or (args.only and args.only not in name):
                continue
            if run_one(ns, args, known, tmp, name, frames, flags):
                n_pass += 1
            else:
                n_fail += 1
    ns.cleanup()
    log("%d passed, %d failed" % (n_pass, n_fail))
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
