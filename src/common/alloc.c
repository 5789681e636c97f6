/* alloc.c — checked malloc wrappers and the arena allocator. */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void nt_oom(size_t n)
{
    fprintf(stderr, "ntrace: out of memory allocating %zu bytes\n", n);
    abort();
}

void *nt_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) nt_oom(n);
    return p;
}

void *nt_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) nt_oom(n * size);
    return p;
}

void *nt_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) nt_oom(n);
    return q;
}

char *nt_xstrndup(const char *s, size_t n)
{
    char *p = nt_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *nt_xstrdup(const char *s)
{
    return nt_xstrndup(s, strlen(s));
}

void nt_vec_grow_(void **v, size_t *cap, size_t elem, size_t need)
{
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) nt_oom(SIZE_MAX);
        c *= 2;
    }
    *v = nt_xrealloc(*v, c * elem);
    *cap = c;
}

/* ---- arena ----
 * Invariant: cur..end is the free tail of `head`; every chunk's payload
 * starts 16-byte aligned, and every allocation size is rounded up to 16,
 * so cur stays 16-byte aligned. */
struct nt_arena_chunk {
    nt_arena_chunk *next;
    size_t size;
    _Alignas(16) char data[];
};

#define NT_ARENA_ALIGN 16
#define NT_ARENA_DEFAULT (64 * 1024)

void nt_arena_init(nt_arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : NT_ARENA_DEFAULT;
}

void *nt_arena_alloc(nt_arena *a, size_t n)
{
    if (n > SIZE_MAX - NT_ARENA_ALIGN) nt_oom(n);
    n = (n + NT_ARENA_ALIGN - 1) & ~(size_t)(NT_ARENA_ALIGN - 1);
    if (n == 0) n = NT_ARENA_ALIGN;
    if ((size_t)(a->end - a->cur) < n || !a->cur) {
        if (!a->chunk_size) a->chunk_size = NT_ARENA_DEFAULT;
        /* Big requests get a chunk of their own so the current chunk's
         * tail is not wasted; it is linked behind the head. */
        if (n > a->chunk_size / 4 && a->head) {
            nt_arena_chunk *c = nt_xmalloc(sizeof *c + n);
            c->size = n;
            c->next = a->head->next;
            a->head->next = c;
            a->total += sizeof *c + n;
            return c->data;
        }
        size_t sz = NT_MAX(a->chunk_size, n);
        nt_arena_chunk *c = nt_xmalloc(sizeof *c + sz);
        c->size = sz;
        c->next = a->head;
        a->head = c;
        a->cur = c->data;
        a->end = c->data + sz;
        a->total += sizeof *c + sz;
    }
    void *p = a->cur;
    a->cur += n;
    return p;
}

void *nt_arena_zalloc(nt_arena *a, size_t n)
{
    void *p = nt_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *nt_arena_strndup(nt_arena *a, const char *s, size_t n)
{
    char *p = nt_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *nt_arena_strdup(nt_arena *a, const char *s)
{
    return nt_arena_strndup(a, s, strlen(s));
}

void nt_arena_free(nt_arena *a)
{
    nt_arena_chunk *c = a->head;
    while (c) {
        nt_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    size_t cs = a->chunk_size;
    memset(a, 0, sizeof *a);
    a->chunk_size = cs;
}

void *nt_budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    nt_budget *b = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        b->used -= old;
        return NULL;
    }
    if (nsize > old && b->used - old + nsize > b->limit) return NULL;
    void *q = realloc(ptr, nsize);
    if (q) b->used = b->used - old + nsize;
    return q;
}
