/* fuzz_parse.c — libFuzzer target for the PTX front end: parse, print,
 * re-parse (must succeed and print the same), index, slice the first
 * kernel, build CFGs and facts.  No crash, leak or out-of-bounds read on
 * any input (the input buffer is not NUL-terminated). */
#include "ptx/ptx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_func(ptx_module *m, ptx_func *fn)
{
    nt_err e = {0};
    ptx_cfg *g = ptx_cfg_build(m, fn, &e);
    if (!g) return;
    for (uint32_t i = 0; i < g->ninstrs; i++) {
        ptx_memfact f;
        (void)ptx_instr_mem(g->instrs[i], &f);
    }
}

/* Every module variable redirected in every function (the twin's
 * rewrite), then printed: no crash, no out-of-bounds. */
static void redirect_all(ptx_module *m)
{
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_FUNC || !((ptx_funcitem *)s)->fn->has_body) continue;
        ptx_func *fn = ((ptx_funcitem *)s)->fn;
        uint32_t reg = ptx_reg_new(m, fn, PTX_T_U64, NULL);
        ptx_block_foreach(&m->items, v) {
            if (v->kind != PTX_ST_VAR) continue;
            const ptx_var *var = ((ptx_vardecl *)v)->var;
            char name[256];
            if (var->name.n >= sizeof name) continue;
            memcpy(name, var->name.s, var->name.n);
            name[var->name.n] = 0;
            (void)ptx_redirect_sym(m, fn, name, reg);
        }
    }
    nt_sb out = {0};
    ptx_print(m, &out);
    nt_sb_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nt_err e = {0};
    ptx_module *m = ptx_parse((const char *)data, size, "fuzz", 0, &e);
    if (m) {
        nt_sb a = {0}, b = {0};
        ptx_print(m, &a);
        nt_err e2 = {0};
        ptx_module *m2 = ptx_parse(a.s ? a.s : "", a.len, "printed", 0, &e2);
        if (!m2) {                           /* printed text must parse */
            fprintf(stderr, "fuzz_parse: the printed text does not parse: %s\n", e2.msg);
            abort();
        }
        ptx_print(m2, &b);
        if (a.len != b.len || (a.len && memcmp(a.s, b.s, a.len))) {
            size_t i = 0;
            while (i < a.len && i < b.len && a.s[i] == b.s[i]) i++;
            fprintf(stderr, "fuzz_parse: print(parse(print(x))) differs from print(x) at byte %zu\n", i);
            abort();
        }
        ptx_module_free(m2);
        ptx_block_foreach(&m->items, s) {
            if (s->kind == PTX_ST_FUNC && ((ptx_funcitem *)s)->fn->has_body)
                check_func(m, ((ptx_funcitem *)s)->fn);
            if (s->kind == PTX_ST_VAR) (void)ptx_var_init_elems(m, ((ptx_vardecl *)s)->var, &e2);
        }
        (void)ptx_check(m, NULL, NULL);
        redirect_all(m);
        nt_sb_free(&a);
        nt_sb_free(&b);
        ptx_module_free(m);
    }
    ptx_index ix;
    nt_err e3 = {0};
    if (ptx_index_build(&ix, (const char *)data, size, "fuzz", &e3) == 0) {
        for (size_t i = 0; i < ix.n; i++) {
            const ptx_ix_item *it = &ix.items[i];
            if (it->kind == PTX_IX_FUNC && it->is_entry && it->has_body && it->name.n < 256) {
                char name[256];
                memcpy(name, it->name.s, it->name.n);
                name[it->name.n] = 0;
                nt_err e4 = {0};
                ptx_module *s = ptx_slice(&ix, name, &e4);
                if (s) {
                    nt_sb sb = {0};
                    ptx_print(s, &sb);
                    nt_sb_free(&sb);
                    ptx_module_free(s);
                }
                break;
            }
        }
        ptx_index_free(&ix);
    }
    return 0;
}
