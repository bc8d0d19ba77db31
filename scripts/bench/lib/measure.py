#!/usr/bin/python3
"""One measurement of one running switch (or the testpmd floor): wait until it is
ready, warm up, then one window of DUR seconds.  Prints one JSON object (one line).

Per window it reads, before and after:
  * the sink's tx packet counter (and the generator's rx counter),
  * the forwarding thread's on-CPU time, /proc/PID/task/TID/schedstat field 1 (ns),
    and its run-queue wait time (field 2),
  * sluice: `sluicectl --json pmd stats` (cleared at window start);
    OVS: `ovs-appctl dpif-netdev/pmd-stats-show` (cleared at window start),
  * every process's utime+stime (to say what else ran) and /proc/stat per CPU (steal).
The counter and schedstat reads are interleaved symmetrically (schedstat, counter,
schedstat) and the window bounds are the midpoints, so the few ms a `sluicectl` or
`ovs-appctl` call takes do not skew the ratio.

usage: measure.py --system floor|sluice|ovs --pid PID --scenario S --round R
                  --warm S --dur S --tsc-mhz MHZ
                  [--telemetry SOCK] [--sluicectl BIN --ctl SOCK] [--appctl-target CTL]
                  [--extra-pid PID ...]     (other processes of the switch, for memory)
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class NotReady(Exception):
    pass


# ------------------------------------------------------------------ /proc helpers
def schedstat(pid, tid):
    with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
        run, wait, _slices = (int(x) for x in f.read().split())
    return run, wait


def find_tid(pid, pattern):
    """TID of the thread of PID whose comm matches pattern (regex, full match)."""
    best = None
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if re.fullmatch(pattern, comm):
            best = (int(t), comm)
    return best


def thread_cpu(pid, tid):
    """(CPU it last ran on, allowed CPUs)."""
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        s = f.read()
    last = int(s[s.rindex(")") + 2:].split()[36])
    try:
        allowed = sorted(os.sched_getaffinity(tid))
    except OSError:
        allowed = []
    return last, allowed


def proc_status(pid):
    """VmHWM, VmRSS, HugetlbPages in kB (0 when absent)."""
    out = {"VmHWM": 0, "VmRSS": 0, "HugetlbPages": 0}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in out:
                out[k] = int(v.split()[0])
    return out


def all_procs():
    """pid -> (comm, utime+stime ticks, cutime+cstime ticks) for every process.  The
    children's time (reaped children) attributes short-lived processes, e.g. compilers
    started and finished inside the window, to their parent (make, ninja, a shell)."""
    d = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        d[int(p)] = (comm, int(f[11]) + int(f[12]), int(f[13]) + int(f[14]))
    return d


def cpu_stat():
    """cpuN -> (busy ticks, steal ticks, total ticks)."""
    d = {}
    with open("/proc/stat") as f:
        for line in f:
            if not re.match(r"cpu\d", line):
                continue
            v = line.split()
            n = [int(x) for x in v[1:]]
            idle = n[3] + n[4]
            steal = n[7] if len(n) > 7 else 0
            d[v[0]] = (sum(n[:8]) - idle - steal, steal, sum(n[:8]))
    return d


# ------------------------------------------------------------------ counter readers
class Floor:
    """dpdk-testpmd io forwarding: counters from DPDK telemetry (synchronous)."""
    thread = r"(rte|lcore)-worker-1"

    def __init__(self, a):
        self.path, self.sock = a.telemetry, None
        self.sinks = [int(x) for x in (a.sink_ports or "1").split(",")]
        self.gens = [int(x) for x in (a.gen_ports or "0").split(",")]

    def _q(self, cmd):
        if self.sock is None:
            if not os.path.exists(self.path):
                raise NotReady("no telemetry socket %s" % self.path)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(self.path)
            s.recv(1024)   # greeting
            self.sock = s
        self.sock.send(cmd.encode())
        return json.loads(self.sock.recv(1 << 16))

    def counters(self):
        # gen, sink, gen again: the generator count is the mean of the two reads, so the
        # time between telemetry calls does not show up as a gen/sink difference
        def q(ports):
            st = {p: self._q("/ethdev/stats,%d" % p)["/ethdev/stats"] for p in ports}
            if any(v is None for v in st.values()):
                raise NotReady("ethdev stats not there yet")
            return st
        g0, s, g1 = q(self.gens), q(self.sinks), q(self.gens)
        return {"sink": sum(s[p]["opackets"] for p in self.sinks),
                "gen": sum(g0[p]["ipackets"] + g1[p]["ipackets"] for p in self.gens) // 2,
                "sink_drop": sum(s[p].get("oerrors", 0) for p in self.sinks)}

    def clear(self):
        pass

    def pmd(self):
        return None


class Sluice:
    thread = r"(rte|lcore)-worker-1"

    def __init__(self, a):
        self.cmd = [a.sluicectl, "--ctl", a.ctl, "--timeout", "5"]
        self.sinks = (a.sink_ports or "sink").split(",")
        self.gens = (a.gen_ports or "gen").split(",")

    def _run(self, *args, js=True):
        r = subprocess.run(self.cmd + (["--json"] if js else []) + list(args),
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise NotReady("sluicectl %s: rc %d: %s" % (" ".join(args), r.returncode,
                                                        (r.stderr or r.stdout).strip()[:300]))
        return json.loads(r.stdout) if js else r.stdout

    def counters(self):
        ports = {p["name"]: p for p in self._run("port", "stats")}
        if any(p not in ports for p in self.sinks + self.gens):
            raise NotReady("ports %s not there yet: %s" % (self.sinks + self.gens, sorted(ports)))
        return {"sink": sum(ports[p]["tx_packets"] for p in self.sinks),
                "gen": sum(ports[p]["rx_packets"] for p in self.gens), "ports": ports}

    def clear(self):
        self._run("pmd", "stats", "clear", js=False)

    def pmd(self):
        pmds = self._run("pmd", "stats")
        for p in pmds:
            if p.get("lcore") == 1:
                return p
        return pmds[0] if pmds else None

    def ct(self):
        """Packets per ct rule of table 1 (cumulative) and the conntrack counters."""
        out = {"new": 0, "est": 0, "other": 0, "trk0": 0}
        for f in self._run("flow", "dump"):
            out[ct_rule_class(f.get("table"), f.get("match", ""))] += f["n_packets"]
        st = self._run("ct", "stats")
        st = st[0] if isinstance(st, list) else st
        out.update({"conns": st.get("count"), "created": st.get("created"),
                    "reopened": st.get("reopened"), "reasons": st.get("reasons", {})})
        return out


class Ovs:
    thread = r"pmd.*"

    def __init__(self, a):
        self.bridge = a.ovs_bridge
        self.cmd = ["ovs-appctl", "-t", a.appctl_target, "--timeout=10"]
        self.sinks = (a.sink_ports or "sink").split(",")
        self.gens = (a.gen_ports or "gen").split(",")

    def _run(self, *args):
        r = subprocess.run(self.cmd + list(args), capture_output=True, text=True, timeout=15)
        if r.returncode != 0:
            raise NotReady("ovs-appctl %s: %s" % (" ".join(args), r.stderr.strip()[:300]))
        return r.stdout

    def counters(self):
        cur, out = None, {}
        for line in self._run("dpctl/show", "-s").splitlines():
            m = re.match(r"\s*port \d+: (\S+)", line)
            if m:
                cur = m.group(1)
                continue
            m = re.match(r"\s*(RX|TX) packets:(\d+)", line)
            if m and cur:
                out["%s_%s" % (cur, m.group(1))] = int(m.group(2))
        want = ["%s_TX" % p for p in self.sinks] + ["%s_RX" % p for p in self.gens]
        if any(k not in out for k in want):
            raise NotReady("ports %s not in dpctl/show yet" % (self.sinks + self.gens))
        return {"sink": sum(out["%s_TX" % p] for p in self.sinks),
                "gen": sum(out["%s_RX" % p] for p in self.gens)}

    def clear(self):
        self._run("dpif-netdev/pmd-stats-clear")

    def ct(self):
        """Packets per ct rule of table 1 (cumulative, `ovs-ofctl dump-flows`) and the
        connection count.  ovs-ofctl finds the bridge through OVS_RUNDIR (run.sh exports it)."""
        out = {"new": 0, "est": 0, "other": 0, "trk0": 0}
        r = subprocess.run(["ovs-ofctl", "dump-flows", self.bridge], capture_output=True,
                           text=True, timeout=15)
        if r.returncode != 0:
            raise NotReady("ovs-ofctl dump-flows %s: %s" % (self.bridge, r.stderr.strip()[:200]))
        for line in r.stdout.splitlines():
            m = re.search(r"n_packets=(\d+)", line)
            if not m:
                continue
            t = re.search(r"table=(\d+)", line)     # table 0 may be left out
            out[ct_rule_class(int(t.group(1)) if t else 0, line.split("actions=")[0])] += \
                int(m.group(1))
        out["conns"] = int(re.sub(r"\D", "", self._run("dpctl/ct-get-nconns")) or 0)
        return out

    def pmd(self):
        txt = self._run("dpif-netdev/pmd-stats-show")
        d, on = {}, False
        for line in txt.splitlines():
            if line.startswith("pmd thread"):
                on = True
                continue
            if line.startswith("main thread"):
                on = False
            if not on or ":" not in line:
                continue
            k, _, v = line.strip().partition(":")
            m = re.match(r"\s*([0-9.]+)", v)
            if m:
                d[k.strip()] = float(m.group(1))
        return {"raw": txt, "packets": d.get("packets received", 0),
                "passes_per_packet": d.get("datapath passes per packet", 0),
                "processing_cycles": d.get("processing cycles", 0),
                "idle_cycles": d.get("idle cycles", 0),
                "avg_processing_cycles_per_packet": d.get("avg processing cycles per packet", 0),
                "simple_match_hits": d.get("simple match hits", 0),
                "emc_hits": d.get("emc hits", 0), "megaflow_hits": d.get("megaflow hits", 0),
                "upcalls": d.get("miss with success upcall", 0),
                "avg_subtable_lookups_per_megaflow_hit":
                    d.get("avg. subtable lookups per megaflow hit"),
                "failed_upcalls": d.get("miss with failed upcall", 0)}


def ct_rule_class(table, match):
    """Which of the ct rules (run.sh ct_rules) a flow is: table 0 (-trk -> ct), table 1
    +new (-> commit, out), +est (-> out), or the rest (the table-1 drop rule)."""
    if table == 0:
        return "trk0"
    if "+new" in match:
        return "new"
    if "+est" in match:
        return "est"
    return "other"


def ct_delta(c0, c1):
    """What the ct rules and conntrack saw in the window, from two ct() snapshots."""
    d = {k: c1[k] - c0[k] for k in ("new", "est", "other", "trk0")}
    t1 = d["new"] + d["est"] + d["other"]
    d["share"] = {k: (d[k] / t1 if t1 else None) for k in ("new", "est", "other")}
    d["conns_start"], d["conns_end"] = c0.get("conns"), c1.get("conns")
    for k in ("created", "reopened"):
        if c0.get(k) is not None and c1.get(k) is not None:
            d[k + "_in_window"] = c1[k] - c0[k]
    if c1.get("reasons"):
        d["reasons_in_window"] = {k: v - c0["reasons"].get(k, 0)
                                  for k, v in c1["reasons"].items() if v - c0["reasons"].get(k, 0)}
    return d


# ------------------------------------------------------------------ the window
def sample(reader, pid, tid):
    r0, w0 = schedstat(pid, tid)
    ta = time.monotonic_ns()
    c = reader.counters()
    tb = time.monotonic_ns()
    r1, w1 = schedstat(pid, tid)
    return {"t": (ta + tb) / 2, "run": (r0 + r1) / 2, "wait": (w0 + w1) / 2,
            "read_ms": (tb - ta) / 1e6, "c": c}


def wait_ready(reader, pid, timeout):
    """Counters readable and the forwarding thread present."""
    deadline, last = time.time() + timeout, "timeout"
    while time.time() < deadline:
        if not os.path.exists("/proc/%d" % pid):
            raise NotReady("process %d exited" % pid)
        try:
            reader.counters()
            th = find_tid(pid, reader.thread)
            if th:
                return th
            last = "no thread matching %s" % reader.thread
        except (NotReady, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            last = str(e)
        time.sleep(0.25)
    raise NotReady("not ready after %d s: %s" % (timeout, last))


def corunners(p0, p1, secs, skip):
    """Processes alive at both ends of the window that used >= 2 % of a core, by their
    own time ('cpu') or by children reaped during the window ('children')."""
    out = []
    for pid, (comm, t1, c1) in p1.items():
        if pid not in p0:
            continue
        cpu = (t1 - p0[pid][1]) / CLK_TCK / secs
        ch = (c1 - p0[pid][2]) / CLK_TCK / secs
        if cpu >= 0.02 or ch >= 0.02:
            out.append({"pid": pid, "comm": comm, "cpu": round(cpu, 3),
                        "children": round(ch, 3), "measured": pid in skip})
    return sorted(out, key=lambda x: -(x["cpu"] + x["children"]))[:8]


def measure(a):
    reader = {"floor": Floor, "sluice": Sluice, "ovs": Ovs}[a.system](a)
    tid, comm = wait_ready(reader, a.pid, a.ready_timeout)
    # traffic may start later than the counters become readable (a vhost-user feeder loads
    # its pcap, connects, negotiates): the warm-up starts once packets reach the sink
    deadline, c0 = time.time() + a.traffic_timeout, reader.counters()["sink"]
    while reader.counters()["sink"] == c0:
        if time.time() > deadline:
            raise NotReady("nothing reached the sink port(s) within %d s of start" %
                           a.traffic_timeout)
        if not os.path.exists("/proc/%d" % a.pid):
            raise NotReady("process %d exited" % a.pid)
        time.sleep(0.25)
    if a.warm_packets:
        # a big input (ct-*-1m): the window starts after one whole pass over it, so that
        # every connection exists and the window sees the steady state, not the table filling
        g0, deadline = reader.counters()["gen"], time.time() + a.warm_timeout
        while reader.counters()["gen"] - g0 < a.warm_packets:
            if time.time() > deadline:
                raise NotReady("the first pass over the input (%d packets) took more than %d s"
                               % (a.warm_packets, a.warm_timeout))
            time.sleep(0.5)
    time.sleep(a.warm)
    tid2 = find_tid(a.pid, reader.thread)   # OVS re-creates its PMD on reconfiguration
    if tid2:
        tid, comm = tid2
    reader.clear()
    pmd0 = reader.pmd()
    ct0 = reader.ct() if a.ct else None
    p0, c0 = all_procs(), cpu_stat()
    s0 = sample(reader, a.pid, tid)
    time.sleep(a.dur)
    s1 = sample(reader, a.pid, tid)
    p1, c1 = all_procs(), cpu_stat()
    pmd1 = reader.pmd()
    ct1 = reader.ct() if a.ct else None
    tid_end = find_tid(a.pid, reader.thread)
    last_cpu, allowed = thread_cpu(a.pid, tid)
    mem = {"main": proc_status(a.pid)}
    for x in a.extra_pid:
        try:
            mem[str(x)] = proc_status(x)
        except OSError:
            pass

    wall = (s1["t"] - s0["t"]) / 1e9
    oncpu = (s1["run"] - s0["run"]) / 1e9
    waited = (s1["wait"] - s0["wait"]) / 1e9
    sink = s1["c"]["sink"] - s0["c"]["sink"]
    gen = s1["c"]["gen"] - s0["c"]["gen"]
    share = oncpu / wall
    tsc_hz = a.tsc_mhz * 1e6
    r = {"status": "ok", "scenario": a.scenario, "system": a.system, "round": a.round,
         "thread": comm, "tid": tid, "thread_same_at_end": bool(tid_end and tid_end[0] == tid),
         "thread_last_cpu": last_cpu, "thread_allowed_cpus": allowed,
         "wall_s": wall, "oncpu_s": oncpu, "runqueue_wait_s": waited, "cpu_share": share,
         "sink_pkts": sink, "gen_pkts": gen,
         "mpps_wall": sink / wall / 1e6, "mpps_core": sink / oncpu / 1e6 if oncpu else 0,
         # uniform cross-check for all systems: TSC cycles the thread was on the CPU / pkt
         "cyc_pkt_oncpu_tsc": oncpu * tsc_hz / sink if sink else None,
         "counter_read_ms": [s0["read_ms"], s1["read_ms"]]}
    if a.system == "floor":
        r["cyc_pkt"] = r["cyc_pkt_oncpu_tsc"]
        r["cyc_formula"] = "TSC Hz x forwarding-thread on-CPU s / sink pkts"
    elif a.system == "sluice" and pmd1:
        busy, idle, pk = pmd1["busy_cycles"], pmd1["idle_cycles"], pmd1["packets"]
        r["pmd"] = {k: pmd1[k] for k in ("packets", "busy_cycles", "idle_cycles",
                                         "cycles_per_packet", "iterations", "sleeps")}
        r["pmd"]["drops_in_window"] = {k: pmd1["drops"][k] - pmd0["drops"].get(k, 0)
                                       for k in pmd1.get("drops", {})}
        r["pmd"]["parse_in_window"] = {k: pmd1["parse"][k] - pmd0["parse"].get(k, 0)
                                       for k in pmd1.get("parse", {})}
        r["cyc_pkt_tsc"] = busy / pk if pk else None
        r["cyc_pkt"] = r["cyc_pkt_tsc"] * share if pk else None
        r["pmd_busy_share"] = busy / (busy + idle) if busy + idle else None
        # TSC rate seen by the PMD's own counters (busy+idle cover the window)
        r["tsc_mhz_from_pmd"] = (busy + idle) / wall / 1e6
        r["cyc_formula"] = "busy_cycles / packets x cpu_share"
        ports = s1["c"]["ports"]
        r["port_stats_end"] = {n: {k: v for k, v in p.items() if not isinstance(v, (dict, list))}
                               for n, p in ports.items()}
    elif a.system == "ovs" and pmd1:
        pk = pmd1["packets"]
        r["pmd"] = {k: v for k, v in pmd1.items() if k != "raw"}
        r["pmd_raw"] = pmd1["raw"]
        c = pmd1["avg_processing_cycles_per_packet"]
        r["cyc_pkt_tsc"] = c
        r["cyc_pkt"] = c * share
        tot = pmd1["processing_cycles"] + pmd1["idle_cycles"]
        r["pmd_busy_share"] = pmd1["processing_cycles"] / tot if tot else None
        r["cyc_formula"] = "OVS avg processing cycles per packet x cpu_share"
        np_ = pk * (pmd1["passes_per_packet"] or 1) or 1
        r["hits"] = {"simple_match": pmd1["simple_match_hits"] / np_,
                     "emc": pmd1["emc_hits"] / np_, "megaflow": pmd1["megaflow_hits"] / np_}
    # a generator outside the switch (vhost-user feeder, vhost loop) may not saturate the
    # forwarding thread: then the rate is the generator's, and the thread's capacity is
    # TSC Hz / on-CPU busy (processing) cycles per packet (busy TSC cycles x cpu_share: the
    # TSC also runs while the thread is preempted inside a busy iteration)
    busy = r.get("pmd_busy_share")
    if r.get("cyc_pkt") and busy is not None:
        r["capacity_mpps"] = a.tsc_mhz / r["cyc_pkt"]
        r["saturated"] = busy >= 0.98
    if a.ct:
        # the window's packets by ct rule (the rule counters run outside the window too, so
        # the two reads frame it only roughly: a few ms of packets either side)
        r["ct"] = ct_delta(ct0, ct1)
    r["mem_kb"] = mem
    r["mem_peak_kb"] = sum(m["VmHWM"] + m["HugetlbPages"] for m in mem.values())
    r["corunners"] = corunners(p0, p1, wall, {a.pid} | set(a.extra_pid))
    r["cpus"] = {}
    own = sum((p1[x][1] - p0[x][1]) for x in {a.pid} | set(a.extra_pid) if x in p0 and x in p1)
    busy_all = sum(c1[k][0] - c0[k][0] for k in c1)
    # everything else that ran on the 2 CPUs, in cores: other processes (also short-lived
    # ones), this script's own sluicectl/ovs-appctl calls, kernel work
    r["other_cpu_cores"] = (busy_all - own) / CLK_TCK / wall
    for k in c1:
        db = c1[k][0] - c0[k][0]
        ds = c1[k][1] - c0[k][1]
        dt = c1[k][2] - c0[k][2]
        r["cpus"][k] = {"busy": round(db / dt, 3) if dt else None,
                        "steal": round(ds / dt, 3) if dt else None}
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", required=True, choices=["floor", "sluice", "ovs"])
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--extra-pid", type=int, action="append", default=[])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--round", type=int, default=1)
    ap.add_argument("--warm", type=float, default=2)
    ap.add_argument("--dur", type=float, default=8)
    ap.add_argument("--tsc-mhz", type=float, required=True)
    ap.add_argument("--ready-timeout", type=float, default=30)
    ap.add_argument("--traffic-timeout", type=float, default=60)
    ap.add_argument("--telemetry")
    ap.add_argument("--sluicectl")
    ap.add_argument("--ctl")
    ap.add_argument("--appctl-target")
    ap.add_argument("--warm-packets", type=int, default=0,
                    help="before the warm-up, wait until the generator port received this many")
    ap.add_argument("--warm-timeout", type=float, default=240)
    ap.add_argument("--ct", action="store_true",
                    help="read the ct rules' packet counters and conntrack's around the window")
    ap.add_argument("--ovs-bridge", default="slbench0", help="the bridge with the ct rules")
    ap.add_argument("--sink-ports", help="comma list of ports whose tx counts (default sink; "
                    "floor: port ids, default 1)")
    ap.add_argument("--gen-ports", help="comma list of ports whose rx counts (default gen; "
                    "floor: default 0)")
    a = ap.parse_args()
    try:
        r = measure(a)
    except (NotReady, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
        r = {"status": "missing", "scenario": a.scenario, "system": a.system,
             "round": a.round, "reason": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(r))
    return 0 if r["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
