/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command words: how a config line is split into the words of a command,
 * and how a command's flow words are joined back into flow text.  Shared by
 * the config loader, the command layer and the config_line fuzz target;
 * pure functions, no EAL.
 */
#ifndef VS_WORDS_H
#define VS_WORDS_H

#include <stddef.h>

/**
 * Splits 'line' into words in place (spaces and tabs; '#' starts a comment;
 * "double quotes" group).  @return the word count, or -1 when over 'max'.
 */
int vs_split_words(char *line, char **argv, int max);

/** Joins argv[0, argc) with single spaces into 'buf'.  @return 0, or -E2BIG. */
int vs_join_words(int argc, char **argv, char *buf, size_t size);

#endif /* VS_WORDS_H */
