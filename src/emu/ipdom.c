/*
 * ipdom.c — reconvergence points: the immediate post-dominator of every
 * branch of one function, computed on instructions (Cooper, Harvey and
 * Kennedy's iterative dominator algorithm on the reversed CFG, rooted at
 * the function's XK_END, which every exit, trap and ret reaches).
 *
 * A branch whose successors never meet again before the function ends
 * (one side loops forever) reconverges at XK_END.
 */
#include <stdlib.h>
#include "emu/exec.h"

/* Forward successors of instruction pc (relative); returns count. */
static int succs(const xins *code, uint32_t lo, uint32_t hi, uint32_t pc, uint32_t out[2])
{
    const xins *x = &code[lo + pc];
    uint32_t end = hi - 1 - lo;
    switch (x->kind) {
    case XK_END:  return 0;
    case XK_EXIT: case XK_TRAP:
        if (x->guard == XNOREG) { out[0] = end; return 1; }
        out[0] = pc + 1; out[1] = end; return 2;
    case XK_BRA: {
        uint32_t t = x->target - lo;
        if (x->guard == XNOREG) { out[0] = t; return 1; }
        out[0] = pc + 1; out[1] = t; return 2;
    }
    case XK_CALL:
        out[0] = pc + 1; return 1;      /* the callee returns to the CALLRET */
    default:
        out[0] = pc + 1; return 1;
    }
}

int x_ipdom(xins *code, uint32_t lo, uint32_t hi, nt_err *e)
{
    uint32_t n = hi - lo, end = n - 1;
    /* reverse graph: preds of v in the reversed CFG = forward succs;
     * succs of v in the reversed CFG = forward preds (built here). */
    uint32_t *npred = nt_xcalloc(n + 1, sizeof(uint32_t));
    uint32_t s2[2];
    for (uint32_t v = 0; v < n; v++) {
        int k = succs(code, lo, hi, v, s2);
        for (int j = 0; j < k; j++) {
            if (s2[j] >= n) { free(npred); return nt_err_set(e, "branch out of its function"); }
            npred[s2[j] + 1]++;
        }
    }
    for (uint32_t v = 0; v < n; v++) npred[v + 1] += npred[v];
    uint32_t *pred = nt_xmalloc((npred[n] + 1) * sizeof(uint32_t));
    uint32_t *fill = nt_xcalloc(n, sizeof(uint32_t));
    for (uint32_t v = 0; v < n; v++) {
        int k = succs(code, lo, hi, v, s2);
        for (int j = 0; j < k; j++) pred[npred[s2[j]] + fill[s2[j]]++] = v;
    }
    /* postorder of the reversed CFG from END (iterative DFS) */
    uint32_t *po = nt_xmalloc(n * sizeof(uint32_t));      /* node -> postorder number */
    uint32_t *order = nt_xmalloc(n * sizeof(uint32_t));   /* postorder number -> node */
    uint32_t *stk = nt_xmalloc(n * sizeof(uint32_t));
    uint32_t *it = nt_xcalloc(n, sizeof(uint32_t));
    uint8_t *seen = nt_xcalloc(n, 1);
    uint32_t np = 0, sp = 0;
    for (uint32_t v = 0; v < n; v++) po[v] = UINT32_MAX;
    stk[sp++] = end; seen[end] = 1;
    while (sp) {
        uint32_t v = stk[sp - 1];
        if (npred[v] + it[v] < npred[v + 1]) {
            uint32_t u = pred[npred[v] + it[v]++];
            if (!seen[u]) { seen[u] = 1; stk[sp++] = u; }
        } else {
            po[v] = np; order[np++] = v; sp--;
        }
    }
    uint32_t *idom = nt_xmalloc(n * sizeof(uint32_t));
    for (uint32_t v = 0; v < n; v++) idom[v] = UINT32_MAX;
    idom[end] = end;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (uint32_t i = np; i-- > 0;) {          /* reverse postorder */
            uint32_t v = order[i];
            if (v == end) continue;
            uint32_t nd = UINT32_MAX;
            int k = succs(code, lo, hi, v, s2);
            for (int j = 0; j < k; j++) {
                uint32_t s = s2[j];
                if (idom[s] == UINT32_MAX) continue;
                if (nd == UINT32_MAX) { nd = s; continue; }
                uint32_t a = s, b = nd;
                while (a != b) {
                    while (po[a] < po[b]) a = idom[a];
                    while (po[b] < po[a]) b = idom[b];
                }
                nd = a;
            }
            if (nd != UINT32_MAX && idom[v] != nd) { idom[v] = nd; changed = 1; }
        }
    }
    for (uint32_t v = 0; v < n; v++) {
        xins *x = &code[lo + v];
        if (x->kind == XK_BRA || x->kind == XK_EXIT || x->kind == XK_TRAP)
            x->rpc = lo + (idom[v] == UINT32_MAX ? end : idom[v]);
    }
    free(npred); free(pred); free(fill); free(po); free(order); free(stk); free(it);
    free(seen); free(idom);
    return 0;
}
