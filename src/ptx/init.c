/* init.c — variable initializers: syntax check at parse time, decoding
 * into flattened elements on demand (ptx_var_init_elems). */
#include "ptx/ptx_int.h"

#include <stdlib.h>

typedef struct iwalk {
    ptx_lex *L;
    const ptx_var *v;
    ptx_initvec *out;         /* NULL: check the syntax only */
    uint64_t D[PTX_MAX_DIMS + 1];
    unsigned nd;
} iwalk;

/* Elements covered by one brace list at depth k; 0 when unknown. */
static uint64_t stride(const iwalk *w, unsigned k)
{
    uint64_t s = 1;
    for (unsigned i = k; i < w->nd; i++) {
        if (!w->D[i]) return 0;
        s *= w->D[i];
    }
    return s;
}

static void scalar(iwalk *w, uint64_t index)
{
    ptx_lex *L = w->L;
    ptx_init it;
    memset(&it, 0, sizeof it);
    it.index = index;
    const char *s = L->t.s;
    if (L->t.k == '-' || L->t.k == T_NUM) {
        bool neg = L->t.k == '-';
        if (neg) ptx_lex_next(L);
        ptx_operand o;
        if (L->t.k != T_NUM || !ptx_number(L->t.s, L->t.n, neg, &o))
            ptx_lex_expected(L, "a number in initializer");
        it.kind = o.kind == PTX_OPND_IMM ? PTX_INIT_INT :
                  o.kind == PTX_OPND_F32 ? PTX_INIT_F32 : PTX_INIT_F64;
        it.bits = o.bits;
        ptx_lex_next(L);
    } else if (L->t.k == T_WORD && L->t.s[0] != '.') {
        bool gen = tok_is(&L->t, "generic"), mask = tok_is(&L->t, "mask");
        if (gen || mask) {
            ptx_lex_next(L);
            if (L->t.k != '(') ptx_lex_expected(L, gen ? "'(' after generic" : "'(' after mask");
            ptx_lex_next(L);
            int depth = 1;
            while (depth) {
                if (L->t.k == T_EOF || L->t.k == ';') ptx_lex_expected(L, "')'");
                if (L->t.k == '(') depth++;
                else if (L->t.k == ')') { if (--depth == 0) break; }
                else if (L->t.k == T_WORD && !it.sym.n && L->t.s[0] != '.') it.sym = tok_str(&L->t);
                ptx_lex_next(L);
            }
            ptx_lex_next(L);
            if (gen && !it.sym.n) ptx_lex_fail(L, NULL, "generic() needs a variable name");
            it.kind = gen ? PTX_INIT_GENERIC : PTX_INIT_MASK;
        } else {
            it.kind = PTX_INIT_SYM;
            it.sym = tok_str(&L->t);
            ptx_lex_next(L);
        }
        if (it.kind != PTX_INIT_MASK && (L->t.k == '+' || L->t.k == '-')) {
            bool neg = L->t.k == '-';
            ptx_lex_next(L);
            if (L->t.k == '-') { neg = !neg; ptx_lex_next(L); }
            ptx_operand o;
            if (L->t.k != T_NUM || !ptx_number(L->t.s, L->t.n, neg, &o) || o.kind != PTX_OPND_IMM)
                ptx_lex_expected(L, "integer offset in initializer");
            it.i = o.i;
            ptx_lex_next(L);
        }
    } else {
        ptx_lex_expected(L, "an initializer value");
    }
    if (w->out) {
        it.text = (ptx_str){s, (uint32_t)(L->t.s - s)};
        while (it.text.n && strchr(" \t\r\n", it.text.s[it.text.n - 1])) it.text.n--;
        nt_vec_push(w->out, it);
    }
}

static uint64_t list(iwalk *w, unsigned depth, uint64_t start)
{
    ptx_lex *L = w->L;
    ptx_lex_next(L);   /* '{' */
    uint64_t cur = start;
    if (depth > 32) ptx_lex_fail(L, NULL, "initializer nested too deeply");
    for (;;) {
        if (L->t.k == '{') {
            uint64_t used = list(w, depth + 1, cur);
            uint64_t s = stride(w, depth + 1);
            cur += s && s >= used ? s : used;
        } else {
            scalar(w, cur);
            cur++;
        }
        if (L->t.k == ',') { ptx_lex_next(L); continue; }
        if (L->t.k == '}') { ptx_lex_next(L); break; }
        ptx_lex_expected(L, "',' or '}' in initializer");
    }
    return cur - start;
}

int ptx_init_walk(ptx_lex *lx, ptx_module *m, ptx_var *v, ptx_initvec *out)
{
    iwalk w;
    memset(&w, 0, sizeof w);
    w.L = lx;
    w.v = v;
    w.out = out;
    for (unsigned i = 0; i < v->ndims; i++) w.D[w.nd++] = v->dims[i];
    if (v->vec > 1) w.D[w.nd++] = v->vec;
    if (lx->t.k == '{') list(&w, 0, 0);
    else scalar(&w, 0);
    return 0;
}

/* The setjmp frame is kept apart from the caller's locals. */
static int decode(ptx_module *m, ptx_var *v, ptx_initvec *out, nt_err *e)
{
    jmp_buf jb;
    ptx_lex lx;
    if (setjmp(jb)) return -1;
    ptx_lex_init(&lx, m->text ? m->text : v->init_text.s, v->init_text.s,
                 v->init_text.s + v->init_text.n, v->line, m->file, e, &jb);
    ptx_init_walk(&lx, m, v, out);
    if (lx.t.k != T_EOF) ptx_lex_fail(&lx, NULL, "trailing text after the initializer");
    return 0;
}

int ptx_var_init_elems(ptx_module *m, ptx_var *v, nt_err *e)
{
    if (v->init || !v->has_init) return 0;
    ptx_initvec out = {0};
    int rc = decode(m, v, &out, e);
    if (rc == 0) {
        v->ninit = (uint32_t)out.n;
        v->init = nt_arena_alloc(&m->arena, (out.n ? out.n : 1) * sizeof *v->init);
        if (out.n) memcpy(v->init, out.v, out.n * sizeof *v->init);
    }
    nt_vec_free(&out);
    return rc;
}
