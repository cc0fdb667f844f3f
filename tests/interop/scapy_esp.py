#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Wire interop of dpike's ESP with scapy's independent implementation.

  scapy_esp.py config DIR      writes DIR/dpike.conf and DIR/sas.json (one SA pair per combination)
  scapy_esp.py run DIR         runs inside the peer namespace: sends, sniffs, checks, prints a summary

Every transform x tunnel/transport x UDP encapsulation on/off x ESN on/off gets its own
SA pair and peer address. Tunnel: scapy encrypts a packet that dpike must decrypt and
forward to the LAN, and dpike encrypts a LAN packet that scapy must decrypt. Transport:
scapy sends an encrypted ping to dpike, which must answer it encrypted.
Transport behind a NAT (RFC 3948 3.1.2): two more UDP-encapsulated transport SA pairs, one
with the peer's original addresses configured (NAT-OA), one without; scapy sends UDP whose
checksum covers the untranslated addresses, and the port unreachable that dpike sends back
(encrypted) quotes the checksum as dpike fixed it up: valid for the addresses on the wire
with NAT-OA, zero without. A datagram whose checksum is wrong either way is dropped.
A 1500-byte datagram from the LAN through the tunnel: with DF clear dpike fragments it before
ESP and scapy's decrypted fragments reassemble to it; with DF set dpike answers ICMP
fragmentation needed.
What a tunnel carries between its headers: by default (swanctl's copy_dscp = out, copy_ecn and
copy_df = yes) the outer header takes the inner DSCP, ECN and DF; a congestion mark on the outer
header reaches an ECN-capable inner packet and drops one that is not (RFC 6040); with copy_dscp =
yes, copy_ecn = no, copy_df = no the outer DSCP replaces the inner one, ECN stays apart and DF is
not copied.
Then bad input (truncated, unknown SPI, bad ICV, bad padding, replay, malformed) must
be dropped and counted under the right reason, and dpike must keep working.
Then ARP: a flood of requests from made-up senders is answered in full but fills the learned
neighbours no further than workers.neighbour_size (senders off the port's subnet not at all), a
configured neighbour is not moved by ARP, and a next hop dpike asks for is still learned (and
its packet delivered) with the table full, a gateway outside the port's subnet included.
"""
import copy
import json
import os
import subprocess
import threading
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from scapy_gcm import register_short_icv_gcm  # noqa: E402

DUT_WAN, DUT_LAN = "198.51.100.1", "10.2.0.254"
LAN_HOST = "10.2.0.1"
NEIGHBOUR_SIZE = 64
LAN_FAR, LAN_GATEWAY = "10.2.0.128/25", "203.0.113.254"  # a route through a gateway outside the LAN's prefix
MACS = {"peer_wan": "02:00:00:00:00:01", "peer_lan": "02:00:00:00:00:02",
        "dut_wan": "02:00:00:00:00:11", "dut_lan": "02:00:00:00:00:12"}
ALGS = [  # dpike token, scapy crypt algo, scapy auth algo, cipher key bytes, salt bytes, integrity key bytes[, ICV bytes]
    ("aes128gcm16", "AES-GCM", "NULL", 16, 4, 0),
    ("aes256gcm16", "AES-GCM", "NULL", 32, 4, 0),
    ("aes128-sha256", "AES-CBC", "SHA2-256-128", 16, 0, 32),
    ("aes256-sha256", "AES-CBC", "SHA2-256-128", 32, 0, 32),
    ("aes128-sha1", "AES-CBC", "HMAC-SHA1-96", 16, 0, 20),
    ("aes256-sha1", "AES-CBC", "HMAC-SHA1-96", 32, 0, 20),
    ("chacha20poly1305", "CHACHA20-POLY1305", "NULL", 32, 4, 0),
    ("aes192gcm16", "AES-GCM", "NULL", 24, 4, 0),
    ("aes192-sha256", "AES-CBC", "SHA2-256-128", 24, 0, 32),
    ("aes192-sha1", "AES-CBC", "HMAC-SHA1-96", 24, 0, 20),
    ("aes128-sha384", "AES-CBC", "SHA2-384-192", 16, 0, 48),
    ("aes192-sha384", "AES-CBC", "SHA2-384-192", 24, 0, 48),
    ("aes256-sha384", "AES-CBC", "SHA2-384-192", 32, 0, 48),
    ("aes128-sha512", "AES-CBC", "SHA2-512-256", 16, 0, 64),
    ("aes192-sha512", "AES-CBC", "SHA2-512-256", 24, 0, 64),
    ("aes256-sha512", "AES-CBC", "SHA2-512-256", 32, 0, 64),
    ("aes128gcm8", "AES-GCM-SHORT-ICV", "NULL", 16, 4, 0, 8),
    ("aes192gcm8", "AES-GCM-SHORT-ICV", "NULL", 24, 4, 0, 8),
    ("aes256gcm8", "AES-GCM-SHORT-ICV", "NULL", 32, 4, 0, 8),
    ("aes128gcm12", "AES-GCM-SHORT-ICV", "NULL", 16, 4, 0, 12),
    ("aes192gcm12", "AES-GCM-SHORT-ICV", "NULL", 24, 4, 0, 12),
    ("aes256gcm12", "AES-GCM-SHORT-ICV", "NULL", 32, 4, 0, 12),
    ("null-sha1", "NULL", "HMAC-SHA1-96", 0, 0, 20),
    ("null-sha256", "NULL", "SHA2-256-128", 0, 0, 32),
    ("null-sha384", "NULL", "SHA2-384-192", 0, 0, 48),
    ("null-sha512", "NULL", "SHA2-512-256", 0, 0, 64),
    ("aes128ctr-sha256", "AES-CTR", "SHA2-256-128", 16, 4, 32),
    ("aes256ctr-md5", "AES-CTR", "HMAC-MD5-96", 32, 4, 16),
    ("aes192ctr-aescmac", "AES-CTR", "AES-CMAC-96", 24, 4, 16),
    ("aes128ccm16", "AES-CCM", "NULL", 16, 3, 0),
    ("aes256ccm16", "AES-CCM", "NULL", 32, 3, 0),
    ("aes128ccm8", "AES-CCM", "NULL", 16, 3, 0, 8),
    ("aes256ccm12", "AES-CCM", "NULL", 32, 3, 0, 12),
    ("3des-sha1", "3DES", "HMAC-SHA1-96", 24, 0, 20),
    ("3des-md5", "3DES", "HMAC-MD5-96", 24, 0, 16),
    ("aes128-aescmac", "AES-CBC", "AES-CMAC-96", 16, 0, 16),
    ("null-md5", "NULL", "HMAC-MD5-96", 0, 0, 16),
]
FULL_MATRIX = 7  # the first transforms in every mode, encapsulation and ESN; the others' framing is theirs
FEWER = [("tunnel", False, True), ("tunnel", True, False), ("transport", False, False), ("transport", True, True)]
OLDER = ALGS.index(("aes128ctr-sha256", "AES-CTR", "SHA2-256-128", 16, 4, 32))  # from here on: two cases each
FEWEST = [("tunnel", False, True), ("transport", True, False)]  # (the WAN subnet's addresses run short)


def combos():
    k = 0
    full = [(m, e, n) for m in ("tunnel", "transport") for e in (False, True) for n in (False, True)]
    for i, alg in enumerate(ALGS):
        for mode, encap, esn in full if i < FULL_MATRIX else FEWER if i < OLDER else FEWEST:
            keys = sum(alg[3:6])
            yield {"k": k, "alg": alg[0], "mode": mode, "encap": encap, "esn": esn,
                   "peer": "198.51.100.%d" % (10 + k), "spi_out": 0x1000 + k, "spi_in": 0x2000 + k,
                   "key_out": os.urandom(keys).hex(), "key_in": os.urandom(keys).hex()}
            k += 1
    # what passes between a tunnel's headers: swanctl's defaults, then everything set otherwise
    for copy in ({}, {"copy_dscp": "yes", "copy_ecn": "no", "copy_df": "no"}):
        yield {"k": k, "alg": "aes128gcm16", "mode": "tunnel", "encap": False, "esn": False, "copy": copy,
               "peer": "198.51.100.%d" % (10 + k), "spi_out": 0x1000 + k, "spi_in": 0x2000 + k,
               "key_out": os.urandom(20).hex(), "key_in": os.urandom(20).hex()}
        k += 1
    # transport behind a NAT: the peer sits at a private address and knows us by another one
    for oa in (("10.77.0.5", "203.0.113.80"), None):
        yield {"k": k, "alg": "aes128gcm16", "mode": "transport", "encap": True, "esn": False, "natt": True,
               "oa": oa, "peer": "198.51.100.%d" % (10 + k), "spi_out": 0x1000 + k, "spi_in": 0x2000 + k,
               "key_out": os.urandom(20).hex(), "key_in": os.urandom(20).hex()}
        k += 1


def write_config(d):
    sas = list(combos())
    lines = ['log_level = "info";', 'ctl_socket = "%s/dpike.sock";' % d, "workers = { idle_sleep_us = 20; neighbour_size = %d; };" % NEIGHBOUR_SIZE,
             "interfaces = (",
             '  { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "%s/24"; },' % DUT_WAN,
             '  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "%s/24"; }' % DUT_LAN,
             ");", "neighbours = (",
             '  { interface = "lan"; ip = "%s"; mac = "%s"; },' % (LAN_HOST, MACS["peer_lan"])]
    lines += ['  { interface = "wan"; ip = "%s"; mac = "%s"; }%s' % (c["peer"], MACS["peer_wan"],
              "," if i + 1 < len(sas) else "") for i, c in enumerate(sas)]
    lines += [");", "routes = (", '  { prefix = "%s"; via = "%s"; interface = "lan"; }' % (LAN_FAR, LAN_GATEWAY), ");",
              "static_sas = ("]
    entries = []
    for c in sas:
        if c["mode"] == "tunnel":
            lts, rts = "10.2.0.0/24", "10.1.%d.0/24" % c["k"]
        else:
            lts, rts = DUT_WAN + "/32", c["peer"] + "/32"
        for direction, spi, key in (("out", c["spi_out"], c["key_out"]), ("in", c["spi_in"], c["key_in"])):
            oa = ""
            if direction == "in" and c.get("oa"):
                oa = ' nat_oa_remote = "%s"; nat_oa_local = "%s";' % tuple(c["oa"])
            oa += "".join(' %s = "%s";' % kv for kv in sorted(c.get("copy", {}).items()))
            entries.append(
                '  { name = "%s-%d"; direction = "%s"; spi = 0x%x; mode = "%s"; encap = %s; esn = %s;\n'
                '    local = "%s"; remote = "%s"; esp = "%s"; key = "0x%s"; replay_window = 128;\n'
                '    local_ts = ["%s"]; remote_ts = ["%s"];%s }'
                % (direction, c["k"], direction, spi, c["mode"], str(c["encap"]).lower(), str(c["esn"]).lower(),
                   DUT_WAN, c["peer"], c["alg"], key, lts, rts, oa))
    lines.append(",\n".join(entries))
    lines.append(");")
    with open(os.path.join(d, "dpike.conf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "sas.json"), "w") as f:
        json.dump(sas, f)


# ---- everything below runs inside the peer namespace, with scapy ----

class EsnHmac:
    """scapy 2.5 leaves the ESN high half out of the ESP ICV of HMAC transforms (it adds it
    for AH only), against RFC 4303 2.2.1. This wrapper hashes it after the ESP payload,
    as the RFC says; everything else is scapy's own."""

    def __init__(self, algo, esn_hi):
        self.algo, self.esn_hi = algo, esn_hi
        self.icv_size, self.name = algo.icv_size, algo.name

    def _icv(self, data, key):
        import struct
        mac = self.algo.new_mac(key)
        mac.update(data + struct.pack("!L", self.esn_hi))
        return mac.finalize()[:self.icv_size]

    def sign(self, pkt, key, esn_en=False, esn=0):
        from scapy.all import raw
        from scapy.layers.ipsec import ESP
        pkt[ESP].data += self._icv(raw(pkt[ESP]), key)
        return pkt

    def verify(self, pkt, key, esn_en=False, esn=0):
        from scapy.layers.ipsec import IPSecIntegrityError
        from scapy.all import raw
        icv = pkt.data[len(pkt.data) - self.icv_size:]
        clone = pkt.copy()
        clone.data = clone.data[:len(clone.data) - self.icv_size]
        if self._icv(raw(clone), key) != icv:
            raise IPSecIntegrityError("ICV mismatch (ESN)")

    def check_key(self, key):
        self.algo.check_key(key)


def scapy_sa(c, direction):
    from scapy.all import IP, UDP
    from scapy.layers.ipsec import SecurityAssociation, ESP
    register_short_icv_gcm()
    alg = next(a for a in ALGS if a[0] == c["alg"])
    key = bytes.fromhex(c["key_" + direction])
    ck, ik = key[:alg[3] + alg[4]], key[alg[3] + alg[4]:]
    kw = {"crypt_algo": alg[1], "crypt_key": ck, "esn_en": c["esn"], "esn": 0}
    if len(alg) > 6:
        kw["crypt_icv_size"] = alg[6]
    if alg[2] != "NULL":
        kw.update(auth_algo=alg[2], auth_key=ik)
    if direction == "in":  # scapy is the sender: src is the peer
        src, dst = c["peer"], DUT_WAN
    else:
        src, dst = DUT_WAN, c["peer"]
    if c["mode"] == "tunnel":
        kw["tunnel_header"] = IP(src=src, dst=dst)
    if c["encap"]:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    sa = SecurityAssociation(ESP, spi=c["spi_" + direction], **kw)
    if c["esn"] and alg[2] != "NULL":
        sa.auth_algo = EsnHmac(sa.auth_algo, 0)  # sequence numbers here stay below 2^32
    return sa


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        print("%s %s" % ("ok  " if ok else "FAIL", what), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def dpikectl(d, *args):
    out = subprocess.run([os.environ["DPIKECTL"], "-s", d + "/dpike.sock", "--json"] + list(args),
                         capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        raise RuntimeError("dpikectl %s failed: %s" % (args, out.stderr))
    return json.loads(out.stdout)


def drops(d):
    return dpikectl(d, "stats")["total"]["drops"]


def wan_frame(pkt):
    from scapy.all import Ether
    return Ether(src=MACS["peer_wan"], dst=MACS["dut_wan"]) / pkt


def esp_of(pkt):
    """The ESP packet inside an outer IP packet (raw or UDP 4500), rebuilt as IP/ESP for scapy."""
    from scapy.all import IP, UDP
    from scapy.layers.ipsec import ESP
    if pkt.haslayer(UDP) and pkt[UDP].dport == 4500:
        return IP(src=pkt[IP].src, dst=pkt[IP].dst, proto=50) / ESP(bytes(pkt[UDP].payload))
    if pkt.haslayer(ESP):
        return IP(src=pkt[IP].src, dst=pkt[IP].dst, proto=50) / pkt[ESP]
    return None


def sniff_until(sniffers, done, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and not done():
        time.sleep(0.1)


def capture(**kw):
    """An AsyncSniffer already capturing when this returns, so that no answer is missed."""
    from scapy.all import AsyncSniffer
    ready = threading.Event()
    sniffer = AsyncSniffer(started_callback=ready.set, **kw)
    sniffer.start()
    if not ready.wait(10):
        raise RuntimeError("the capture on %s did not start" % kw.get("iface"))
    return sniffer


def run_matrix(d, sas, chk):
    from scapy.all import Ether, IP, UDP, ICMP, Raw, sendp
    wan = capture(iface="peer-wan", store=True, filter="ether src %s" % MACS["dut_wan"])
    lan = capture(iface="peer-lan", store=True, filter="ether src %s" % MACS["dut_lan"])
    for c in sas:
        k = c["k"]
        if c["mode"] == "tunnel":
            inner = IP(src="10.1.%d.5" % k, dst=LAN_HOST, ttl=20) / UDP(sport=4000 + k, dport=9) / Raw(b"in-%d" % k)
            sendp(wan_frame(scapy_sa(c, "in").encrypt(inner)), iface="peer-wan", verbose=False)
            plain = IP(src=LAN_HOST, dst="10.1.%d.5" % k, ttl=20) / UDP(sport=5000 + k, dport=9) / Raw(b"out-%d" % k)
            sendp(Ether(src=MACS["peer_lan"], dst=MACS["dut_lan"]) / plain, iface="peer-lan", verbose=False)
        else:
            ping = IP(src=c["peer"], dst=DUT_WAN) / ICMP(type=8, id=k, seq=7) / Raw(b"ping-%d" % k)
            sendp(wan_frame(scapy_sa(c, "in").encrypt(ping)), iface="peer-wan", verbose=False)
    expected_wan = len(sas)
    expected_lan = sum(1 for c in sas if c["mode"] == "tunnel")
    sniff_until([wan, lan], lambda: len(wan.results or []) >= expected_wan and len(lan.results or []) >= expected_lan,
                20)
    wan.stop()
    lan.stop()
    for c in sas:
        check_combo(c, wan.results, lan.results, chk)
    check_gcm_code(d, chk)


def check_gcm_code(d, chk):
    """The GCM packets above ran the code dpike says: by default (workers.gcm_keys = "auto") dpike's own
    on compact keys wherever the CPU has VAES, over 256-bit registers; with AVX-512 full keys for the first
    SAs (these), run by IPsec-MB's AVX-512 code with dpike's for short texts; else IPsec-MB's on full keys."""
    with open("/proc/cpuinfo") as f:
        flags = set(next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []))
    own = {"avx2", "vaes", "vpclmulqdq"} <= flags
    wide = own and {"avx512f", "avx512bw", "avx512vl"} <= flags
    tables = dpikectl(d, "stats")["tables"]
    code, keys, full_sas = tables["gcm_code"], tables["gcm_keys"], tables["gcm_full_sas"]
    if wide:
        ok = keys == "auto" and code == "IPsec-MB AVX-512, dpike VAES up to 96 bytes" and full_sas > 0
        want = "full keys, IPsec-MB's AVX-512 code with dpike's for short texts"
    elif own:
        ok = keys == "compact" and code.startswith("dpike") and "256-bit" in code and full_sas == 0
        want = "dpike's own, 256-bit, on compact keys"
    else:
        ok = keys == "full" and code.startswith("IPsec-MB") and full_sas > 0
        want = "IPsec-MB's on full keys"
    chk.check(ok, "the AES-GCM packets ran %s on %s keys, %d SAs with full keys (%s on this CPU)" % (
        code, keys, full_sas, want))


def check_combo(c, wan_pkts, lan_pkts, chk):
    from scapy.all import IP, UDP, ICMP, Raw
    k = c["k"]
    name = "%s %s%s%s" % (c["alg"], c["mode"], " udp-encap" if c["encap"] else "", " esn" if c["esn"] else "")
    ours = [p for p in wan_pkts if p.haslayer(IP) and p[IP].dst == c["peer"]]
    decrypted = None
    for p in ours:
        e = esp_of(p)
        if e is not None and e.spi == c["spi_out"]:
            encapsulated = p.haslayer(UDP) and p[UDP].dport == 4500
            try:
                decrypted = scapy_sa(c, "out").decrypt(e)
            except Exception as exc:  # a failed ICV raises
                print("     decrypt error: %r" % exc)
            break
    else:
        encapsulated = None
    chk.check(encapsulated == c["encap"], "%s: outbound ESP %s UDP encapsulation" % (name, "with" if c["encap"] else "without"))
    if c["mode"] == "tunnel":
        got_in = [p for p in lan_pkts if p.haslayer(Raw) and p[Raw].load == b"in-%d" % k]
        chk.check(len(got_in) == 1 and got_in[0][IP].src == "10.1.%d.5" % k and got_in[0][IP].ttl == 19,
                  "%s: scapy's ESP decrypted and forwarded by dpike" % name)
        ok = decrypted is not None and decrypted.haslayer(Raw) and decrypted[Raw].load == b"out-%d" % k \
            and decrypted[IP].dst == "10.1.%d.5" % k and decrypted[IP].ttl == 19
        chk.check(ok, "%s: dpike's ESP decrypted by scapy" % name)
    else:
        ok = decrypted is not None and decrypted.haslayer(ICMP) and decrypted[ICMP].type == 0 \
            and decrypted[ICMP].id == k and decrypted[Raw].load == b"ping-%d" % k
        chk.check(ok, "%s: encrypted ping answered with an encrypted reply" % name)


ROUTER_ALERT = bytes([0x94, 4, 0, 0])              # RFC 2113: copied flag set
RECORD_ROUTE = bytes([0x07, 7, 4, 0, 0, 0, 0])     # RFC 791: copied flag clear, room for one address


def run_fragments(d, sas, chk):
    """A datagram that fits the LAN (1500 bytes) but not the tunnel: with DF clear dpike cuts it before
    ESP (RFC 4301 8.1), so scapy decrypts fragments that reassemble to it; with DF set dpike answers
    ICMP fragmentation needed with the room the tunnel leaves. One with IP options (the control core
    cuts those): Router Alert, whose copied flag is set, in every piece; Record Route in the first only
    (RFC 791 3.1)."""
    from scapy.all import Ether, IP, IPOption, UDP, ICMP, Raw, sendp
    picked = [c for c in sas if c["mode"] == "tunnel" and not c["esn"] and c["alg"] in ("aes128gcm16", "aes128-sha256")]
    wan = capture(iface="peer-wan", store=True, filter="ether src %s" % MACS["dut_wan"])
    lan = capture(iface="peer-lan", store=True, filter="ether src %s and icmp" % MACS["dut_lan"])
    sent = {}
    for c in picked:
        k = c["k"]
        body = bytes((k + i) & 0xff for i in range(1472))
        big = IP(src=LAN_HOST, dst="10.1.%d.5" % k, id=0x3000 + k, ttl=20) / UDP(sport=6000 + k, dport=9) / Raw(body)
        sent[k] = bytes(big[UDP])
        sendp(Ether(src=MACS["peer_lan"], dst=MACS["dut_lan"]) / big, iface="peer-lan", verbose=False)
        df = IP(src=LAN_HOST, dst="10.1.%d.5" % k, id=0x4000 + k, ttl=20, flags="DF") / UDP(sport=7000 + k, dport=9) / Raw(body)
        sendp(Ether(src=MACS["peer_lan"], dst=MACS["dut_lan"]) / df, iface="peer-lan", verbose=False)
        opts = IP(src=LAN_HOST, dst="10.1.%d.5" % k, id=0x5000 + k, ttl=20,
                  options=[IPOption(ROUTER_ALERT), IPOption(RECORD_ROUTE)]) / UDP(sport=8000 + k, dport=9) / Raw(body[:1420])
        sent[0x5000 + k] = bytes(opts[UDP])
        sendp(Ether(src=MACS["peer_lan"], dst=MACS["dut_lan"]) / opts, iface="peer-lan", verbose=False)

    def pieces(c, ident=None):
        ident = 0x3000 + c["k"] if ident is None else ident
        out = []
        for p in wan.results or []:
            e = esp_of(p) if p.haslayer(IP) and p[IP].dst == c["peer"] else None
            if e is None or e.spi != c["spi_out"]:
                continue
            try:
                inner = scapy_sa(c, "out").decrypt(e)
            except Exception:
                continue
            if inner[IP].id == ident:
                out.append((len(p[IP]), inner))
        return out

    sniff_until([wan, lan], lambda: all(len(pieces(c)) >= 2 and len(pieces(c, 0x5000 + c["k"])) >= 2 for c in picked) and
                len(lan.results or []) >= len(picked), 15)
    wan.stop()
    lan.stop()
    for c in picked:
        name = "%s tunnel%s" % (c["alg"], " udp-encap" if c["encap"] else "")
        got = sorted(pieces(c), key=lambda x: x[1][IP].frag)
        whole = b"".join(bytes(x[1][IP].payload) for x in got)
        ok = len(got) == 2 and all(outer <= 1500 for outer, _ in got) and got[0][1][IP].flags.MF and \
            got[0][1][IP].frag == 0 and not got[1][1][IP].flags.MF and \
            got[1][1][IP].frag * 8 == len(got[0][1][IP].payload) and whole == sent[c["k"]] and \
            all(x[1][IP].ttl == 19 for x in got)
        chk.check(ok, "%s: a 1500-byte datagram leaves as two ESP packets of at most 1500 bytes whose fragments "
                  "reassemble to it (%s)" % (name, ", ".join("%d bytes, offset %d" % (o, i[IP].frag * 8) for o, i in got)))
        told = [p for p in lan.results or [] if p[ICMP].type == 3 and p[ICMP].code == 4 and p.haslayer(IP) and
                p[IP].dst == LAN_HOST and bytes(p[ICMP].payload)[4:6] == (0x4000 + c["k"]).to_bytes(2, "big")]
        mtu = told[0][ICMP].nexthopmtu if told else 0
        chk.check(len(told) == 1 and 1280 <= mtu < 1500 and max(o for o, _ in got or [(0, 0)]) <= 1500,
                  "%s: with DF set, ICMP fragmentation needed, next-hop MTU %d" % (name, mtu))
        got = sorted(pieces(c, 0x5000 + c["k"]), key=lambda x: x[1][IP].frag)
        whole = b"".join(bytes(x[1][IP].payload) for x in got)
        heads = [bytes(x[1][IP])[20:x[1][IP].ihl * 4] for x in got]
        ok = len(got) == 2 and whole == sent[0x5000 + c["k"]] and all(outer <= 1500 for outer, _ in got) and \
            heads[0].startswith(ROUTER_ALERT + RECORD_ROUTE) and heads[1] == ROUTER_ALERT
        chk.check(ok, "%s: a datagram with IP options cut by the control core: Router Alert in both pieces, Record "
                  "Route in the first only (%s)" % (name, ", ".join(h.hex() for h in heads)))


def bad_padding(sa):
    """A copy of sa whose next packet carries wrong padding bytes (ICV still valid)."""
    bad = copy.copy(sa)
    algo = copy.copy(sa.crypt_algo)
    real_pad = algo.pad

    def pad(esp):
        esp = real_pad(esp)
        if esp.padlen == 0:
            esp.padlen = 4
            esp.padding = b"\x01\x02\x03\x04"
        esp.padding = esp.padding[:-1] + bytes([esp.padding[-1] ^ 0x40])
        return esp
    algo.pad = pad
    bad.crypt_algo = algo
    return bad


def header_checksum_ok(ip):
    """Whether an IPv4 header's checksum is what scapy computes for it."""
    from scapy.all import IP
    again = IP(bytes(ip))
    del again.chksum
    return IP(bytes(again)).chksum == ip.chksum


def run_tunnel_copy(d, sas, chk):
    """Outbound: the outer TOS and DF scapy sees. Inbound: the inner TOS dpike forwards, or the drop."""
    from scapy.all import Ether, IP, UDP, Raw, sendp
    tos_sas = [c for c in sas if "copy" in c]
    wan = capture(iface="peer-wan", store=True, filter="ether src %s" % MACS["dut_wan"])
    lan = capture(iface="peer-lan", store=True, filter="ether src %s and udp" % MACS["dut_lan"])
    ecn_before = drops(d)["esp_ecn_ce_not_ect"]
    for c in tos_sas:
        k = c["k"]
        plain = IP(src=LAN_HOST, dst="10.1.%d.5" % k, tos=0xba, flags="DF") / UDP(sport=6000, dport=9) / Raw(b"tos-%d" % k)
        sendp(Ether(src=MACS["peer_lan"], dst=MACS["dut_lan"]) / plain, iface="peer-lan", verbose=False)
        sa = scapy_sa(c, "in")
        sa.tunnel_header = IP(src=c["peer"], dst=DUT_WAN, tos=0x2b)  # AF11, congestion experienced
        for i, inner_tos in enumerate((0xba, 0xb8)):  # EF with ECT(0), EF not ECN-capable
            sa.seq_num = 20 + i
            inner = IP(src="10.1.%d.5" % k, dst=LAN_HOST, tos=inner_tos) / UDP(sport=7000 + i, dport=9) / Raw(b"ecn-%d-%d" % (k, i))
            sendp(wan_frame(sa.encrypt(inner)), iface="peer-wan", verbose=False)
    defaults = [c for c in tos_sas if not c["copy"]]
    sniff_until([wan, lan], lambda: len([p for p in lan.results or [] if p.haslayer(Raw) and p[Raw].load.startswith(b"ecn-")])
                >= 3 and len(wan.results or []) >= len(tos_sas), 10)
    wan.stop()
    lan.stop()
    for c in tos_sas:
        k, name = c["k"], "copy %s" % (", ".join("%s = %s" % kv for kv in sorted(c["copy"].items())) or "as swanctl's defaults")
        outer = [p for p in wan.results if p.haslayer(IP) and p[IP].dst == c["peer"] and esp_of(p) is not None]
        got = None
        for p in outer:
            try:
                x = scapy_sa(c, "out").decrypt(esp_of(p))
            except Exception as exc:
                print("     decrypt error: %r" % exc)
                continue
            if x.haslayer(Raw) and x[Raw].load == b"tos-%d" % k:
                got = p
        want_tos, want_df = (0xba, True) if not c["copy"] else (0xb8, False)
        chk.check(got is not None and got[IP].tos == want_tos and bool(got[IP].flags.DF) == want_df,
                  "%s: outer header TOS 0x%02x, DF %s (got %s)" % (name, want_tos, want_df,
                                                                 None if got is None else "0x%02x, %s" % (got[IP].tos, bool(got[IP].flags.DF))))
        wants = (0xbb, None) if not c["copy"] else (0x2a, 0x28)
        for i, want in enumerate(wants):
            fwd = [p for p in lan.results if p.haslayer(Raw) and p[Raw].load == b"ecn-%d-%d" % (k, i)]
            if want is None:
                chk.check(not fwd, "%s: congestion marked outside, inner packet not ECN-capable: dropped" % name)
                continue
            ok = len(fwd) == 1 and fwd[0][IP].tos == want and header_checksum_ok(fwd[0][IP])
            chk.check(ok, "%s: inner TOS 0x%02x after decapsulation, header checksum valid (got %s)"
                      % (name, want, ["0x%02x" % p[IP].tos for p in fwd]))
    n = drops(d)["esp_ecn_ce_not_ect"] - ecn_before
    chk.check(n == len(defaults), "the drop counted as esp_ecn_ce_not_ect (%d)" % n)


def run_bad_input(d, sas, chk):
    from scapy.all import IP, UDP, Raw, sendp
    from scapy.layers.ipsec import ESP
    gcm = next(c for c in sas if c["alg"] == "aes128gcm16" and c["mode"] == "tunnel" and not c["encap"] and not c["esn"])
    cbc = next(c for c in sas if c["alg"] == "aes256-sha256" and c["mode"] == "tunnel" and c["encap"] and not c["esn"])
    inner = IP(src="10.1.%d.9" % gcm["k"], dst=LAN_HOST) / UDP(sport=1, dport=9) / Raw(b"x" * 41)
    sa = scapy_sa(gcm, "in")
    sa.seq_num = 100
    good = sa.encrypt(inner)
    before = drops(d)
    ike_before = dpikectl(d, "stats")["control"]["ike_packets"]
    frames = []
    frames.append(IP(src=gcm["peer"], dst=DUT_WAN, proto=50) / Raw(bytes(good[ESP])[:12]))  # truncated
    wrong_spi = bytearray(bytes(good[ESP]))
    wrong_spi[0:4] = b"\xde\xad\x00\x01"
    frames.append(IP(src=gcm["peer"], dst=DUT_WAN, proto=50) / Raw(bytes(wrong_spi)))
    bad_icv = bytearray(bytes(good[ESP]))
    bad_icv[-1] ^= 1
    frames.append(IP(src=gcm["peer"], dst=DUT_WAN, proto=50) / Raw(bytes(bad_icv)))
    sa.seq_num = 101
    frames.append(bad_padding(sa).encrypt(inner))
    cbc_sa = scapy_sa(cbc, "in")
    cbc_sa.seq_num = 50
    frames.append(bad_padding(cbc_sa).encrypt(inner))
    frames.append(good)  # accepted
    frames.append(good)  # replayed
    frames.append(IP(src=gcm["peer"], dst=DUT_WAN, proto=17) / UDP(sport=4500, dport=4500) / Raw(b"\x00\x00\x01"))
    frames.append(IP(src=gcm["peer"], dst=DUT_WAN, proto=17) / UDP(sport=4500, dport=4500) / Raw(b"\xff"))
    frames.append(IP(src=gcm["peer"], dst=DUT_WAN) / UDP(sport=500, dport=500) / Raw(b"\x11" * 28))
    broken = bytearray(bytes(IP(src=gcm["peer"], dst=DUT_WAN) / UDP() / Raw(b"abc")))
    broken[10] ^= 0xff  # header checksum
    for f in frames:
        sendp(wan_frame(f), iface="peer-wan", verbose=False)
    from scapy.all import Ether
    sendp(Ether(src=MACS["peer_wan"], dst=MACS["dut_wan"], type=0x0800) / Raw(bytes(broken)), iface="peer-wan",
          verbose=False)
    sendp(Ether(src=MACS["peer_wan"], dst=MACS["dut_wan"], type=0x0800) / Raw(b"\x45\x00"), iface="peer-wan",
          verbose=False)
    want = {"esp_truncated": 1, "esp_unknown_spi": 1, "esp_auth_failed": 1, "esp_bad_padding": 2, "esp_replay": 1,
            "malformed": 2, "nat_keepalive": 1}
    deadline = time.time() + 10
    while True:
        after = drops(d)
        delta = {r: after[r] - before[r] for r in after}
        if all(delta[r] >= n for r, n in want.items()) or time.time() > deadline:
            break
        time.sleep(0.1)
    for reason, n in want.items():
        chk.check(delta[reason] == n, "bad input: %d dropped as %s (counted %d)" % (n, reason, delta[reason]))
    others = {r: v for r, v in delta.items() if v and r not in want}
    chk.check(not others, "bad input: no other drops (%s)" % (others or "none"))
    ike = dpikectl(d, "stats")["control"]["ike_packets"] - ike_before
    chk.check(ike == 2, "punt path: IKE on UDP 500 and with the non-ESP marker on 4500 reach the control core (%d)" % ike)
    sas_now = {s["name"]: s for s in dpikectl(d, "list-sas")["sas"]}
    chk.check(sas_now["in-%d" % gcm["k"]]["auth_drops"] == 1 and sas_now["in-%d" % gcm["k"]]["replay_drops"] == 1,
              "bad input: per-SA auth and replay counters")
    if dpikectl(d, "status")["workers"] == 1:
        used = {n: s["workers"] for n, s in sas_now.items() if s["packets"] > 0}
        other = {n: w for n, w in used.items() if w != "one"}
        chk.check(used and not other, "list-sas: the %d SAs that carried packets were used by the one worker alone%s"
                  % (len(used), " (not: %s)" % other if other else ""))
    chk.check(dpikectl(d, "status")["workers"] >= 1, "dpike still answers after bad input")


def arp_request(src_mac, spa, tpa):
    from scapy.all import Ether, ARP
    return Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=src_mac, psrc=spa, pdst=tpa)


def wait_stats(d, done, seconds=10):
    deadline = time.time() + seconds
    while True:
        st = dpikectl(d, "stats")
        if done(st) or time.time() > deadline:
            return st
        time.sleep(0.05)


def arp_flood(d, sas, chk):
    """Requests for our WAN address from senders off the subnet, then from more on it than the table takes."""
    from scapy.all import sendp
    before = dpikectl(d, "stats")
    off = [arp_request("02:00:00:00:0a:%02x" % i, "203.0.113.%d" % (i + 1), DUT_WAN) for i in range(40)]
    sendp(off, iface="peer-wan", verbose=False)
    mid = wait_stats(d, lambda st: st["control"]["arp_replies_out"] - before["control"]["arp_replies_out"] >= 40)
    chk.check(mid["control"]["arp_replies_out"] - before["control"]["arp_replies_out"] == 40 and
              mid["tables"]["neighbours_learned"] == before["tables"]["neighbours_learned"],
              "ARP: 40 senders off the WAN subnet answered and not learned")
    # senders on the subnet past the SAs' peers (198.51.100.10 on): none a configured neighbour
    first = 10 + len(sas)
    flood = min(150, 254 - first)
    assert flood > NEIGHBOUR_SIZE + 20, "the WAN subnet has no room left for the ARP flood"
    on = [arp_request("02:00:00:00:0b:%02x" % i, "198.51.100.%d" % (first + i), DUT_WAN) for i in range(flood)]
    sendp(on, iface="peer-wan", verbose=False)
    after = wait_stats(d, lambda st: st["control"]["arp_replies_out"] - mid["control"]["arp_replies_out"] >= flood)
    room = NEIGHBOUR_SIZE - mid["tables"]["neighbours_learned"]
    full = after["control"]["arp_table_full"] - mid["control"]["arp_table_full"]
    chk.check(after["control"]["arp_replies_out"] - mid["control"]["arp_replies_out"] == flood,
              "ARP: a flood of %d senders answered in full" % flood)
    chk.check(after["tables"]["neighbours_learned"] == NEIGHBOUR_SIZE and full == flood - room and
              after["tables"]["neighbours"] == after["tables"]["neighbours_learned"] + 1 + len(sas),  # configured: LAN host, peers
              "ARP: learned neighbours stop at workers.neighbour_size (%d learned, %d refused, %d in the snapshot)"
              % (after["tables"]["neighbours_learned"], full, after["tables"]["neighbours"]))


def run_arp(d, sas, chk):
    from scapy.all import Ether, ARP, IP, UDP, Raw, sendp
    arp_flood(d, sas, chk)
    tun = next(c for c in sas if c["alg"] == "chacha20poly1305" and c["mode"] == "tunnel" and not c["encap"]
               and not c["esn"])
    sa = scapy_sa(tun, "in")
    sa.seq_num = 300
    # A configured neighbour claimed by another MAC stays where it was configured.
    sendp(arp_request("02:00:00:00:0e:ee", LAN_HOST, DUT_LAN), iface="peer-lan", verbose=False)
    new_hosts = {"10.2.0.77": "02:00:00:00:0b:77", LAN_GATEWAY: "02:00:00:00:0b:fe"}

    def answer(p):  # hosts dpike has not met: they answer dpike's requests for them
        mac = new_hosts.get(p[ARP].pdst) if p.haslayer(ARP) and p[ARP].op == 1 else None
        if mac:
            sendp(Ether(src=mac, dst=p[ARP].hwsrc) / ARP(op=2, hwsrc=mac, psrc=p[ARP].pdst, hwdst=p[ARP].hwsrc,
                                                      pdst=p[ARP].psrc), iface="peer-lan", verbose=False)
    lan = capture(iface="peer-lan", store=True, prn=answer, filter="ether src %s" % MACS["dut_lan"])
    tags = ((LAN_HOST, b"arp-static"), ("10.2.0.77", b"arp-asked"), ("10.2.0.200", b"arp-gateway"))
    for dst, tag in tags:
        inner = IP(src="10.1.%d.5" % tun["k"], dst=dst) / UDP(sport=7000, dport=9) / Raw(tag)
        sendp(wan_frame(sa.encrypt(inner)), iface="peer-wan", verbose=False)

    def got(tag):
        return [p for p in (lan.results or []) if p.haslayer(Raw) and p[Raw].load == tag]
    sniff_until([lan], lambda: all(got(t) for _, t in tags), 10)
    lan.stop()
    static, asked, gateway = got(b"arp-static"), got(b"arp-asked"), got(b"arp-gateway")
    chk.check(len(static) == 1 and static[0][Ether].dst == MACS["peer_lan"],
              "ARP: a configured neighbour keeps its MAC against an ARP claiming another")
    chk.check(len(asked) == 1 and asked[0][Ether].dst == new_hosts["10.2.0.77"],
              "ARP: with the table full, a next hop dpike asked for is learned and its packet delivered")
    chk.check(len(gateway) == 1 and gateway[0][Ether].dst == new_hosts[LAN_GATEWAY],
              "ARP: a route's gateway outside the port's subnet is learned when it answers")
    st = dpikectl(d, "stats")["tables"]
    chk.check(st["neighbours_learned"] == NEIGHBOUR_SIZE,
              "ARP: the answers took the place of the stalest learned neighbours (%d learned)" % st["neighbours_learned"])
    table = dpikectl(d, "list-neighbours")
    by_ip = {n["ip"]: n for n in table["neighbours"]}
    asked_entry, static_entry = by_ip.get("10.2.0.77", {}), by_ip.get(LAN_HOST, {})
    chk.check(asked_entry.get("interface") == "lan" and asked_entry.get("mac") == new_hosts["10.2.0.77"] and
              not asked_entry.get("configured") and 0 <= asked_entry.get("age_s", -1) < 60 and
              static_entry.get("configured") and static_entry.get("mac") == MACS["peer_lan"] and
              table["learned"] == NEIGHBOUR_SIZE and len(table["neighbours"]) == st["neighbours"],
              "dpikectl list-neighbours: the learned host with its MAC and age, the configured one as configured")
    text = subprocess.run([os.environ["DPIKECTL"], "-s", d + "/dpike.sock", "list-neighbours"], capture_output=True,
                          text=True, timeout=10).stdout
    chk.check(any("10.2.0.77" in line and "learned" in line for line in text.splitlines()),
              "dpikectl list-neighbours (text) shows the learned host")


def udp_checksum(src, dst, udp):
    """scapy's checksum of a UDP datagram as if sent from src to dst."""
    from scapy.all import IP, UDP
    return IP(bytes(IP(src=src, dst=dst) / udp))[UDP].chksum


def run_natt(d, sas, chk):
    from scapy.all import IP, UDP, ICMP, Raw, UDPerror, sendp
    natt = [c for c in sas if c.get("natt")]
    wan = capture(iface="peer-wan", store=True, filter="ether src %s" % MACS["dut_wan"])
    bad_before = dpikectl(d, "stats")["control"]["udp_bad_checksum"]
    for c in natt:
        orig_src, orig_dst = c["oa"] or ("10.77.1.5", DUT_WAN)
        sa = scapy_sa(c, "in")
        sa.seq_num = 10  # past the ping of the matrix
        # without NAT-OA the checksum cannot be checked (RFC 3948 clears it): no wrong one to send
        for port, wrong in ((33434, False), (33435, True))[:2 if c["oa"] else 1]:
            udp = UDP(sport=40000 + c["k"], dport=port) / Raw(b"natt-%d" % c["k"])
            udp.chksum = udp_checksum("10.99.9.9" if wrong else orig_src, orig_dst, udp)
            pkt = IP(src=c["peer"], dst=DUT_WAN) / udp
            sendp(wan_frame(sa.encrypt(pkt)), iface="peer-wan", verbose=False)
    sniff_until([wan], lambda: sum(1 for p in wan.results or [] if p.haslayer(IP) and p[IP].dst in
                                   [c["peer"] for c in natt]) >= 2, 10)
    wan.stop()
    for c in natt:
        name = "transport behind a NAT, %s" % ("NAT-OA %s -> %s" % tuple(c["oa"]) if c["oa"] else "no NAT-OA")
        errors = []
        for p in wan.results:
            e = esp_of(p) if p.haslayer(IP) and p[IP].dst == c["peer"] else None
            if e is not None and e.spi == c["spi_out"]:
                try:
                    errors.append(scapy_sa(c, "out").decrypt(e))
                except Exception as exc:
                    print("     decrypt error: %r" % exc)
        unreach = [x for x in errors if x.haslayer(ICMP) and x[ICMP].type == 3 and x[ICMP].code == 3]
        chk.check(len(unreach) == 1, "%s: one encrypted port unreachable (got %d)" % (name, len(unreach)))
        if not unreach or not unreach[0].haslayer(UDPerror):
            continue
        quoted = unreach[0][UDPerror]
        if c["oa"]:
            want = udp_checksum(c["peer"], DUT_WAN, UDP(sport=quoted.sport, dport=quoted.dport) /
                                Raw(b"natt-%d" % c["k"]))
            chk.check(quoted.dport == 33434 and quoted.chksum == want,
                      "%s: checksum fixed up for the addresses seen (0x%04x, want 0x%04x)" % (name, quoted.chksum, want))
        else:
            chk.check(quoted.dport == 33434 and quoted.chksum == 0,
                      "%s: checksum cleared (0x%04x)" % (name, quoted.chksum))
    bad = dpikectl(d, "stats")["control"]["udp_bad_checksum"] - bad_before
    chk.check(bad == 1, "transport behind a NAT: the datagram with a wrong checksum dropped and counted (%d)" % bad)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("config", "run"):
        print(__doc__)
        return 2
    d = sys.argv[2]
    if sys.argv[1] == "config":
        write_config(d)
        return 0
    with open(os.path.join(d, "sas.json")) as f:
        sas = json.load(f)
    chk = Checks()
    run_matrix(d, sas, chk)
    run_fragments(d, sas, chk)
    run_natt(d, sas, chk)
    run_tunnel_copy(d, sas, chk)
    run_bad_input(d, sas, chk)
    run_arp(d, sas, chk)
    print("scapy-esp: %d passed, %d failed" % (chk.passed, chk.failed))
    return 1 if chk.failed else 0


if __name__ == "__main__":
    sys.exit(main())
