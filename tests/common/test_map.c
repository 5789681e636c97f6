/* Tests: hashing and the two hash maps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static void hash_is_stable_and_spreads(void **state)
{
    const char *s = "the quick brown fox";
    uint64_t h = nt_hash64(s, strlen(s), 1);
    assert_true(h == nt_hash64(s, strlen(s), 1));
    assert_true(h != nt_hash64(s, strlen(s), 2));
    assert_true(h != nt_hash64(s, strlen(s) - 1, 1));
    /* Every length 0..40 of one buffer gives a distinct hash, and flipping
     * one bit changes about half the output bits. */
    char buf[41];
    memset(buf, 'a', sizeof buf);
    uint64_t seen[41];
    for (int n = 0; n <= 40; n++) {
        seen[n] = nt_hash64(buf, (size_t)n, 0);
        for (int k = 0; k < n; k++) assert_true(seen[k] != seen[n]);
    }
    int total = 0;
    for (int bit = 0; bit < 64; bit++) {
        char b2[8] = {0};
        uint64_t a = nt_hash64(b2, 8, 0);
        b2[bit / 8] ^= (char)(1 << (bit % 8));
        total += __builtin_popcountll(a ^ nt_hash64(b2, 8, 0));
    }
    assert_in_range(total / 64, 20, 44);
}

static void map_put_get_replace(void **state)
{
    nt_map m = {0};
    uint64_t v = 0;
    assert_false(nt_map_get(&m, "a", 1, &v));
    assert_true(nt_map_put(&m, "alpha", 5, 1));
    assert_true(nt_map_put(&m, "beta", 4, 2));
    assert_false(nt_map_put(&m, "alpha", 5, 10));  /* replace */
    assert_true(nt_map_get(&m, "alpha", 5, &v));
    assert_int_equal(v, 10);
    /* keys are by length, not NUL: a prefix is a different key */
    assert_false(nt_map_get(&m, "alph", 4, NULL));
    assert_true(nt_map_get(&m, "alphabet", 5, NULL));
    assert_int_equal(m.n, 2);
    nt_map_free(&m);
}

static void map_many_keys_and_deletes(void **state)
{
    enum { N = 20000 };
    nt_map m = {0};
    char (*keys)[16] = malloc(N * 16);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], 16, "%%r%d", i);
        assert_true(nt_map_put(&m, keys[i], strlen(keys[i]), (uint64_t)i));
    }
    assert_int_equal(m.n, N);
    for (int i = 0; i < N; i += 2) assert_true(nt_map_del(&m, keys[i], strlen(keys[i])));
    assert_false(nt_map_del(&m, keys[0], strlen(keys[0])));
    assert_int_equal(m.n, N / 2);
    for (int i = 0; i < N; i++) {
        uint64_t v;
        bool found = nt_map_get(&m, keys[i], strlen(keys[i]), &v);
        assert_int_equal(found, i % 2 == 1);
        if (found) assert_int_equal(v, i);
    }
    /* Iteration sees exactly the live keys. */
    size_t live = 0;
    for (size_t i = 0; i < m.cap; i++) live += m.slots[i].key != NULL;
    assert_int_equal(live, N / 2);
    nt_map_free(&m);
    free(keys);
}

static void imap_ops(void **state)
{
    nt_imap m = {0};
    enum { N = 50000 };
    for (uint64_t i = 0; i < N; i++) assert_true(nt_imap_put(&m, i * 4096, i + 1));
    assert_false(nt_imap_put(&m, 4096, 77));
    uint64_t v;
    assert_true(nt_imap_get(&m, 4096, &v));
    assert_int_equal(v, 77);
    for (uint64_t i = 0; i < N; i += 3) assert_true(nt_imap_del(&m, i * 4096));
    for (uint64_t i = 0; i < N; i++) {
        bool f = nt_imap_get(&m, i * 4096, &v);
        assert_int_equal(f, i % 3 != 0);
        if (f && i != 1) assert_int_equal(v, i + 1);
    }
    assert_false(nt_imap_get(&m, 1, NULL));
    assert_false(nt_imap_del(&m, 12345));
    nt_imap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_is_stable_and_spreads),
        cmocka_unit_test(map_put_get_replace),
        cmocka_unit_test(map_many_keys_and_deletes),
        cmocka_unit_test(imap_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
