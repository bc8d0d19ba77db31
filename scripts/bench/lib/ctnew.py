#!/usr/bin/python3
"""Connection setup rate of one running switch (scenario ct-setup), the peer's method.

The generator is a net_pcap port replaying udp_200k.pcap (200,000 distinct UDP 5-tuples);
the rules are the ct ones (+new -> ct(commit), output).  net_pcap inside the switch is
pull-based: packet k+1 is taken only after packet k, so after a conntrack flush the next
200,000 packets are 200,000 tuples that are not in the table.  Each window:
  pause the generator -> flush conntrack -> connection count must be 0 -> clear PMD stats,
  read the sink counter -> resume -> sleep T -> pause -> read everything while nothing moves.
Every counted packet must have created one connection: delta conns == delta sink packets.
  OVS:    pause/resume = `netdev-dpdk/set-admin-state gen down|up` (rx stops where it is),
          flush = `dpctl/flush-conntrack`, count = `dpctl/ct-get-nconns`,
          cycles = `dpif-netdev/pmd-stats-show` processing cycles.
  sluice: pause/resume = `port del gen` / `port add gen ...` (the pcap restarts at packet 0:
          fine, the table was flushed), flush = `ct flush`, count = `ct stats --json`,
          cycles = `pmd stats --json` busy_cycles.
With --pmds 2 (scenario ct-setup-2pmd) the generator port has two rx queues, one
half of the tuples each, one queue per PMD: a window is valid when, besides the above, no
PMD took more than its half; each PMD's rate is its packets (= its new connections) over its
busy cycles x its own on-CPU share, and the contention counters are read before the first
and after the last window: sluice `ct stats` (pool lock waits and lost growth races, the drop
reasons no_memory / table_full / limit_*), OVS `coverage/show` conntrack counters (it has no
contention counter).
Mconn/s per core = delta conns / (PMD busy cycles / TSC Hz): the PMD's busy (processing)
cycles, not its on-CPU time, because the PMD idles while the generator is paused or (sluice)
being re-added inside the window.  Window 0 calibrates T (aiming at FILL x 200,000 packets)
and is not counted.  Prints one JSON object in measure.py's format.

usage: ctnew.py --system ovs|sluice --pid PID [--extra-pid PID] --scenario S --round R
                --tsc-mhz MHZ --windows N [--appctl-target CTL | --sluicectl BIN --ctl SOCK
                --gen-cmd 'port add gen ...'] [--packets 200000] [--fill 0.6] [--warm S]
"""
import argparse
import json
import re
import subprocess
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import measure  # noqa: E402  (the /proc helpers)


class Fail(Exception):
    pass


def run(cmd, js=False):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Fail("%s: rc %d: %s" % (" ".join(cmd[-4:]), r.returncode,
                                      (r.stderr or r.stdout).strip()[:300]))
    return json.loads(r.stdout) if js else r.stdout


class Ovs:
    thread = r"pmd.*"

    def __init__(self, a):
        self.A = ["ovs-appctl", "-t", a.appctl_target, "--timeout=20"]

    def pause(self):
        run(self.A + ["netdev-dpdk/set-admin-state", "gen", "down"])

    def resume(self):
        run(self.A + ["netdev-dpdk/set-admin-state", "gen", "up"])

    def flush(self):
        run(self.A + ["dpctl/flush-conntrack"])

    def count(self):
        return int(re.sub(r"\D", "", run(self.A + ["dpctl/ct-get-nconns"])) or 0)

    def clear(self):
        run(self.A + ["dpif-netdev/pmd-stats-clear"])

    def sink(self):
        cur, tx = None, None
        for line in run(self.A + ["dpctl/show", "-s"]).splitlines():
            m = re.match(r"\s*port \d+: (\S+)", line)
            if m:
                cur = m.group(1)
            m = re.match(r"\s*TX packets:(\d+)", line)
            if m and cur == "sink":
                tx = int(m.group(1))
        if tx is None:
            raise Fail("no sink in dpctl/show")
        return tx

    def busy(self):
        return sum(p["busy_cycles"] for p in self.per_pmd())

    def per_pmd(self):
        """Each PMD's packets received and processing cycles (pmd-stats-show sections
        'pmd thread numa_id N core_id C:'; the 'main thread' section is not a PMD)."""
        out, cur = [], None
        for line in run(self.A + ["dpif-netdev/pmd-stats-show"]).splitlines():
            m = re.match(r"pmd thread numa_id \d+ core_id (\d+):", line)
            if m:
                cur = {"pmd": int(m.group(1)), "lcore": int(m.group(1)), "packets": 0,
                       "busy_cycles": 0}
                out.append(cur)
                continue
            if line.startswith("main thread"):
                cur = None
            m = re.match(r"\s*(packets received|processing cycles):\s*(\d+)", line)
            if cur is not None and m:
                cur["packets" if m.group(1) == "packets received" else "busy_cycles"] = \
                    int(m.group(2))
        if not out:
            raise Fail("no pmd thread in pmd-stats-show")
        return sorted(out, key=lambda p: p["pmd"])

    def pmd_thread(self, q):
        return r"pmd-c%02d/.*" % q["lcore"]

    def ct_stats(self):
        """OVS has no contention counter of its own; its coverage counters of conntrack
        (e.g. conntrack_full) stand in, as drop reasons would in sluice."""
        cov = {}
        for line in run(self.A + ["coverage/show"]).splitlines():
            m = re.match(r"(conntrack\S*)\s+.*total:\s*(\d+)", line)
            if m:
                cov[m.group(1)] = int(m.group(2))
        return {"reasons": cov}


class Sluice:
    thread = r"(rte|lcore)-worker-1"

    def __init__(self, a):
        self.C = [a.sluicectl, "--ctl", a.ctl, "--timeout", "10"]
        self.gen = a.gen_cmd.split()
        self.up = True

    def pause(self):       # idempotent, as OVS's admin state is
        if self.up:
            run(self.C + ["port", "del", "gen"])
            self.up = False

    def resume(self):
        if not self.up:
            run(self.C + self.gen)
            self.up = True

    def flush(self):
        run(self.C + ["ct", "flush"])

    def count(self):
        st = run(self.C + ["--json", "ct", "stats"], js=True)
        st = st[0] if isinstance(st, list) else st
        for k in ("count", "n_conns", "connections", "conns", "n_connections"):
            if isinstance(st.get(k), int):
                return st[k]
        raise Fail("no connection count in `ct stats --json`: %s" % json.dumps(st)[:200])

    def clear(self):
        run(self.C + ["pmd", "stats", "clear"])

    def sink(self):
        for p in run(self.C + ["--json", "port", "stats"], js=True):
            if p["name"] == "sink":
                return p["tx_packets"]
        raise Fail("no sink port")

    def busy(self):
        return sum(p["busy_cycles"] for p in self.per_pmd())

    def per_pmd(self):
        return sorted(run(self.C + ["--json", "pmd", "stats"], js=True), key=lambda p: p["pmd"])

    def pmd_thread(self, q):
        return r"(rte|lcore)-worker-%d" % q["lcore"]

    def ct_stats(self):
        st = run(self.C + ["--json", "ct", "stats"], js=True)
        return st[0] if isinstance(st, list) else st


CONTENTION = ("pool_lock_waits", "pool_grow_races")
CT_REASONS = ("no_memory", "table_full", "limit_global", "limit_zone")


def contention(c0, c1):
    """Counter deltas over the run: the ct glue's pool contention, and the drop reasons
    that a contended or exhausted table would show."""
    out = {}
    for k in CONTENTION:
        if k in c1 and k in c0:
            out[k] = c1[k] - c0[k]
        elif "count" in c1:     # a sluice `ct stats` without them (OVS has no such counter)
            out[k] = "not exposed by this sluice"
    r0, r1 = c0.get("reasons", {}), c1.get("reasons", {})
    for k in r1:
        if k in CT_REASONS or k.startswith("conntrack"):
            out[k] = r1[k] - r0.get(k, 0)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", required=True, choices=["ovs", "sluice"])
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--extra-pid", type=int, action="append", default=[])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--round", type=int, default=1)
    ap.add_argument("--tsc-mhz", type=float, required=True)
    ap.add_argument("--windows", type=int, default=5)
    ap.add_argument("--packets", type=int, default=200000)
    ap.add_argument("--fill", type=float, default=0.6)
    ap.add_argument("--warm", type=float, default=2)
    ap.add_argument("--appctl-target")
    ap.add_argument("--sluicectl")
    ap.add_argument("--ctl")
    ap.add_argument("--gen-cmd")
    ap.add_argument("--pmds", type=int, default=1, help="PMD threads")
    a = ap.parse_args()
    sw = (Ovs if a.system == "ovs" else Sluice)(a)
    out = {"scenario": a.scenario, "system": a.system, "round": a.round}
    try:
        deadline = time.time() + 30
        while True:     # forwarding at all?
            try:
                s0 = sw.sink()
                time.sleep(0.5)
                if sw.sink() > s0:
                    break
            except Fail:
                pass
            if time.time() > deadline:
                raise Fail("nothing reached the sink within 30 s")
        time.sleep(a.warm)
        wins, T = [], 0.15
        p0, c0s = measure.all_procs(), measure.cpu_stat()
        ct0 = sw.ct_stats() if a.pmds > 1 else None
        half = a.packets // a.pmds      # the tuples one PMD's queue replays
        w0 = time.monotonic()
        for k in range(a.windows + 1):
            sw.pause()
            time.sleep(0.1)
            sw.flush()
            n0 = sw.count()
            if n0 != 0:
                time.sleep(0.5)
                n0 = sw.count()
            sw.clear()
            x0 = sw.sink()
            tid = measure.find_tid(a.pid, sw.thread)[0]
            # each PMD's thread, in per_pmd() order (OVS re-creates them on reconfiguration)
            tids = [measure.find_tid(a.pid, sw.pmd_thread(q))[0]
                    for q in sw.per_pmd()] if a.pmds > 1 else [tid]
            rs0 = [measure.schedstat(a.pid, t)[0] for t in tids]
            r0, ts0 = measure.schedstat(a.pid, tid)[0], time.monotonic_ns()
            t0 = time.monotonic()
            sw.resume()
            time.sleep(T)
            sw.pause()
            t1 = time.monotonic()
            time.sleep(0.1)
            x1, n1, busy = sw.sink(), sw.count(), sw.busy()
            pp = sw.per_pmd() if a.pmds > 1 else None
            rs1 = [measure.schedstat(a.pid, t)[0] for t in tids]
            r1, ts1 = measure.schedstat(a.pid, tid)[0], time.monotonic_ns()
            dc, dx = n1 - n0, x1 - x0
            # the busy cycles are TSC cycles, which also run while the thread is preempted:
            # x the thread's on-CPU share over the window, as measure.py and the peer do
            share = min(1.0, (r1 - r0) / (ts1 - ts0)) if ts1 > ts0 else 1.0
            cyc = busy * share
            w = {"window": k, "run_s": t1 - t0, "conns0": n0, "dconns": dc, "dsink": dx,
                 "busy_cycles": busy, "cpu_share": share,
                 "mconn_s_busy": dc * a.tsc_mhz / cyc if cyc else 0,
                 "cyc_conn": cyc / dc if dc else None, "mconn_s_wall": dc / (t1 - t0) / 1e6,
                 # valid: the window stayed inside one pass over the pcap (every packet a new
                 # tuple) and every forwarded packet created one connection
                 "valid": n0 == 0 and 0 < dx <= a.packets and dc == dx}
            top = dx
            if pp is not None:
                # per PMD: its packets are its new connections (valid: one per packet);
                # its busy cycles x its own thread's on-CPU share
                w["pmds"] = []
                for i, q in enumerate(pp):
                    sh = min(1.0, (rs1[i] - rs0[i]) / (ts1 - ts0)) if ts1 > ts0 else 1.0
                    c = q["busy_cycles"] * sh
                    w["pmds"].append({"pmd": q["pmd"], "lcore": q["lcore"], "packets": q["packets"],
                                      "busy_cycles": q["busy_cycles"], "cpu_share": sh,
                                      "mconn_s_busy": q["packets"] * a.tsc_mhz / c if c else 0,
                                      "cyc_conn": c / q["packets"] if q["packets"] else None})
                top = max(q["packets"] for q in pp) * a.pmds
                w["valid"] = w["valid"] and all(q["packets"] <= half for q in pp)
                cyc = sum(q["busy_cycles"] * q["cpu_share"] for q in w["pmds"])
                w["cpu_share"] = cyc / busy if busy else 1.0
                w["mconn_s_busy"] = dc * a.tsc_mhz / cyc if cyc else 0
                w["cyc_conn"] = cyc / dc if dc else None
            wins.append(w)
            if top > a.packets:      # overran the pcap (or a PMD its half): shrink fast
                T = max(0.002, T * 0.5 * a.fill * a.packets / top)
            elif top > 0:
                T = min(3.0, max(0.002, T * a.fill * a.packets / top))
        sw.resume()
        if a.pmds > 1:
            # in the windows (the pool has grown by then: its slabs are kept after a flush)
            # and since the start (the warm-up, where both PMDs grew the pool together)
            ct1 = sw.ct_stats()
            out["contention"] = contention(ct0, ct1)
            out["contention_since_start"] = contention({"reasons": {}, **{k: 0 for k in CONTENTION}}, ct1)
        wall = time.monotonic() - w0
        p1, c1s = measure.all_procs(), measure.cpu_stat()
        good = [w for w in wins[1:] if w["valid"]]
        if not good:
            raise Fail("no valid window (delta conns == delta sink <= %d from an empty "
                       "table): %s" % (a.packets, [(w["dconns"], w["dsink"]) for w in wins]))
        med = sorted(good, key=lambda w: w["mconn_s_busy"])[len(good) // 2]
        mem = {"main": measure.proc_status(a.pid)}
        for x in a.extra_pid:
            mem[str(x)] = measure.proc_status(x)
        exact = len(good)
        tid = measure.find_tid(a.pid, sw.thread)
        last_cpu, allowed = measure.thread_cpu(a.pid, tid[0]) if tid else (None, [])
        out.update({
            "status": "ok", "unit": "Mconn/s",
            "mpps_core": med["mconn_s_busy"], "mpps_wall": med["mconn_s_wall"],
            "cyc_pkt": med["cyc_conn"], "cyc_pkt_tsc": med["busy_cycles"] / med["dconns"],
            "cyc_formula": "PMD busy cycles / new connections (per window)",
            "sink_pkts": sum(w["dsink"] for w in good), "gen_pkts": sum(w["dsink"] for w in good),
            "conns": sum(w["dconns"] for w in good), "windows_valid": exact,
            "ctnew_windows": wins, "thread_same_at_end": True, "thread_last_cpu": last_cpu,
            "thread_allowed_cpus": allowed, "runqueue_wait_s": 0, "wall_s": wall,
            "mem_kb": mem,
            "mem_peak_kb": sum(m["VmHWM"] + m["HugetlbPages"] for m in mem.values()),
            "corunners": measure.corunners(p0, p1, wall, {a.pid} | set(a.extra_pid)),
            "cpus": {k: {"busy": None, "steal": None} for k in c1s}})
        out["mconn_s_all_valid"] = [w["mconn_s_busy"] for w in good]
        if a.pmds > 1:
            # per PMD: the median over the valid windows of its own rate
            out["per_pmd"] = []
            for i in range(a.pmds):
                xs = sorted(w["pmds"][i]["mconn_s_busy"] for w in good)
                cs = sorted(w["pmds"][i]["cyc_conn"] for w in good if w["pmds"][i]["cyc_conn"])
                sh = sorted(w["pmds"][i]["cpu_share"] for w in good)
                out["per_pmd"].append({"pmd": good[0]["pmds"][i]["pmd"],
                                       "lcore": good[0]["pmds"][i]["lcore"],
                                       "mconn_s": xs[len(xs) // 2], "mconn_s_min": xs[0],
                                       "mconn_s_max": xs[-1],
                                       "cyc_conn": cs[len(cs) // 2] if cs else None,
                                       "cpu_share": sh[len(sh) // 2],
                                       "conns": sum(w["pmds"][i]["packets"] for w in good)})
        out["cpu_share"] = med["cpu_share"]
        if len(good) < a.windows:
            out["note"] = ("%d of %d windows valid (the others overran the pcap or were not "
                           "1 conn per packet)" % (len(good), a.windows))
    except (Fail, OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
        out.update({"status": "missing", "reason": "%s: %s" % (type(e).__name__, e)})
    print(json.dumps(out))
    return 0 if out["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
