/* tables.c — names of opcodes, modifiers, types and special registers,
 * and their fast lookups (one small open-addressing table per kind,
 * built once). */
#include "ptx/ptx_int.h"

#include <pthread.h>

const char *const ptx_op_names[PTX_OP_COUNT_] = {
    "",
#define PTX_X_(id, s) s,
    PTX_OPS(PTX_X_)
#undef PTX_X_
};

const char *const ptx_mod_names[PTX_MOD_COUNT_] = {
    "",
#define PTX_X_(id, s) s,
    PTX_MODS(PTX_X_)
#undef PTX_X_
};

const char *const ptx_type_names[PTX_T_COUNT_] = {
    "",
#define PTX_X_(id, s, sz) s,
    PTX_TYPES(PTX_X_)
#undef PTX_X_
};

static const uint8_t type_sizes[PTX_T_COUNT_] = {
    0,
#define PTX_X_(id, s, sz) sz,
    PTX_TYPES(PTX_X_)
#undef PTX_X_
};

const char *const ptx_sreg_names[PTX_SREG_COUNT_] = {
    "",
#define PTX_X_(id, s) s,
    PTX_SREGS(PTX_X_)
#undef PTX_X_
};

/* Invariant: each table has a power-of-two size at least twice its name
 * count, so probing always ends at an empty slot (value 0). */
typedef struct ntab {
    const char *const *names;
    unsigned count;
    uint16_t slots[512];
    uint8_t  lens[512];     /* strlen of names[i] */
} ntab;

static ntab op_tab, mod_tab, type_tab, sreg_tab;
static pthread_once_t tabs_once = PTHREAD_ONCE_INIT;

static inline uint32_t shash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h ^ (h >> 15);
}

static void ntab_build(ntab *t, const char *const *names, unsigned count)
{
    t->names = names;
    t->count = count;
    for (unsigned i = 1; i < count; i++) {
        uint32_t h = shash(names[i], strlen(names[i])) & 511;
        while (t->slots[h]) h = (h + 1) & 511;
        t->slots[h] = (uint16_t)i;
        t->lens[i] = (uint8_t)strlen(names[i]);
    }
}

static void build_all(void)
{
    ntab_build(&op_tab, ptx_op_names, PTX_OP_COUNT_);
    ntab_build(&mod_tab, ptx_mod_names, PTX_MOD_COUNT_);
    ntab_build(&type_tab, ptx_type_names, PTX_T_COUNT_);
    ntab_build(&sreg_tab, ptx_sreg_names, PTX_SREG_COUNT_);
}

static unsigned ntab_find(const ntab *t, const char *s, size_t n)
{
    uint32_t h = shash(s, n) & 511;
    for (;;) {
        unsigned v = t->slots[h];
        if (!v) return 0;
        if (t->lens[v] == n) {
            const char *c = t->names[v];
            size_t k = 0;
            while (k < n && c[k] == s[k]) k++;
            if (k == n) return v;
        }
        h = (h + 1) & 511;
    }
}

static inline void once(void) { pthread_once(&tabs_once, build_all); }

ptx_op ptx_op_lookup(const char *s, size_t n)
{
    once();
    return (ptx_op)ntab_find(&op_tab, s, n);
}

ptx_mod ptx_mod_lookup(const char *s, size_t n)
{
    once();
    return (ptx_mod)ntab_find(&mod_tab, s, n);
}

ptx_type ptx_type_lookup(const char *s, size_t n)
{
    once();
    return (ptx_type)ntab_find(&type_tab, s, n);
}

unsigned ptx_type_size(ptx_type t)
{
    return (unsigned)t < PTX_T_COUNT_ ? type_sizes[t] : 0;
}

bool ptx_type_is_float(ptx_type t)
{
    switch (t) {
    case PTX_T_F16: case PTX_T_F16X2: case PTX_T_BF16: case PTX_T_BF16X2:
    case PTX_T_TF32: case PTX_T_F32: case PTX_T_F64:
        return true;
    default:
        return false;
    }
}

bool ptx_type_is_signed(ptx_type t)
{
    return t == PTX_T_S8 || t == PTX_T_S16 || t == PTX_T_S32 ||
           t == PTX_T_S64 || t == PTX_T_S4;
}

/* "%tid.x" -> TID, comp 1; "%pm3" -> PM | 3 << 16; "%envreg7" likewise. */
bool ptx_sreg_find(const char *s, uint32_t n, uint32_t *reg, uint8_t *comp)
{
    once();
    uint8_t c = 0;
    uint32_t len = n;
    if (n > 2 && s[n - 2] == '.') {
        switch (s[n - 1]) {
        case 'x': c = 1; break;
        case 'y': c = 2; break;
        case 'z': c = 3; break;
        case 'w': c = 4; break;
        default: return false;
        }
        len = n - 2;
    }
    unsigned v = ntab_find(&sreg_tab, s, len);
    /* %pm, %pm_64 and %envreg name families: without their number they
     * are no register (printed back they would gain a "0") */
    if (v == PTX_SREG_PM || v == PTX_SREG_PM_64 || v == PTX_SREG_ENVREG) return false;
    if (!v) {
        /* %pmN, %pmN_64, %envregN */
        uint32_t k = len, num = 0, mul = 1;
        bool is64 = false;
        if (k > 3 && memcmp(s + k - 3, "_64", 3) == 0) { is64 = true; k -= 3; }
        uint32_t d = k;
        while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9' && k - d < 4) {
            num += (uint32_t)(s[d - 1] - '0') * mul;
            mul *= 10;
            d--;
        }
        if (d == k || c) return false;
        if (d == 3 && memcmp(s, "%pm", 3) == 0)
            v = is64 ? PTX_SREG_PM_64 : PTX_SREG_PM;
        else if (!is64 && d == 7 && memcmp(s, "%envreg", 7) == 0)
            v = PTX_SREG_ENVREG;
        else
            return false;
        *reg = v | num << 16;
        *comp = 0;
        return true;
    }
    *reg = v;
    *comp = c;
    return true;
}
