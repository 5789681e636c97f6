/* gen_int.h — private to the code generator (gen.c, gen_ops.c). */
#ifndef NT_PROBE_GEN_INT_H
#define NT_PROBE_GEN_INT_H

#include "probe/probe_int.h"

#define GEN_NAME_RING 64
#define GEN_NAME_LEN  32

struct prb_gen {
    const prb_probe *p;
    unsigned  sm;
    char      param[128];
    const prb_op **def;                 /* value -> defining op (or NULL) */
    unsigned  scratch_used[PRB_NTYPES]; /* in the current sequence */
    unsigned  scratch_max[PRB_NTYPES];  /* over all sequences: declared */
    unsigned  nissue;                   /* issue-clock registers */
    bool      spill;                    /* the kernel saves state (gen_spill.c) */
    NT_VEC(int32_t) pending;            /* issue sites with a pending flag */
    nt_imap   tmpl_of;                  /* (handler, site shape) -> tmpl index + 1 */
    NT_VEC(char *) tmpl;                /* site templates (gen_site.c) */
    char      names[GEN_NAME_RING][GEN_NAME_LEN];
    unsigned  name_i;
};

typedef struct gen_ctx {
    prb_gen        *g;
    nt_sb          *out;
    const prb_site *site;      /* NULL at entry/exit */
    bool            tmpl;      /* making a site template (gen_site.c) */
} gen_ctx;

/* How a handler's top block is predicated. */
enum { GEN_TOP_BLOCK_PLAIN, GEN_TOP_BLOCK_ENTRY, GEN_TOP_BLOCK_EXIT };

void gen_line(gen_ctx *c, const char *fmt, ...) NT_PRINTF(2, 3);
const char *gen_val(gen_ctx *c, int32_t v);      /* register of a value */
const char *gen_tmp(gen_ctx *c, prb_type t);     /* a fresh scratch register */
/* A number taken from the site (key: B bytes, S space, C opcode class,
 * O address offset, I issue site, R region): its digits, or while making
 * a template (gen_site.c) the placeholder "\x01<key>". */
const char *gen_site_num(gen_ctx *c, char key, long long v);
void gen_scratch_reset(prb_gen *g);              /* a new sequence */
const char *gen_ptype(prb_type t);               /* "u32" */
const char *gen_btype(prb_type t);               /* "b32" / "b64" / "pred" */
bool gen_field_shared(const prb_gen *g, int32_t v);
bool gen_has_exit_handler(const prb_probe *p);
/* .reg declarations of every register a sequence may name. */
void gen_reg_decls(prb_gen *g, nt_sb *out);
/* Bytes of the spill area (gen_spill.c). */
unsigned gen_spill_size(prb_gen *g);
void gen_handler(gen_ctx *c, int h, const prb_site *s, int top);
/* dst = reduction of src over the lanes in `mask` (all of which execute
 * this code): WSUM or WMAX, any integer type. */
void gen_warp_reduce(gen_ctx *c, prb_warpop op, prb_type t, const char *src,
                     const char *dst, const char *mask);

#endif
