/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32-C hashes of the worker's tables. DPDK's rte_hash_crc_4byte() and _8byte() ask at run
 * time which code the CPU can run, a load and two branches a call; a build whose -march has
 * SSE4.2 (x86-64-v2 and every later level, and -march=native on any CPU of the last 15 years)
 * runs the instruction itself. Same values either way.
 */
#ifndef DPIKE_DP_CRC_HASH_H
#define DPIKE_DP_CRC_HASH_H

#include <stdint.h>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#else
#include <rte_hash_crc.h>
#endif

static inline uint32_t dp_crc_4byte(uint32_t data, uint32_t init)
{
#ifdef __SSE4_2__
	return _mm_crc32_u32(init, data);
#else
	return rte_hash_crc_4byte(data, init);
#endif
}

static inline uint32_t dp_crc_8byte(uint64_t data, uint32_t init)
{
#ifdef __SSE4_2__
	return (uint32_t)_mm_crc32_u64(init, data);
#else
	return rte_hash_crc_8byte(data, init);
#endif
}

#endif
