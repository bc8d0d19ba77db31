#!/usr/bin/python3
"""Summarise the per-window records of scripts/bench/run.sh (raw.jsonl, one JSON object
per measurement window) into a Markdown report and a JSON file.

usage: report.py --raw RAW.jsonl --meta META.json --md OUT.md --json OUT.json
                 [--masks MASKS.jsonl] [--ctmem CTMEM.jsonl] [--stages STAGES.jsonl]
                 [--png-dir DIR]
       report.py --stage-record SCENARIO ROUND PMD_STATS.json
The Markdown is also printed on stdout.  With --png-dir, two plots are written there
(python3-matplotlib, else gnuplot): l2-mpps-vs-flows.png and mpps-by-scenario.png.
--stage-record prints the line run.sh appends to STAGES.jsonl: sluice's cycles per packet by
stage from `sluicectl --json pmd stats` taken with `pmd stats detail on`.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import statistics
import sys
from collections import OrderedDict

KIND_DESC = {
    "l2": "l2 (in_port→output)",
    "l2vh": "l2 (in_port→output), fed over vhost-user",
    "masks": "l2-20masks (20 rules, 20 masks → output)",
    "vhloop": "vhost loop (testpmd io ⇄ switch, both directions summed)",
    "ct": "ct (−trk → ct(table=1); +new → ct(commit),out; +est → out)",
    "ctnew": "ct connection setup rate (**Mconn/s**, cycles per connection)",
    "ctnew2": "ct connection setup rate, **two PMDs** (Mconn/s per core; per PMD below)",
    "ctvh": "ct (as above), fed over vhost-user",
    "encap": "vxlan encap (VNI 100)",
    "decap": "vxlan decap (VNI 100)",
    "ctvx": "seed pipeline: ct + vxlan encap",
}
INPUT_DESC = {
    "udp_1flow": "udp 1 flow", "udp_1k": "udp 1k flows", "udp_10k": "udp 10k flows",
    "udp_100k": "udp 100k flows",
    "udp_1m": "udp 1M flows (testpmd feeder: net_pcap → net_virtio_user → switch vhost-user)",
    "udp_10k_shuf": "udp 10k flows, shuffled", "udp_10k_512": "udp 10k flows, 512 B",
    "udp_10k_1518": "udp 10k flows, 1518 B", "tcp_10k": "tcp 10k conns, both directions",
    "udp_rr_10k": "udp 10k flows, request + response", "udp_200k": "udp 200k tuples, each new",
    "tcp_1conn": "tcp 1 conn, both directions", "udp_rr_1": "udp 1 flow, request + response",
    "tcp_1m": "tcp 1M conns, both directions (testpmd feeder → vhost-user)",
    "udp_rr_1m": "udp 1M flows, request + response (testpmd feeder → vhost-user)",
    "vxlan_10k": "vxlan (110 B) carrying udp 10k",
    "-": "2 virtio_user ports, 60 B, tx_first 16×32 each",
}
FLOWS = {"l2-1flow": 1, "l2-1k": 1000, "l2-10k": 10000, "l2-100k": 100000, "l2-1m": 1000000}
SCENARIOS = []   # (name, description, input, kind), from meta["scenarios"]


def set_scenarios(meta):
    for x in meta.get("scenarios", []):
        desc = KIND_DESC.get(x["kind"], x["kind"])
        inp = INPUT_DESC.get(x["input"], x["input"])
        if x["kind"] == "l2vh" and x["input"] == "-":
            desc = "vhost-user rx (in_port→output to net_null): the switch's vhost rx capacity"
            inp = "1 flow, 60 B, testpmd txonly → net_virtio_user"
        if x.get("sink_mtu", "-") != "-":
            desc += ", sink mtu=%s" % x["sink_mtu"]
        SCENARIOS.append((x["name"], desc, inp, x["kind"]))


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
    for sc, _, _, _ in SCENARIOS:
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
                "capacity_mpps": stats([r.get("capacity_mpps") for r in ok]),
                "busy_share": stats([r.get("pmd_busy_share") for r in ok]),
                "unit": ok[0].get("unit", "Mpps") if ok else "Mpps",
            }
    return out


def all_skipped(summ, sc):
    """True when no system of the scenario ran or was attempted (--only, --skip-*)."""
    return all(summ[(sc, sy)]["rounds_ok"] == 0 and
               all(r["status"] == "skipped" for r in summ[(sc, sy)]["rounds_not_ok"])
               for sy, _ in SYSTEMS)


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


def target(summ, sc):
    """Medians.  issue 3 (l2): sluice >= 2x OVS wherever 2x OVS < 80 % of the floor;
    everywhere sluice_cyc <= floor_cyc + 0.5 (ovs_cyc - floor_cyc).  issue 4 (ct): >= 10 Mpps
    at 10k connections; ct-setup >= 2x OVS.  issue 5: encap/decap >= 2x OVS, seed pipeline
    ctvx-10k cyc <= floor + 130.  issue 6: vhost loop >= 1.5x OVS."""
    f, s, o = (summ[(sc, x)] for x in ("floor", "sluice", "ovs"))
    out = {}
    kind = next((k for n, _, _, k in SCENARIOS if n == sc), "")
    if kind in ("l2", "l2vh", "masks") and sc != "vhost-rx":
        if s["mpps_core"] and o["mpps_core"] and f["mpps_core"]:
            two = 2 * o["mpps_core"]["median"]
            if two < 0.8 * f["mpps_core"]["median"]:
                out["rate_2x_ovs"] = s["mpps_core"]["median"] >= two
            else:
                out["rate_2x_ovs"] = "n/a (2x OVS >= 80 % of floor)"
        if s["cyc_pkt"] and o["cyc_pkt"] and f["cyc_pkt"]:
            lim = f["cyc_pkt"]["median"] + 0.5 * (o["cyc_pkt"]["median"] - f["cyc_pkt"]["median"])
            out["cyc_limit"] = lim
            out["cyc_ok"] = s["cyc_pkt"]["median"] <= lim
    elif kind == "ct" and sc.endswith("-10k") and s["mpps_core"]:
        out["text"] = "≥ 10 Mpps: %s" % ("yes" if s["mpps_core"]["median"] >= 10 else "**no**")
    elif kind == "ctvh" and s["mpps_core"] and o["mpps_core"]:
        # issue 4 at 1M connections: >= 2x OVS; both are fed by the same feeder, which can
        # be the limit: then the PMDs' capacities are compared
        sv, ov = s["mpps_core"]["median"], o["mpps_core"]["median"]
        how = "Mpps"
        if any(x["busy_share"] and x["busy_share"]["median"] < 0.98 for x in (s, o)) and \
                s["capacity_mpps"] and o["capacity_mpps"]:
            sv, ov, how = s["capacity_mpps"]["median"], o["capacity_mpps"]["median"], "capacity"
        out["text"] = "≥ 2× OVS (%s): %s" % (how, "yes" if sv >= 2 * ov else "**no**")
    elif kind in ("ctnew", "encap", "decap", "vhloop") and s["mpps_core"] and o["mpps_core"]:
        k = 1.5 if kind == "vhloop" else 2
        out["text"] = "≥ %g× OVS: %s" % (k, "yes" if s["mpps_core"]["median"] >=
                                          k * o["mpps_core"]["median"] else "**no**")
    elif kind == "ctvx" and sc == "ctvx-10k" and s["cyc_pkt"] and f["cyc_pkt"]:
        lim = f["cyc_pkt"]["median"] + 130
        out["text"] = "cyc ≤ floor + 130 = %.0f: %s" % (
            lim, "yes" if s["cyc_pkt"]["median"] <= lim else "**no**")
    return out


def target_text(t):
    if not t:
        return "–"
    x = []
    if "rate_2x_ovs" in t:
        v = t["rate_2x_ovs"]
        x.append("≥ 2× OVS: " + (("yes" if v else "**no**") if isinstance(v, bool) else v))
    if "cyc_ok" in t:
        x.append("cyc ≤ %.0f: %s" % (t["cyc_limit"], "yes" if t["cyc_ok"] else "**no**"))
    if "text" in t:
        x.append(t["text"])
    return "; ".join(x)


def cyc_text(summ, sc):
    v = [summ[(sc, x)]["cyc_pkt"] for x in ("floor", "sluice", "ovs")]
    return " / ".join("%.0f" % c["median"] if c else "–" for c in v)


CT_INPUTS = (("tcp", "TCP both ways (+est)"), ("udp", "UDP one way (+new, commit)"),
             ("udprr", "UDP request/response (+est)"))
CT_CONNS = (("1", 1), ("10k", 10000), ("1m", 1000000))


def ct_plot(plt, summ, d, names, colors, mach, when):
    """ct Mpps per core against connections (1, 10k: net_pcap; 1M: vhost-user feeder, a
    separate marker, hollow = the PMD's capacity where the feeder was the limit), one panel
    per input.  None when no ct scenario of that set ran."""
    have = [("ct-%s-%s" % (i, c), sy) for i, _ in CT_INPUTS for c, _ in CT_CONNS
            for sy in ("floor", "sluice", "ovs")]
    if not any((sc, sy) in summ and summ[(sc, sy)]["mpps_core"] for sc, sy in have):
        return None
    f = "ct-mpps-vs-conns.png"
    fig, axs = plt.subplots(1, 3, figsize=(13, 4.6), sharey=False)
    for ax, (inp, title) in zip(axs, CT_INPUTS):
        for sy in ("sluice", "ovs", "floor"):
            pts = [(n, summ[("ct-%s-%s" % (inp, c), sy)]["mpps_core"]) for c, n in CT_CONNS[:2]
                   if ("ct-%s-%s" % (inp, c), sy) in summ and
                   summ[("ct-%s-%s" % (inp, c), sy)]["mpps_core"]]
            if pts:
                ax.errorbar([x for x, _ in pts], [v["median"] for _, v in pts],
                            yerr=[[v["median"] - v["min"] for _, v in pts],
                                  [v["max"] - v["median"] for _, v in pts]],
                            marker="o", capsize=3, color=colors[sy], label=names[sy])
                for x, v in pts:
                    ax.annotate("%.1f" % v["median"], (x, v["median"]),
                                textcoords="offset points", xytext=(4, 4), fontsize=7)
            vh = summ.get(("ct-%s-1m" % inp, sy))
            if vh and vh["mpps_core"]:
                y = vh["mpps_core"]["median"]
                ax.plot([1e6], [y], marker="D", linestyle="none", color=colors[sy],
                        label=None if pts else names[sy])
                ax.annotate("%.1f" % y, (1e6, y), textcoords="offset points", xytext=(4, -10),
                            fontsize=7)
                if vh["busy_share"] and vh["busy_share"]["median"] < 0.98 and vh["capacity_mpps"]:
                    c = vh["capacity_mpps"]["median"]
                    ax.plot([1e6], [c], marker="D", linestyle="none", markerfacecolor="none",
                            color=colors[sy])
                    ax.annotate("cap. %.1f" % c, (1e6, c), textcoords="offset points",
                                xytext=(4, 4), fontsize=7)
        ax.set_xscale("log")
        ax.set_xlim(0.3, 5e6)
        ax.set_xticks([1, 10000, 1000000])
        ax.set_xticklabels(["1", "10k", "1M ◆\n(vhost-user feeder)"])
        ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("connections")
        ax.grid(True, alpha=0.3)
    axs[0].set_ylabel("Mpps per forwarding core (on-CPU, log scale)")
    from matplotlib.lines import Line2D
    fig.legend([Line2D([], [], color=colors[sy], marker="o") for sy in ("sluice", "ovs", "floor")],
               [names[sy] for sy in ("sluice", "ovs", "floor")], loc="upper right", fontsize=8)
    fig.suptitle("sluice conntrack benchmark: Mpps per core vs connections\n%s\n%s"
                 % (mach, when), fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(d, f), dpi=110)
    plt.close(fig)
    return (f, "ct Mpps per core (on-CPU normalised, median and min–max; log scale) against "
            "connections for the three ct inputs; 1 and 10k: net_pcap replay in the switch, "
            "1M (diamonds, not joined): fed over vhost-user by a testpmd feeder, another input "
            "path; a hollow diamond is the PMD's capacity where the feeder was the limit; "
            "machine: %s; %s." % (mach, when))


def plots(summ, meta, d):
    """Two PNGs; returns [(file name, caption)]."""
    mach = "%s, %d vCPUs, TSC %.0f MHz, shared" % (meta["cpu_model"], meta["nproc"], meta["tsc_mhz"])
    when = "%s, %d round(s) x %g s%s" % (meta["started_utc"][:16].replace("T", " "),
                                         meta["args"]["rounds"], meta["args"]["dur_s"],
                                         " (--quick)" if meta["args"]["quick"] else "")
    names = {"floor": "testpmd io floor", "sluice": "sluice", "ovs": "OVS-DPDK 3.1"}
    colors = {"floor": "#888888", "sluice": "#1f77b4", "ovs": "#d62728"}
    f1, f2 = "l2-mpps-vs-flows.png", "mpps-by-scenario.png"
    cap1 = ("l2 Mpps per core (on-CPU normalised, median and min–max) against flow count; "
            "machine: %s; %s. 1M flows (diamonds, not joined to the lines): fed over vhost-user "
            "by a testpmd feeder, a different input path; a hollow diamond is the PMD's "
            "capacity where the feeder was the limit." % (mach, when))
    cap2 = ("Mpps per core by scenario (median, min–max; ct-setup in Mconn/s); scenarios "
            "without a bar were not measured (reasons in the table); machine: %s; %s."
            % (mach, when))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None:
        fig, ax = plt.subplots(figsize=(8, 5))
        for sy in ("floor", "sluice", "ovs"):
            pts = [(FLOWS[sc], summ[(sc, sy)]["mpps_core"]) for sc in FLOWS
                   if summ[(sc, sy)]["mpps_core"] and sc != "l2-1m"]
            vh = summ[("l2-1m", sy)]
            if vh["mpps_core"]:
                # another input path (vhost-user feeder): a separate marker, not on the line;
                # where the feeder was the limit, the PMD's capacity as a hollow marker
                ax.plot([1e6], [vh["mpps_core"]["median"]], marker="D", linestyle="none",
                        color=colors[sy])
                ax.annotate("%.1f" % vh["mpps_core"]["median"], (1e6, vh["mpps_core"]["median"]),
                            textcoords="offset points", xytext=(4, -10), fontsize=8)
                if vh["busy_share"] and vh["busy_share"]["median"] < 0.98 and vh["capacity_mpps"]:
                    c = vh["capacity_mpps"]["median"]
                    ax.plot([1e6], [c], marker="D", linestyle="none", markerfacecolor="none",
                            color=colors[sy])
                    ax.annotate("cap. %.1f" % c, (1e6, c), textcoords="offset points",
                                xytext=(4, 4), fontsize=8)
            if not pts:
                continue
            xs = [x for x, _ in pts]
            ys = [v["median"] for _, v in pts]
            err = [[v["median"] - v["min"] for _, v in pts], [v["max"] - v["median"] for _, v in pts]]
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=names[sy], color=colors[sy])
            for x, y in zip(xs, ys):
                ax.annotate("%.1f" % y, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set_xscale("log")
        ax.set_xticks([1, 1000, 10000, 100000, 1000000])
        ax.set_xticklabels(["1", "1k", "10k", "100k", "1M ◆\n(vhost-user feeder)"])
        ax.set_xlabel("distinct UDP flows (64-byte frames)")
        ax.set_ylabel("Mpps per forwarding core (on-CPU)")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.set_title("sluice l2 benchmark: Mpps per core vs flows\n%s\n%s" % (mach, when), fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(d, f1), dpi=110)
        plt.close(fig)
        scs = [sc for sc, _, _, _ in SCENARIOS
               if any(summ[(sc, sy)]["rounds_ok"] or summ[(sc, sy)]["rounds_not_ok"]
                      and summ[(sc, sy)]["rounds_not_ok"][0]["status"] != "skipped"
                      for sy in ("floor", "sluice", "ovs"))]
        fig, ax = plt.subplots(figsize=(max(6, 1.0 * len(scs) + 2), 5.5))
        w = 0.27
        for i, sy in enumerate(("floor", "sluice", "ovs")):
            xs, ys, lo, hi = [], [], [], []
            for j, sc in enumerate(scs):
                v = summ[(sc, sy)]["mpps_core"]
                if v:
                    xs.append(j + (i - 1) * w)
                    ys.append(v["median"])
                    lo.append(v["median"] - v["min"])
                    hi.append(v["max"] - v["median"])
            ax.bar(xs, ys, w, yerr=[lo, hi], capsize=2, label=names[sy], color=colors[sy])
            for x, y in zip(xs, ys):
                ax.text(x, y + 0.5, "%.1f" % y, ha="center", fontsize=7)
        for j, sc in enumerate(scs):
            if not any(summ[(sc, sy)]["mpps_core"] for sy in ("floor", "sluice", "ovs")):
                ax.text(j, 1, "not measured\n(see table)", ha="center", fontsize=7, rotation=90)
            elif not summ[(sc, "sluice")]["mpps_core"]:
                ax.text(j, 1, "sluice: missing", ha="center", fontsize=7, rotation=90,
                        color=colors["sluice"])
        ax.set_xticks(range(len(scs)))
        ax.set_xticklabels(scs, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("Mpps per forwarding core (on-CPU)")
        ax.set_title("sluice benchmark: Mpps per core by scenario\n%s\n%s" % (mach, when),
                     fontsize=9)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(d, f2), dpi=110)
        plt.close(fig)
        out = [(f1, cap1), (f2, cap2)]
        ct = ct_plot(plt, summ, d, names, colors, mach, when)
        return out + ([ct] if ct else [])
    if shutil.which("gnuplot"):
        dat = os.path.join(d, ".l2-flows.dat")
        with open(dat, "w") as fh:
            for sy in ("floor", "sluice", "ovs"):
                fh.write("# %s\n" % sy)
                for sc in FLOWS:
                    v = summ[(sc, sy)]["mpps_core"]
                    if v:
                        fh.write("%d %g %g %g\n" % (FLOWS[sc], v["median"], v["min"], v["max"]))
                fh.write("\n\n")
        gp = ("set terminal pngcairo size 800,500; set output '%s'; set logscale x; "
              "set title \"Mpps per core vs flows\\n%s\" noenhanced; set yrange [0:*]; "
              "plot '%s' index 0 w yerrorlines t 'floor', '' index 1 w yerrorlines t 'sluice', "
              "'' index 2 w yerrorlines t 'OVS-DPDK'" % (os.path.join(d, f1), mach, dat))
        subprocess.run(["gnuplot", "-e", gp], check=False)
        os.unlink(dat)
        return [(f1, cap1)]
    return []


def ct_sections(p, recs, summ, ctmem):
    """The conntrack tables: what the ct rules saw in each window, memory per connection,
    the two-PMD setup rate."""
    ctw = [r for r in recs if r["status"] == "ok" and r.get("ct")]
    if ctw:
        p("")
        p("## ct scenarios: what the packets were in the window")
        p("")
        p("Packets by ct rule of table 1 in the window (`+trk+new` → `ct(commit)`, output; "
          "`+trk+est` → output; the rest → drop), from the rules' packet counters read just "
          "before and after the window (sluice `flow dump --json`, OVS `ovs-ofctl dump-flows`), "
          "and the connection table: connections at the end (sluice `ct stats`, OVS "
          "`dpctl/ct-get-nconns`), connections created in the window (sluice). Expected: "
          "ct-tcp-\\* and ct-udprr-\\* all `+est`; ct-udp-\\* all `+new` (unidirectional "
          "UDP is never established) with no connection created in the window (each commit "
          "is on an existing entry).")
        p("")
        p("| scenario | system | round | table-1 packets | +new | +est | drop | connections "
          "at end | created in window | reasons other than ok in window |")
        p("|---|---|---|---|---|---|---|---|---|---|")
        for r in ctw:
            c = r["ct"]
            tot = c["new"] + c["est"] + c["other"]
            sh = c["share"]
            pc = (lambda k: "–" if sh[k] is None else "%.2f %%" % (100 * sh[k]))
            rs = ", ".join("%s %d" % kv for kv in c.get("reasons_in_window", {}).items()
                           if kv[0] != "ok") or "–"
            p("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s |" % (
                r["scenario"], r["system"], r["round"], tot, pc("new"), pc("est"), pc("other"),
                c.get("conns_end", "–"), c.get("created_in_window", "–"), rs))
    if ctmem:
        p("")
        p("## Memory per connection (ct-\\*-1m)")
        p("")
        p("The switch's memory before its first connection (sluice: feeder connected, its "
          "packets arriving and dropped as table misses, ct rules not yet added, so the "
          "connection table does not exist yet; OVS: rules installed, vhost-user port not yet "
          "added) and after the window, divided by the connections in the table then "
          "(`scripts/bench/lib/ctmem.py`). sluice: hugepage heap in use (DPDK telemetry "
          "`/eal/heap_info`, `Alloc_size`) + VmRSS growth; the connection objects alone are "
          "`ct stats` `conn_memory` (objects × size). OVS: VmRSS growth (its conntrack uses "
          "malloc; the HugetlbPages it gains meanwhile are the feeder's memory mapped by the "
          "vhost-user port, not counted). Both are upper bounds: whatever else grew in the "
          "same time (megaflows, EMC, vhost buffers) is included.")
        p("")
        p("| scenario | system | round | connections | total growth MB | bytes per connection "
          "| of which connection objects (sluice `conn_memory` ÷ count) | method |")
        p("|---|---|---|---|---|---|---|---|")
        for m in ctmem:
            p("| %s | %s | %d | %d | %.1f | %s | %s | %s |" % (
                m["scenario"], m["system"], m["round"], m["conns"], m["total_bytes"] / 2 ** 20,
                "%.0f" % m["bytes_per_conn"] if m.get("bytes_per_conn") else "–",
                "%.0f" % m["conn_object_bytes_per_conn"]
                if m.get("conn_object_bytes_per_conn") else "–", m["method"]))
    two = [r for r in recs if r["status"] == "ok" and r.get("per_pmd")]
    if two:
        p("")
        p("## ct-setup-2pmd: per-PMD setup rate and contention")
        p("")
        p("Two PMDs on this 2-core machine, one on CPU 1 and one on CPU 0 beside the "
          "control threads, the benchmark's own `sluicectl` / `ovs-appctl` calls and the other "
          "engineers' processes (sluice: lcores 1 and 2 = `--lcores 0@0,1@1,2@0`; OVS: "
          "`pmd-cpu-mask=0x3`, rx queue 0 pinned to core 1 and 1 to core 0); each PMD polls one "
          "rx queue of the generator port (udp_200k's two halves, disjoint tuples). Rate of a PMD = its packets (each one a new connection "
          "in a valid window) ÷ (its busy cycles × its thread's on-CPU share ÷ TSC Hz), "
          "median over the valid windows. Contention counters, in the windows and (in "
          "brackets) since the switch started, warm-up included, where both PMDs filled the "
          "table together: OVS has none of its own (its `coverage/show` conntrack counters are "
          "listed); sluice `ct stats` (`pool_lock_waits`: the connection pool's growth lock "
          "found held; `pool_grow_races`: growth found already done by the other PMD; "
          "`no_memory`, `table_full`, `limit_*` drops). No scaling claim: two PMDs on two "
          "shared cores measure contention, not scaling.")
        p("")
        p("| system | round | PMD (lcore / core) | Mconn/s per core | cycles per connection "
          "| cpu_share | connections in valid windows | contention counters: windows (since start) |")
        p("|---|---|---|---|---|---|---|---|")
        for r in two:
            tot = r.get("contention_since_start", {})
            cont = ", ".join("%s %s (%s)" % (k, v, tot.get(k, "–"))
                             for k, v in r.get("contention", {}).items()) or "–"
            for q in r["per_pmd"]:
                p("| %s | %d | %d (%d) | %.2f (%.2f–%.2f) | %s | %.2f | %d | %s |" % (
                    r["system"], r["round"], q["pmd"], q["lcore"], q["mconn_s"], q["mconn_s_min"],
                    q["mconn_s_max"], "%.0f" % q["cyc_conn"] if q["cyc_conn"] else "–",
                    q["cpu_share"], q["conns"], cont))
        for sy in ("sluice", "ovs"):
            one = summ.get(("ct-setup", sy))
            if one and one["mpps_core"]:
                p("")
                p("For comparison, %s with one PMD (ct-setup, this run): %s Mconn/s per core, "
                  "%s cycles per connection." % (sy, fmt(one["mpps_core"], 2),
                                                 fmt(one["cyc_pkt"], 0)))


def stage_record(sc, rnd, path):
    """One STAGES.jsonl line: the PMDs' stage cycles per packet, weighted by their packets;
    'other' is what the stages leave of the busy cycles (the loop, dispatch, counters)."""
    d = json.load(open(path))
    pmds = [x for x in (d if isinstance(d, list) else [d]) if x.get("packets")]
    if not pmds:
        raise SystemExit("report.py: no packets in %s" % path)
    n = sum(x["packets"] for x in pmds)
    names = list(pmds[0]["stage_cycles_per_packet"])
    st = OrderedDict((k, sum(x["stage_cycles_per_packet"][k] * x["packets"] for x in pmds) / n)
                     for k in names)
    busy = sum(x["busy_cycles"] for x in pmds) / n
    print(json.dumps({"scenario": sc, "round": int(rnd), "packets": n,
                      "cycles_per_packet": round(busy, 1),
                      "stages": {k: round(v, 1) for k, v in st.items()},
                      "other": round(max(busy - sum(st.values()), 0.0), 1)}))


def stage_section(p, summ, stages):
    """Medians over rounds of sluice's cycles per packet by stage (a detail window each)."""
    if not stages:
        return
    names = list(stages[0]["stages"]) + ["other"]
    p("")
    p("## Where sluice's cycles go")
    p("")
    p("Medians over rounds of a short window (run.sh `STAGE_DUR`) after each measured one, "
      "with `sluicectl pmd stats "
      "detail on`: TSC cycles per packet by stage (`rx` is the generator's driver: net_pcap "
      "copying its stored frame into an mbuf; `tx` the sink's; `ct` both ct() of a packet; "
      "`actions` the rest of the action lists, encapsulation included; `other` what the "
      "stages leave of the busy cycles: the poll loop, dispatch, counters). The stage TSC reads "
      "cost cycles of their own: *with detail* is the total of this window, *measured* the "
      "median of the measured windows (detail off). With detail on, the shortcuts that would "
      "put one stage's work under another are off (the unparsed whole-burst output of l2 and "
      "encap, the fused second pass after ct(table=1)): this window runs the general paths, "
      "so it splits a slower run than the measured one; `rx` and `tx` are the same code "
      "either way.")
    p("")
    p("| scenario | measured | with detail | %s |" % " | ".join(names))
    p("|---|---|---|" + "---|" * len(names))
    for sc, _, _, _ in SCENARIOS:
        rs = [x for x in stages if x["scenario"] == sc]
        if not rs:
            continue
        med = statistics.median
        row = [med([x["stages"].get(k, 0.0) if k != "other" else x["other"] for x in rs])
               for k in names]
        m = summ.get((sc, "sluice"), {}).get("cyc_pkt")
        p("| %s | %s | %.1f | %s |" % (sc, "%.1f" % m["median"] if m else "–",
                                       med([x["cycles_per_packet"] for x in rs]),
                                       " | ".join("%.1f" % v for v in row)))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--stage-record":
        stage_record(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--masks")
    ap.add_argument("--ctmem")
    ap.add_argument("--stages")
    ap.add_argument("--png-dir")
    a = ap.parse_args()
    recs = [json.loads(l) for l in open(a.raw) if l.strip()]
    meta = json.load(open(a.meta))
    set_scenarios(meta)
    summ = summarise(recs)
    ratios = OrderedDict()
    for sc, _, _, _ in SCENARIOS:
        ratios[sc] = {"sluice/ovs": ratio(summ, sc, "sluice", "ovs"),
                      "sluice/floor": ratio(summ, sc, "sluice", "floor"),
                      "ovs/floor": ratio(summ, sc, "ovs", "floor")}
    targets = OrderedDict((sc, target(summ, sc)) for sc, _, _, _ in SCENARIOS)
    masks = [json.loads(l) for l in open(a.masks) if l.strip()] if a.masks and \
        os.path.exists(a.masks) else []
    ctmem = [json.loads(l) for l in open(a.ctmem) if l.strip()] if a.ctmem and \
        os.path.exists(a.ctmem) else []
    stages = [json.loads(l) for l in open(a.stages) if l.strip()] if a.stages and \
        os.path.exists(a.stages) else []
    nwin, co = corunner_summary(recs)
    steal = [v["steal"] for r in recs if r["status"] == "ok" for v in r["cpus"].values()
             if v.get("steal") is not None]

    L = []
    p = L.append
    ar = meta["args"]
    p("# sluice benchmark: sluice vs OVS-DPDK vs the testpmd io floor, one forwarding core")
    p("")
    p("Generated by `scripts/bench/run.sh` (see `scripts/bench/README.md` for the method). "
      "Do not edit by hand; rerun the script.")
    p("")
    p("* **Date:** %s → %s (%d s end to end)" % (meta["started_utc"], meta["ended_utc"],
                                                meta["elapsed_s"]))
    p("* **Machine:** %s, `nproc` = %d, kernel %s, TSC %.0f MHz" % (
        meta["cpu_model"], meta["nproc"], meta["kernel"], meta["tsc_mhz"]))
    # sluice_rev is the checkout's HEAD (or --rev); `sluicectl version` names the revision the
    # binary was built from, which is the one that ran (they differ when SLUICE_BUILD is
    # another tree's build): name that one, and the checkout only when it differs.
    rev = meta["sluice_rev"]
    built = re.search(r", git (\S+) \(", meta.get("sluice_version") or "")
    if built and built.group(1) != "unknown" and not rev.startswith(built.group(1)):
        rev = "%s (checkout: %s)" % (built.group(1), rev)
    p("* **Software:** DPDK %s (Debian), %s, sluice git %s (`sluicectl version`: %s)" % (
        meta["dpdk"], meta["ovs"].strip(), rev, meta.get("sluice_version") or "not run"))
    p("* **Run:** %d round(s) per scenario and system, alternating (order rotated every round); "
      "each measurement = fresh process, %g s warm-up, one %g s window%s" % (
          ar["rounds"], ar["warm_s"], ar["dur_s"],
          (", `--only '%s'`" % ar["only"]) if ar["only"] else ""))
    p("* **Inputs:** the peer's `gen_pcaps.py` (udp_1flow, udp_10k, tcp_10k; with `extra`: "
      "udp_1m, udp_200k, udp_10k_512, udp_10k_1518), the project's `sluice-pcapgen --flows N "
      "--dport 5000` (udp_1k, udp_100k) and `scripts/bench/lib/gen_extra.py` (udp_10k_shuf, "
      "udp_rr_10k, vxlan_10k); 60 B in the pcap = 64 B frames; every system reads the same "
      "file. md5: %s." % ", ".join("%s `%s`" % kv for kv in meta["pcap_md5"].items()))
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
            if r.get("check"):
                bad.append("%s: %s" % (w, r["check"]))
            if r.get("thread_allowed_cpus") != [1]:
                bad.append("%s: thread allowed on CPUs %s" % (w, r.get("thread_allowed_cpus")))
            # loose on purpose: the counters of the two ports are read one after the other,
            # through a control thread that shares a busy core (a few ms at 30 Mpps); in the
            # vhost loop packets circulate, rx and tx of the same ports differ by what is in
            # flight; ct-setup counts connections
            kind = next((k for n, _, _, k in SCENARIOS if n == r["scenario"]), "")
            if kind not in ("vhloop", "ctnew", "ctnew2") and \
                    abs(r["gen_pkts"] - r["sink_pkts"]) > max(4096, 0.005 * r["sink_pkts"]):
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
    p("| scenario | description | input | system | Mpps per core | wall-clock Mpps | cycles/pkt "
      "| cpu_share | PMD busy share; capacity Mpps = TSC ÷ busy cycles/pkt | peak memory MB "
      "(RSS peak + hugepages) | rounds |")
    p("|---|---|---|---|---|---|---|---|---|---|---|")
    for sc, scn, inp, _ in SCENARIOS:
        if all_skipped(summ, sc):
            continue
        for sy, syn in SYSTEMS:
            s = summ[(sc, sy)]
            extra = not_ok_text(s)
            if s["rounds_ok"] == 0:
                p("| %s | %s | %s | %s | %s | – | – | – | – | – | 0 |" % (
                    sc, scn, inp, syn, extra or "not run"))
                continue
            cap = "–"
            if s["busy_share"]:
                cap = "%.2f" % s["busy_share"]["median"]
                if s["busy_share"]["median"] < 0.98 and s["capacity_mpps"]:
                    cap += "; **not saturated**, capacity %s" % fmt(s["capacity_mpps"], 2)
            mem = s["mem_peak_mb"]
            memtxt = "%.0f (%.0f + %.0f)" % (mem["max"], s["mem_hwm_mb"]["max"],
                                            s["mem_hugetlb_mb"]["max"])
            unit = "" if s["unit"] == "Mpps" else " " + s["unit"]
            p("| %s | %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %d%s |" % (
                sc, scn, inp, syn, fmt(s["mpps_core"], 2), unit, fmt(s["mpps_wall"], 2),
                fmt(s["cyc_pkt"], 0), fmt(s["cpu_share"], 2), cap, memtxt, s["rounds_ok"],
                ("; " + extra) if extra else ""))
    skipped = [sc for sc, _, _, _ in SCENARIOS if all_skipped(summ, sc)]
    if skipped:
        p("")
        p("Not run in this run (not selected by `--only` / `--quick`): %s." % ", ".join(skipped))
    p("")
    p("## Ratios (per-core Mpps; ratio of the medians, min–max over the rounds paired by "
      "round number)")
    p("")
    p("| scenario | input | sluice ÷ OVS-DPDK | sluice ÷ floor | OVS-DPDK ÷ floor "
      "| peak memory sluice ÷ OVS-DPDK | cycles/pkt floor / sluice / OVS | targets (issues 3-6) |")
    p("|---|---|---|---|---|---|---|---|")
    for sc, _, inp, _ in SCENARIOS:
        if all_skipped(summ, sc):
            continue
        rr = ratios[sc]
        ms, mo = summ[(sc, "sluice")]["mem_peak_mb"], summ[(sc, "ovs")]["mem_peak_mb"]
        memr = "%.2f" % (ms["max"] / mo["max"]) if ms and mo else "–"
        p("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            sc, inp, fmt_ratio(rr["sluice/ovs"]), fmt_ratio(rr["sluice/floor"]),
            fmt_ratio(rr["ovs/floor"]), memr, cyc_text(summ, sc), target_text(targets[sc])))
    if masks:
        p("")
        p("## l2-20masks, l2-20masks-shuf: megaflow masks in use (end of each window)")
        p("")
        p("Rules: 20 rules of decreasing priority, rule k = `udp,in_port=gen,nw_src=<one of 20 "
          "disjoint blocks covering 10.1.0.1–10.1.39.250>,nw_dst=10.2.0.0/(8+k)` → sink, then "
          "`priority=0,in_port=gen` → sink (see `scripts/bench/run.sh`, `MASK_SRCS`). "
          "sluice: `sluicectl --json megaflow dump` and `pmd stats`; OVS: `ovs-appctl "
          "dpctl/dump-flows` and `dpif-netdev/pmd-stats-show` (a mask = the match with every "
          "value replaced by its mask). l2-20masks reads udp_10k, ordered by source: runs of "
          "250–1,000 consecutive packets hit the same megaflow, which favours a last-hit "
          "subtable check; l2-20masks-shuf reads the same 10,000 frames in a fixed random order "
          "(udp_10k_shuf), so consecutive packets hit different masks and the subtable ranking "
          "decides.")
        p("")
        p("| scenario | system | round | megaflows | distinct masks | subtable lookups per megaflow hit "
          "(sluice `avg_subtables_per_hit`, OVS `avg. subtable lookups per megaflow hit`) "
          "| EMC hits / megaflow hits (since the window-start clear, read just after the window) "
          "| busiest masks (flows, share of packets) |")
        p("|---|---|---|---|---|---|---|---|")
        for m in masks:
            st = m.get("stats", {})
            tot = sum(x["packets"] for x in m["masks"]) or 1
            top = "; ".join("`%s` (%d, %.0f %%)" % (x["mask"], x["flows"], 100.0 * x["packets"] / tot)
                            for x in m["masks"][:2])
            if m["system"] == "sluice":
                sub = st.get("avg_subtables_per_hit")
                hits = "%s / %s" % (st.get("emc_hits"), st.get("megaflow_hits"))
            else:
                sub = st.get("avg_subtable_lookups_per_megaflow_hit")
                hits = "%.0f / %.0f" % (st.get("emc_hits", 0),
                                                       st.get("megaflow_hits", 0))
                if st.get("dpcls_subtables_by_impl"):
                    hits += "; dpcls subtables by lookup implementation: %s" % ", ".join(
                        "%s %d" % kv for kv in st["dpcls_subtables_by_impl"].items())
            p("| %s | %s | %d | %d | %d | %s | %s | %s |" % (
                m["scenario"], m["system"], m["round"], m["megaflows"], m["distinct_masks"],
                "–" if sub is None else "%.2f" % sub, hits, top))
    ct_sections(p, recs, summ, ctmem)
    stage_section(p, summ, stages)
    pngs = plots(summ, meta, a.png_dir) if a.png_dir else []
    if pngs:
        p("")
        p("## Plots")
        p("")
        for f, cap in pngs:
            p("![%s](%s)" % (f[:-4], f))
            p("")
            p("*%s*" % cap)
            p("")
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
      "system (except l2-1m and vhloop): the generator's copy into an mbuf is paid by the "
      "forwarding core (that is the floor's whole cost).")
    p("* **l2-1m** is fed over vhost-user by a testpmd feeder on core 0 (net_pcap udp_1m in "
      "256 B mbufs → io → net_virtio_user): sluice `port add gen vhost-user SOCK` (feeder is "
      "the client), OVS `dpdkvhostuserclient` (feeder `server=1`), floor testpmd `net_vhost0` "
      "→ io → net_null. The feeder may be the limit: then the PMD is not saturated and the "
      "capacity column (TSC ÷ busy cycles per packet) is the switch's figure.")
    p("* **vhloop**: testpmd (core 0) with two net_virtio_user ports in io mode, `start "
      "tx_first 16`, through the switch (vhu0 → vhu1 and vhu1 → vhu0, one PMD) and back; "
      "Mpps = tx of both switch ports summed. Floor: testpmd wired to itself (net_vhost0/1 io "
      "forwarder on core 1).")
    p("* **ct-setup**: Mconn/s per core = new connections ÷ (PMD busy cycles ÷ TSC Hz) in "
      "windows of (pause the generator, flush conntrack, run ~120k packets of udp_200k, "
      "pause); every window must show Δconns = Δsink (`scripts/bench/lib/ctnew.py`). The "
      "floor's figure is plain Mpps of testpmd io on udp_200k.")
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
        if r["status"] == "skipped":
            continue
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
    json.dump({"meta": meta, "summary": jkey(summ), "ratios": ratios, "targets": targets,
               "masks": masks, "ct_memory": ctmem, "stages": stages, "plots": [f for f, _ in pngs],
               "corunners": co, "windows": windows}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
