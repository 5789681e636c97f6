/*
 * stage_core.c — the C half of the `ntrace` Lua module (`ntrace.core`):
 * intrinsics, conversions, nt.when, warp reductions, raw PTX, and the
 * helpers lua/ntrace.lua builds the probe description with.
 */
#include "probe/probe_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

int prb_value_popc(lua_State *L);
int prb_value_min(lua_State *L);
int prb_value_max(lua_State *L);

static bool sreg_varying(prb_sreg s)
{
    return s == PRB_SR_LANEID || s == PRB_SR_TID_X || s == PRB_SR_TID_Y ||
           s == PRB_SR_TID_Z || s == PRB_SR_THREAD_LINEAR;
}

static prb_type sreg_type(prb_sreg s)
{
    return (s == PRB_SR_CLOCK64 || s == PRB_SR_GLOBALTIMER) ? PRB_U64 : PRB_U32;
}

/* core.sreg("clock64") -> value */
static int c_sreg(lua_State *L)
{
    const char *n = luaL_checkstring(L, 1);
    for (int i = 0; i < PRB_NSREGS; i++)
        if (!strcmp(n, prb_sreg_names[i])) {
            char what[64];
            snprintf(what, sizeof what, "reading %%%s", n);
            prb_stage_require_handler(L, what);
            prb_op op = prb_op_init(PRB_OP_SREG, prb_stage_line(L));
            op.sub = (uint8_t)i;
            prb_push_value(L, prb_stage_emit_value(L, &op, sreg_type((prb_sreg)i),
                                                   sreg_varying((prb_sreg)i)));
            return 1;
        }
    return prb_stage_error(L, "unknown intrinsic '%s'", n);
}

/* core.convert(x, "u64"): nt.u64(x) */
static int c_convert(lua_State *L)
{
    const char *tn = luaL_checkstring(L, 2);
    int t = prb_type_parse(tn);
    if (t < 0) return prb_stage_error(L, "unknown type '%s'", tn);
    char what[32];
    snprintf(what, sizeof what, "nt.%s(x)", tn);
    prb_stage_require_handler(L, what);
    int32_t v = prb_check_value(L, 1, lua_type(L, 1) == LUA_TNUMBER ||
                                lua_isboolean(L, 1) ? t : PRB_NTYPES, what);
    prb_push_value(L, prb_convert(L, v, (prb_type)t, false, what));
    return 1;
}

/* core.when(cond, fn): fn runs now, its ops go into a guarded block. */
static int c_when(lua_State *L)
{
    prb_stage *st = prb_stage_get(L);
    prb_stage_require_handler(L, "nt.when");
    int32_t c = prb_check_value(L, 1, PRB_PRED, "nt.when condition");
    if (st->probe->values.v[c].type != PRB_PRED)
        return prb_stage_error(L, "nt.when needs a pred (a comparison such as "
                               "x:gt(0)), found %s",
                               prb_type_name(st->probe->values.v[c].type));
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int32_t outer = st->cur_block;
    int32_t inner = prb_new_block(st->probe, outer);
    prb_op op = prb_op_init(PRB_OP_WHEN, prb_stage_line(L));
    op.a = c;
    op.block = inner;
    prb_emit(st->probe, outer, &op);
    st->cur_block = inner;
    lua_pushvalue(L, 2);
    lua_call(L, 0, 0);          /* errors propagate; the compile fails anyway */
    st->cur_block = outer;
    return 0;
}

static int warp_op(lua_State *L, prb_warpop k, const char *name)
{
    prb_stage *st = prb_stage_get(L);
    prb_stage_require_handler(L, name);
    int32_t a = prb_check_value(L, 1, PRB_NTYPES, name);
    prb_type t = st->probe->values.v[a].type;
    if (!prb_type_is_int(t))
        return prb_stage_error(L, "%s needs an integer value, found %s", name,
                               prb_type_name(t));
    prb_op op = prb_op_init(PRB_OP_WARP, prb_stage_line(L));
    op.sub = (uint8_t)k;
    op.a = a;
    prb_push_value(L, prb_stage_emit_value(L, &op, t, false));
    return 1;
}

static int c_warp_sum(lua_State *L) { return warp_op(L, PRB_WSUM, "nt.warp_sum"); }
static int c_warp_max(lua_State *L) { return warp_op(L, PRB_WMAX, "nt.warp_max"); }

/* core.select(c, a, b) */
static int c_select(lua_State *L)
{
    prb_stage *st = prb_stage_get(L);
    prb_stage_require_handler(L, "nt.select");
    int32_t c = prb_check_value(L, 1, PRB_PRED, "nt.select condition");
    if (st->probe->values.v[c].type != PRB_PRED)
        return prb_stage_error(L, "nt.select needs a pred condition");
    int32_t a, b;
    if (luaL_testudata(L, 2, "ntrace.value")) {
        a = prb_check_value(L, 2, PRB_NTYPES, "nt.select value");
        b = prb_check_value(L, 3, st->probe->values.v[a].type, "nt.select value");
    } else {
        b = prb_check_value(L, 3, PRB_NTYPES, "nt.select value");
        a = prb_check_value(L, 2, st->probe->values.v[b].type, "nt.select value");
    }
    prb_type t = st->probe->values.v[a].type;
    if (st->probe->values.v[b].type != t)
        b = prb_convert(L, b, t, true, "nt.select's second value");
    prb_op op = prb_op_init(PRB_OP_SEL, prb_stage_line(L));
    op.a = a;
    op.b = b;
    op.c = c;
    const prb_value *vv = st->probe->values.v;
    prb_push_value(L, prb_stage_emit_value(L, &op, t,
                                           vv[a].varying || vv[b].varying || vv[c].varying));
    return 1;
}

/* core.reg("u32"): a fresh register, the output of raw PTX. */
static int c_reg(lua_State *L)
{
    prb_stage *st = prb_stage_get(L);
    prb_stage_require_handler(L, "nt.reg");
    const char *tn = luaL_checkstring(L, 1);
    int t = prb_type_parse(tn);
    if (t < 0) return prb_stage_error(L, "nt.reg: unknown type '%s'", tn);
    int32_t v = prb_new_value(st->probe, (prb_type)t, PRB_V_TEMP, st->cur_block);
    st->probe->values.v[v].varying = 1;
    st->probe->values.v[v].line = prb_stage_line(L);
    prb_push_value(L, v);
    return 1;
}

static bool ident_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* core.ptx(text, {name = value, ...}): raw PTX, $name replaced by the
 * register of a value.  The text may not define labels, branch, return or
 * declare anything: it must fall through to the next inserted line. */
static int c_ptx(lua_State *L)
{
    prb_stage *st = prb_stage_get(L);
    prb_stage_require_handler(L, "nt.ptx");
    size_t n;
    const char *text = luaL_checklstring(L, 1, &n);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const banned[] = { "bra", "ret", "exit", "call", "brx", ".reg",
                                          ".local", ".shared", ".param" };
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == ':' || c == '{' || c == '}' || c == '\n' || c == '/' || c == '\0')
            return prb_stage_error(L, "nt.ptx: character '%c' is not allowed "
                                   "(no labels, blocks, comments or line breaks; "
                                   "write instructions separated by ';')",
                                   c == '\n' ? ' ' : c ? c : '0');
        for (size_t k = 0; k < NT_ARRAY_LEN(banned); k++) {
            size_t bl = strlen(banned[k]);
            if ((i == 0 || !ident_char(text[i - 1], false)) && i + bl <= n &&
                !strncmp(text + i, banned[k], bl) &&
                (i + bl == n || !ident_char(text[i + bl], false)))
                return prb_stage_error(L, "nt.ptx: '%s' is not allowed in raw PTX "
                                       "(control flow and declarations would break "
                                       "the instrumented kernel)", banned[k]);
        }
    }
    size_t len = n;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t')) len--;
    if (!len || text[len - 1] != ';')
        return prb_stage_error(L, "nt.ptx: the text must end with ';'");
    /* Collect $name operands (arrays in the arena: a Lua error may unwind
     * out of this function at any point without leaking). */
    prb_probe *p = st->probe;
    size_t ndollar = 0;
    for (size_t i = 0; i < n; i++) ndollar += text[i] == '$';
    prb_op op = prb_op_init(PRB_OP_PTX, prb_stage_line(L));
    op.argn = nt_arena_alloc(&p->arena, (ndollar + 1) * sizeof *op.argn);
    op.argv = nt_arena_alloc(&p->arena, (ndollar + 1) * sizeof *op.argv);
    for (size_t i = 0; i < n; i++) {
        if (text[i] != '$') continue;
        size_t j = i + 1;
        while (j < n && ident_char(text[j], j == i + 1)) j++;
        if (j == i + 1)
            return prb_stage_error(L, "nt.ptx: '$' must be followed by an operand name");
        char *nm = nt_arena_strndup(&p->arena, text + i + 1, j - i - 1);
        int32_t v = -1;
        if (lua_istable(L, 2)) {
            lua_getfield(L, 2, nm);
            if (luaL_testudata(L, -1, "ntrace.value")) v = prb_check_value(L, -1, 0, nm);
            lua_pop(L, 1);
        }
        if (v < 0)
            return prb_stage_error(L, "nt.ptx: operand $%s is not a symbolic value in "
                                   "the operand table", nm);
        op.argn[op.nargs] = nm;
        op.argv[op.nargs++] = v;
        i = j - 1;
    }
    op.text = nt_arena_strndup(&p->arena, text, len);
    prb_emit(p, st->cur_block, &op);
    return 0;
}

/* core.fail(msg): a script error at the user's line. */
static int c_fail(lua_State *L)
{
    return prb_stage_error(L, "%s", luaL_checkstring(L, 1));
}

/* core.fail_at(line, msg): an error at a line recorded earlier (for
 * checks that run after a tail call removed the user's frame). */
static int c_fail_at(lua_State *L)
{
    lua_Integer line = luaL_checkinteger(L, 1);
    const char *msg = luaL_checkstring(L, 2);
    if (line <= 0) return prb_stage_error(L, "%s", msg);
    return luaL_error(L, "%s:%d: %s", prb_stage_get(L)->chunkname, (int)line, msg);
}

static int c_line(lua_State *L)
{
    lua_pushinteger(L, prb_stage_line(L));
    return 1;
}

/* core.check_pattern(pattern): raises on an unknown instruction family. */
static int c_check_pattern(lua_State *L)
{
    const char *pat = luaL_checkstring(L, 1);
    nt_err e = {0};
    if (prb_pattern_check(pat, &e) != 0) return prb_stage_error(L, "%s", e.msg);
    return 0;
}

static int c_check_type(lua_State *L)
{
    const char *tn = lua_tostring(L, 1);
    if (!tn || prb_type_parse(tn) < 0)
        return prb_stage_error(L, "%s: unknown type '%s' (types: u32 u64 s32 s64 "
                               "f32 f64 pred)", luaL_checkstring(L, 2),
                               tn ? tn : luaL_typename(L, 1));
    return 0;
}

static const luaL_Reg core_fns[] = {
    {"sreg", c_sreg}, {"convert", c_convert}, {"when", c_when},
    {"warp_sum", c_warp_sum}, {"warp_max", c_warp_max}, {"select", c_select},
    {"popc", prb_value_popc}, {"min", prb_value_min}, {"max", prb_value_max},
    {"reg", c_reg}, {"ptx", c_ptx}, {"fail", c_fail}, {"fail_at", c_fail_at}, {"line", c_line},
    {"check_pattern", c_check_pattern}, {"check_type", c_check_type},
    {NULL, NULL}
};

void prb_stage_open_core(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "ntrace.loaded");
    luaL_newlib(L, core_fns);
    lua_setfield(L, -2, "ntrace.core");
    lua_pop(L, 1);
}
