/* module.c — module lifetime, symbol tables, register tables. */
#include "ptx/ptx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Internal state hung off ptx_module.priv_: malloc'd things the arena
 * cannot hold (hash maps of rewritten functions) and where the arena's
 * first chunk starts and ends (to reuse it, below). */
typedef struct mod_priv {
    NT_VEC(ptx_regtab *) regtabs;
    char  *p0, *end0;       /* payload of the arena's one big chunk */
    size_t total0;          /* arena.total while that is its only chunk */
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
 * page) was the largest single cost of parsing and slicing: a process
 * that parses module after module (the injector slices kernel after
 * kernel, ptx check walks a library) pays it again for every module.
 * So the arena of a freed module is kept, one per process, and the next
 * module takes it over when it is big enough.  Only an arena that still
 * has its single first chunk is kept (then arena.total == total0 and its
 * payload is [p0, end0)): resetting it is setting cur/end back, which
 * keeps nt_arena's invariant (cur 16-byte aligned, cur..end the free
 * tail of head).  Arenas whose touched part exceeds ARENA_KEEP_MAX are
 * freed, so at most that much memory stays resident.
 * ptx_release_cache() frees the kept arena. */
#define ARENA_KEEP_MAX ((size_t)96 << 20)

typedef struct kept_arena {
    nt_arena a;
    char    *p0, *end0;
    size_t   total0;
} kept_arena;

static kept_arena *kept;        /* swapped atomically */

static kept_arena *take_kept(void)
{
    return __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQ_REL);
}

static void drop_kept(kept_arena *k)
{
    if (!k) return;
    nt_arena_free(&k->a);
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

/* Keeps m's arena for the next module when it qualifies; true if kept. */
static bool keep_arena(ptx_module *m, const mod_priv *p)
{
    nt_arena *a = &m->arena;
    if (!p || !p->p0 || a->total != p->total0) return false;
    if ((size_t)(a->cur - p->p0) > ARENA_KEEP_MAX) return false;
    kept_arena *k = nt_xmalloc(sizeof *k);
    k->a = *a;
    k->p0 = p->p0;
    k->end0 = p->end0;
    k->total0 = p->total0;
    drop_kept(__atomic_exchange_n(&kept, k, __ATOMIC_ACQ_REL));
    return true;
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
     * will be parsed (about 6 bytes of IR per byte of text; untouched pages
     * cost nothing), backed by huge pages where the kernel offers them:
     * first-touch page faults were most of the parse time on big modules.
     * A slice parses a small part of a big text: sized by the whole text,
     * every slice of a 300 KB module took a 1.8 MB block, and malloc's
     * reuse of such blocks grew the heap by ~50 KB per kernel sliced
     * (tests/reliability/load.sh, 100 k kernels). */
    size_t chunk = parsed * 6 + 4096;
    if (chunk < 64 * 1024) chunk = 64 * 1024;
    if (chunk > (size_t)512 << 20) chunk = (size_t)512 << 20;
    kept_arena *k = take_kept();
    if (k && (size_t)(k->end0 - k->p0) >= chunk) {
        m->arena = k->a;
        m->arena.cur = k->p0;
        m->arena.end = k->end0;
        p->p0 = k->p0;
        p->end0 = k->end0;
        p->total0 = k->total0;
        free(k);
    } else {
        drop_kept(k);
        nt_arena_init(&m->arena, chunk);
        p->p0 = nt_arena_alloc(&m->arena, 16);
        m->arena.cur = p->p0;
        p->end0 = m->arena.end;
        p->total0 = m->arena.total;
        if (chunk >= (4u << 20)) {
            uintptr_t b = ((uintptr_t)p->p0 + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
            uintptr_t e = (uintptr_t)p->end0 & ~(uintptr_t)((2u << 20) - 1);
            if (e > b) madvise((void *)b, e - b, MADV_HUGEPAGE);
        }
    }
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
    if (!keep_arena(m, p)) nt_arena_free(&m->arena);
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
        nt_vec_push(&rt->prefixes, ((ptx_rprefix){set->name, set->base, set->count}));
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
    uint32_t d = n;
    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') d--;
    if (d < n && d > 0 && n - d <= 9 && !(s[d] == '0' && n - d > 1)) {
        uint32_t num = 0;
        for (uint32_t i = d; i < n; i++) num = num * 10 + (uint32_t)(s[i] - '0');
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
