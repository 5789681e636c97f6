/* Tests: the probe-buffer pool and its budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inject/inject_int.h"

/* Fake device: malloc'd memory, with counters and an injectable failure. */
typedef struct fake { int dev_live, host_live, dev_allocs, fail_dev, fail_host; pthread_mutex_t mu; } fake;

static int f_dev_alloc(void *c, size_t n, CUdeviceptr *p)
{
    fake *f = c;
    if (f->fail_dev) return 1;
    pthread_mutex_lock(&f->mu);
    f->dev_live++; f->dev_allocs++;
    pthread_mutex_unlock(&f->mu);
    *p = (CUdeviceptr)(uintptr_t)malloc(n);
    return 0;
}
static void f_dev_free(void *c, CUdeviceptr p)
{
    fake *f = c;
    pthread_mutex_lock(&f->mu);
    f->dev_live--;
    pthread_mutex_unlock(&f->mu);
    free((void *)(uintptr_t)p);
}
static int f_host_alloc(void *c, size_t n, void **p)
{
    fake *f = c;
    if (f->fail_host) return 1;
    pthread_mutex_lock(&f->mu);
    f->host_live++;
    pthread_mutex_unlock(&f->mu);
    *p = malloc(n);
    return 0;
}
static void f_host_free(void *c, void *p)
{
    fake *f = c;
    pthread_mutex_lock(&f->mu);
    f->host_live--;
    pthread_mutex_unlock(&f->mu);
    free(p);
}

static inj_pool *mk(fake *f, uint64_t budget)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    inj_pool_ops ops = {f_dev_alloc, f_dev_free, f_host_alloc, f_host_free, f};
    return inj_pool_new(budget, &ops);
}

static void reuse_by_size_class(void **state)
{
    fake f;
    inj_pool *p = mk(&f, 1 << 20);
    nt_err e = {0};
    inj_buf *a = inj_pool_acquire(p, 5000, &e);
    assert_non_null(a);
    assert_int_equal(a->cap, 8192);
    assert_int_equal(a->size, 5000);
    inj_buf *b = inj_pool_acquire(p, 100, &e);
    assert_int_equal(b->cap, 4096);               /* minimum class */
    assert_int_equal(inj_pool_held(p), 8192 + 4096);
    inj_pool_release(p, a);
    inj_buf *c = inj_pool_acquire(p, 6000, &e);   /* same class: reused */
    assert_ptr_equal(c, a);
    assert_int_equal(c->size, 6000);
    assert_int_equal(f.dev_allocs, 2);
    inj_pool_release(p, b);
    inj_pool_release(p, c);
    inj_pool_free(p);
    assert_int_equal(f.dev_live, 0);
    assert_int_equal(f.host_live, 0);
}

static void budget_is_respected(void **state)
{
    fake f;
    inj_pool *p = mk(&f, 64 << 10);
    nt_err e = {0};
    inj_buf *a = inj_pool_acquire(p, 32 << 10, &e);
    inj_buf *b = inj_pool_acquire(p, 32 << 10, &e);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(inj_pool_acquire(p, 4096, &e));   /* in flight fills it */
    assert_string_equal(e.msg, "probe buffers in flight hold 65536 of 65536 budget bytes; "
                               "this launch's 4096 do not fit");
    nt_err_clear(&e);
    assert_null(inj_pool_acquire(p, 100 << 10, &e));
    assert_non_null(strstr(e.msg, "exceeds the budget of 65536 bytes (raise it with --budget)"));
    /* Idle buffers of another class are freed to make room. */
    inj_pool_release(p, a);
    inj_pool_release(p, b);
    nt_err_clear(&e);
    inj_buf *big = inj_pool_acquire(p, 64 << 10, &e);
    assert_non_null(big);
    assert_int_equal(inj_pool_held(p), 64 << 10);
    assert_int_equal(f.dev_live, 1);
    assert_true(inj_pool_peak(p) <= 64 << 10);
    inj_pool_release(p, big);
    inj_pool_free(p);
    assert_int_equal(f.dev_live, 0);
}

static void allocation_failures_release_the_reservation(void **state)
{
    fake f;
    inj_pool *p = mk(&f, 1 << 20);
    nt_err e = {0};
    f.fail_dev = 1;
    assert_null(inj_pool_acquire(p, 4096, &e));
    assert_string_equal(e.msg, "device memory for a 4096-byte probe buffer is exhausted");
    assert_int_equal(inj_pool_held(p), 0);
    f.fail_dev = 0;
    f.fail_host = 1;
    nt_err_clear(&e);
    assert_null(inj_pool_acquire(p, 4096, &e));
    assert_string_equal(e.msg, "pinned host memory for a 4096-byte probe buffer is exhausted");
    assert_int_equal(inj_pool_held(p), 0);
    assert_int_equal(f.dev_live, 0);             /* the device half was given back */
    inj_pool_free(p);
}

static inj_pool *shared_pool;
static void *hammer(void *arg)
{
    for (int i = 0; i < 2000; i++) {
        inj_buf *b = inj_pool_acquire(shared_pool, (size_t)4096 << (i % 4), NULL);
        if (b) {
            memset((void *)(uintptr_t)b->dev, 1, b->size);
            inj_pool_release(shared_pool, b);
        }
    }
    return NULL;
}

static void many_threads_stay_within_budget(void **state)
{
    fake f;
    shared_pool = mk(&f, 96 << 10);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    assert_true(inj_pool_peak(shared_pool) <= 96 << 10);
    inj_pool_free(shared_pool);
    assert_int_equal(f.dev_live, 0);
    assert_int_equal(f.host_live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reuse_by_size_class),
        cmocka_unit_test(budget_is_respected),
        cmocka_unit_test(allocation_failures_release_the_reservation),
        cmocka_unit_test(many_threads_stay_within_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
