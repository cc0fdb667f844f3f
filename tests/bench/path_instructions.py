#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions a packet costs on dpike's worker path, counted by callgrind: the same figure every run.

  path_instructions.py BUILD_DIR [--against BUILD_DIR2] [--algs A,B] [--sizes 64,1400] [--modes plain,out,in]
                       [--seconds S] [--top N] [--check]

The dataplane benchmark's cycles swing with this machine's phases by a third from one minute to
the next, more than most changes to the path are worth. This one runs the same process as its
ring source (dpike-bench-dataplane, one worker, one SA pair, tests/bench/dataplane.py's
configuration and captures) under valgrind's callgrind, counting only inside dp_worker_burst()
(classify, policy, ESP, route, the TX queueing; not the ring PMD's receive and send, which are
the source's, see its floor). Once every flow has been seen the counts are zeroed, and after S
seconds (a few tens of thousands of packets under valgrind) dumped and divided by the packets
sent in between (the calls of dp_tx_enqueue(), one a packet in these cases). Printed per case: instructions a packet, those in IPsec-MB's code
(valgrind has no VAES, so GCM runs IPsec-MB's SSE code here, not the code a worker runs), and
the functions that cost most, inlined code charged to the function it was inlined into. With
--against, a second build is measured the same way and the difference shown function by
function (this build's less the other's): instruction counts do not prove cycles, but they move
only when the code does.
--check exits 1 when a case counted no packets (a smoke test).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataplane as dp  # noqa: E402

WARM_PACKETS = 2000  # every flow of a one-pair capture (480) seen, caches filled
FIELD = {"plain": "forwarded", "out": "esp_out", "in": "esp_in"}


def bench_args(build):
    """dataplane.py's options for one worker and one pair, ring source, its defaults otherwise."""
    return argparse.Namespace(workers=1, sas=1, source="ring", burst=32, gcm_keys="full", gcm_code="auto",
                              generators=1, turns=0, rekeys=0, reconnect=False, hugepages=False, build=build)


def wait_for(build, d, field, at_least, deadline, proc, log):
    """The worker's counters once it has sent at_least packets (the control socket answers slowly
    under valgrind: a request that timed out is asked again)."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(why_it_ended(log))
        c = dp.counters(build, d, field)
        if c and c["pkts"] >= at_least:
            return c
        time.sleep(0.5)
    raise RuntimeError("the worker moved fewer than %d packets under valgrind (see %s)" % (at_least, d))


def why_it_ended(log):
    """What to say when the process under valgrind ended before it was measured."""
    text = open(log, errors="replace").read()
    if "unhandled instruction" in text or "SIGILL" in text:
        return ("valgrind cannot run this build's instructions (see %s): a build for this CPU (-Dcpu=native) "
                "uses what valgrind lacks, AVX-512 among them; measure a build made with -Dcpu=x86-64-v3, "
                "as scripts/test does (build-v3)" % log)
    return "the benchmark ended under valgrind before it was measured (see %s)" % log


def callgrind(args, build, d, mode, alg, size):
    """Runs one case under callgrind; returns (packets, the callgrind output file)."""
    opts = bench_args(build)
    conf = dp.config(d, mode, alg, size, opts)
    out = "%s/%s-%s-%s.%s.cg" % (d, mode, alg, size, os.path.basename(build.rstrip("/")))
    # valgrind runs one thread at a time; without its fair (ticket) lock a polling thread takes the
    # lock back as it lets go, and the worker, the generator and the control thread starve each other
    # by turns (a case took from one to five minutes; with it a few seconds, the counts unchanged)
    vg = ["valgrind", "--tool=callgrind", "--fair-sched=yes", "--callgrind-out-file=" + out,
          "--collect-atstart=no", "--toggle-collect=dp_worker_burst"]
    log = out + ".log"
    proc = subprocess.Popen(vg + dp.command(opts, d, mode, alg, size, conf), stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))
    prefix = "dpk-bench-%d" % os.getpid()
    try:
        deadline = time.monotonic() + 240  # DPDK's start-up under valgrind takes a while
        wait_for(build, d, FIELD[mode], WARM_PACKETS, deadline, proc, log)
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True, timeout=60)
        a = wait_for(build, d, FIELD[mode], 0, time.monotonic() + 120, proc, log)
        time.sleep(args.seconds)
        b = wait_for(build, d, FIELD[mode], 0, time.monotonic() + 120, proc, log)
        subprocess.run(["callgrind_control", "--dump", str(proc.pid)], check=True, capture_output=True, timeout=60)
        # a deadline of its own: the start-up's may be spent by now on a slow or busy machine
        dump = wait_for_dump(out, time.monotonic() + 120)
    finally:
        dp.stop_dut(proc, prefix, 120)  # a process under valgrind takes its time to exit
    # the dump holds what was counted since the zeroing, a poll or two past b's reading
    return b["pkts"] - a["pkts"], dump


def wait_for_dump(out, deadline):
    """The file callgrind_control --dump made (OUT.1), once callgrind has finished writing it."""
    path = out + ".1"
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                if "totals:" in f.read():
                    return path
        time.sleep(0.2)
    raise RuntimeError("callgrind wrote no dump (see %s.log)" % out)


def costs(path):
    """Self cost by function (inlined code charged to the function it sits in) and IPsec-MB's share,
    from callgrind_annotate's table of functions (the lines after its "file:function" heading)."""
    r = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", "--auto=no", path],
                       capture_output=True, text=True, check=True)
    by_fn, ipsec_mb, total, table = {}, 0, 0, False
    for line in r.stdout.splitlines():
        t = re.match(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?PROGRAM TOTALS", line)
        if t:
            total = int(t.group(1).replace(",", ""))
        if line.rstrip().endswith("file:function"):
            table = True
            continue
        if not table or line.startswith("---"):
            continue
        m = re.match(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S*?):(\S+)(?:\s+\[(.*)\])?\s*$", line)
        if not m:
            if by_fn:
                break  # the table's end
            continue
        n, fn, obj = int(m.group(1).replace(",", "")), m.group(3), m.group(4) or ""
        if n == total:
            continue  # a dump taken mid-run charges the whole to the frames below the toggle (the thread's start)
        if "IPSec_MB" in obj:
            ipsec_mb += n
            fn = "(IPsec-MB)"
        by_fn[fn] = by_fn.get(fn, 0) + n
    return total, ipsec_mb, by_fn


def calls_to(path, fn):
    """How often the profile saw fn called (callgrind's raw format: cfn= names the callee of the
    calls= line after it, by a number once it has been named)."""
    names, callee, n = {}, None, 0
    with open(path) as f:
        for line in f:
            m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("cfn="):
                    callee = names.get(m.group(1))
                continue
            if line.startswith("calls=") and callee == fn:
                n += int(line.split()[0][len("calls="):])
    return n


def measure(args, build, d, mode, alg, size):
    told, out = callgrind(args, build, d, mode, alg, size)
    # every packet of these cases leaves through one call of dp_tx_enqueue(): an exact count,
    # where the worker's counters read over the control socket lag the dump by a few bursts
    pkts = calls_to(out, "dp_tx_enqueue")
    if not told / 2 <= pkts <= told * 3 / 2 + 2000:
        raise RuntimeError("%s: %d calls of dp_tx_enqueue against %d packets counted: not one a packet" % (
            out, pkts, told))
    total, ipsec_mb, by_fn = costs(out)
    return {"pkts": pkts, "total": total / pkts, "ipsec_mb": ipsec_mb / pkts,
            "fns": {f: n / pkts for f, n in by_fn.items()}}


def report(alg, size, mode, r, other=None, top=8):
    name = "-" if mode == "plain" else alg
    if other is None:
        print("%-14s %-5s %-5s %8d %9.0f %9.0f" % (name, size, mode, r["pkts"], r["total"], r["ipsec_mb"]))
    else:
        print("%-14s %-5s %-5s %8d %9.0f %9.0f %9.0f %+7.0f" % (name, size, mode, r["pkts"], r["total"], r["ipsec_mb"],
                                                             other["total"], r["total"] - other["total"]))
    fns = sorted(r["fns"].items(), key=lambda kv: -kv[1])[:top]
    for f, n in fns:
        line = "      %-40s %8.1f" % (f, n)
        if other is not None:
            m = other["fns"].get(f, 0.0)
            line += " %8.1f %+7.1f" % (m, n - m)
        print(line)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--against", help="a second build, measured the same way, its difference shown")
    p.add_argument("--algs", default="aes128gcm16")
    p.add_argument("--sizes", default="64")
    p.add_argument("--modes", default="plain,out,in")
    p.add_argument("--seconds", type=float, default=20, help="counting window under valgrind")
    p.add_argument("--top", type=int, default=8, help="functions shown per case")
    p.add_argument("--check", action="store_true", help="exit 1 when a case counted no packets")
    args = p.parse_args()
    if any(a not in dp.ALGS for a in args.algs.split(",")):
        p.error("--algs takes " + ", ".join(dp.ALGS))
    if any(m not in FIELD for m in args.modes.split(",")):
        p.error("--modes takes plain, out and in")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        p.error("needs valgrind (Debian's package valgrind)")
    builds = [os.path.abspath(args.build)] + ([os.path.abspath(args.against)] if args.against else [])
    d = tempfile.mkdtemp(prefix="dpike-instr.")
    print("instructions a packet in dp_worker_burst() (callgrind; one worker, one SA pair, ring source)")
    if args.against:
        print("%-14s %-5s %-5s %8s %9s %9s %9s %7s" % ("algorithm", "size", "path", "packets", "instr", "ipsec-mb",
                                                       "against", "diff"))
    else:
        print("%-14s %-5s %-5s %8s %9s %9s" % ("algorithm", "size", "path", "packets", "instr", "ipsec-mb"))
    empty = []
    for alg in args.algs.split(","):
        for size in args.sizes.split(","):
            subprocess.run([sys.executable, HERE + "/gen_traffic.py", d, size, alg, "1"], check=True, timeout=600,
                           stdout=subprocess.DEVNULL)
            for mode in args.modes.split(","):
                if mode == "plain" and alg != args.algs.split(",")[0]:
                    continue
                got = [measure(args, b, d, mode, alg, size) for b in builds]
                if any(g is None for g in got):
                    empty.append("%s %s %s" % (alg, size, mode))
                    continue
                report(alg, size, mode, got[0], got[1] if args.against else None, args.top)
    if not os.environ.get("KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    if empty:
        print("FAILED: no packets counted in %s" % ", ".join(empty))
        sys.exit(1 if args.check else 0)


if __name__ == "__main__":
    main()
