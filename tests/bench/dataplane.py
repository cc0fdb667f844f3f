#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The dataplane benchmark: dpike's whole per-packet path against DPDK's crypto-only ceiling.

  dataplane.py BUILD_DIR [--workers N] [--generators G] [--sas K] [--seconds S] [--sizes 64,512,1400,imix]
               [--source ring|pcap] [--repeat N] [--out FILE] [--algs A,B] [--gcm-keys full|compact]
               [--against-one [--turns MS]] [--burst N] [--stages]

For every size, dpike's whole per-packet path runs (RX burst, classify, SPD/SAD lookup, ESP,
route, TX burst) between a source and a sink:
  ring     (the default) dpike-bench-dataplane: dpike with a traffic generator on the main
           lcore, beside the control core; its ports are rings, and the generator offers a
           capture's packets forever, rewriting the buffers dpike sends back (tests/bench/
           ring_gen.c). The worker pays for its own work only, as with a NIC.
  pcap     dpike itself, a net_pcap port replaying the capture (infinite_rx=1) and a net_null
           sink: the worker also pays for the source (an allocation and a copy per packet)
           and the sink (a free).
  floor    (ring source) the source's own cost: the worker lcore receives, reads and rewrites
           the Ethernet header and sends, nothing of dpike's (tests/bench/source_floor.h);
           after the table, what crypto-perf's cycles per operation leave once it is paid
  floor-rw (ring source) the floor with every cache line of each frame read and written as
           well, as in-place ESP must (its data comes from the generator's core, where
           crypto-perf's buffers stay in its own core's cache)
  floor-sa (ring source, with --against-one and K > 1) the floor with the least memory a packet of
           one of K SA pairs reads: one line of a lookup table and four of an SA (AES-128-GCM's
           round keys and hash key, the sequence number), offered in turns with one flow, whose
           lines stay in the core's caches, as one pair's traffic is; the difference is what the
           memory of K SAs costs a packet at best on this machine, and the against-one table
           gives the ratio that leaves (bound); --floor-sa-bytes B lays those SAs B bytes apart
           instead of 256, as a gateway's SAs holding more than that lie
  plain    cleartext forwarded (no policy): the cost of source, sink and routing, which the
           "net" column takes off each ESP case
  out      encrypt: LAN cleartext through a PROTECT policy into ESP tunnel mode
  in       decrypt: ESP from the peer (made with `cryptography`, checked with scapy) to cleartext
for AES-128-GCM and AES-128-CBC + HMAC-SHA2-256-128 (--algs: any of dpike's ESP transforms,
AES-256, HMAC-SHA1-96 and ChaCha20-Poly1305 too), with K SA pairs that the traffic spreads over. Figures come from dpike's own counters over a window of S seconds: packets,
and the TSC cycles its workers spent in polls that found work ("busy" is that share of the
window: below ~95% the source, not the worker, set the rate). In the same run,
dpdk-test-crypto-perf measures crypto alone (crypto_aesni_gcm for AES-GCM, crypto_aesni_mb for
the others) for the same sizes, and the table prints each case's ratio to it. With --repeat N every case and
crypto-perf run N times, interleaved, and the table shows the medians. With --against-one and
K > 1, each ESP case also runs with one SA pair right after it, and a second table gives the
ratio of K pairs' rate to one pair's, both measured in the same run (issue #5's 0.8x target);
with --turns MS, one process per case holds the K pairs and its generator offers the K-pair and
the one-pair traffic (which uses the first pair) in turns of MS milliseconds, each measured over
its own turns, so that the machine's swings from minute to minute fall on both alike.
With --stages the workers count their cycles by stage (workers.stage_cycles, `dpikectl stages`)
and a last table says where each case's cycles went: RX, classify, ESP, policy, route, TX; with
--turns too, the K-pair and the one-pair traffic's stages each over their own turns.
Replaying a capture repeats sequence numbers, so the inbound SAs have anti-replay off.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_traffic import AEAD, ALGS, IMIX, SPI_IN_BASE, SPI_OUT_BASE, key_len, pair_key  # noqa: E402
ESP_MODES = ("out", "in")  # the others, "plain" and the floors, forward in the clear without SAs
FLOOR_FLAG = {"floor": ["-F"], "floor-rw": ["-D"], "floor-sa": ["-M"]}  # dpike-bench-dataplane's option for each floor
AGAINST_ONE = ESP_MODES + ("floor-sa",)  # the paths measured with K pairs and with one (--against-one)
RTTS = {}  # (alg, size, mode, pairs): the CPUs' round trips (ns) measured before each run of the case
MIN_FRAME, MAX_FRAME = 60, 1514  # the smallest Ethernet frame without FCS; the largest without jumbo frames


def crypto_perf_args(alg):
    """dpdk-test-crypto-perf's device and transform for the ESP algorithm: IPsec-MB behind DPDK's
    cryptodev, crypto_aesni_gcm for AES-GCM, crypto_aesni_mb for the others."""
    crypt, auth, ckey, _, ikey, icv = ALGS[alg]
    if crypt in AEAD:
        dev = "crypto_aesni_gcm" if crypt == "AES-GCM" else "crypto_aesni_mb"
        algo = {"AES-GCM": "aes-gcm", "AES-CCM": "aes-ccm"}.get(crypt, "chacha20-poly1305")
        iv = "11" if crypt == "AES-CCM" else "12"  # RFC 4309's nonce: 3 bytes of salt, the 8-byte IV
        return ["--vdev", dev + "0", "--", "--devtype", dev, "--optype", "aead", "--aead-algo", algo,
                "--aead-op", "encrypt", "--aead-key-sz", str(ckey), "--aead-iv-sz", iv, "--aead-aad-sz", "16",
                "--digest-sz", str(icv)]
    hmac_algo = {"SHA2-256-128": "sha2-256-hmac", "HMAC-SHA1-96": "sha1-hmac", "SHA2-384-192": "sha2-384-hmac",
                 "SHA2-512-256": "sha2-512-hmac"}[auth]
    ciphers = {"NULL": ("null", 0), "AES-CBC": ("aes-cbc", 16), "AES-CTR": ("aes-ctr", 16)}
    name, iv_len = ciphers[crypt]
    cipher = ["--cipher-algo", name, "--cipher-key-sz", str(ckey if crypt != "NULL" else 0), "--cipher-iv-sz", str(iv_len)]
    return ["--vdev", "crypto_aesni_mb0", "--", "--devtype", "crypto_aesni_mb", "--optype", "cipher-then-auth"] + cipher + \
           ["--cipher-op", "encrypt", "--auth-algo", hmac_algo, "--auth-op", "generate", "--auth-key-sz", str(ikey), "--digest-sz",
            str(icv)]


def remote_net(k):
    """SA k's remote host, as gen_traffic.py addresses it: 10.64.0.0 + k + 1, in the routed 10.64.0.0/10."""
    a = 0x0a400001 + k
    return "%d.%d.%d.%d/32" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def static_sas(alg, sas):
    """The SA pairs as static SAs, for dpike itself (the ring benchmark installs them through the table API)."""
    n = key_len(alg)
    out = []
    for k in range(sas):
        common = ('mode = "tunnel"; local = "192.0.2.2"; remote = "192.0.2.1"; esp = "%s"; '
                  'local_ts = ["10.2.0.0/16"]; remote_ts = ["%s"];' % (alg, remote_net(k)))
        out.append('{ name = "out%d"; direction = "out"; spi = %d; key = "0x%s"; %s }'
                   % (k, SPI_OUT_BASE + k, pair_key(k, False, n).hex(), common))
        out.append('{ name = "in%d"; direction = "in"; spi = %d; key = "0x%s"; replay_window = 0; %s }'
                   % (k, SPI_IN_BASE + k, pair_key(k, True, n).hex(), common))
    return ",\n".join(out)


def capture(d, mode, size):
    return "%s/%s-%s.pcap" % (d, "esp" if mode == "in" else "clear", size)


def interfaces(d, mode, size, workers, source):
    """The WAN and LAN interfaces: ring ports of the generator, or a pcap source and a null sink."""
    wan, lan = ("wan", "192.0.2.2/24"), ("lan", "10.2.0.254/24")
    if source == "ring":
        ring = '{ name = "%s"; device = "net_ring_g%s"; address = "%s"; }'
        return [ring % (wan[0], wan[0], wan[1]), ring % (lan[0], lan[0], lan[1])]
    rx = ",".join(["rx_pcap=" + capture(d, mode, size)] * workers) + ",infinite_rx=1"
    pcap = '{ name = "%s"; device = "net_pcap0"; args = "%s"; address = "%s"; }'
    null = '{ name = "%s"; device = "net_null0"; args = "no-rx=1"; address = "%s"; }'
    return [pcap % (wan[0], rx, wan[1]), null % lan] if mode == "in" else [null % wan, pcap % (lan[0], rx, lan[1])]


def config(d, mode, alg, size, args):
    workers, sas, source = args.workers, args.sas, args.source
    ifaces = interfaces(d, mode, size, workers, source)
    # A pcap source keeps its whole capture in buffers; the generator's ring ports a few thousand.
    mbufs = 16383 + (2 * workers * max(480, sas) if source == "pcap" else 0)
    text = """log_level = "warning";
ctl_socket = "%s/bench.sock";
workers = { burst_size = %d; sad_size = %d; spd_size = %d; mbufs = %d; gcm_keys = "%s"; gcm_code = "%s";
            flow_cache_size = %d;%s };
interfaces = ( %s );
neighbours = ( { interface = "wan"; ip = "192.0.2.1"; mac = "02:00:00:00:0a:01"; },
               { interface = "lan"; ip = "10.2.0.1"; mac = "02:00:00:00:0b:01"; } );
routes = ( { prefix = "10.64.0.0/10"; via = "192.0.2.1"; interface = "wan"; } );
""" % (d, args.burst, max(65536, 2 * sas), max(131072, 4 * sas), mbufs, args.gcm_keys, args.gcm_code, flow_cache_size(sas),
       " stage_cycles = true;" if getattr(args, "stages", False) else "", ",\n  ".join(ifaces))
    if mode in ESP_MODES and source == "pcap":
        text += "static_sas = (\n%s\n);\n" % static_sas(alg, sas)
    path = "%s/bench-%s-%s-%s.conf" % (d, mode, alg, size)
    with open(path, "w") as f:
        f.write(text)
    return path


def flow_cache_size(sas):
    """Entries of each worker's flow cache: the default, or four a flow (a power of two) for more SAs."""
    return max(65536, 1 << (4 * sas - 1).bit_length())


def ctl(build, d, *args):
    """dpikectl's answer, or None while dpike cannot answer (starting, or installing the SA pairs:
    its control core serves the socket only after a million of them are in)."""
    try:
        r = subprocess.run([build + "/app/dpikectl", "-s", d + "/bench.sock", "--json"] + list(args),
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(r.stdout) if r.returncode == 0 else None


def frames(w, field):
    """The packets a worker sent on (field), counting a packet it cut into fragments once: the figures
    are per frame offered (a 1500-byte frame through a tunnel leaves as two ESP packets)."""
    return w[field] - (w.get("fragments_made", 0) - w.get("fragmented", 0)) if field != "esp_in" else w[field]


def counters(build, d, field):
    s = ctl(build, d, "stats")
    if s is None:
        return None
    t = s["total"]
    return {"pkts": frames(t, field), "busy": t["busy_cycles"], "drops": sum(t["drops"].values()), "t": time.monotonic(),
            "per_worker": [frames(w, field) for w in s["workers"]], "hits": t["flow_cache_hits"],
            "misses": t["flow_cache_misses"], "changes": s["tables"]["spd_changes"]}


# --stages: (alg, size, mode, SA pairs) -> per round, each stage's cycles a packet taken in
STAGES = {}


def stage_cycles(build, d):
    """dpikectl stages, summed over the workers: {stage: (packets, cycles)}."""
    t = ctl(build, d, "stages")["total"]["stages"]
    return {name: (v["packets"], v["cycles"]) for name, v in t.items()}


def record_stages(key, a, b):
    """Each stage's cycles over the window, a packet taken in (received or injected: classify's)."""
    taken = b["classify"][0] - a["classify"][0]
    STAGES.setdefault(key, []).append({name: (b[name][1] - a[name][1]) / max(taken, 1) for name in b})


def eal_memory(args):
    """DPDK's memory: anonymous pages, or with --hugepages the machine's reserved hugepages (their
    files unlinked at once, so that a run killed leaves none of them taken)."""
    return "--huge-unlink" if args.hugepages else "--no-huge"


def command(args, d, mode, alg, size, conf, alt=None):
    """The process under test: dpike with the ring generator, or dpike itself with pcap and null ports.
    alt: the folder of captures the generator offers in turns with this one's (--turns)."""
    # lcore 0: control (and the first generator lane); then the workers; then further generator
    # lanes; one CPU each while there are CPUs (here, with 2, they share).
    extra = args.generators - 1 if args.source == "ring" else 0
    cpus = os.cpu_count() or 1
    lcores = ",".join(["0@0"] + ["%d@%d" % (i, i % cpus) for i in range(1, args.workers + extra + 1)])
    per_pair = 16 if args.source == "pcap" else 6  # KB: SAs, table entries, and the capture in buffers
    memory = 1024 + args.sas * per_pair // 1024 + args.workers * flow_cache_size(args.sas) * 32 // 2**20  # MB
    if mode == "floor-sa":
        memory += args.sas * (args.floor_sa_bytes + 16) // 2**20
    eal = ["--lcores", lcores, eal_memory(args), "-m", str(memory), "--no-pci", "--file-prefix",
           "dpk-bench-%d" % os.getpid(), "--log-level=lib.eal:error", "--"]
    if args.source == "pcap":
        return [args.build + "/app/dpike"] + eal + ["-f", conf]
    offered = capture(d, mode, size) + ("," + capture(alt, mode, size) if alt else "")
    wan, lan = ("gwan=" + offered, "glan") if mode == "in" else ("gwan", "glan=" + offered)
    esp = mode in ESP_MODES
    pairs = ["-P", "%d:%s" % (args.sas, alg)] if esp else FLOOR_FLAG.get(mode, [])
    if mode == "floor-sa":
        pairs = pairs + ["%d:%d" % (args.sas, args.floor_sa_bytes)]
    if alt:
        pairs += ["-i", str(args.turns)]
    if esp and args.rekeys:
        pairs += ["-R", str(args.rekeys)] + (["-C"] if args.reconnect else [])
    return [args.build + "/tests/dpike-bench-dataplane"] + eal + ["-f", conf, "-p", wan, "-p", lan, "-g",
                                                                   str(args.generators)] + pairs


def start_profile(pid, mode, alg, size):
    """BENCH_PERF=DIR: a perf profile of dpike over each measurement window, DIR/MODE-ALG-SIZE.perf."""
    out = os.environ.get("BENCH_PERF")
    if not out:
        return None
    os.makedirs(out, exist_ok=True)
    return subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock"] + (["-g"] if os.environ.get("BENCH_PERF_CALLS") else []) + ["-p", str(pid), "-o",
                             "%s/%s-%s-%s.perf" % (out, mode, alg, size)], stderr=subprocess.DEVNULL)


def stop_profile(profile):
    if profile:
        profile.send_signal(signal.SIGINT)
        profile.wait(timeout=30)


def turn_results(d, field, tsc_hz, drops):
    """dpike-bench-dataplane -i's last word: (Mpps, cycles per packet, drops, busy share) of each
    capture over its turns, counting the packets of field (an encrypted packet is forwarded too)."""
    with open(d + "/dpike.log") as f:
        told = re.findall(r"capture \d: (\d+) encrypted, (\d+) decrypted, (\d+) forwarded; (\d+) busy cycles "
                          r"of (\d+) worker\(s\) in (\d+) TSC cycles", f.read())[-2:]
    at = {"esp_out": 0, "esp_in": 1, "forwarded": 2}[field]
    results = []
    for t in told:
        pkts, cycles, workers, tsc = int(t[at]), int(t[3]), int(t[4]), int(t[5])
        if pkts == 0 or tsc == 0:
            break
        results.append((pkts / (tsc / tsc_hz) / 1e6, cycles / pkts, drops, cycles / (tsc * workers)))
    if len(results) != 2:
        raise RuntimeError("no turns measured (see %s/dpike.log)" % d)
    return results


def turn_stages(d):
    """With --stages, each capture's {stage: (packets, cycles)} over its turns (dpike-bench-dataplane -i)."""
    with open(d + "/dpike.log") as f:
        told = re.findall(r"capture \d stages:(.*)", f.read())[-2:]
    per = []
    for line in told:
        w = line.split()
        per.append({w[i]: (int(w[i + 1]), int(w[i + 2])) for i in range(0, len(w), 3)})
    return per


def core_rtt(args):
    """A cache line's round trip between CPUs 0 and 1 (the generator's and the first worker's), in
    ns, just before a case (tests/bench/core_rtt.c): on this machine it moves with where the host
    puts the two vCPUs (425-504 ns seen in slow phases), and with it the cost of every line the
    generator hands the worker. None where there are not two CPUs to use."""
    try:
        out = subprocess.run([args.build + "/tests/dpike-bench-rtt", "0", "1"], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r": (\d+) ns a round trip", out.stdout)
    return int(found.group(1)) if out.returncode == 0 and found else None


def rtt_of(alg, size, mode, pairs):
    """The median of the round trips measured before the case's runs, or None."""
    got = sorted(r for r in RTTS.get((alg, size, mode, pairs), []) if r is not None)
    return got[len(got) // 2] if got else None


def run_case(args, d, mode, alg, size, alt=None):
    """One dpike run; returns (Mpps, cycles per packet, drops, busy share) over the window; with
    alt (--turns), a list of two, for this folder's captures and alt's offered in turns."""
    conf = config(d, mode, alg, size, args)
    RTTS.setdefault((alg, size, mode, args.sas), []).append(core_rtt(args))
    prefix = "dpk-bench-%d" % os.getpid()
    proc = subprocess.Popen(command(args, d, mode, alg, size, conf, alt), stdout=subprocess.DEVNULL,
                            stderr=open(d + "/dpike.log", "a"))
    field = {"floor": "forwarded", "floor-rw": "forwarded", "floor-sa": "forwarded", "plain": "forwarded", "out": "esp_out",
             "in": "esp_in"}[mode]
    try:
        # installing a million SA pairs takes a while, and so does their traffic's first pass
        deadline = time.monotonic() + 60 + args.sas / 10000
        # warmed up: pools, caches and branch predictors, and every flow seen once (its first
        # packet pays an SPD lookup; with --turns the DUT counts from its first pass on as well)
        warm = max(100000, args.sas * 5 // 4)
        first = None
        while time.monotonic() < deadline and proc.poll() is None:
            first = counters(args.build, d, field)
            if first and first["pkts"] > warm:
                break
            time.sleep(0.2)
        if not first or first["pkts"] <= warm:
            raise RuntimeError("dpike moved no traffic for %s %s %s (see %s/dpike.log)" % (mode, alg, size, d))
        staged = args.stages and mode not in FLOOR_FLAG  # the floors' own poll has no stages
        stages_a = stage_cycles(args.build, d) if staged else None
        a = counters(args.build, d, field)
        profile = start_profile(proc.pid, mode, alg, size)
        time.sleep(args.seconds)  # the measurement window itself
        b = counters(args.build, d, field)
        stop_profile(profile)
        if staged and not alt:  # in turns the DUT tells each capture's stages apart (below)
            record_stages((alg, size, mode, args.sas), stages_a, stage_cycles(args.build, d))
        pkts, dt, cycles = b["pkts"] - a["pkts"], b["t"] - a["t"], b["busy"] - a["busy"]
        if args.workers > 1:
            print("  %s %s %s per worker: %s Mpps" % (mode, alg, size, " ".join(
                "%.2f" % ((y - x) / dt / 1e6) for x, y in zip(a["per_worker"], b["per_worker"]))), flush=True)
        if (args.sas > 1 or args.rekeys) and mode not in FLOOR_FLAG:  # the floors look nothing up
            looked = (b["hits"] - a["hits"]) + (b["misses"] - a["misses"])
            print("  %s %s %s: flow cache %.1f%% hits, %.1f SPD changes/s%s" % (
                mode, alg, size, 100.0 * (b["hits"] - a["hits"]) / max(looked, 1), (b["changes"] - a["changes"]) / dt, ", %g %s/s asked" % (
                    args.rekeys, "reconnects" if args.reconnect else "rekeys") if args.rekeys and mode in ESP_MODES
                else ""), flush=True)
        tsc_hz = ctl(args.build, d, "status")["tsc_hz"]
        busy = cycles / (dt * tsc_hz * args.workers)
        result = pkts / dt / 1e6, cycles / max(pkts, 1), b["drops"] - a["drops"], busy
    finally:
        stop_dut(proc, prefix, 20)
    if alt:
        result = turn_results(d, field, tsc_hz, result[2])
        per_turn = turn_stages(d) if staged else []
        if staged and len(per_turn) != 2:
            raise RuntimeError("no stages counted per turn (see %s/dpike.log)" % d)
        for sas, per in zip((args.sas, 1), per_turn):
            record_stages((alg, size, mode, sas), {n: (0, 0) for n in per}, per)
    if args.rekeys and mode in ESP_MODES:
        check_rekeys(d, mode, alg, size)
    return result


def stop_dut(proc, prefix, grace):
    """Ends the process under test (SIGTERM, then SIGKILL after grace seconds) and the run
    folder its EAL made."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


def check_rekeys(d, mode, alg, size):
    """dpike-bench-dataplane's last word on the rekeys it made: some, and none failed."""
    with open(d + "/dpike.log") as f:
        told = re.findall(r"rekeyed (\d+) SA pairs \((\d+) failed\)", f.read())
    if not told or int(told[-1][0]) == 0 or int(told[-1][1]) > 0:
        raise RuntimeError("rekeys failed in %s %s %s: %s (see %s/dpike.log)" % (
            mode, alg, size, "rekeyed %s, %s failed" % told[-1] if told else "no report", d))


def crypto_perf(alg, sizes, ops, memory_arg):
    """Mops, Gbps and cycles per buffer of dpdk-test-crypto-perf for each size, one core. CBC takes
    whole blocks only: a size is measured rounded up to 16 bytes there (as ESP pads it)."""
    block = 16 if ALGS[alg][0] == "AES-CBC" else 1
    bufs = {s: -(-s // block) * block for s in sizes}
    prefix = "dpk-bench-cp-%d" % os.getpid()
    cmd = ["dpdk-test-crypto-perf", "-l", "0-1", memory_arg, "-m", "1024", "--no-pci", "--file-prefix",
           prefix, "--log-level=lib.eal:error"] + crypto_perf_args(alg) + \
          ["--ptest", "throughput", "--buffer-sz", ",".join(str(b) for b in sorted(set(bufs.values()))),
           "--burst-sz", "32", "--total-ops", str(ops), "--pool-sz", "8192"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    finally:
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    got = {}
    for line in r.stdout.splitlines():
        f = line.split()
        # lcore id, buffer size, burst size, enqueued, dequeued, failed enq, failed deq, Mops, Gbps, cycles/buf
        if len(f) == 10 and f[0].isdigit() and f[1].isdigit() and re.match(r"^[\d.]+$", f[7]):
            got[int(f[1])] = (float(f[7]), float(f[8]), float(f[9]))
    if any(b not in got for b in bufs.values()):
        raise RuntimeError("dpdk-test-crypto-perf gave no figures for %s:\n%s" % (alg, (r.stdout + r.stderr)[-2000:]))
    return {s: got[b] for s, b in bufs.items()}


def mean_frame(size):
    return sum(IMIX) / len(IMIX) if size == "imix" else int(size)


def crypto_ceiling(perf, size):
    """Crypto-only Mops and cycles per buffer for a size; for IMIX, the mix's packet rate and mean cost."""
    if size != "imix":
        return perf[int(size)][0], perf[int(size)][2]
    return len(IMIX) / sum(1 / perf[s][0] for s in IMIX), sum(perf[s][2] for s in IMIX) / len(IMIX)


def row(alg, size, mode, result, plain=None, crypto=None, rtt=None):
    """One line of the table: a dpike run, net of plain forwarding and against crypto-only where given."""
    mpps, cycles, drops, busy = result
    frame_bits = mean_frame(size) * 8 / 1000
    mops, crypto_cycles = crypto or (None, None)
    return {"alg": alg, "size": size, "mode": mode, "mpps": mpps, "gbps": mpps * frame_bits, "cycles": cycles,
            "net_cycles": cycles - plain[1] if plain else None, "drops": drops, "busy": busy, "crypto_mops": mops,
            "crypto_gbps": mops * frame_bits if mops else None, "crypto_cycles": crypto_cycles,
            "ratio": mpps / mops if mops else None, "rtt_ns": rtt}


def median_of(results):
    """The run with the median rate (its cycles and busy share with it); drops of all runs."""
    mid = sorted(results, key=lambda r: r[0])[len(results) // 2]
    return (mid[0], mid[1], sum(r[2] for r in results), mid[3])


def median_perf(perfs):
    return {s: sorted((p[s] for p in perfs), key=lambda f: f[0])[len(perfs) // 2] for s in perfs[0]}


def one_pair(args, d):
    """The same benchmark with one SA pair, in a folder of its own (its captures differ)."""
    one = argparse.Namespace(**vars(args))
    one.sas = 1
    os.makedirs(d + "/one", exist_ok=True)
    return one, d + "/one"


def run_all(args, d, sizes):
    """Every case; with --repeat N, N rounds (crypto-perf, then the dpike cases) and the medians."""
    rows, plain, against = [], {}, []
    one, d_one = one_pair(args, d) if args.against_one and args.sas > 1 else (None, None)
    floor = tuple(f for f in FLOOR_FLAG if f != "floor-sa" or one) if args.source == "ring" else ()
    for alg in args.algs.split(","):
        for size in sizes:
            for sas, where in ((args.sas, d),) + (((1, d_one),) if one else ()):
                subprocess.run([sys.executable, HERE + "/gen_traffic.py", where, size, alg, str(sas)],
                               check=True, timeout=1800)
        buffers = sorted({s for z in sizes for s in (IMIX if z == "imix" else [int(z)])})
        perfs, runs = [], {}
        for _ in range(args.repeat):
            perfs.append(crypto_perf(alg, buffers, args.crypto_ops, eal_memory(args)))
            for size in sizes:
                for mode in (floor + ("plain",) if size not in plain else ()) + ("out", "in"):
                    if one and mode in AGAINST_ONE and args.turns:
                        many_r, one_r = run_case(args, d, mode, alg, size, d_one)
                    else:
                        many_r = run_case(args, d, mode, alg, size)
                        one_r = run_case(one, d_one, mode, alg, size) if one and mode in AGAINST_ONE else None
                    runs.setdefault((mode, size), []).append(many_r)
                    if one_r:
                        runs.setdefault(("one-" + mode, size), []).append(one_r)
        perf = median_perf(perfs)
        for size in sizes:
            first = len(rows)
            if size not in plain:
                plain[size] = median_of(runs[("plain", size)])
                for f in floor:
                    rows.append(row("-", size, f, median_of(runs[(f, size)]), rtt=rtt_of(alg, size, f, args.sas)))
                rows.append(row("-", size, "plain", plain[size], rtt=rtt_of(alg, size, "plain", args.sas)))
            for mode in ("out", "in"):
                rows.append(row(alg, size, mode, median_of(runs[(mode, size)]), plain[size],
                                crypto_ceiling(perf, size), rtt_of(alg, size, mode, args.sas)))
            for r in rows[first:]:
                print(fmt(r), flush=True)
            for mode in ("out", "in") if one else ():
                against.append((alg, size, mode, median_of(runs[(mode, size)]), median_of(runs[("one-" + mode, size)]),
                                memory_cost(runs, size)))
    return rows, against


def memory_cost(runs, size):
    """floor-sa's cycles a packet with K pairs' flows less those with one flow (medians): the least
    the memory of K SAs adds to a packet here; None without the ring source's floors."""
    if ("floor-sa", size) not in runs:
        return None
    return median_of(runs[("floor-sa", size)])[1] - median_of(runs[("one-floor-sa", size)])[1]


def print_budget(rows):
    """What crypto-only's cycles per operation leave a gateway on this source: a packet at 1.0x
    may cost no more than them, of which the source's floor takes its share before parsing,
    policy, ESP (the cipher itself among it) and routing: receive, read and rewrite the Ethernet
    header, send (any gateway's least), and for ESP, which rewrites the frame in place, every
    line of its data had for writing (floor-rw)."""
    floors = {(r["mode"], r["size"]): r["cycles"] for r in rows if r["mode"] in FLOOR_FLAG}
    cases = [r for r in rows if r["mode"] == "out" and ("floor-rw", r["size"]) in floors and r["crypto_cycles"]]
    if not cases:
        return
    print("\nAt 1.0x of crypto-only a packet may cost what crypto-perf spends on an operation; the source's floor")
    print("(receive, read and rewrite the Ethernet header, send; -rw: every line of the frame read and written too)")
    print("takes its part of that before any work of dpike's; left and dpike are less floor-rw")
    print("%-14s %-5s %8s %8s %8s %8s %8s" % ("algorithm", "size", "crypto", "floor", "floor-rw", "left", "dpike"))
    for r in cases:
        f, rw = floors[("floor", r["size"])], floors[("floor-rw", r["size"])]
        print("%-14s %-5s %8.0f %8.0f %8.0f %8.0f %8.0f" % (r["alg"], r["size"], r["crypto_cycles"], f, rw,
                                                          r["crypto_cycles"] - rw, r["cycles"] - rw))


def print_stages(args):
    """Where each case's cycles went (--stages): medians over the rounds, stage by stage."""
    if not STAGES:
        return
    names = list(next(iter(STAGES.values()))[0])
    print("\nCycles a packet by stage of the worker's poll (dpikectl stages; medians of %d; the counting's own"
          % args.repeat)
    print("cost is in the figures above): rx and tx the port calls, finish the punts and frees")
    print("%-14s %-5s %-5s %7s " % ("algorithm", "size", "path", "pairs") + " ".join("%8s" % n for n in names) +
          " %8s" % "all")
    for (alg, size, mode, sas), rounds in STAGES.items():
        mid = {n: sorted(r[n] for r in rounds)[len(rounds) // 2] for n in names}
        print("%-14s %-5s %-5s %7d " % (alg if mode in ESP_MODES else "-", size, mode, sas) +
              " ".join("%8.1f" % mid[n] for n in names) +
              " %8.1f" % sum(mid.values()))


def print_against_one(against, args):
    """K SA pairs against one, each case's medians from the same rounds."""
    if not against:
        return
    how = ("the two kinds of traffic in turns of %d ms, one process" % args.turns if args.turns else
           "each %d-pair case followed by a one-pair one" % args.sas)
    print("\n%d SA pairs against one, same run (%s; medians of %d)" % (args.sas, how, args.repeat))
    if any(memory is not None for *_, memory in against):
        print("memory: what K pairs' SA lines cost a packet at the least (floor-sa with K pairs' flows less with one);")
        print("bound: the ratio one pair's cycles leave once that is added, the most any gateway reading them could reach here")
    print("%-14s %-5s %-5s %10s %9s %10s %9s %7s %7s %7s" % ("algorithm", "size", "path", "one Mpps", "one cyc", "many Mpps",
                                                            "many cyc", "ratio", "memory", "bound"))
    for alg, size, mode, many, one, memory in against:
        bound = "%7.0f %6.2fx" % (memory, one[1] / (one[1] + max(memory, 0))) if memory is not None else ""
        print("%-14s %-5s %-5s %10.2f %9.0f %10.2f %9.0f %6.2fx %s" % (alg, size, mode, one[0], one[1], many[0], many[1],
                                                                      many[0] / one[0] if one[0] else 0, bound))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--generators", type=int, default=1,
                   help="ring source: generator lanes (one keeps a few workers busy; more on a bigger machine)")
    p.add_argument("--sas", type=int, default=1)
    p.add_argument("--rekeys", type=float, default=0,
                   help="ring source: rekey this many of the SA pairs a second while measuring, as IKE does")
    p.add_argument("--reconnect", action="store_true",
                   help="with --rekeys: close those pairs and make them anew instead (policies removed and added)")
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--sizes", default="64,512,1400,imix")
    p.add_argument("--source", choices=("ring", "pcap"), default="ring")
    p.add_argument("--algs", default="aes128gcm16,aes128-sha256",
                   help="ESP algorithms, of " + ", ".join(ALGS) + " (the first two of issue #5 by default)")
    p.add_argument("--gcm-keys", choices=("auto", "full", "compact"), default="auto",
                   help="workers.gcm_keys: compact where dpike's VAES code runs it (auto), IPsec-MB's widest GCM "
                   "code (full), or the AVX2 key layout with smaller keys per SA (compact)")
    p.add_argument("--gcm-code", choices=("auto", "ipsec-mb"), default="auto",
                   help="workers.gcm_code: dpike's VAES code where IPsec-MB has only AVX2's, or IPsec-MB's always")
    p.add_argument("--repeat", type=int, default=1,
                   help="rounds of every case and of crypto-perf; the table shows the medians (noisy machines)")
    p.add_argument("--out")
    p.add_argument("--crypto-ops", type=int, default=3000000, help="operations per dpdk-test-crypto-perf size")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a case dropped packets, or with --stages counted no ESP cycles (a smoke test)")
    p.add_argument("--against-one", action="store_true",
                   help="with --sas K > 1, also one SA pair after each case, and the ratio of K pairs to one")
    p.add_argument("--burst", type=int, default=32,
                   help="workers.burst_size, 1 to 64 (crypto-perf runs with bursts of 32 whatever it is)")
    p.add_argument("--turns", type=int, default=0, metavar="MS",
                   help="with --against-one (ring source): one process per case with the K pairs installed, "
                        "offering the K-pair and the one-pair traffic in turns of MS milliseconds, each measured "
                        "over its turns (a noisy machine's swings then fall on both alike)")
    p.add_argument("--stages", action="store_true",
                   help="workers.stage_cycles: count each worker's cycles by stage and print where each case's went "
                        "(the counting costs a few cycles a packet itself)")
    p.add_argument("--floor-sa-bytes", type=int, default=256,
                   help="floor-sa: how far apart its SAs lie (a multiple of 64, at least 256, their least size)")
    p.add_argument("--hugepages", action="store_true",
                   help="dpike on hugepages reserved and mounted beforehand (crypto-perf too), as deployed")
    args = p.parse_args()
    if any(a not in ALGS for a in args.algs.split(",")):
        p.error("--algs takes " + ", ".join(ALGS))
    if any(z != "imix" and not (z.isdigit() and MIN_FRAME <= int(z) <= MAX_FRAME) for z in args.sizes.split(",")):
        p.error("--sizes takes frame sizes of %d to %d bytes (Ethernet frames without FCS, no jumbo frames) "
                "and imix" % (MIN_FRAME, MAX_FRAME))
    if args.rekeys and args.source != "ring":
        p.error("--rekeys needs the ring source (SA pairs installed through the table API)")
    if args.floor_sa_bytes < 256 or args.floor_sa_bytes % 64 or args.floor_sa_bytes > 65536:
        p.error("--floor-sa-bytes takes a multiple of 64 from 256 to 65536")
    if not 1 <= args.burst <= 64:
        p.error("--burst takes 1 to 64 packets (workers.burst_size)")
    if args.turns and not (args.against_one and args.source == "ring" and args.sas > 1 and 20 <= args.turns <= 60000):
        p.error("--turns takes 20 to 60000 ms, with --against-one, --sas K > 1 and the ring source")
    args.build = os.path.abspath(args.build)
    d = tempfile.mkdtemp(prefix="dpike-bench.")
    rows, against = run_all(args, d, args.sizes.split(","))
    print_table(rows, args)
    print_budget(rows)
    print_stages(args)
    print_against_one(against, args)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"workers": args.workers, "sas": args.sas, "rows": rows, "against_one": [
                {"alg": a, "size": z, "mode": m, "mpps": many[0], "cycles": many[1], "one_mpps": one[0],
                 "one_cycles": one[1], "memory_cycles": memory} for a, z, m, many, one, memory in against]}, f, indent=1)
    shutil.rmtree(d, ignore_errors=True)  # kept when a case failed, for its logs
    dropped = [r for r in rows if r["drops"]] + [{"alg": a, "size": z, "mode": m + " (one pair)"}
                                                for a, z, m, _, one, _ in against if one[2]]
    uncounted = ["%s %s %s" % (a, z, m) for (a, z, m, _), rounds in STAGES.items()
                 if m in ESP_MODES and not all(r["esp_" + m] > 0 for r in rounds)]
    if args.check and uncounted:
        print("FAILED: no ESP cycles counted by stage in %s" % ", ".join(uncounted))
        sys.exit(1)
    if args.check and dropped:
        print("FAILED: packets dropped in %s" % ", ".join("%s %s %s" % (r["alg"], r["size"], r["mode"]) for r in dropped))
        sys.exit(1)


def fmt(r):
    net = "%8.0f" % r["net_cycles"] if r["net_cycles"] is not None else " " * 8
    crypto = "%8.2f %7.2f %8.0f %6.2fx" % (r["crypto_mops"], r["crypto_gbps"], r["crypto_cycles"], r["ratio"]) \
        if r["ratio"] else " " * 33
    rtt = "%5d" % r["rtt_ns"] if r.get("rtt_ns") is not None else "%5s" % "-"
    return "%-14s %-5s %-8s %8.2f %7.2f %4.0f%% %8.0f %s %s %s %s" % (
        r["alg"], r["size"], r["mode"], r["mpps"], r["gbps"], 100 * r["busy"], r["cycles"], net, crypto, rtt,
        r["drops"] or "")


def print_table(rows, args):
    print("\ndpike dataplane, %d worker(s), %d SA pair(s)%s, %s source, %s GCM keys (%s code), flow caches of %d entries%s; "
          "crypto-only: dpdk-test-crypto-perf, one core" % (
              args.workers, args.sas, " %s at %g/s" % ("reconnected" if args.reconnect else "rekeyed", args.rekeys) if args.rekeys else "", args.source,
              args.gcm_keys, args.gcm_code, flow_cache_size(args.sas), ", hugepages" if args.hugepages else ""))
    print("busy: share of the window the workers spent on packets; cyc/pkt: their busy TSC cycles per packet;")
    print("net: less those of plain forwarding (receive, classify, route, send)%s" % (
        "; floor: the source's own cost (tests/bench/source_floor.h), -rw: with every line of the frame written"
        if args.source == "ring" else ""))
    print("rtt: a cache line's round trip between CPUs 0 and 1 before the case, ns (the machine's phase; "
          "tests/bench/core_rtt.c)")
    print("%-14s %-5s %-8s %8s %7s %5s %8s %8s %8s %7s %8s %7s %5s %s" % (
        "algorithm", "size", "path", "Mpps", "Gbps", "busy", "cyc/pkt", "net", "crypto", "Gbps", "cyc/buf", "ratio",
        "rtt", "drops"))
    for r in rows:
        print(fmt(r))


if __name__ == "__main__":
    main()
