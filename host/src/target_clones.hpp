// A function marked KMQ_CLONES is built twice, for AVX2 and for the x86-64
// baseline, and the loader picks the one the CPU runs. Both do the same IEEE
// operations in the same order (no FMA contraction: kmq_exact_fp), so they
// give the same bits; the AVX2 one in fewer instructions (three-operand
// forms, wider lanes where the code has them).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KMQ_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KMQ_CLONES
#endif
