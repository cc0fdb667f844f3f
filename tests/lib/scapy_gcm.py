# SPDX-License-Identifier: BSD-3-Clause
"""scapy's ESP with AES-GCM's shorter ICVs (RFC 4106: 8 and 12 bytes), for the tests' independent checks.

scapy 2.5's "AES-GCM" (cryptography's AESGCM) always writes and expects a 16-byte ICV, whatever
crypt_icv_size says; the same algorithm on cryptography's GCM mode honours it. Registered as
"AES-GCM-SHORT-ICV", to be used with crypt_icv_size."""

SHORT_ICV_GCM = "AES-GCM-SHORT-ICV"


def register_short_icv_gcm():
    from cryptography.hazmat.primitives.ciphers import algorithms, modes
    from scapy.layers.ipsec import CRYPT_ALGOS, CryptAlgo
    if SHORT_ICV_GCM not in CRYPT_ALGOS:
        CRYPT_ALGOS[SHORT_ICV_GCM] = CryptAlgo(
            "AES-GCM", cipher=algorithms.AES, mode=modes.GCM, key_size=(16, 24, 32), salt_size=4, block_size=1,
            iv_size=8, icv_size=16, format_mode_iv=lambda sa, iv, **kw: sa.crypt_salt + iv)
