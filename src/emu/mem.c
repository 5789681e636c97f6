/*
 * mem.c — emulated device memory: a private address space of allocations.
 *
 * Invariant: allocs[] is sorted by base and ranges never overlap; each
 * range is followed by at least EMU_GAP unmapped bytes.  Addresses only
 * grow (never reused), so a stale pointer to freed memory faults.
 */
#include <stdlib.h>
#include <string.h>
#include "emu/emu.h"

#define EMU_ALIGN 256u
#define EMU_GAP   4096u

typedef struct alloc {
    uint64_t base;
    size_t   size;
    uint8_t *host;
} alloc;

static NT_VEC(alloc) allocs;
static uint64_t next_base = EMU_GLOBAL_BASE;
static size_t   used;

uint64_t emu_mem_alloc(size_t size)
{
    if (size == 0 || size > (1ull << 40))
        return 0;
    alloc a = { next_base, size, calloc(1, size) };
    if (!a.host)
        return 0;
    nt_vec_push(&allocs, a);       /* bases grow: stays sorted */
    next_base += (size + EMU_GAP + EMU_ALIGN - 1) & ~(uint64_t)(EMU_ALIGN - 1);
    used += size;
    return a.base;
}

/* Index of the allocation containing addr, or -1. */
static long find(uint64_t addr)
{
    size_t lo = 0, hi = allocs.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (allocs.v[mid].base <= addr) lo = mid + 1; else hi = mid;
    }
    if (lo == 0)
        return -1;
    alloc *a = &allocs.v[lo - 1];
    return addr - a->base < a->size ? (long)(lo - 1) : -1;
}

int emu_mem_free(uint64_t addr)
{
    long i = find(addr);
    if (i < 0 || allocs.v[i].base != addr)
        return -1;
    free(allocs.v[i].host);
    used -= allocs.v[i].size;
    memmove(&allocs.v[i], &allocs.v[i + 1], (allocs.n - i - 1) * sizeof(alloc));
    allocs.n--;
    return 0;
}

void *emu_mem_ptr(uint64_t addr, size_t len)
{
    long i = find(addr);
    if (i < 0)
        return NULL;
    alloc *a = &allocs.v[i];
    uint64_t off = addr - a->base;
    if (len > a->size - off)
        return NULL;
    return a->host + off;
}

int emu_mem_range(uint64_t addr, uint64_t *base, size_t *size)
{
    long i = find(addr);
    if (i < 0)
        return -1;
    if (base) *base = allocs.v[i].base;
    if (size) *size = allocs.v[i].size;
    return 0;
}

size_t emu_mem_used(void) { return used; }

void emu_mem_reset(void)
{
    for (size_t i = 0; i < allocs.n; i++)
        free(allocs.v[i].host);
    nt_vec_free(&allocs);
    used = 0;
}
