/* fixture.h — opening the nvcc-built fixtures of tests/binary (src/binary/module.mk). */
#ifndef NT_TEST_BINARY_FIXTURE_H
#define NT_TEST_BINARY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "common/common.h"

/* Maps $BUILD/fixtures/binary/<name>; fails the test when it is missing. */
static inline void fixture_open(nt_file *f, const char *name)
{
    const char *build = getenv("BUILD");
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/binary/%s", build ? build : "build", name);
    nt_err e = {0};
    if (nt_file_open(f, path, &e) < 0) {
        fprintf(stderr, "fixture: %s (run make test-build first)\n", e.msg);
        abort();
    }
}

#endif
