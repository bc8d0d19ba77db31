#!/usr/bin/python3
"""Summarise the per-window records of scripts/bench/run.sh (raw.jsonl, one JSON object
per measurement window) into a Markdown report and a JSON file.

usage: report.py --raw RAW.jsonl --meta META.json --md OUT.md --json OUT.json
The Markdown is also printed on stdout.
"""
import argparse
import json
import statistics
import sys
from collections import OrderedDict

SCENARIOS = [("l2-1flow", "l2 (in_port→output)", "udp 1 flow"),
             ("l2-10k", "l2 (in_port→output)", "udp 10k flows")]
SYSTEMS = [("floor", "testpmd io floor"), ("sluice", "**sluice**"), ("ovs", "OVS-DPDK 3.1")]


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s, nd):
    if s is None:
        return "–"
    f = "%%.%df" % nd
    if s["n"] == 1:
        return f % s["median"]
    return (f + " (" + f + "–" + f + ")") % (s["median"], s["min"], s["max"])


def summarise(recs):
    out = OrderedDict()
    for sc, _, _ in SCENARIOS:
        for sy, _ in SYSTEMS:
            rs = [r for r in recs if r["scenario"] == sc and r["system"] == sy]
            ok = [r for r in rs if r["status"] == "ok"]
            bad = [r for r in rs if r["status"] != "ok"]
            out[(sc, sy)] = {
                "scenario": sc, "system": sy, "rounds_ok": len(ok),
                "rounds_not_ok": [{"round": r["round"], "status": r["status"],
                                   "reason": r.get("reason", "")} for r in bad],
                "mpps_core": stats([r["mpps_core"] for r in ok]),
                "mpps_wall": stats([r["mpps_wall"] for r in ok]),
                "cyc_pkt": stats([r.get("cyc_pkt") for r in ok]),
                "cyc_pkt_tsc": stats([r.get("cyc_pkt_tsc") for r in ok]),
                "cyc_pkt_oncpu_tsc": stats([r.get("cyc_pkt_oncpu_tsc") for r in ok]),
                "cpu_share": stats([r["cpu_share"] for r in ok]),
                "mem_peak_mb": stats([r["mem_peak_kb"] / 1024 for r in ok]),
                "mem_hwm_mb": stats([sum(m["VmHWM"] for m in r["mem_kb"].values()) / 1024
                                     for r in ok]),
                "mem_hugetlb_mb": stats([sum(m["HugetlbPages"] for m in r["mem_kb"].values())
                                         / 1024 for r in ok]),
                "by_round": {r["round"]: r["mpps_core"] for r in ok},
            }
    return out


def ratio(summ, sc, a, b):
    sa, sb = summ[(sc, a)], summ[(sc, b)]
    if not sa["mpps_core"] or not sb["mpps_core"]:
        return None
    paired = [sa["by_round"][k] / sb["by_round"][k] for k in sa["by_round"] if k in sb["by_round"]]
    return {"median_ratio": sa["mpps_core"]["median"] / sb["mpps_core"]["median"],
            "paired_min": min(paired) if paired else None,
            "paired_max": max(paired) if paired else None, "pairs": len(paired)}


def fmt_ratio(x):
    if x is None:
        return "–"
    s = "%.2f" % x["median_ratio"]
    if x["pairs"] > 1:
        s += " (%.2f–%.2f)" % (x["paired_min"], x["paired_max"])
    return s


def not_ok_text(s):
    if not s["rounds_not_ok"]:
        return ""
    rs = s["rounds_not_ok"]
    reasons = OrderedDict()
    for r in rs:
        reasons.setdefault("%s: %s" % (r["status"], r["reason"]), []).append(r["round"])
    return "; ".join("%s%s" % (k, "" if s["rounds_ok"] == 0 else " (round %s)"
                               % ",".join(map(str, v))) for k, v in reasons.items())


def corunner_summary(recs):
    """What else ran during the windows (processes we did not measure)."""
    agg = {}
    n = 0
    for r in recs:
        if r["status"] != "ok":
            continue
        n += 1
        for c in r.get("corunners", []):
            if c.get("measured"):
                continue
            cpu = c["cpu"] + c.get("children", 0)
            a = agg.setdefault(c["comm"], [0.0, 0, 0.0])
            a[0] += cpu
            a[1] += 1
            a[2] = max(a[2], cpu)
    rows = sorted(agg.items(), key=lambda kv: -kv[1][0])
    return n, [{"comm": k, "windows_seen": v[1], "mean_cpu_when_seen": v[0] / v[1],
                "max_cpu": v[2]} for k, v in rows[:10]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    recs = [json.loads(l) for l in open(a.raw) if l.strip()]
    meta = json.load(open(a.meta))
    summ = summarise(recs)
    ratios = OrderedDict()
    for sc, _, _ in SCENARIOS:
        ratios[sc] = {"sluice/ovs": ratio(summ, sc, "sluice", "ovs"),
                      "sluice/floor": ratio(summ, sc, "sluice", "floor"),
                      "ovs/floor": ratio(summ, sc, "ovs", "floor")}
    nwin, co = corunner_summary(recs)
    steal = [v["steal"] for r in recs if r["status"] == "ok" for v in r["cpus"].values()
             if v.get("steal") is not None]

    L = []
    p = L.append
    ar = meta["args"]
    p("# sluice benchmark: l2 (in_port → output), 64-byte frames, one forwarding core")
    p("")
    p("Generated by `scripts/bench/run.sh` (see `scripts/bench/README.md` for the method). "
      "Do not edit by hand; rerun the script.")
    p("")
    p("* **Date:** %s → %s (%d s end to end)" % (meta["started_utc"], meta["ended_utc"],
                                                meta["elapsed_s"]))
    p("* **Machine:** %s, `nproc` = %d, kernel %s, TSC %.0f MHz" % (
        meta["cpu_model"], meta["nproc"], meta["kernel"], meta["tsc_mhz"]))
    p("* **Software:** DPDK %s (Debian), %s, sluice git %s (`sluicectl version`: %s)" % (
        meta["dpdk"], meta["ovs"].strip(), meta["sluice_rev"],
        meta.get("sluice_version") or "not run"))
    p("* **Run:** %d round(s) per scenario and system, alternating (order rotated every round); "
      "each measurement = fresh process, %g s warm-up, one %g s window%s" % (
          ar["rounds"], ar["warm_s"], ar["dur_s"],
          (", `--only '%s'`" % ar["only"]) if ar["only"] else ""))
    p("* **Inputs:** the peer's `gen_pcaps.py` udp_1flow / udp_10k (60 B in the pcap = 64 B "
      "frames), md5 %s" % ", ".join("%s %s" % kv for kv in meta["pcap_md5"].items()))
    other = [r["other_cpu_cores"] for r in recs if r["status"] == "ok" and "other_cpu_cores" in r]
    txt = "* **What else ran** during the %d windows (2 CPUs, shared): " % nwin
    if other:
        txt += ("all CPU time not used by the measured switch: median %.2f, max %.2f cores "
                "(per window in the last table). " % (statistics.median(other), max(other)))
    if co:
        txt += ("Processes ≥ 2 %% of a core (own time + children reaped in the window; mean "
                "when seen / max, windows seen): %s" % "; ".join(
                    "`%s` %.0f %%/%.0f %% (%d)" % (c["comm"], 100 * c["mean_cpu_when_seen"],
                                                   100 * c["max_cpu"], c["windows_seen"])
                    for c in co[:6]))
    else:
        txt += "no long-lived process above 2 % of a core."
    p(txt)
    ok = [r for r in recs if r["status"] == "ok"]
    if ok:
        bad = []
        for r in ok:
            w = "%s/%s round %d" % (r["scenario"], r["system"], r["round"])
            if not r.get("thread_same_at_end"):
                bad.append("%s: forwarding thread changed during the window" % w)
            if r.get("thread_allowed_cpus") != [1]:
                bad.append("%s: thread allowed on CPUs %s" % (w, r.get("thread_allowed_cpus")))
            if abs(r["gen_pkts"] - r["sink_pkts"]) > max(4096, 0.001 * r["sink_pkts"]):
                bad.append("%s: generator rx %d vs sink tx %d" % (w, r["gen_pkts"], r["sink_pkts"]))
            drops = sum((r.get("pmd") or {}).get("drops_in_window", {}).values())
            if drops:
                bad.append("%s: %d pipeline drops in the window" % (w, drops))
        maxdiff = max(abs(r["gen_pkts"] - r["sink_pkts"]) for r in ok)
        if bad:
            p("* **Checks failed:** " + "; ".join(bad))
        else:
            p("* **Checks:** in all %d windows the forwarding thread was the same from start to "
              "end and pinned to CPU 1 only; generator rx = sink tx within %d packets (packets in "
              "flight and the time between the two counter reads); no sluice pipeline drops." % (len(ok), maxdiff))
    if steal:
        p("* **Hypervisor steal** per CPU over the windows: median %.1f %%, max %.1f %%"
          % (100 * statistics.median(steal), 100 * max(steal)))
    p("")
    p("## Results (median over rounds, min–max in brackets)")
    p("")
    p("| scenario | input | system | Mpps per core | wall-clock Mpps | cycles/pkt "
      "| cpu_share | peak memory MB (RSS peak + hugepages) | rounds |")
    p("|---|---|---|---|---|---|---|---|---|")
    for sc, scn, inp in SCENARIOS:
        for sy, syn in SYSTEMS:
            s = summ[(sc, sy)]
            extra = not_ok_text(s)
            if s["rounds_ok"] == 0:
                p("| %s | %s | %s | %s | – | – | – | – | 0 |" % (scn, inp, syn, extra or "not run"))
                continue
            mem = s["mem_peak_mb"]
            memtxt = "%.0f (%.0f + %.0f)" % (mem["max"], s["mem_hwm_mb"]["max"],
                                            s["mem_hugetlb_mb"]["max"])
            p("| %s | %s | %s | %s | %s | %s | %s | %s | %d%s |" % (
                scn, inp, syn, fmt(s["mpps_core"], 2), fmt(s["mpps_wall"], 2),
                fmt(s["cyc_pkt"], 0), fmt(s["cpu_share"], 2), memtxt, s["rounds_ok"],
                ("; " + extra) if extra else ""))
    p("")
    p("## Ratios (per-core Mpps; ratio of the medians, min–max over the rounds paired by "
      "round number)")
    p("")
    p("| input | sluice ÷ OVS-DPDK | sluice ÷ floor | OVS-DPDK ÷ floor | peak memory sluice ÷ OVS-DPDK |")
    p("|---|---|---|---|---|")
    for sc, _, inp in SCENARIOS:
        rr = ratios[sc]
        ms, mo = summ[(sc, "sluice")]["mem_peak_mb"], summ[(sc, "ovs")]["mem_peak_mb"]
        memr = "%.2f" % (ms["max"] / mo["max"]) if ms and mo else "–"
        p("| %s | %s | %s | %s | %s |" % (inp, fmt_ratio(rr["sluice/ovs"]),
                                          fmt_ratio(rr["sluice/floor"]),
                                          fmt_ratio(rr["ovs/floor"]), memr))
    p("")
    p("## Definitions")
    p("")
    p("* **Mpps per core** = sink tx packets in the window ÷ on-CPU seconds of the forwarding "
      "thread in the window (`/proc/PID/task/TID/schedstat` field 1). The thread is sluiced's "
      "PMD (`rte-worker-1`, lcore 1), OVS's `pmd-c01/...`, testpmd's `rte-worker-1`.")
    p("* **wall-clock Mpps** = the same packets ÷ window length.")
    p("* **cpu_share** = on-CPU seconds ÷ window length (1.00 = the thread had core 1 to itself).")
    p("* **cycles/pkt** (on-CPU TSC cycles per packet): sluice `busy_cycles / packets × "
      "cpu_share` (`sluicectl --json pmd stats`, cleared at window start); OVS `avg processing "
      "cycles per packet × cpu_share` (`dpif-netdev/pmd-stats-show`, cleared at window start); "
      "floor `TSC Hz × on-CPU seconds ÷ packets` (testpmd has no cycle counters).")
    p("* **peak memory** = VmHWM + HugetlbPages from `/proc/PID/status` at the end of the window "
      "(maximum over rounds); OVS-DPDK = ovs-vswitchd + ovsdb-server. DPDK memory: testpmd "
      "`-m 256`; sluiced EAL defaults (hugepages allocated on demand), default `--mbufs` "
      "32768 + the generator's own pool (pcap packets + 4096); OVS `dpdk-socket-mem=%d` "
      "(preallocated, as in the peer benchmark)." % meta["ovs_socket_mem_mb"])
    p("* Sink = `net_null0,no-rx=1`, generator = `net_pcap0,rx_pcap=...,infinite_rx=1` on every "
      "system: the generator's copy into an mbuf is paid by the forwarding core (that is the "
      "floor's whole cost).")
    if meta.get("notes"):
        p("")
        p("## Notes from this run")
        p("")
        for n in meta["notes"]:
            p("* %s" % n)
    p("")
    p("## Every window")
    p("")
    p("| scenario | system | round | Mpps/core | wall Mpps | cycles/pkt | raw TSC cyc/pkt "
      "| cpu_share | run-queue wait s | sink pkts | gen pkts | peak MB | other CPU (cores) "
      "| co-runners (≥ 2 %) |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in recs:
        if r["status"] != "ok":
            p("| %s | %s | %d | %s: %s | | | | | | | | | | |" % (
                r["scenario"], r["system"], r["round"], r["status"], r.get("reason", "")))
            continue
        co_ = ", ".join("%s %.0f%%" % (c["comm"], 100 * (c["cpu"] + c.get("children", 0)))
                        for c in r["corunners"] if not c.get("measured"))
        p("| %s | %s | %d | %.2f | %.2f | %s | %s | %.2f | %.2f | %d | %d | %.0f | %s | %s |" % (
            r["scenario"], r["system"], r["round"], r["mpps_core"], r["mpps_wall"],
            "%.1f" % r["cyc_pkt"] if r.get("cyc_pkt") else "–",
            "%.1f" % r["cyc_pkt_tsc"] if r.get("cyc_pkt_tsc") else "–",
            r["cpu_share"], r["runqueue_wait_s"], r["sink_pkts"], r["gen_pkts"],
            r["mem_peak_kb"] / 1024,
            "%.2f" % r["other_cpu_cores"] if "other_cpu_cores" in r else "–", co_ or "–"))
    md = "\n".join(L) + "\n"
    open(a.md, "w").write(md)
    sys.stdout.write(md)

    def jkey(d):
        return {"%s/%s" % k: v for k, v in d.items()}
    windows = [{k: v for k, v in r.items() if k != "pmd_raw"} for r in recs]
    json.dump({"meta": meta, "summary": jkey(summ), "ratios": ratios,
               "corunners": co, "windows": windows}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
