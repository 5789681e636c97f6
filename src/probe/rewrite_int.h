/* rewrite_int.h — private to the rewriter (rewrite*.c). */
#ifndef NT_PROBE_REWRITE_INT_H
#define NT_PROBE_REWRITE_INT_H

#include "probe/probe_int.h"

/* One rewrite of module m: the texts inserted so far, each copied once
 * into m's arena (texts: text -> its copy; keys are the copies), so sites
 * that get the same code (every exit, a handler at sites of the same
 * shape and values) share one copy.  Lives for one prb_instrument call;
 * the copies live as long as m. */
typedef struct rw_ctx {
    ptx_module *m;
    nt_map      texts;
} rw_ctx;

/* Inserts the generator's text as one raw statement before pos (after =
 * false) or after it, sharing an earlier insertion's copy of the same
 * text; returns the statement (pos when text is empty).  Leading blanks
 * and trailing newlines of text are not part of it. */
ptx_stmt *rw_insert(rw_ctx *cx, ptx_stmt *pos, bool after, const char *text);
/* "does not use %__p* names" for a function the rewriter adds code to. */
int rw_check_regs(const ptx_func *fn, nt_err *e);

/* kernel.exit (rewrite_exit.c): the exit sequence before every ret/exit
 * of kernel fn and at a body's fall-off end, and before every exit inside
 * the functions it calls (directly or not). */
int rw_exits(prb_gen *g, rw_ctx *cx, ptx_func *fn, prb_inst_stats *st, nt_err *e);

/* First uses (rewrite_use.c): for a load `ld` of fn, the instructions that
 * read its result first on some path from it (over the CFG).  *nuse is
 * set (at most `cap` are stored); *local is true when the only first use
 * is later in ld's own basic block (no branch or label between). */
typedef struct rw_uses rw_uses;
rw_uses *rw_uses_new(ptx_module *m, ptx_func *fn, nt_err *e);
void     rw_uses_free(rw_uses *u);
unsigned rw_first_uses(rw_uses *u, const ptx_instr *ld, ptx_instr **out, unsigned cap,
                       bool *local);

#endif
