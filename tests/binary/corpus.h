/* corpus.h — walks real libraries and checks every entry (shared by the
 * corpus test and the corpus-test target's full run). */
#ifndef NT_TEST_BINARY_CORPUS_H
#define NT_TEST_BINARY_CORPUS_H

#include "binary/binary.h"

typedef struct corpus_totals {
    unsigned long files, fatbins, entries, ptx_entries, elf_entries, other_entries;
    unsigned long kernels, cubins_with_ptx, comp[3];
    unsigned long long ptx_bytes, elf_bytes, stored_bytes;
    unsigned long failures;
    char first_failure[600];
} corpus_totals;

/* Walks one file; every problem is counted in t->failures (first kept). */
void corpus_file(const char *path, corpus_totals *t);
void corpus_print(const corpus_totals *t, double seconds);

#endif
