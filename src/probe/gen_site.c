/*
 * gen_site.c — a handler's code at one instruction site, from a template.
 *
 * The code of a handler at a site depends on the site only through its
 * shape (guarded or not, negated, address in a 64-bit register, a 32-bit
 * one or a symbol, an issue clock or not) and a few values (guard and
 * address names, offset, bytes, space, opcode and its class, issue site,
 * region).  So the code is generated once per (handler, shape) with
 * placeholders "\x01<key>" for the values, and each site copies the
 * template with its values filled in: big kernels have hundreds of sites
 * of a handler, and formatting each line of each of them was most of the
 * rewriting time (bench probe_corpus_worst_rewrite).  Register names are
 * the same for every site (scratch numbering restarts per sequence), so
 * a copy is exactly what generating the site directly would give.
 */
#include "probe/gen_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *gen_site_num(gen_ctx *c, char key, long long v)
{
    char *b = c->g->names[c->g->name_i++ % GEN_NAME_RING];
    if (c->tmpl) snprintf(b, GEN_NAME_LEN, "\x01%c", key);
    else snprintf(b, GEN_NAME_LEN, "%lld", v);
    return b;
}

static unsigned shape_of(const prb_site *s)
{
    return (s->guard != NULL) | (unsigned)s->guard_neg << 1 | (s->addr_base != NULL) << 2 |
           (unsigned)s->addr_is_reg << 3 | (unsigned)s->addr_reg32 << 4 |
           (s->issue_site >= 0) << 5;
}

static const char *make(prb_gen *g, int h, const prb_site *s)
{
    uint64_t key = (uint64_t)h << 8 | shape_of(s), idx;
    if (nt_imap_get(&g->tmpl_of, key, &idx)) return g->tmpl.v[idx - 1];
    prb_site t = *s;
    t.opcode = "\x01" "N";
    if (t.guard) t.guard = "\x01" "G";
    if (t.addr_base) t.addr_base = "\x01" "A";
    nt_sb out = {0};
    gen_ctx c = { .g = g, .out = &out, .tmpl = true };
    gen_scratch_reset(g);
    const prb_handler *hd = &g->p->handlers.v[h];
    nt_sb_printf(&out, "\t// ntrace probe %s: line %d at %s\n", g->p->name, hd->line,
                 t.opcode);
    gen_handler(&c, h, &t, GEN_TOP_BLOCK_PLAIN);
    nt_vec_push(&g->tmpl, nt_sb_take(&out));
    nt_imap_put(&g->tmpl_of, key, g->tmpl.n);
    return g->tmpl.v[g->tmpl.n - 1];
}

void prb_gen_site(prb_gen *g, int h, const prb_site *s, nt_sb *out)
{
    const char *t = make(g, h, s);
    char num[32];
    for (;;) {
        const char *p = strchr(t, '\x01');
        if (!p) {
            nt_sb_puts(out, t);
            return;
        }
        nt_sb_put(out, t, (size_t)(p - t));
        const char *v = num;
        switch (p[1]) {
        case 'N': v = s->opcode; break;
        case 'G': v = s->guard; break;
        case 'A': v = s->addr_base; break;
        case 'B': snprintf(num, sizeof num, "%u", s->bytes); break;
        case 'S': snprintf(num, sizeof num, "%u", (unsigned)s->space); break;
        case 'C': snprintf(num, sizeof num, "%u", (unsigned)prb_opclass_of(s->opcode)); break;
        case 'O': snprintf(num, sizeof num, "%lld", (long long)s->addr_off); break;
        case 'I': snprintf(num, sizeof num, "%d", (int)s->issue_site); break;
        case 'R': snprintf(num, sizeof num, "%u", s->region); break;
        default: num[0] = 0;     /* not reached: gen_site_num's keys only */
        }
        nt_sb_puts(out, v ? v : "");
        t = p + (p[1] ? 2 : 1);
    }
}
