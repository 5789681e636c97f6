/*
 * exec.c — runs a grid: blocks on virtual SMs, warps issued round-robin
 * one instruction at a time, SIMT divergence with a reconvergence stack,
 * calls, barriers, and the checked address translation every memory
 * access goes through.
 *
 * SIMT stack invariant: the top entry is what the warp executes (pc, mask);
 * an entry is popped when its pc reaches its rpc (the lanes then continue
 * in the entry below, whose pc is that rpc) or when its mask is empty.
 * Lanes that exit are removed from every entry (w->exited is applied when
 * an entry becomes the top).
 *
 * Clocks: each SM has a counter that advances by one per issued warp
 * instruction; %clock/%clock64 read it, %globaltimer is it in ns at
 * clock_hz.  The counters persist across launches (like a GPU's).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "emu/exec.h"

#define QUANTUM 512
#define MAX_SMS 1024

static uint64_t sm_clocks[MAX_SMS];

uint64_t emu_sm_clock(uint32_t sm) { return sm < MAX_SMS ? sm_clocks[sm] : 0; }

int x_fail(xrun *x, const xins *in, int status, const char *fmt, ...)
{
    char buf[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (in)
        nt_err_set(x->e, "%s: line %u: %s", x->k->name, in->line, buf);
    else
        nt_err_set(x->e, "%s: %s", x->k->name, buf);
    return status;
}

uint32_t x_lane_tid(const xrun *x, const warp *w, int lane, int comp)
{
    const uint32_t *b = x->l->block;
    uint32_t t = w->wib * WARP + (uint32_t)lane;
    switch (comp) {
    case 1:  return t % b[0];
    case 2:  return (t / b[0]) % b[1];
    default: return t / (b[0] * b[1]);
    }
}

/* ---- memory ------------------------------------------------------------------ */
static uint8_t *bad(xrun *x, warp *w, const xins *in, const char *sp, uint64_t a, uint32_t n,
                    int lane, int st)
{
    x->fault = st;
    x_fail(x, in, st, "%s %s access of %u bytes at 0x%llx by thread (%u,%u,%u) of block (%u,%u,%u)",
           st == EMU_E_MISALIGNED ? "misaligned" : "out-of-bounds", sp, n,
           (unsigned long long)a, x_lane_tid(x, w, lane, 1), x_lane_tid(x, w, lane, 2),
           x_lane_tid(x, w, lane, 3), w->blk->ctaid[0], w->blk->ctaid[1], w->blk->ctaid[2]);
    return NULL;
}

uint8_t *x_addr(xrun *x, warp *w, const xins *in, int sp, uint64_t a, uint32_t n, int lane)
{
    if (n > 1 && (a & (n - 1)) && (n & (n - 1)) == 0)
        return bad(x, w, in, "", a, n, lane, EMU_E_MISALIGNED);
    if (sp == XS_GENERIC) {
        if (a - EMU_SHARED_WIN < EMU_WIN_SIZE) { sp = XS_SHARED; a -= EMU_SHARED_WIN; }
        else if (a - EMU_LOCAL_WIN < EMU_WIN_SIZE) { sp = XS_LOCAL; a -= EMU_LOCAL_WIN; }
        else sp = XS_GLOBAL;
    }
    switch (sp) {
    case XS_GLOBAL:
        if (a - x->gbase < x->gsize && x->gsize - (a - x->gbase) >= n)
            return x->ghost + (a - x->gbase);
        {
            uint64_t base; size_t size;
            uint8_t *p = emu_mem_ptr(a, n);
            if (!p) return bad(x, w, in, "global", a, n, lane, EMU_E_ILLEGAL_ADDRESS);
            emu_mem_range(a, &base, &size);
            x->gbase = base; x->gsize = size; x->ghost = p - (a - base);
            return p;
        }
    case XS_SHARED:
        if (a > x->smem_size || x->smem_size - a < n)
            return bad(x, w, in, "shared", a, n, lane, EMU_E_ILLEGAL_ADDRESS);
        return w->blk->smem + a;
    case XS_LOCAL:
        if (a > x->k->local_size || x->k->local_size - a < n)
            return bad(x, w, in, "local", a, n, lane, EMU_E_ILLEGAL_ADDRESS);
        return w->local + (size_t)lane * x->k->local_size + a;
    case XS_KPARAM:
        if (a > x->k->params_size || x->k->params_size - a < n)
            return bad(x, w, in, "param", a, n, lane, EMU_E_ILLEGAL_ADDRESS);
        return (uint8_t *)x->l->params + a;
    }
    return bad(x, w, in, "unknown-space", a, n, lane, EMU_E_ILLEGAL_ADDRESS);
}

/* ---- special registers ------------------------------------------------------------ */
int x_sreg(xrun *x, warp *w, int lane, int sreg, int comp, uint64_t *v)
{
    const emu_launch *l = x->l;
    uint64_t clk = x->sms[w->sm].clock;
    int c = comp ? comp - 1 : 0;
    if (c > 2) c = 2;
    switch (sreg) {
    case PTX_SREG_TID:     *v = x_lane_tid(x, w, lane, c + 1); return 0;
    case PTX_SREG_NTID:    *v = l->block[c]; return 0;
    case PTX_SREG_CTAID:   *v = w->blk->ctaid[c]; return 0;
    case PTX_SREG_NCTAID:  *v = l->grid[c]; return 0;
    case PTX_SREG_LANEID:  *v = (uint64_t)lane; return 0;
    case PTX_SREG_WARPID:  *v = w->slot; return 0;
    case PTX_SREG_NWARPID: *v = emu_cfg()->max_warps_per_sm; return 0;
    case PTX_SREG_SMID:    *v = w->sm; return 0;
    case PTX_SREG_NSMID:   *v = x->nsms; return 0;
    case PTX_SREG_GRIDID:  *v = l->grid_id; return 0;
    case PTX_SREG_LANEMASK_EQ: *v = 1u << lane; return 0;
    case PTX_SREG_LANEMASK_LE: *v = (uint32_t)((2ull << lane) - 1); return 0;
    case PTX_SREG_LANEMASK_LT: *v = (1u << lane) - 1; return 0;
    case PTX_SREG_LANEMASK_GE: *v = ~((1u << lane) - 1) & 0xffffffffu; return 0;
    case PTX_SREG_LANEMASK_GT: *v = ~(uint32_t)((2ull << lane) - 1) & 0xffffffffu; return 0;
    case PTX_SREG_CLOCK:   *v = (uint32_t)clk; return 0;
    case PTX_SREG_CLOCK_HI: *v = (uint32_t)(clk >> 32); return 0;
    case PTX_SREG_CLOCK64: *v = clk; return 0;
    case PTX_SREG_GLOBALTIMER:
    case PTX_SREG_GLOBALTIMER_LO:
    case PTX_SREG_GLOBALTIMER_HI: {
        uint64_t ns = (uint64_t)((unsigned __int128)clk * 1000000000u / emu_cfg()->clock_hz);
        *v = sreg == PTX_SREG_GLOBALTIMER ? ns : sreg == PTX_SREG_GLOBALTIMER_LO
             ? (uint32_t)ns : (uint32_t)(ns >> 32);
        return 0;
    }
    case PTX_SREG_TOTAL_SMEM_SIZE: *v = emu_cfg()->smem_per_sm; return 0;
    case PTX_SREG_DYNAMIC_SMEM_SIZE: *v = l->dyn_smem; return 0;
    case PTX_SREG_AGGR_SMEM_SIZE: *v = x->smem_size; return 0;
    default: return -1;
    }
}

/* ---- warps and blocks ------------------------------------------------------------- */
static void push(warp *w, uint32_t pc, uint32_t rpc, uint32_t mask)
{
    if (w->sp == w->stk_cap) {
        w->stk_cap = w->stk_cap ? w->stk_cap * 2 : 16;
        w->stk = nt_xrealloc(w->stk, w->stk_cap * sizeof(xstk));
    }
    w->stk[w->sp++] = (xstk){ pc, rpc, mask };
}

static void warp_init(xrun *x, warp *w, xblock *b, uint32_t wib, uint32_t threads)
{
    const emu_kernel *k = x->k;
    w->r = nt_xcalloc((size_t)k->nregs * WARP, sizeof(uint64_t));
    for (uint32_t c = 0; c < k->nconst; c++) {
        uint64_t *r = &w->r[(size_t)(k->nregs - k->nconst + c) * WARP];
        for (int l = 0; l < WARP; l++) r[l] = k->consts[c];
    }
    w->local = k->local_size ? nt_xcalloc((size_t)k->local_size, WARP) : NULL;
    uint32_t n = threads - wib * WARP;
    w->valid = n >= WARP ? 0xffffffffu : (1u << n) - 1;
    w->blk = b;
    w->wib = wib;
    w->sm = b->sm;
    push(w, 0, k->entry_end, w->valid);
}

static void warp_free(warp *w)
{
    free(w->r);
    free(w->local);
    free(w->stk);
}

static void bar_release(xrun *x, xblock *b, uint32_t id)
{
    uint32_t expect = b->bar_expect[id] ? b->bar_expect[id] : b->live;
    if (b->bar_arrived[id] == 0 || b->bar_arrived[id] < expect) return;
    uint32_t acc = b->bar_red[id];
    uint8_t op = b->bar_redop[id];
    for (uint32_t i = 0; i < b->nwarps; i++) {
        warp *w = &b->warps[i];
        if (w->state != W_BAR || w->bar_id != id) continue;
        w->state = W_READY;
        /* popc: the count; and/or: already 0/1 */
        if (op && w->bar_dst != XNOREG)
            for (int l = 0; l < WARP; l++)
                if (w->bar_mask >> l & 1) w->r[(size_t)w->bar_dst * WARP + l] = acc;
    }
    b->bar_arrived[id] = 0;
    b->bar_expect[id] = 0;
    b->bar_red[id] = 0;
    b->bar_redop[id] = 0;
    (void)x;
}

static int bar_arrive(xrun *x, warp *w, const xins *in, uint32_t m, int wait)
{
    xblock *b = w->blk;
    int lane = __builtin_ctz(m);
    uint64_t id = w->r[(size_t)in->a * WARP + lane];
    if (id >= NBAR) return x_fail(x, in, EMU_E_INVALID, "barrier id %llu out of range", (unsigned long long)id);
    if (in->b != XNOREG) {
        uint64_t cnt = w->r[(size_t)in->b * WARP + lane];
        if (cnt == 0 || cnt % WARP)
            return x_fail(x, in, EMU_E_INVALID, "barrier thread count %llu is not a multiple of 32",
                          (unsigned long long)cnt);
        b->bar_expect[id] = (uint32_t)(cnt / WARP);
    }
    if (in->mode) {        /* bar.red: 1 popc, 2 and, 3 or */
        uint32_t acc = 0, all = 1;
        for (int l = 0; l < WARP; l++) {
            if (!(m >> l & 1)) continue;
            int p = (int)(w->r[(size_t)in->c * WARP + l] & 1) ^ !!(in->negs & 4);
            acc += (uint32_t)p;
            all &= (uint32_t)p;
        }
        if (b->bar_arrived[id] == 0)
            b->bar_red[id] = in->mode == 2 ? 1 : 0;
        if (in->mode == 1) b->bar_red[id] += acc;
        else if (in->mode == 2) b->bar_red[id] &= all;
        else b->bar_red[id] |= acc != 0;
        b->bar_redop[id] = in->mode;
        w->bar_dst = in->d[0];
        w->bar_mask = m;
    } else {
        w->bar_dst = XNOREG;
    }
    b->bar_arrived[id]++;
    if (wait) {
        w->state = W_BAR;
        w->bar_id = (uint8_t)id;
    }
    bar_release(x, b, (uint32_t)id);
    return EMU_OK;
}

static void copy_lanes(warp *w, const emu_kernel *k, const xcopy *c, uint32_t m)
{
    for (int l = 0; l < WARP; l++) {
        if (!(m >> l & 1)) continue;
        uint8_t *loc = w->local + (size_t)l * k->local_size;
        uint64_t v = 0;
        if (c->src_reg != XNOREG) v = w->r[(size_t)c->src_reg * WARP + l];
        else memcpy(&v, loc + c->src_off, NT_MIN(c->size, 8u));
        if (c->dst_reg != XNOREG) {
            w->r[(size_t)c->dst_reg * WARP + l] = v;
        } else if (c->src_reg != XNOREG) {
            memcpy(loc + c->dst_off, &v, NT_MIN(c->size, 8u));
        } else {
            memmove(loc + c->dst_off, loc + c->src_off, c->size);
        }
    }
}

/* Issues one instruction of w.  Returns EMU_OK or an error status. */
static int issue(xrun *x, xsm *sm, warp *w)
{
    xstk *t;
    for (;;) {
        if (w->sp == 0) { w->state = W_DONE; return EMU_OK; }
        t = &w->stk[w->sp - 1];
        t->mask &= ~w->exited;
        if (t->mask == 0 || t->pc == t->rpc) { w->sp--; continue; }
        break;
    }
    const xins *in = &x->code[t->pc];
    uint32_t m = t->mask, em = m;
    if (in->guard != XNOREG) {
        const uint64_t *p = &w->r[(size_t)in->guard * WARP];
        uint32_t pm = 0;
        for (int l = 0; l < WARP; l++) pm |= (uint32_t)(p[l] & 1) << l;
        em = in->guard_neg ? m & ~pm : m & pm;
    }
    sm->clock++;
    x->st.warp_instrs++;
    x->st.thread_instrs += (uint64_t)__builtin_popcount(em);
    switch (in->kind) {
    case XK_OP:
        if (em) {
            int st = in->fn(x, w, in, em);
            if (st) return st;
        }
        t->pc++;
        return EMU_OK;
    case XK_BRA: {
        uint32_t nt = m & ~em;
        if (!nt) t->pc = in->target;
        else if (!em) t->pc++;
        else {
            uint32_t pc = t->pc, rpc = in->rpc;
            t->pc = rpc;
            push(w, pc + 1, rpc, nt);
            push(w, in->target, rpc, em);
        }
        return EMU_OK;
    }
    case XK_CALL: {
        uint32_t pc = t->pc;
        if (!em) { t->pc += 2; return EMU_OK; }
        for (uint32_t i = 0; i < in->ncopy; i++) copy_lanes(w, x->k, &in->copy[i], em);
        if (em == m) {
            t->pc = pc + 1;
        } else {
            t->pc = pc + 2;
            push(w, pc + 1, pc + 2, em);
        }
        if (w->sp > 4096) return x_fail(x, in, EMU_E_INVALID, "call stack overflow");
        push(w, in->target, in->rpc, em);
        return EMU_OK;
    }
    case XK_CALLRET:
        for (uint32_t i = 0; i < in->ncopy; i++) copy_lanes(w, x->k, &in->copy[i], m);
        t->pc++;
        return EMU_OK;
    case XK_EXIT:
    case XK_END:
        w->exited |= em;
        t->pc++;
        if ((w->exited & w->valid) == w->valid) { w->sp = 0; w->state = W_DONE; }
        return EMU_OK;
    case XK_TRAP:
        if (em) return x_fail(x, in, EMU_E_TRAP, "trap executed");
        t->pc++;
        return EMU_OK;
    case XK_BAR:
    case XK_BAR_ARRIVE:
        t->pc++;
        if (!em) return EMU_OK;
        return bar_arrive(x, w, in, em, in->kind == XK_BAR);
    }
    return x_fail(x, in, EMU_E_UNSUPPORTED, "bad instruction kind %d", in->kind);
}

/* ---- scheduling -------------------------------------------------------------------- */
static void block_start(xrun *x, xsm *sm, uint32_t smi, uint64_t lin)
{
    const emu_launch *l = x->l;
    xblock *b = nt_xcalloc(1, sizeof(*b));
    b->ctaid[0] = (uint32_t)(lin % l->grid[0]);
    b->ctaid[1] = (uint32_t)(lin / l->grid[0] % l->grid[1]);
    b->ctaid[2] = (uint32_t)(lin / ((uint64_t)l->grid[0] * l->grid[1]));
    b->smem = nt_xcalloc(x->smem_size ? x->smem_size : 1, 1);
    b->nwarps = b->live = x->warps_per_block;
    b->warps = nt_xcalloc(b->nwarps, sizeof(warp));
    b->sm = smi;
    uint32_t slot = 0;
    for (uint32_t i = 0; i < b->nwarps; i++) {
        while (sm->res[slot]) slot++;
        warp *w = &b->warps[i];
        warp_init(x, w, b, i, x->threads_per_block);
        w->slot = slot;
        sm->res[slot] = w;
        sm->nres++;
    }
    sm->smem_used += x->smem_size;
    sm->blocks[sm->nblocks++] = b;
}

static void block_end(xrun *x, xsm *sm, xblock *b)
{
    for (uint32_t i = 0; i < b->nwarps; i++) {
        if (sm->res[b->warps[i].slot] == &b->warps[i]) {
            sm->res[b->warps[i].slot] = NULL;
            sm->nres--;
        }
        warp_free(&b->warps[i]);
    }
    for (uint32_t i = 0; i < sm->nblocks; i++)
        if (sm->blocks[i] == b) { sm->blocks[i] = sm->blocks[--sm->nblocks]; break; }
    sm->smem_used -= x->smem_size;
    free(b->smem);
    free(b->warps);
    free(b);
}

static void warp_done(xrun *x, xsm *sm, warp *w)
{
    xblock *b = w->blk;
    sm->res[w->slot] = NULL;
    sm->nres--;
    b->live--;
    if (b->live == 0) { block_end(x, sm, b); return; }
    for (uint32_t id = 0; id < NBAR; id++) bar_release(x, b, id);
}

static void run_free(xrun *x)
{
    for (uint32_t s = 0; s < x->nsms; s++) {
        xsm *sm = &x->sms[s];
        while (sm->nblocks) block_end(x, sm, sm->blocks[0]);
        free(sm->res);
        free(sm->blocks);
        sm_clocks[s] = sm->clock;
    }
    free(x->sms);
}

int emu_launch_run(const emu_launch *l, emu_stats *st, nt_err *e)
{
    const emu_kernel *k = l->k;
    const emu_config *cfg = emu_cfg();
    xrun X = { .l = l, .k = k, .code = k->code, .e = e };
    xrun *x = &X;
    if (st) memset(st, 0, sizeof(*st));
    if (k->bad) return x_fail(x, NULL, EMU_E_UNSUPPORTED, "%s", k->bad);
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    uint64_t blocks = (uint64_t)l->grid[0] * l->grid[1] * l->grid[2];
    if (!threads || threads > 1024 || !blocks)
        return x_fail(x, NULL, EMU_E_INVALID, "bad launch configuration");
    x->threads_per_block = (uint32_t)threads;
    x->warps_per_block = (uint32_t)((threads + WARP - 1) / WARP);
    /* Dynamic shared memory starts 16-aligned after the static (lower.c). */
    x->smem_size = ((k->smem_static + 15u) & ~15u) + l->dyn_smem;
    if (x->smem_size > cfg->smem_per_sm)
        return x_fail(x, NULL, EMU_E_INVALID, "%u bytes of shared memory exceed the SM's %u",
                      x->smem_size, cfg->smem_per_sm);
    if (x->warps_per_block > cfg->max_warps_per_sm)
        return x_fail(x, NULL, EMU_E_INVALID, "block of %u warps exceeds %u warps per SM",
                      x->warps_per_block, cfg->max_warps_per_sm);
    x->nsms = NT_MIN(cfg->num_sms, (uint32_t)MAX_SMS);
    x->sms = nt_xcalloc(x->nsms, sizeof(xsm));
    for (uint32_t s = 0; s < x->nsms; s++) {
        x->sms[s].res = nt_xcalloc(cfg->max_warps_per_sm, sizeof(warp *));
        x->sms[s].blocks = nt_xcalloc(cfg->max_warps_per_sm, sizeof(xblock *));
        x->sms[s].clock = sm_clocks[s];
    }
    uint64_t next = 0;
    int status = EMU_OK;
    for (;;) {
        int busy = 0, issued = 0;
        for (uint32_t s = 0; s < x->nsms && status == EMU_OK; s++) {
            xsm *sm = &x->sms[s];
            while (next < blocks && sm->nres + x->warps_per_block <= cfg->max_warps_per_sm &&
                   sm->smem_used + x->smem_size <= cfg->smem_per_sm && sm->nblocks < 32)
                block_start(x, sm, s, next++);
            if (!sm->nres) continue;
            busy = 1;
            for (int q = 0; q < QUANTUM && sm->nres; q++) {
                warp *w = NULL;
                uint32_t n = cfg->max_warps_per_sm;
                for (uint32_t i = 0; i < n; i++) {
                    warp *c = sm->res[(sm->rr + i) % n];
                    if (c && c->state == W_READY) { w = c; sm->rr = (sm->rr + i + 1) % n; break; }
                }
                if (!w) break;
                status = issue(x, sm, w);
                issued = 1;
                if (status) break;
                if (w->state == W_DONE) warp_done(x, sm, w);
            }
        }
        if (status) break;
        if (!busy && next >= blocks) break;
        if (busy && !issued) {
            status = x_fail(x, NULL, EMU_E_HANG,
                            "deadlock: every resident warp waits at a barrier that cannot complete");
            break;
        }
    }
    uint64_t maxclk = 0;
    for (uint32_t s = 0; s < x->nsms; s++) maxclk = NT_MAX(maxclk, x->sms[s].clock);
    x->st.cycles = maxclk;
    run_free(x);
    if (st) *st = x->st;
    return status;
}
