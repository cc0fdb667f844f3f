#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic for the dataplane benchmark, as pcap files that net_pcap replays forever.

  gen_traffic.py DIR SIZE ALG SAS

SIZE is a frame size in bytes or "imix" (64, 594 and 1400 bytes, 7:4:1). For SA k of SAS,
the LAN host 10.2.0.1 talks with the remote host 10.64.0.0 + k + 1. Writes
  DIR/clear-SIZE.pcap   frames from the LAN, to be encrypted (or forwarded in the clear)
  DIR/esp-SIZE.pcap     the same inner packets as ESP from the peer 192.0.2.1, encrypted with
                        each SA's inbound key, to be decrypted
SA k's inbound SPI is 0x20000 + k and its keys come from pair_key(), as dpike-bench-dataplane
derives them (tests/bench/pairs.c) and dataplane.py writes them into static SAs. Every SA gets
packets (at least 480 in all); flows (UDP ports) vary per packet.

scapy needs milliseconds per ESP packet, too slow for tens of thousands of SAs, so packets are
built here with struct and the `cryptography` package; the first packets of every file are
then checked with scapy (an independent parser and ESP implementation) before anything is written.
"""
import ipaddress
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from scapy.all import Ether, IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.utils import PcapWriter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from scapy_gcm import SHORT_ICV_GCM, register_short_icv_gcm  # noqa: E402

PEER, DUT_WAN, LAN_HOST = "192.0.2.1", "192.0.2.2", "10.2.0.1"
MIN_PACKETS = 480  # divisible by the 12-frame IMIX pattern
IMIX = [64] * 7 + [594] * 4 + [1400]
# dpike's ESP transforms (dataplane/esp_algo.c): scapy's names for the cipher and the integrity
# algorithm, then bytes of cipher key, salt, integrity key and ICV. The key material of an SA is
# the three keys in that order, as dpike's static SAs take it.
ALGS = {
    "aes128gcm16": ("AES-GCM", "NULL", 16, 4, 0, 16),
    "aes256gcm16": ("AES-GCM", "NULL", 32, 4, 0, 16),
    "chacha20poly1305": ("CHACHA20-POLY1305", "NULL", 32, 4, 0, 16),
    "aes128-sha256": ("AES-CBC", "SHA2-256-128", 16, 0, 32, 16),
    "aes256-sha256": ("AES-CBC", "SHA2-256-128", 32, 0, 32, 16),
    "aes128-sha1": ("AES-CBC", "HMAC-SHA1-96", 16, 0, 20, 12),
    "aes256-sha1": ("AES-CBC", "HMAC-SHA1-96", 32, 0, 20, 12),
    "aes192gcm16": ("AES-GCM", "NULL", 24, 4, 0, 16),
    "aes192-sha256": ("AES-CBC", "SHA2-256-128", 24, 0, 32, 16),
    "aes192-sha1": ("AES-CBC", "HMAC-SHA1-96", 24, 0, 20, 12),
    "aes128-sha384": ("AES-CBC", "SHA2-384-192", 16, 0, 48, 24),
    "aes192-sha384": ("AES-CBC", "SHA2-384-192", 24, 0, 48, 24),
    "aes256-sha384": ("AES-CBC", "SHA2-384-192", 32, 0, 48, 24),
    "aes128-sha512": ("AES-CBC", "SHA2-512-256", 16, 0, 64, 32),
    "aes192-sha512": ("AES-CBC", "SHA2-512-256", 24, 0, 64, 32),
    "aes256-sha512": ("AES-CBC", "SHA2-512-256", 32, 0, 64, 32),
    "aes128gcm8": ("AES-GCM", "NULL", 16, 4, 0, 8),
    "aes192gcm8": ("AES-GCM", "NULL", 24, 4, 0, 8),
    "aes256gcm8": ("AES-GCM", "NULL", 32, 4, 0, 8),
    "aes128gcm12": ("AES-GCM", "NULL", 16, 4, 0, 12),
    "aes192gcm12": ("AES-GCM", "NULL", 24, 4, 0, 12),
    "aes256gcm12": ("AES-GCM", "NULL", 32, 4, 0, 12),
    "null-sha1": ("NULL", "HMAC-SHA1-96", 0, 0, 20, 12),
    "null-sha256": ("NULL", "SHA2-256-128", 0, 0, 32, 16),
    "null-sha384": ("NULL", "SHA2-384-192", 0, 0, 48, 24),
    "null-sha512": ("NULL", "SHA2-512-256", 0, 0, 64, 32),
    "aes128ctr-sha256": ("AES-CTR", "SHA2-256-128", 16, 4, 32, 16),
    "aes128ccm16": ("AES-CCM", "NULL", 16, 3, 0, 16),
}
AEAD = {"AES-GCM": AESGCM, "CHACHA20-POLY1305": ChaCha20Poly1305, "AES-CCM": AESCCM}
HASHES = {"SHA2-256-128": hashes.SHA256, "HMAC-SHA1-96": hashes.SHA1, "SHA2-384-192": hashes.SHA384,
          "SHA2-512-256": hashes.SHA512}
LAN_MACS = bytes.fromhex("0200000000fe" "020000000b01")  # dst, src
WAN_MACS = bytes.fromhex("020000000a02" "020000000a01")


SPI_IN_BASE, SPI_OUT_BASE = 0x20000, 0x10000
MASK64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9e3779b97f4a7c15) & MASK64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & MASK64
    return x ^ (x >> 31)


def pair_key(k, inbound, n):
    """The n bytes of key material of SA pair k's inbound or outbound SA (bench_pair_key() in pairs.c)."""
    seed = ((k << 8) | (1 if inbound else 2)) << 8
    return b"".join(splitmix64(seed + j).to_bytes(8, "little") for j in range(-(-n // 8)))[:n]


def remote(k):
    return str(ipaddress.IPv4Address(0x0a400001 + k))


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def inner(size, k, i, outbound):
    """An IP/UDP packet (UDP checksum 0) that makes a frame of size bytes behind an Ethernet header."""
    src, dst = (LAN_HOST, remote(k)) if outbound else (remote(k), LAN_HOST)
    data = b"\x5a" * (size - 14 - 28)
    udp = struct.pack("!HHHH", 1024 + i % 4096, 9, 8 + len(data), 0) + data
    return ipv4(src, dst, 17, udp)


def key_len(alg):
    """Bytes of key material an SA of the algorithm takes."""
    _, _, ckey, salt, ikey, _ = ALGS[alg]
    return ckey + salt + ikey


def esp(alg, spi, key, seq, payload):
    """A tunnel-mode ESP packet (RFC 4303) from the peer carrying the inner IPv4 packet: AEAD with
    the sequence number as IV (RFC 4106, RFC 7634), or CBC with an IV of its own and an HMAC."""
    crypt, auth, ckey, salt, ikey, icv = ALGS[alg]
    block = 16 if crypt == "AES-CBC" else 4
    pad_len = (-(len(payload) + 2)) % block
    plain = payload + bytes(range(1, pad_len + 1)) + bytes([pad_len, 4])
    head = struct.pack("!II", spi, seq)
    if crypt in AEAD:
        iv = struct.pack("!Q", seq)
        aead = AESCCM(key[:ckey], tag_length=icv) if crypt == "AES-CCM" else AEAD[crypt](key[:ckey])
        sealed = aead.encrypt(key[ckey:ckey + salt] + iv, plain, head)
        body = iv + sealed[:len(plain) + icv]  # RFC 4106: a shorter ICV is the tag's first bytes
    else:
        h = hmac.HMAC(key[ckey + salt:ckey + salt + ikey], HASHES[auth]())
        if crypt == "NULL":  # RFC 2410: no IV, the text as it is
            body = plain
        elif crypt == "AES-CTR":  # RFC 3686: nonce from the key, the IV, a block counter from 1
            iv = struct.pack("!Q", seq)
            enc = Cipher(algorithms.AES(key[:ckey]), modes.CTR(key[ckey:ckey + 4] + iv + b"\0\0\0\1")).encryptor()
            body = iv + enc.update(plain) + enc.finalize()
        else:
            iv = bytes(16 - 4) + struct.pack("!I", seq)
            enc = Cipher(algorithms.AES(key[:ckey]), modes.CBC(iv)).encryptor()
            body = iv + enc.update(plain) + enc.finalize()
        h.update(head + body)
        body += h.finalize()[:icv]
    return ipv4(PEER, DUT_WAN, 50, head + body, ident=seq & 0xffff)


def scapy_sa(alg, spi, key):
    crypt, auth, ckey, salt, ikey, icv = ALGS[alg]
    short = crypt == "AES-GCM" and icv < 16
    register_short_icv_gcm()
    return SecurityAssociation(ESP, spi=spi, crypt_algo=SHORT_ICV_GCM if short else crypt, crypt_key=key[:ckey + salt],
                               crypt_icv_size=icv if short else None, auth_algo=auth,
                               auth_key=key[ckey + salt:ckey + salt + ikey] or None,
                               tunnel_header=IP(src=PEER, dst=DUT_WAN))


def checksum_ok(ip):
    again = ip.copy()
    del again.chksum
    return IP(bytes(again)).chksum == ip.chksum


def check_with_scapy(alg, sa_keys, clear, esp_frames, n):
    """scapy must read our frames and decrypt our ESP to the mirror image of the clear packet, or we stop."""
    for i in range(n):
        spi, key = sa_keys[i % len(sa_keys)]
        outer = Ether(esp_frames[i])[IP]
        outer_ok = checksum_ok(outer)  # before decrypt(), which rewrites the packet it is given
        got = scapy_sa(alg, spi, key).decrypt(outer)[IP]
        want = Ether(clear[i])[IP]
        same = (got.src, got.dst, got[UDP].sport, len(got)) == (want.dst, want.src, want[UDP].sport, len(want))
        if not (same and checksum_ok(got) and checksum_ok(want) and outer_ok):
            sys.exit("gen_traffic: packet %d does not check out with scapy" % i)


def main():
    out, size, alg, n_sas = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sizes = IMIX if size == "imix" else [int(size)]
    packets = max(MIN_PACKETS, -(-n_sas // len(IMIX)) * len(IMIX))
    if alg not in ALGS:
        sys.exit("gen_traffic: no ESP algorithm %s (of %s)" % (alg, ", ".join(ALGS)))
    sa_keys = [(SPI_IN_BASE + k, pair_key(k, True, key_len(alg))) for k in range(n_sas)]
    clear, esp_frames = [], []
    for i in range(packets):
        k = i % n_sas
        frame = sizes[i % len(sizes)]
        clear.append(LAN_MACS + b"\x08\x00" + inner(frame, k, i, True))
        spi, key = sa_keys[k]
        esp_frames.append(WAN_MACS + b"\x08\x00" + esp(alg, spi, key, i // n_sas + 1, inner(frame, k, i, False)))
    check_with_scapy(alg, sa_keys, clear, esp_frames, min(24, packets))
    for name, frames in (("clear", clear), ("esp", esp_frames)):
        w = PcapWriter("%s/%s-%s.pcap" % (out, name, size), linktype=1, sync=False)
        for f in frames:
            w.write(f)
        w.close()


if __name__ == "__main__":
    main()
