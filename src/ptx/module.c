/* module.c — module lifetime, symbol tables, register tables. */
#include "ptx/ptx_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Internal state hung off ptx_module.priv_: malloc'd things the arena
 * cannot hold (hash maps of rewritten functions). */
typedef struct mod_priv {
    NT_VEC(ptx_regtab *) regtabs;
} mod_priv;

void ptx_block_init(ptx_block *b)
{
    b->head.next = b->head.prev = &b->head;
    b->head.kind = PTX_ST_HEAD;
    b->head.synth = 0;
    b->head.line = 0;
}

/* ---- arena reuse ----
 * First touch of fresh memory (a page fault and the kernel zeroing the
 * page; on a virtual machine also the host's fault) was the largest
 * single cost of parsing and slicing: a process that parses module after
 * module (the injector slices kernel after kernel, ptx check walks a
 * library) pays it again for every module.  So the arena of a freed
 * module is kept, one per process, emptied to its largest chunk
 * (nt_arena_reset) and grown to what that module needed, so a module of
 * the same size fits in one chunk next time; the next module takes it
 * over, and replaces its chunk by a bigger one (nothing copied) when it
 * wants more.  An arena whose module needed more than
 * ARENA_KEEP_MAX is freed, so at most that much memory stays resident.
 * ptx_release_cache() frees the kept arena (at exit too). */
#define ARENA_KEEP_MAX ((size_t)96 << 20)

static nt_arena *kept;          /* empty, one chunk; swapped atomically */

static nt_arena *take_kept(void)
{
    return __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQ_REL);
}

static void drop_kept(nt_arena *k)
{
    if (!k) return;
    nt_arena_free(k);
    free(k);
}

void ptx_release_cache(void)
{
    drop_kept(take_kept());
}

__attribute__((destructor)) static void release_at_exit(void)
{
    ptx_release_cache();
}

/* Big chunks (an estimate of 1 MiB or more) are taken generously (twice
 * the estimate up to 32 MiB, 8 MiB at least): untouched pages cost
 * nothing, a later, bigger module still fits (where growing means a fresh
 * block), and nt_arena_reset backs them with huge pages (one fault per
 * 2 MiB instead of 512; 4 KiB first touches were most of the time of the
 * biggest kernels in bench_probe). */
#define HUGE_FROM ((size_t)1 << 20)

static size_t chunk_for(size_t est)
{
    if (est < HUGE_FROM) return est;
    return est < ((size_t)32 << 20) ? NT_MAX(2 * est, (size_t)8 << 20) : est;
}

/* Empties a (and frees its chunks but the largest), then grows it to
 * chunk_for(want) when it has less room than `want`. */
static void reset_for(nt_arena *a, size_t want)
{
    nt_arena_reset(a, 0);
    if ((size_t)(a->end - a->cur) < want) nt_arena_reset(a, chunk_for(want));
}

/* Keeps m's arena for the next module when it qualifies; true if kept. */
static bool keep_arena(ptx_module *m)
{
    size_t need = nt_arena_used(&m->arena);
    if (need > ARENA_KEEP_MAX) return false;
    nt_arena *k = nt_xmalloc(sizeof *k);
    *k = m->arena;
    reset_for(k, need);
    drop_kept(__atomic_exchange_n(&kept, k, __ATOMIC_ACQ_REL));
    return true;
}

/* Arena bytes a module parsed from `parsed` bytes of text takes at most:
 * about 6 bytes of IR per byte of text (the IR is ~3x the text; the
 * rest is room for what a rewriter adds). */
static size_t arena_est(size_t parsed)
{
    size_t chunk = parsed * 6 + 4096;
    if (chunk < 64 * 1024) chunk = 64 * 1024;
    if (chunk > (size_t)512 << 20) chunk = (size_t)512 << 20;
    return chunk;
}

/* Writes one byte per 4 KiB page of p[0..n): the page faults happen now. */
static void touch(char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096) ((volatile char *)p)[i] = 0;
    if (n) ((volatile char *)p)[n - 1] = 0;
}

size_t ptx_arena_prepare(size_t parsed)
{
    size_t want = arena_est(parsed);
    nt_arena *k = take_kept();
    if (!k) {
        k = nt_xmalloc(sizeof *k);
        nt_arena_init(k, want);
    }
    nt_arena_reset(k, 0);
    if ((size_t)(k->end - k->cur) < want) {
        /* from 1 MiB, whole 2 MiB pages (and huge-page backed from 4 MiB:
         * nt_xmalloc_huge) */
        size_t huge = (size_t)2 << 20, n = want;
        if (n >= HUGE_FROM) n = NT_MAX((n + huge - 1) & ~(huge - 1), 2 * huge);
        nt_arena_reset(k, n);
    }
    touch(k->cur, want);
    drop_kept(__atomic_exchange_n(&kept, k, __ATOMIC_ACQ_REL));
    return want;
}

ptx_module *ptx_module_new(const char *text, size_t len, const char *file,
                           unsigned flags)
{
    return ptx_module_new_sized(text, len, file, flags, len);
}

ptx_module *ptx_module_new_sized(const char *text, size_t len, const char *file,
                                 unsigned flags, size_t parsed)
{
    ptx_module *m = nt_xcalloc(1, sizeof *m);
    mod_priv *p = m->priv_ = nt_xcalloc(1, sizeof *p);
    /* One chunk sized for the whole IR of the `parsed` bytes of text that
     * will be parsed (arena_est; untouched pages cost nothing), backed by
     * huge pages where the kernel offers them:
     * first-touch page faults were most of the parse time on big modules.
     * A slice parses a small part of a big text: sized by the whole text,
     * every slice of a 300 KB module took a 1.8 MB block, and malloc's
     * reuse of such blocks grew the heap by ~50 KB per kernel sliced
     * (tests/reliability/load.sh, 100 k kernels). */
    size_t chunk = arena_est(parsed);
    nt_arena *k = take_kept();
    if (k) {
        m->arena = *k;
        free(k);
    } else {
        nt_arena_init(&m->arena, chunk);
    }
    m->arena.chunk_size = chunk;
    if ((size_t)(m->arena.end - m->arena.cur) < chunk) reset_for(&m->arena, chunk);
    m->file = nt_arena_strdup(&m->arena, file ? file : "<ptx>");
    if (flags & PTX_PARSE_COPY) {
        char *t = nt_arena_alloc(&m->arena, len + 1);
        if (len) memcpy(t, text, len);
        t[len] = 0;
        text = t;
    }
    m->text = text;
    m->len = len;
    ptx_block_init(&m->items);
    return m;
}

void ptx_module_track_regtab(ptx_module *m, ptx_regtab *rt)
{
    mod_priv *p = m->priv_;
    nt_vec_push(&p->regtabs, rt);
}

void ptx_module_free(ptx_module *m)
{
    if (!m) return;
    mod_priv *p = m->priv_;
    if (p) {
        for (size_t i = 0; i < p->regtabs.n; i++) {
            ptx_regtab_free(p->regtabs.v[i]);
            free(p->regtabs.v[i]);
        }
        nt_vec_free(&p->regtabs);
    }
    nt_map_free(&m->funcs);
    nt_map_free(&m->vars);
    if (!keep_arena(m)) nt_arena_free(&m->arena);
    free(p);
    free(m);
}

void ptx_module_add_func(ptx_module *m, ptx_func *fn)
{
    uint64_t old;
    /* A definition replaces a declaration, never the reverse. */
    if (nt_map_get(&m->funcs, fn->name.s, fn->name.n, &old) &&
        ((ptx_func *)(uintptr_t)old)->has_body && !fn->has_body)
        return;
    nt_map_put(&m->funcs, fn->name.s, fn->name.n, (uint64_t)(uintptr_t)fn);
}

void ptx_module_add_var(ptx_module *m, ptx_var *v)
{
    uint64_t old;
    if (nt_map_get(&m->vars, v->name.s, v->name.n, &old) &&
        ((ptx_var *)(uintptr_t)old)->linkage != PTX_LINK_EXTERN &&
        v->linkage == PTX_LINK_EXTERN)
        return;
    nt_map_put(&m->vars, v->name.s, v->name.n, (uint64_t)(uintptr_t)v);
}

ptx_func *ptx_module_func(const ptx_module *m, const char *name)
{
    uint64_t v;
    if (!nt_map_get(&m->funcs, name, strlen(name), &v)) return NULL;
    return (ptx_func *)(uintptr_t)v;
}

ptx_var *ptx_module_var(const ptx_module *m, const char *name)
{
    uint64_t v;
    if (!nt_map_get(&m->vars, name, strlen(name), &v)) return NULL;
    return (ptx_var *)(uintptr_t)v;
}

/* ---- registers ---- */

const ptx_regset *ptx_func_reg_set(const ptx_func *fn, uint32_t id)
{
    return ptx_reg_set_of(fn, id);
}

void ptx_func_reg_name(const ptx_func *fn, uint32_t id, char *buf, size_t cap)
{
    const ptx_regset *s = ptx_func_reg_set(fn, id);
    if (!s) { snprintf(buf, cap, "%%<bad reg %u>", id); return; }
    if (s->count) snprintf(buf, cap, "%.*s%u", (int)s->name.n, s->name.s, id - s->base);
    else snprintf(buf, cap, "%.*s", (int)s->name.n, s->name.s);
}

ptx_type ptx_func_reg_type(const ptx_func *fn, uint32_t id)
{
    const ptx_regset *s = ptx_func_reg_set(fn, id);
    return s ? (ptx_type)s->type : PTX_T_NONE;
}

void ptx_regtab_clear(ptx_regtab *rt)
{
    if (rt->singles.n) {
        memset(rt->singles.slots, 0, rt->singles.cap * sizeof *rt->singles.slots);
        rt->singles.n = 0;
    }
    rt->prefixes.n = 0;
    rt->undo.n = 0;
}

void ptx_regtab_free(ptx_regtab *rt)
{
    nt_map_free(&rt->singles);
    nt_vec_free(&rt->prefixes);
    nt_vec_free(&rt->undo);
}

void ptx_regtab_add(ptx_regtab *rt, const ptx_regset *set)
{
    if (set->count) {
        uint64_t head = 0;
        for (uint32_t i = 0; i < set->name.n && i < 8; i++)
            head |= (uint64_t)(uint8_t)set->name.s[i] << (8 * i);
        nt_vec_push(&rt->prefixes, ((ptx_rprefix){set->name, set->base, set->count, head}));
        return;
    }
    uint64_t old = 0;
    bool had = nt_map_get(&rt->singles, set->name.s, set->name.n, &old);
    nt_vec_push(&rt->undo, ((ptx_rundo){set->name, had ? old + 1 : 0}));
    nt_map_put(&rt->singles, set->name.s, set->name.n, set->base);
}

ptx_rmark ptx_regtab_mark(const ptx_regtab *rt)
{
    return (ptx_rmark){rt->prefixes.n, rt->undo.n};
}

void ptx_regtab_pop(ptx_regtab *rt, ptx_rmark mk)
{
    rt->prefixes.n = mk.nprefix;
    while (rt->undo.n > mk.nundo) {
        ptx_rundo u = nt_vec_pop(&rt->undo);
        if (u.old) nt_map_put(&rt->singles, u.name.s, u.name.n, u.old - 1);
        else nt_map_del(&rt->singles, u.name.s, u.name.n);
    }
}

uint32_t ptx_regtab_find(const ptx_regtab *rt, const char *s, uint32_t n)
{
    /* Parametrized sets first (the common %r123 case): split the trailing
     * decimal digits.  Innermost declarations win. */
    /* One backward pass: num = the value of the last (at most 9) digits. */
    uint32_t d = n, num = 0, mul = 1;
    while (d > 0 && n - d < 9) {
        uint32_t v = (uint32_t)(uint8_t)s[d - 1] - '0';
        if (v > 9) break;
        num += v * mul;
        mul *= 10;
        d--;
    }
    /* a longer digit run than 9 is not a parametrized name */
    bool more = d > 0 && (uint8_t)s[d - 1] - (unsigned)'0' <= 9;
    if (d < n && d > 0 && !more && !(s[d] == '0' && n - d > 1)) {
        for (size_t i = rt->prefixes.n; i-- > 0;) {
            const ptx_rprefix *p = &rt->prefixes.v[i];
            if (p->name.n != d || num >= p->count) continue;
            /* names are short ("%rd"): a byte loop beats a memcmp call */
            uint32_t k = 0;
            while (k < d && p->name.s[k] == s[k]) k++;
            if (k == d) return p->base + num;
        }
    }
    uint64_t v;
    if (rt->singles.n && nt_map_get(&rt->singles, s, n, &v)) return (uint32_t)v;
    return PTX_NOREG;
}
