/* alloc.c — checked malloc wrappers and the arena allocator. */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void *nt_xmalloc_huge(size_t *n)
{
    const size_t huge = (size_t)2 << 20;
    if (*n >= 2 * huge && *n <= SIZE_MAX - huge) {
        size_t r = (*n + huge - 1) & ~(huge - 1);
        void *p = aligned_alloc(huge, r);
        if (p) {
            madvise(p, r, MADV_HUGEPAGE);
            *n = r;
            return p;
        }
    }
    return nt_xmalloc(*n);
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

size_t nt_arena_used(const nt_arena *a)
{
    size_t n = 0;
    for (const nt_arena_chunk *c = a->head; c; c = c->next)
        n += c == a->head ? (size_t)(a->cur - c->data) : c->size;
    return n;
}

void nt_arena_reset(nt_arena *a, size_t min)
{
    /* The list runs newest first, so `>=` picks the oldest of equals. */
    nt_arena_chunk *first = NULL;
    for (nt_arena_chunk *c = a->head; c; c = c->next)
        if (!first || c->size >= first->size) first = c;
    for (nt_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (c != first) free(c);
    }
    if (min > SIZE_MAX - sizeof *first - NT_ARENA_ALIGN) nt_oom(min);
    min = (min + NT_ARENA_ALIGN - 1) & ~(size_t)(NT_ARENA_ALIGN - 1);
    if (min && (!first || first->size < min)) {
        /* Not realloc: it would copy contents nobody wants, touching the
         * new block's pages before anyone needs them. */
        free(first);
        size_t n = sizeof *first + min;
        first = nt_xmalloc_huge(&n);
        first->size = n - sizeof *first;
    }
    a->head = first;
    a->cur = first ? first->data : NULL;
    a->end = first ? first->data + first->size : NULL;
    a->total = first ? sizeof *first + first->size : 0;
    if (first) first->next = NULL;
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
