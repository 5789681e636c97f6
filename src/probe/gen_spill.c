/*
 * gen_spill.c — the probe state that the exit sequence reads, for exits
 * inside called functions.
 *
 * An `exit` in a .func ends the thread, so kernel.exit must run there too;
 * but the callee cannot name the kernel's registers (counters, fields,
 * vars, slot pointers, caps, "ok" predicates, linear ids).  Choice: the
 * kernel SAVES that state to a .local spill area (__prb_spill, 8 bytes per
 * register) right before each call that may reach such an exit, and PASSES
 * the area's generic address to the callee as one extra .param .b64
 * (__ntrace_st, forwarded by callees that call further); the callee's exit
 * path declares the same registers in a nested scope and LOADS them back.
 * Saving at the call is enough: probe state only changes in the kernel's
 * own code (instruction tracepoints are inserted into the kernel body), so
 * it cannot change while the callee runs.  Module-scope .local would need
 * no parameter but ptxas refuses it under the ABI.
 */
#include "probe/gen_int.h"

#include <stdio.h>

enum { SPILL_COUNT, SPILL_SAVE, SPILL_LOAD };

static void one(gen_ctx *c, int mode, const char *reg, prb_type t, unsigned *off)
{
    const char *bt = gen_btype(t);
    if (mode == SPILL_SAVE) {
        if (t == PRB_PRED) {
            gen_line(c, "selp.u32 %%__pk_t, 1, 0, %s;", reg);
            gen_line(c, "st.local.u32 [__prb_spill+%u], %%__pk_t;", *off);
        } else {
            gen_line(c, "st.local.%s [__prb_spill+%u], %s;", bt, *off, reg);
        }
    } else if (mode == SPILL_LOAD) {
        if (t == PRB_PRED) {
            gen_line(c, "ld.u32 %%__pk_t, [%%__pk_sp+%u];", *off);
            gen_line(c, "setp.ne.u32 %s, %%__pk_t, 0;", reg);
        } else {
            gen_line(c, "ld.%s %s, [%%__pk_sp+%u];", bt, reg, *off);
        }
    }
    *off += 8;
}

/* Every register the exit sequence may read; returns the bytes used. */
static unsigned walk(prb_gen *g, nt_sb *out, int mode)
{
    gen_ctx c = { .g = g, .out = out };
    const prb_probe *p = g->p;
    unsigned off = 0;
    char name[GEN_NAME_LEN];
    one(&c, mode, "%__pk_tlin", PRB_U32, &off);
    one(&c, mode, "%__pk_tpb", PRB_U32, &off);
    one(&c, mode, "%__pk_wpb", PRB_U32, &off);
    one(&c, mode, "%__pk_wlin", PRB_U32, &off);
    one(&c, mode, "%__pk_blin", PRB_U64, &off);
    for (size_t i = 0; i < p->maps.n; i++) {
        snprintf(name, sizeof name, "%%__pk_slot%zu", i);
        one(&c, mode, name, PRB_U64, &off);
        snprintf(name, sizeof name, "%%__pk_cap%zu", i);
        one(&c, mode, name, PRB_U32, &off);
        snprintf(name, sizeof name, "%%__pk_mok%zu", i);
        one(&c, mode, name, PRB_PRED, &off);
    }
    for (size_t v = 0; v < p->values.n; v++) {
        const prb_value *x = &p->values.v[v];
        if (x->kind == PRB_V_TEMP || gen_field_shared(g, (int32_t)v)) continue;
        snprintf(name, sizeof name, "%s", gen_val(&c, (int32_t)v));
        one(&c, mode, name, (prb_type)x->type, &off);
    }
    return off;
}

unsigned gen_spill_size(prb_gen *g)
{
    return walk(g, NULL, SPILL_COUNT);
}

void prb_gen_spill_save(prb_gen *g, nt_sb *out)
{
    g->spill = true;
    nt_sb_printf(out, "\t// ntrace probe %s: state for an exit inside the callee\n",
                 g->p->name);
    nt_sb_puts(out, "\tcvta.local.u64 %__pk_sp, __prb_spill;\n");
    walk(g, out, SPILL_SAVE);
}

void prb_gen_callee_exit(prb_gen *g, const char *exit_text, nt_sb *out)
{
    nt_sb_printf(out, "\t{\n\t// ntrace probe %s: kernel.exit inside a called function\n",
                 g->p->name);
    gen_reg_decls(g, out);
    walk(g, out, SPILL_LOAD);
    nt_sb_puts(out, exit_text);
    nt_sb_puts(out, "\t}\n");
}
