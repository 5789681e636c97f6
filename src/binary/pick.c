/* pick.c — which PTX of an image a device of a given compute capability
 * runs: the one policy the injector (what to instrument) and the emulated
 * driver (what to load) share, so they always agree. */
#include <stdlib.h>
#include <string.h>

#include "binary/binary.h"

unsigned bin_ptx_target(const char *text, size_t len)
{
    /* ".target sm_90a, debug": the first directive names the target. */
    static const char dir[] = ".target";
    const char *end = text + len;
    for (const char *p = text; p + sizeof dir - 1 < end; p++) {
        p = memchr(p, '.', (size_t)(end - p));
        if (!p || (size_t)(end - p) < sizeof dir - 1) return 0;
        if (memcmp(p, dir, sizeof dir - 1) != 0) continue;
        const char *q = p + sizeof dir - 1;
        while (q < end && (*q == ' ' || *q == '\t')) q++;
        if (end - q < 4 || memcmp(q, "sm_", 3) != 0) return 0;
        unsigned v = 0;
        for (q += 3; q < end && *q >= '0' && *q <= '9' && v < 100000; q++) v = v * 10 + (unsigned)(*q - '0');
        return v;
    }
    return 0;
}

static int keep_best(void *ctx, const bin_ptx *p)
{
    bin_ptx_choice *c = ctx;
    unsigned arch = p->arch ? p->arch : bin_ptx_target(p->text, p->len);
    c->count++;
    if (arch > c->newest) c->newest = arch;
    /* Invariant: c->text is the newest PTX seen so far that the device
     * can JIT (target not newer than the device); the first of equals wins. */
    if (arch <= c->sm && (!c->text || arch > c->arch)) {
        free(c->text);
        c->text = nt_xstrndup(p->text, p->len);
        c->len = p->len;
        c->arch = arch;
    }
    return 0;
}

int bin_ptx_pick(const void *data, size_t size, unsigned sm, bin_ptx_choice *out, nt_err *e)
{
    memset(out, 0, sizeof *out);
    out->sm = sm;
    if (bin_foreach_ptx(data, size, keep_best, out, e) < 0) {
        bin_ptx_choice_free(out);
        return -1;
    }
    return 0;
}

void bin_ptx_choice_free(bin_ptx_choice *c)
{
    free(c->text);
    c->text = NULL;
    c->len = 0;
}
