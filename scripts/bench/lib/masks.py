#!/usr/bin/python3
"""Count the distinct megaflow masks a switch has installed (the l2-20masks scenario).

usage: masks.py --system sluice|ovs --scenario SC --round R --dump FILE [--pmd FILE]
  sluice: FILE = `sluicectl --json megaflow dump`, --pmd = `sluicectl --json pmd stats`
  ovs:    FILE = `ovs-appctl dpctl/dump-flows`,    --pmd = `dpif-netdev/pmd-stats-show`
Prints one JSON object: megaflows, distinct masks (a mask = the match with every value
replaced by its mask; an exact value stands for an all-ones mask), flows and packets per mask,
and the switch's own lookup statistics.
"""
import argparse
import json
import re
import sys
from collections import Counter

KV = re.compile(r"([a-z_0-9]+)=([^,()/\s]+)(?:/([^,()\s]+))?")


def mask_of(match):
    """'nw_src=10.1.0.0/22,udp' -> 'nw_src/22,udp'; exact values -> 'field=*'."""
    m = KV.sub(lambda g: g.group(1) + ("/" + g.group(3) if g.group(3) else "=*"), match)
    return re.sub(r"\(([0-9a-fx]+)\)", "(*)", m)   # OVS recirc_id(0), in_port(2), eth_type(...)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", required=True, choices=["sluice", "ovs"])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--round", type=int, required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--pmd")
    ap.add_argument("--info", help="ovs: dpif-netdev/subtable-lookup-info-get output")
    a = ap.parse_args()
    flows = []   # (match, packets)
    stats = {}
    if a.system == "sluice":
        for f in json.load(open(a.dump)):
            flows.append((f["match"], f.get("packets", 0)))
        if a.pmd:
            p = json.load(open(a.pmd))
            p = p[0] if isinstance(p, list) else p
            stats = {k: p.get(k) for k in ("megaflows", "avg_subtables_per_hit", "emc_hits",
                                           "megaflow_hits", "upcalls", "megaflows_installed")}
    else:
        for line in open(a.dump):
            line = line.strip()
            if ", packets:" not in line:
                continue
            match, _, rest = line.partition(", packets:")
            pk = re.match(r"\s*(\d+)", rest)
            flows.append((match, int(pk.group(1)) if pk else 0))
        if a.pmd:
            for line in open(a.pmd):
                if line.startswith("main thread"):
                    break        # only the PMD's section (the main thread's comes after it)
                k, _, v = line.strip().partition(":")
                m = re.match(r"\s*([0-9.]+)", v)
                if m and k in ("emc hits", "megaflow hits", "avg. subtable lookups per megaflow hit",
                               "miss with success upcall", "simple match hits", "smc hits"):
                    stats[k.replace(".", "").replace(" ", "_")] = float(m.group(1))
    if a.info:   # dpif-netdev/subtable-lookup-info-get: "generic (Use count: 20, ...)"
        uses = re.findall(r"(\S+) \(Use count: (\d+)", open(a.info).read())
        stats["dpcls_subtables_by_impl"] = {k: int(v) for k, v in uses}
    nflows, npk = Counter(), Counter()
    for match, pk in flows:
        mk = mask_of(match)
        nflows[mk] += 1
        npk[mk] += pk
    json.dump({"system": a.system, "scenario": a.scenario, "round": a.round,
               "megaflows": len(flows), "distinct_masks": len(nflows),
               "masks": [{"mask": k, "flows": nflows[k], "packets": npk[k]}
                         for k in sorted(nflows, key=lambda k: -npk[k])],
               "stats": stats, "example_match": flows[0][0] if flows else None},
              sys.stdout)
    print()
    return 0 if flows else 1


if __name__ == "__main__":
    sys.exit(main())
