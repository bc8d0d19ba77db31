/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the libFuzzer targets in tests/fuzz/: an invariant check that
 * aborts (so libFuzzer records the input as a crash) and prints where.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

/** Aborts with the failed condition and its line when 'cond' is false. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif /* FUZZ_COMMON_H */
