#!/usr/bin/python3
"""Memory per connection of the ct-*-1m scenarios: the switch's memory before the feeder's
connections exist and after the window (the table then holds its ~1M connections), divided
by the connection count.

  ctmem.py snap PID [TELEMETRY_SOCK]
      prints one JSON object: VmRSS, VmHWM, HugetlbPages (kB, /proc/PID/status) and, with a
      DPDK telemetry socket (sluiced), the malloc heaps' sizes (/eal/heap_info of every heap
      in /eal/heap_list: Heap_size, Alloc_size, Free_size, in bytes)
  ctmem.py record SCENARIO SYSTEM ROUND BEFORE.json AFTER.json CONNS [CTSTATS.json]
      prints one JSON line: the differences and bytes per connection
      (CTSTATS: sluice's `ct stats --json`, for its own conn_objects / conn_memory figures)

Counted: sluice's hugepage heap in use (Alloc_size; the connection slabs and, as sluice is
set up for these scenarios, the table's bucket arrays, which are created after BEFORE) plus
VmRSS growth; OVS's VmRSS growth (userspace conntrack allocates its connections with malloc;
the HugetlbPages it gains meanwhile are the feeder's memory mapped by the vhost-user port).  Everything else that grew in the same time (megaflows, EMC) is in
the figure too, so it is an upper bound on the table's own cost per connection.
"""
import json
import socket
import sys


def status(pid):
    out = {"VmRSS": 0, "VmHWM": 0, "HugetlbPages": 0}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in out:
                out[k] = int(v.split()[0])
    return out


def heaps(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.recv(1024)   # greeting

    def q(cmd):
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 16))

    ids = q("/eal/heap_list")["/eal/heap_list"] or []
    tot = {"Heap_size": 0, "Alloc_size": 0, "Free_size": 0, "Alloc_count": 0}
    for i in ids:
        h = q("/eal/heap_info,%d" % i)["/eal/heap_info"] or {}
        for k in tot:
            tot[k] += int(h.get(k, 0))
    s.close()
    return tot


def main():
    if sys.argv[1] == "snap":
        d = {"proc_kb": status(int(sys.argv[2]))}
        if len(sys.argv) > 3:
            try:
                d["heap"] = heaps(sys.argv[3])
            except (OSError, ValueError, KeyError) as e:
                d["heap_error"] = str(e)
        print(json.dumps(d))
        return 0
    sc, system, rnd, f0, f1, conns = sys.argv[2:8]
    b, a = json.load(open(f0)), json.load(open(f1))
    conns = int(conns)
    r = {"scenario": sc, "system": system, "round": int(rnd), "conns": conns,
         "before": b, "after": a}
    dp = {k: (a["proc_kb"][k] - b["proc_kb"][k]) * 1024 for k in ("VmRSS", "HugetlbPages")}
    r["delta_bytes"] = dp
    if "heap" in a and "heap" in b:
        r["delta_bytes"]["heap_alloc"] = a["heap"]["Alloc_size"] - b["heap"]["Alloc_size"]
        r["delta_bytes"]["heap_size"] = a["heap"]["Heap_size"] - b["heap"]["Heap_size"]
        # the hugepage heap in use is sluice's connection memory; RSS growth on top (the
        # process's own malloc, page tables); HugetlbPages growth is the heap growing
        total = r["delta_bytes"]["heap_alloc"] + max(0, dp["VmRSS"])
        r["method"] = "hugepage heap in use (Alloc_size) + VmRSS growth"
    else:
        # OVS: VmRSS only.  Its conntrack mallocs; its hugepages hold mempools, and the
        # HugetlbPages growth after the baseline is the feeder's (guest) memory that the
        # vhost-user port maps, not connection memory (listed in delta_bytes all the same)
        total = max(0, dp["VmRSS"])
        r["method"] = "VmRSS growth (HugetlbPages growth = the mapped guest memory, not counted)"
    r["total_bytes"] = total
    r["bytes_per_conn"] = total / conns if conns else None
    if len(sys.argv) > 8:
        try:
            st = json.load(open(sys.argv[8]))
            st = st[0] if isinstance(st, list) else st
            r["sluice_ct_stats"] = {k: st.get(k) for k in ("count", "max", "conn_objects",
                                                             "conn_memory", "created")}
            if st.get("conn_memory") and st.get("count"):
                r["conn_object_bytes_per_conn"] = st["conn_memory"] / st["count"]
        except (OSError, ValueError):
            pass
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
