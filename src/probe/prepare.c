/*
 * prepare.c — working memory for instrumenting the kernels of a module
 * one by one, made ready once (prb_prepare, probe.h).
 */
#include "probe/probe.h"

/* Printed bytes per byte of a kernel's text, at most: the slice's own
 * text plus the probe code at every site (bench_probe with
 * NTRACE_BENCH_TRACE=1 over cuSOLVER's largest module: up to 4.4x for the
 * biggest kernels, dmat and branch_divergence). */
#define OUT_PER_TEXT 6
/* Kernels are prepared for up to this much text (CUDA 13's largest is
 * ~0.5 MB): a module with a bigger one is not worth ~50 MiB touched up
 * front on behalf of kernels that may never be launched; such a kernel
 * pays its own first touches. */
#define PREP_TEXT_MAX ((size_t)4 << 20)

static void touch(char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096) ((volatile char *)p)[i] = 0;
}

size_t prb_prepare(const ptx_index *ix, nt_sb *out)
{
    size_t big = 0;
    for (size_t i = 0; i < ix->n; i++) {
        const ptx_ix_item *it = &ix->items[i];
        if (it->kind == PTX_IX_FUNC && it->is_entry && it->has_body)
            big = NT_MAX(big, it->end - it->begin);
    }
    if (!big) return 0;
    big = NT_MIN(big, PREP_TEXT_MAX);
    size_t ready = ptx_arena_prepare(big);
    /* prb_out_reserve's 8 MiB for big kernels, so it finds them here */
    size_t want = big * OUT_PER_TEXT + 4096;
    nt_sb_reserve(out, ready >= ((size_t)1 << 20) ? NT_MAX(want, (size_t)8 << 20) : want);
    touch(out->s + out->len, NT_MIN(want, out->cap - out->len));
    return ready + want;
}
