/* config.c — the injector's configuration, read from the environment. */
#include "inject/inject.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INJ_DEFAULT_BUDGET (256ull << 20)

int inj_parse_bytes(const char *s, uint64_t *bytes, nt_err *e)
{
    if (!s || !*s) return nt_err_set(e, "empty size (expected bytes, e.g. 4096, 64M, 1G)");
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-')
        return nt_err_set(e, "'%s' is not a size (expected bytes, e.g. 4096, 64M, 1G)", s);
    unsigned shift = 0;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: return nt_err_set(e, "'%s' has an unknown unit (expected K, M or G)", s);
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return nt_err_set(e, "'%s' is not a size (expected bytes, e.g. 4096, 64M, 1G)", s);
    if (shift && v > (UINT64_MAX >> shift)) return nt_err_set(e, "size '%s' is too large", s);
    *bytes = (uint64_t)v << shift;
    return 0;
}

int inj_parse_launches(const char *s, enum inj_sample *mode, uint64_t *n, nt_err *e)
{
    const char *num = s;
    enum inj_sample m = INJ_SAMPLE_FIRST;
    if (!strncmp(s, "every:", 6)) {
        m = INJ_SAMPLE_EVERY;
        num = s + 6;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(num, &end, 10);
    if (!*num || *end || errno || *num == '-' || v == 0)
        return nt_err_set(e, "'%s' is not a launch selection (expected N or every:N, N >= 1)", s);
    *mode = m;
    *n = v;
    return 0;
}

static char *inj_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? nt_xstrdup(v) : NULL;
}

char *inj_cache_dir(void)
{
    const char *c = getenv("NTRACE_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (c && !strcmp(c, "off")) return NULL;
    nt_sb b = {0};
    if (c && *c) nt_sb_puts(&b, c);
    else if (x && *x) nt_sb_printf(&b, "%s/ntrace", x);
    else if (h && *h) nt_sb_printf(&b, "%s/.cache/ntrace", h);
    else return NULL;
    return nt_sb_take(&b);
}

int inj_config_from_env(inj_config *c, nt_err *e)
{
    memset(c, 0, sizeof *c);
    c->budget = INJ_DEFAULT_BUDGET;
    const char *probes = getenv("NTRACE_PROBES");
    if (probes && *probes) {
        char *copy = nt_xstrdup(probes), *save = NULL;
        for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
            c->probes = nt_xrealloc(c->probes, (c->nprobes + 1) * sizeof *c->probes);
            c->probes[c->nprobes++] = nt_xstrdup(p);
        }
        free(copy);
    }
    c->output = inj_env("NTRACE_OUTPUT");
    if (!c->output) c->output = nt_xstrdup("ntrace.db");
    c->kernel_src = inj_env("NTRACE_KERNEL");
    if (c->kernel_src) {
        int rc = regcomp(&c->kernel_re, c->kernel_src, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[256];
            regerror(rc, &c->kernel_re, msg, sizeof msg);
            free(c->kernel_src);
            c->kernel_src = NULL;
            inj_config_free(c);
            return nt_err_set(e, "NTRACE_KERNEL: bad regular expression: %s", msg);
        }
    }
    const char *l = getenv("NTRACE_LAUNCHES");
    if (l && *l && inj_parse_launches(l, &c->sample, &c->sample_n, e) < 0) {
        nt_err_prefix(e, "NTRACE_LAUNCHES: ");
        inj_config_free(c);
        return -1;
    }
    const char *b = getenv("NTRACE_BUDGET");
    if (b && *b && inj_parse_bytes(b, &c->budget, e) < 0) {
        nt_err_prefix(e, "NTRACE_BUDGET: ");
        inj_config_free(c);
        return -1;
    }
    c->cache_dir = inj_cache_dir();
    c->lua_dir = inj_env("NTRACE_LUA_DIR");
    const char *em = getenv("NTRACE_EMULATE"), *pc = getenv("NTRACE_PC_SAMPLING");
    c->emulate = em && !strcmp(em, "1");
    c->pc_sampling = pc && !strcmp(pc, "1");
    return 0;
}

void inj_config_free(inj_config *c)
{
    for (size_t i = 0; i < c->nprobes; i++) free(c->probes[i]);
    free(c->probes);
    free(c->output);
    if (c->kernel_src) regfree(&c->kernel_re);
    free(c->kernel_src);
    free(c->cache_dir);
    free(c->lua_dir);
    memset(c, 0, sizeof *c);
}

bool inj_config_samples(const inj_config *c, uint64_t nth)
{
    switch (c->sample) {
    case INJ_SAMPLE_FIRST: return nth < c->sample_n;
    case INJ_SAMPLE_EVERY: return nth % c->sample_n == 0;
    default: return true;
    }
}

bool inj_config_matches(const inj_config *c, const char *mangled, const char *demangled)
{
    if (!c->kernel_src) return true;
    if (mangled && regexec(&c->kernel_re, mangled, 0, NULL, 0) == 0) return true;
    return demangled && regexec(&c->kernel_re, demangled, 0, NULL, 0) == 0;
}
