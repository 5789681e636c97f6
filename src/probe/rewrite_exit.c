/*
 * rewrite_exit.c — kernel.exit: the exit sequence before every ret/exit
 * of the kernel, at a body's fall-off end, and before every `exit` inside
 * a function the kernel calls (which ends the thread just the same).
 *
 * Exits in callees (the state they need is explained in gen_spill.c):
 *   - a function "may exit" when it has an exit or calls (directly) one
 *     that may exit; such a function gets a last parameter
 *     `.param .b64 __ntrace_st` (its declarations too), loads it into
 *     %__pk_sp at its start, and runs the exit sequence, in a scope that
 *     loads the kernel's state from there, before each of its exits;
 *   - every direct call to a may-exit function gets one more argument: in
 *     the kernel, the address of the state just saved; in a callee, its
 *     own __ntrace_st (forwarded).
 * A may-exit function whose address is taken (an indirect call, a
 * .calltargets list or an initializer may name it) cannot get a new
 * parameter safely: then no callee exit is traced for the kernel
 * (prb_inst_stats.exits_untraced counts them) and nothing is changed,
 * since code loading state through a pointer nobody passed would write
 * anywhere.  Functions without a body (.extern) are assumed not to exit.
 */
#include "probe/rewrite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_PARAM "__ntrace_st"

typedef NT_VEC(ptx_instr *) ivec;

typedef struct rfn {
    ptx_func *fn;              /* the definition (with a body) */
    ivec      ins;             /* its instructions, scopes flattened */
    unsigned  nexit;           /* exit instructions in it */
    bool      may_exit, addr_taken, done;
} rfn;

typedef struct exctx {
    prb_gen       *g;
    rw_ctx        *cx;
    ptx_module    *m;             /* cx->m */
    prb_inst_stats *st;
    nt_map         byname;     /* function name -> index in fns */
    NT_VEC(rfn)    fns;
    unsigned       nparam;     /* __prb_st<k> argument names */
} exctx;

static void flatten(ptx_block *b, ivec *out)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_INSTR) nt_vec_push(out, (ptx_instr *)s);
        else if (s->kind == PTX_ST_SCOPE) flatten(&((ptx_scope *)s)->body, out);
    }
}

static bool is_exit(const ptx_instr *in)
{
    return in->op == PTX_OP_RET || in->op == PTX_OP_EXIT;
}

/* Operand index of a call's target (the first operand not a list). */
static int call_target(const ptx_instr *in)
{
    for (int i = 0; i < in->nops; i++)
        if (in->ops[i].kind != PTX_OPND_LIST) return i;
    return -1;
}

static rfn *fn_named(exctx *x, ptx_str name)
{
    uint64_t i;
    if (!nt_map_get(&x->byname, name.s, name.n, &i)) return NULL;
    return &x->fns.v[i];
}

/* The callee of a direct call with a body, or NULL. */
static rfn *direct_callee(exctx *x, const ptx_instr *in)
{
    if (in->op != PTX_OP_CALL) return NULL;
    int t = call_target(in);
    if (t < 0 || in->ops[t].kind != PTX_OPND_SYM) return NULL;
    return fn_named(x, ptx_opnd_name(&in->ops[t]));
}

/* Marks functions named anywhere but as a direct call's target. */
static void mark_named(exctx *x, const ptx_operand *o)
{
    if (o->kind == PTX_OPND_SYM || o->kind == PTX_OPND_EXPR ||
        (o->kind == PTX_OPND_ADDR && !(o->flags & PTX_OPF_ALIST))) {
        if (!ptx_opnd_name(o).n) return;
        rfn *f = fn_named(x, ptx_opnd_name(o));
        if (f) f->addr_taken = true;
    } else if (o->kind == PTX_OPND_VEC || o->kind == PTX_OPND_LIST ||
               o->kind == PTX_OPND_PAIR || o->kind == PTX_OPND_ADDR) {
        for (uint32_t i = 0; i < ptx_opnd_count(o); i++) mark_named(x, ptx_opnd_elem(o, i));
    }
}

static bool word_in(ptx_str text, ptx_str w)
{
    for (size_t i = 0; i + w.n <= text.n; i++) {
        if (memcmp(text.s + i, w.s, w.n)) continue;
        char a = i ? text.s[i - 1] : ' ', b = i + w.n < text.n ? text.s[i + w.n] : ' ';
        bool ida = a == '_' || a == '$' || a == '%' || (a >= '0' && a <= '9') ||
                   ((a | 32) >= 'a' && (a | 32) <= 'z');
        bool idb = b == '_' || b == '$' || (b >= '0' && b <= '9') ||
                   ((b | 32) >= 'a' && (b | 32) <= 'z');
        if (!ida && !idb) return true;
    }
    return false;
}

static void analyse(exctx *x)
{
    ptx_module *m = x->m;
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_FUNC) continue;
        ptx_func *fn = ((ptx_funcitem *)s)->fn;
        if (!fn->has_body || fn->is_entry) continue;
        rfn r = { .fn = fn };
        flatten(&fn->body, &r.ins);
        for (size_t i = 0; i < r.ins.n; i++) r.nexit += r.ins.v[i]->op == PTX_OP_EXIT;
        r.done = false;
        for (uint32_t i = 0; i < fn->nparams; i++)
            r.done |= ptx_str_eq(fn->params[i].name, ST_PARAM);
        nt_map_put(&x->byname, fn->name.s, fn->name.n, x->fns.n);
        nt_vec_push(&x->fns, r);
    }
    /* may exit: a fixed point over direct calls */
    for (size_t i = 0; i < x->fns.n; i++) x->fns.v[i].may_exit = x->fns.v[i].nexit > 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < x->fns.n; i++) {
            rfn *f = &x->fns.v[i];
            for (size_t k = 0; !f->may_exit && k < f->ins.n; k++) {
                rfn *c = direct_callee(x, f->ins.v[k]);
                if (c && c->may_exit) f->may_exit = changed = true;
            }
        }
    }
    /* address taken: named other than as a direct call target */
    ptx_block_foreach(&m->items, s) {
        if (s->kind == PTX_ST_FUNC) {
            ptx_func *fn = ((ptx_funcitem *)s)->fn;
            if (!fn->has_body) continue;
            ivec ins = {0};
            flatten(&fn->body, &ins);
            for (size_t k = 0; k < ins.n; k++) {
                const ptx_instr *in = ins.v[k];
                int t = in->op == PTX_OP_CALL ? call_target(in) : -1;
                for (int o = 0; o < in->nops; o++)
                    if (o != t || in->ops[o].kind != PTX_OPND_SYM) mark_named(x, &in->ops[o]);
            }
            nt_vec_free(&ins);
        } else if (s->kind == PTX_ST_TARGETS) {
            const ptx_targets *t = (const ptx_targets *)s;
            for (uint32_t i = 0; i < t->n; i++) {
                rfn *f = fn_named(x, t->names[i]);
                if (f) f->addr_taken = true;
            }
        } else if (s->kind == PTX_ST_VAR) {
            const ptx_var *v = ((const ptx_vardecl *)s)->var;
            if (!v->has_init) continue;
            for (size_t i = 0; i < x->fns.n; i++)
                if (x->fns.v[i].may_exit && word_in(v->init_text, x->fns.v[i].fn->name))
                    x->fns.v[i].addr_taken = true;
        }
    }
}

/* Before a direct call to a may-exit function: the state pointer as the
 * call's extra argument (saving the kernel's state first). */
static void pass_state(exctx *x, ptx_instr *call, bool kernel)
{
    nt_sb t = {0};
    if (kernel) prb_gen_spill_save(x->g, &t);
    char name[32];
    snprintf(name, sizeof name, "__prb_st%u", x->nparam++);
    nt_sb_printf(&t, "\t.param .b64 %s;\n\tst.param.b64 [%s], %%__pk_sp;\n", name, name);
    rw_insert(x->cx, &call->st, false, nt_sb_str(&t));
    ptx_call_add_arg(x->m, call, name);
    nt_sb_free(&t);
}

/* The exit sequence before in (ret/exit); a guarded one is branched
 * around: `@!%p bra SKIP; <exit code>; @%p ret; SKIP:`. */
static void exit_site(rw_ctx *cx, const ptx_func *fn, ptx_instr *in, const char *text,
                      unsigned *nskip)
{
    if (in->guard == PTX_NOREG) {
        rw_insert(cx, &in->st, false, text);
        return;
    }
    char gname[64], line[200];
    ptx_func_reg_name(fn, in->guard, gname, sizeof gname);
    nt_sb t = {0};
    snprintf(line, sizeof line, "@%s%s bra $__prb_skip%u;\n", in->guard_neg ? "" : "!",
             gname, *nskip);
    nt_sb_puts(&t, line);
    nt_sb_puts(&t, text);
    rw_insert(cx, &in->st, false, nt_sb_str(&t));
    snprintf(line, sizeof line, "$__prb_skip%u:", (*nskip)++);
    rw_insert(cx, &in->st, true, line);
    nt_sb_free(&t);
}

static int do_callee(exctx *x, rfn *f, const char *exit_text, nt_err *e)
{
    if (f->done) return 0;
    f->done = true;
    if (rw_check_regs(f->fn, e) != 0) return -1;
    /* the parameter, on the definition and every declaration */
    ptx_block_foreach(&x->m->items, s) {
        if (s->kind != PTX_ST_FUNC) continue;
        ptx_func *fn = ((ptx_funcitem *)s)->fn;
        if (fn->name.n != f->fn->name.n || memcmp(fn->name.s, f->fn->name.s, fn->name.n))
            continue;
        ptx_func_add_param(x->m, fn, PTX_T_B64, ST_PARAM, 0);
    }
    nt_sb t = {0};
    prb_gen_callee_exit(x->g, exit_text, &t);
    unsigned nskip = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < f->ins.n; i++) {
        ptx_instr *in = f->ins.v[i];
        if (in->op == PTX_OP_EXIT) {
            exit_site(x->cx, f->fn, in, nt_sb_str(&t), &nskip);
            x->st->exits++;
        }
        rfn *c = direct_callee(x, in);
        if (c && c->may_exit) {
            pass_state(x, in, false);
            rc = do_callee(x, c, exit_text, e);
        }
    }
    nt_sb_free(&t);
    if (rc != 0) return -1;
    /* the state pointer, first thing in the body */
    ptx_stmt *first = f->fn->body.head.next;
    while (first->kind == PTX_ST_REG || first->kind == PTX_ST_VAR || first->kind == PTX_ST_DIR)
        first = first->next;
    char line[96];
    snprintf(line, sizeof line, "ld.param.u64 %%__pk_sp, [%s];", ST_PARAM);
    rw_insert(x->cx, first, false, line);
    rw_insert(x->cx, &f->fn->body.head, true, ".reg .u64 %__pk_sp;");
    return 0;
}

int rw_exits(prb_gen *g, rw_ctx *cx, ptx_func *fn, prb_inst_stats *st, nt_err *e)
{
    nt_sb exit_text = {0};
    prb_gen_exit(g, &exit_text);
    if (!nt_sb_str(&exit_text)[0]) {
        nt_sb_free(&exit_text);
        return 0;
    }
    exctx x = { .g = g, .cx = cx, .m = cx->m, .st = st };
    analyse(&x);
    ivec ins = {0};
    flatten(&fn->body, &ins);
    /* callees first: can every may-exit callee get the parameter? */
    bool traced = true;
    for (size_t i = 0; i < x.fns.n; i++)
        if (x.fns.v[i].may_exit && x.fns.v[i].addr_taken) traced = false;
    int rc = 0;
    unsigned nskip = 0;
    for (size_t i = 0; i < ins.n; i++) {
        ptx_instr *in = ins.v[i];
        if (is_exit(in)) {
            exit_site(cx, fn, in, nt_sb_str(&exit_text), &nskip);
            st->exits++;
            continue;
        }
        rfn *c = direct_callee(&x, in);
        if (!c || !c->may_exit) continue;
        if (!traced) {
            st->exits_untraced += c->nexit;
            continue;
        }
        pass_state(&x, in, true);
        if ((rc = do_callee(&x, c, nt_sb_str(&exit_text), e)) != 0) break;
    }
    /* a body that falls off its end returns there too */
    ptx_stmt *last = fn->body.head.prev;
    while (last->kind != PTX_ST_HEAD && last->kind == PTX_ST_DIR) last = last->prev;
    bool falls = last->kind != PTX_ST_INSTR ||
                 !(is_exit((ptx_instr *)last) || ((ptx_instr *)last)->op == PTX_OP_BRA) ||
                 ((ptx_instr *)last)->guard != PTX_NOREG;
    if (rc == 0 && falls) {
        rw_insert(cx, &fn->body.head, false, nt_sb_str(&exit_text));
        st->exits++;
    }
    for (size_t i = 0; i < x.fns.n; i++) nt_vec_free(&x.fns.v[i].ins);
    nt_vec_free(&x.fns);
    nt_map_free(&x.byname);
    nt_vec_free(&ins);
    nt_sb_free(&exit_text);
    return rc;
}
