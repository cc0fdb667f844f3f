#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic for the dataplane benchmark, as pcap files that net_pcap replays forever.

  gen_traffic.py DIR SIZE ALG SAS KEYS_JSON

SIZE is a frame size in bytes or "imix" (64, 594 and 1400 bytes, 7:4:1). For SA k of SAS,
the LAN host 10.2.0.1 talks with 10.(64 + k / 256).(k % 256).1. Writes
  DIR/clear-SIZE.pcap   frames from the LAN, to be encrypted (or forwarded in the clear)
  DIR/esp-SIZE.pcap     the same inner packets as ESP from the peer 192.0.2.1, encrypted by
                        scapy with each SA's inbound key, to be decrypted
KEYS_JSON holds {"k": [spi_in, key_in_hex]} per SA. Flows (UDP ports) vary per packet.
"""
import json
import sys

from scapy.all import Ether, IP, UDP, Raw, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation

PEER, DUT_WAN, LAN_HOST = "192.0.2.1", "192.0.2.2", "10.2.0.1"
PACKETS = 480  # divisible by the 12-frame IMIX pattern
IMIX = [64] * 7 + [594] * 4 + [1400]
ALGS = {"aes128gcm16": ("AES-GCM", "NULL", 20), "aes128-sha256": ("AES-CBC", "SHA2-256-128", 16)}


def remote(k):
    return "10.%d.%d.1" % (64 + k // 256, k % 256)


def inner(size, k, i, outbound):
    """An IP/UDP packet that makes a frame of size bytes once an Ethernet header is in front."""
    src, dst = (LAN_HOST, remote(k)) if outbound else (remote(k), LAN_HOST)
    pkt = IP(src=src, dst=dst, ttl=64) / UDP(sport=1024 + i % 4096, dport=9)
    return pkt / Raw(b"\x5a" * (size - 14 - len(pkt)))


def sa_for(alg, spi, key_hex):
    crypt, auth, ckey_len = ALGS[alg]
    key = bytes.fromhex(key_hex)
    return SecurityAssociation(ESP, spi=spi, crypt_algo=crypt, crypt_key=key[:ckey_len], auth_algo=auth,
                               auth_key=key[ckey_len:] or None,
                               tunnel_header=IP(src=PEER, dst=DUT_WAN))


def main():
    out, size, alg, n_sas, keys = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.load(open(sys.argv[5]))
    sizes = IMIX if size == "imix" else [int(size)]
    sas = [sa_for(alg, keys[str(k)][0], keys[str(k)][1]) for k in range(n_sas)]
    clear, esp = [], []
    for i in range(PACKETS):
        k = i % n_sas
        frame = sizes[i % len(sizes)]
        clear.append(Ether(src="02:00:00:00:0b:01", dst="02:00:00:00:0b:fe") / inner(frame, k, i, True))
        esp.append(Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0a:02") /
                   sas[k].encrypt(inner(frame, k, i, False), seq_num=i + 1))
    wrpcap("%s/clear-%s.pcap" % (out, size), clear)
    wrpcap("%s/esp-%s.pcap" % (out, size), esp)


if __name__ == "__main__":
    main()
