/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificates for the fuzz targets' daemons (fuzz_pki.c). */
#ifndef DPIKE_FUZZ_PKI_H
#define DPIKE_FUZZ_PKI_H

/*
 * A folder, made once a run and removed at its end, holding ca.pem (a CA, ECDSA P-256) and for
 * each name given NAME.pem and NAME.key: a certificate of that CA with subjectAltName
 * DNS:NAME.fuzz.test, and its key, the same every run (fuzz_random_repeat()'s keys, fixed
 * dates). Returns the folder; exits the process on failure.
 */
const char *fuzz_pki(const char *const names[], int n);

#endif
