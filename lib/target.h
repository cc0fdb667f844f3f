/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Code for a vector extension the build's -march may not have: every function between
 * TARGET_BEGIN("avx2,...") and TARGET_END is compiled for those features (GCC's target pragma,
 * clang's attribute push), and runs only after a run-time check says the CPU has them.
 */
#ifndef DPIKE_LIB_TARGET_H
#define DPIKE_LIB_TARGET_H

#define TARGET_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define TARGET_BEGIN(features) TARGET_PRAGMA(clang attribute push(__attribute__((target(features))), apply_to = function))
#define TARGET_END TARGET_PRAGMA(clang attribute pop)
#else
#define TARGET_BEGIN(features) TARGET_PRAGMA(GCC push_options) TARGET_PRAGMA(GCC target(features))
#define TARGET_END TARGET_PRAGMA(GCC pop_options)
#endif

#endif
