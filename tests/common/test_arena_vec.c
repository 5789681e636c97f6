/* Tests: arena allocator and growable arrays. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static void arena_alignment_and_contents(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 256);
    char *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        ptrs[i] = nt_arena_alloc(&a, n);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        memset(ptrs[i], i & 0xff, n);
    }
    /* Nothing moved or was overwritten by a later allocation. */
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        for (size_t k = 0; k < n; k++) assert_int_equal((unsigned char)ptrs[i][k], i & 0xff);
    }
    assert_true(a.total >= 1000 * 16);
    nt_arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.chunk_size, 256);
}

static void arena_big_allocation_keeps_current_chunk(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 1024);
    char *s1 = nt_arena_alloc(&a, 16);
    char *cur = a.cur;
    char *big = nt_arena_alloc(&a, 100000);   /* own chunk */
    memset(big, 1, 100000);
    assert_ptr_equal(a.cur, cur);             /* tail not wasted */
    char *s2 = nt_arena_alloc(&a, 16);
    assert_ptr_equal(s2, s1 + 16);
    nt_arena_free(&a);
}

static void arena_strdup_zalloc(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    char *s = nt_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_string_equal(nt_arena_strdup(&a, "x"), "x");
    unsigned char *z = nt_arena_zalloc(&a, 300);
    for (int i = 0; i < 300; i++) assert_int_equal(z[i], 0);
    void *zero = nt_arena_alloc(&a, 0);
    assert_non_null(zero);
    nt_arena_free(&a);
    nt_arena_free(&a); /* freeing twice is harmless */
}

/* nt_arena_used counts what was handed out, rounded to 16, a chunk left
 * behind counting whole. */
static void arena_used_counts_requests(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 256);
    assert_int_equal(nt_arena_used(&a), 0);
    nt_arena_alloc(&a, 10);
    assert_int_equal(nt_arena_used(&a), 16);
    nt_arena_alloc(&a, 16);
    assert_int_equal(nt_arena_used(&a), 32);
    nt_arena_alloc(&a, 5000);                 /* own chunk of 5000 rounded */
    assert_int_equal(nt_arena_used(&a), 32 + 5008);
    for (int i = 0; i < 4; i++) nt_arena_alloc(&a, 48);
    assert_int_equal(nt_arena_used(&a), 224 + 5008);
    nt_arena_alloc(&a, 48);                   /* does not fit: new 256 chunk */
    assert_int_equal(nt_arena_used(&a), 256 + 5008 + 48);
    nt_arena_free(&a);
}

/* nt_arena_reset keeps the first chunk (the next round starts at its
 * first byte) unless a bigger one came later, frees the others, and grows
 * it on request. */
static void arena_reset_keeps_first_chunk(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 4096);
    char *first = nt_arena_alloc(&a, 64);
    for (int i = 0; i < 20; i++) memset(nt_arena_alloc(&a, 1000), i, 1000);
    memset(nt_arena_alloc(&a, 3000), 1, 3000);   /* own, smaller chunk */
    assert_true(a.total > 20000 + 3000);
    nt_arena_reset(&a, 0);
    assert_ptr_equal(a.cur, first);
    assert_int_equal(a.end - a.cur, 4096);
    assert_true(a.total >= 4096 && a.total < 4096 + 64);
    assert_int_equal(nt_arena_used(&a), 0);
    assert_ptr_equal(nt_arena_alloc(&a, 1), first);
    /* a bigger chunk that came later is the one kept */
    char *big = nt_arena_alloc(&a, 10000);
    nt_arena_reset(&a, 0);
    assert_ptr_equal(a.cur, big);
    assert_int_equal(a.end - a.cur, 10000);
    nt_arena_free(&a);
    nt_arena_init(&a, 256);
    nt_arena_alloc(&a, 16);
    /* grown to min: min bytes fit without a new chunk */
    nt_arena_reset(&a, 3000);
    assert_true(a.end - a.cur >= 3000);
    size_t total = a.total;
    char *p = nt_arena_alloc(&a, 3000);
    memset(p, 2, 3000);
    assert_int_equal(a.total, total);
    assert_ptr_equal(p + 3008, a.cur);
    /* a smaller min keeps the bigger chunk */
    nt_arena_reset(&a, 100);
    assert_true(a.end - a.cur >= 3000);
    nt_arena_free(&a);
    /* an arena without chunks gets one of min bytes, or none for 0 */
    nt_arena_init(&a, 0);
    nt_arena_reset(&a, 0);
    assert_null(a.head);
    assert_int_equal(a.total, 0);
    nt_arena_reset(&a, 100000);
    assert_int_equal(a.end - a.cur, 100000);
    memset(nt_arena_alloc(&a, 100000), 3, 100000);
    assert_ptr_equal(a.cur, a.end);
    nt_arena_free(&a);
}

/* nt_xmalloc_huge: plain below 4 MiB; from there rounded to 2 MiB and
 * 2 MiB-aligned; and a big arena chunk comes from it. */
static void xmalloc_huge_rounds_and_aligns(void **state)
{
    size_t n = 1000;
    char *p = nt_xmalloc_huge(&n);
    assert_int_equal(n, 1000);
    memset(p, 1, n);
    free(p);
    n = ((size_t)5 << 20) + 1;
    p = nt_xmalloc_huge(&n);
    assert_int_equal(n, (size_t)6 << 20);
    assert_int_equal((uintptr_t)p & (((uintptr_t)2 << 20) - 1), 0);
    p[n - 1] = 1;
    free(p);
    nt_arena a;
    nt_arena_init(&a, 0);
    nt_arena_reset(&a, (size_t)5 << 20);
    assert_true((size_t)(a.end - a.cur) >= (size_t)5 << 20);
    assert_int_equal((uintptr_t)a.end & (((uintptr_t)2 << 20) - 1), 0);
    nt_arena_free(&a);
}

static void vec_push_pop(void **state)
{
    NT_VEC(int) v = {0};
    for (int i = 0; i < 10000; i++) nt_vec_push(&v, i * 3);
    assert_int_equal(v.n, 10000);
    assert_true(v.cap >= 10000);
    for (int i = 0; i < 10000; i++) assert_int_equal(v.v[i], i * 3);
    assert_int_equal(nt_vec_last(&v), 9999 * 3);
    assert_int_equal(nt_vec_pop(&v), 9999 * 3);
    assert_int_equal(v.n, 9999);
    nt_vec_reserve(&v, 50000);
    assert_true(v.cap >= 50000);
    nt_vec_free(&v);
    assert_null(v.v);
    assert_int_equal(v.n, 0);
}

static void vec_of_structs(void **state)
{
    struct pt { double x; char tag[24]; };
    NT_VEC(struct pt) v = {0};
    for (int i = 0; i < 100; i++) {
        struct pt p = {i * 0.5, {0}};
        p.tag[0] = (char)('a' + i % 26);
        nt_vec_push(&v, p);
    }
    assert_true(v.v[99].x == 49.5);
    assert_int_equal(v.v[27].tag[0], 'b');
    nt_vec_free(&v);
}

/* nt_budget_alloc: lua_Alloc's contract, and `used` tracks the live bytes
 * so a request past the limit fails while smaller ones still succeed. */
static void budget_alloc_bounds(void **state)
{
    nt_budget b = {.limit = 1000};
    char *p = nt_budget_alloc(&b, NULL, 7 /* a Lua type tag, not a size */, 400);
    assert_non_null(p);
    assert_int_equal(b.used, 400);
    memset(p, 1, 400);
    assert_null(nt_budget_alloc(&b, NULL, 0, 601));          /* 1001 > 1000 */
    assert_int_equal(b.used, 400);
    char *q = nt_budget_alloc(&b, NULL, 0, 600);             /* exactly the limit */
    assert_non_null(q);
    assert_int_equal(b.used, 1000);
    assert_null(nt_budget_alloc(&b, p, 400, 401));           /* growing past it fails */
    assert_int_equal(b.used, 1000);
    assert_int_equal((unsigned char)p[399], 1);              /* and keeps the block */
    p = nt_budget_alloc(&b, p, 400, 100);                    /* shrinking always works */
    assert_non_null(p);
    assert_int_equal(b.used, 700);
    assert_int_equal((unsigned char)p[99], 1);
    assert_null(nt_budget_alloc(&b, p, 100, 0));             /* free */
    assert_null(nt_budget_alloc(&b, q, 600, 0));
    assert_int_equal(b.used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alignment_and_contents),
        cmocka_unit_test(arena_big_allocation_keeps_current_chunk),
        cmocka_unit_test(arena_strdup_zalloc),
        cmocka_unit_test(arena_used_counts_requests),
        cmocka_unit_test(arena_reset_keeps_first_chunk),
        cmocka_unit_test(xmalloc_huge_rounds_and_aligns),
        cmocka_unit_test(vec_push_pop),
        cmocka_unit_test(vec_of_structs),
        cmocka_unit_test(budget_alloc_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
