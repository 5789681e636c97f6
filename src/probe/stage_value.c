/*
 * stage_value.c — symbolic values: the Lua userdata whose operators append
 * probe IR, with the typing rules of the language (docs/probe-language.md):
 *   - both operands of an operator have one type; a Lua number takes the
 *     type of the other operand (and must fit it);
 *   - lossless widening is implicit (u32->u64, u32->s64, s32->s64,
 *     f32->f64); anything else needs nt.u64(x) and friends;
 *   - comparisons are methods (a:lt(b)), since Lua turns < into a boolean.
 */
#include "probe/probe_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define VALUE_MT "ntrace.value"

prb_stage *prb_stage_get(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "ntrace.stage");
    prb_stage *st = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return st;
}

/* The nearest stack frame that belongs to the user's script: its chunk
 * name starts with '@' (ntrace's own modules are named "=[ntrace]/..."). */
static int user_frame(lua_State *L, lua_Debug *ar)
{
    for (int lv = 0; lua_getstack(L, lv, ar); lv++) {
        if (!lua_getinfo(L, "Sl", ar)) continue;
        if (ar->source[0] == '@' && ar->currentline > 0) return 1;
    }
    return 0;
}

int prb_stage_line(lua_State *L)
{
    lua_Debug ar;
    return user_frame(L, &ar) ? ar.currentline : 0;
}

int prb_stage_error(lua_State *L, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lua_Debug ar;
    if (user_frame(L, &ar))
        lua_pushfstring(L, "%s:%d: %s", ar.source + 1, ar.currentline, msg);
    else
        lua_pushfstring(L, "%s: %s", prb_stage_get(L)->chunkname, msg);
    return lua_error(L);
}

void prb_stage_require_handler(lua_State *L, const char *what)
{
    if (prb_stage_get(L)->cur_block < 0)
        prb_stage_error(L, "%s is only valid inside a tracepoint handler "
                        "(nt.at/nt.before/nt.after function)", what);
}

void prb_push_value(lua_State *L, int32_t v)
{
    int32_t *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = v;
    luaL_setmetatable(L, VALUE_MT);
}

static int32_t *test_value(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, VALUE_MT);
}

/* Scope rule: a TEMP made inside nt.when may be used only inside it. */
static void check_scope(lua_State *L, int32_t v)
{
    prb_stage *st = prb_stage_get(L);
    prb_probe *p = st->probe;
    const prb_value *x = &p->values.v[v];
    if (x->kind != PRB_V_TEMP || st->cur_block < 0) return;
    if (!prb_block_within(p, st->cur_block, x->block))
        prb_stage_error(L, "a value computed inside nt.when (line %d) is used "
                        "outside it; declare a var (vars = {...}) to carry it out",
                        x->line);
}

int32_t prb_stage_emit_value(lua_State *L, prb_op *op, prb_type t, bool varying)
{
    prb_stage *st = prb_stage_get(L);
    prb_probe *p = st->probe;
    int32_t v = prb_new_value(p, t, PRB_V_TEMP, st->cur_block);
    p->values.v[v].varying = varying;
    p->values.v[v].line = op->line;
    op->dst = v;
    prb_emit(p, st->cur_block, op);
    return v;
}

static bool is_varying(prb_probe *p, int32_t v) { return p->values.v[v].varying; }

static int32_t make_const(lua_State *L, int idx, prb_type t, const char *what)
{
    prb_stage *st = prb_stage_get(L);
    prb_op op = prb_op_init(PRB_OP_CONST, prb_stage_line(L));
    if (t == PRB_PRED) {
        if (!lua_isboolean(L, idx))
            prb_stage_error(L, "%s: expected a pred (true/false or a comparison), "
                            "found a %s", what, luaL_typename(L, idx));
        op.imm = (uint64_t)lua_toboolean(L, idx);
    } else if (lua_type(L, idx) != LUA_TNUMBER) {
        prb_stage_error(L, "%s: expected a %s value or a number, found a %s", what,
                        prb_type_name(t), luaL_typename(L, idx));
    } else if (prb_type_is_float(t)) {
        op.fimm = lua_tonumber(L, idx);
    } else {
        lua_Integer i;
        if (lua_isinteger(L, idx)) i = lua_tointeger(L, idx);
        else {
            lua_Number n = lua_tonumber(L, idx);
            if (n != floor(n) || n < -9.2e18 || n > 9.2e18)
                prb_stage_error(L, "%s: constant %g is not an integer, but the "
                                "value is %s", what, n, prb_type_name(t));
            i = (lua_Integer)n;
        }
        bool fits = true;
        switch (t) {
        case PRB_U32: fits = i >= 0 && i <= 0xffffffffll; break;
        case PRB_S32: fits = i >= INT32_MIN && i <= INT32_MAX; break;
        case PRB_U64: fits = i >= 0; break;
        default: break;
        }
        if (!fits)
            prb_stage_error(L, "%s: constant %lld does not fit %s", what,
                            (long long)i, prb_type_name(t));
        op.imm = (uint64_t)i;
    }
    prb_stage_require_handler(L, "a constant operand");
    (void)st;
    return prb_stage_emit_value(L, &op, t, false);
}

int32_t prb_check_value(lua_State *L, int idx, int want, const char *what)
{
    int32_t *u = test_value(L, idx);
    if (u) {
        check_scope(L, *u);
        return *u;
    }
    if (want == PRB_NTYPES) {
        if (lua_isboolean(L, idx)) want = PRB_PRED;
        else if (lua_isinteger(L, idx)) {
            lua_Integer i = lua_tointeger(L, idx);
            want = (i >= 0 && i <= 0xffffffffll) ? PRB_U32 : PRB_S64;
        } else if (lua_type(L, idx) == LUA_TNUMBER) want = PRB_F64;
        else
            prb_stage_error(L, "%s: expected a symbolic value or a number, found a %s",
                            what, luaL_typename(L, idx));
    }
    return make_const(L, idx, (prb_type)want, what);
}

static bool widens(prb_type from, prb_type to)
{
    return from == to || (from == PRB_U32 && (to == PRB_U64 || to == PRB_S64)) ||
           (from == PRB_S32 && to == PRB_S64) || (from == PRB_F32 && to == PRB_F64);
}

int32_t prb_convert(lua_State *L, int32_t v, prb_type t, bool implicit, const char *what)
{
    prb_probe *p = prb_stage_get(L)->probe;
    prb_type from = p->values.v[v].type;
    if (from == t) return v;
    if (implicit && !widens(from, t))
        prb_stage_error(L, "type mismatch: %s is %s but %s is expected (convert "
                        "explicitly with nt.%s(x))", what, prb_type_name(from),
                        prb_type_name(t), prb_type_name(t));
    if ((from == PRB_PRED) != (t == PRB_PRED) && !(from == PRB_PRED && prb_type_is_int(t)))
        prb_stage_error(L, "%s: cannot convert %s to %s (compare with :ne(0) to "
                        "make a pred)", what, prb_type_name(from), prb_type_name(t));
    prb_op op = prb_op_init(PRB_OP_CVT, prb_stage_line(L));
    op.a = v;
    return prb_stage_emit_value(L, &op, t, is_varying(p, v));
}

/* Brings two operands to one type (see the rules at the top). */
static void unify(lua_State *L, const char *opname, int32_t *a, int32_t *b)
{
    prb_probe *p = prb_stage_get(L)->probe;
    prb_type ta = p->values.v[*a].type, tb = p->values.v[*b].type;
    if (ta == tb) return;
    if (widens(ta, tb)) *a = prb_convert(L, *a, tb, true, "left operand");
    else if (widens(tb, ta)) *b = prb_convert(L, *b, ta, true, "right operand");
    else
        prb_stage_error(L, "type mismatch: %s %s %s (convert one side with "
                        "nt.%s(x) or nt.%s(x))", prb_type_name(ta), opname,
                        prb_type_name(tb), prb_type_name(ta), prb_type_name(tb));
}

/* Operands at Lua 1 and 2, one of which is a value. */
static void operands(lua_State *L, const char *opname, int32_t *a, int32_t *b)
{
    prb_stage_require_handler(L, "arithmetic on symbolic values");
    int32_t *ua = test_value(L, 1), *ub = test_value(L, 2);
    prb_probe *p = prb_stage_get(L)->probe;
    char what[64];
    snprintf(what, sizeof what, "operand of %s", opname);
    if (ua && ub) {
        *a = prb_check_value(L, 1, 0, what);
        *b = prb_check_value(L, 2, 0, what);
    } else if (ua) {
        *a = prb_check_value(L, 1, 0, what);
        *b = prb_check_value(L, 2, p->values.v[*a].type, what);
    } else {
        *b = prb_check_value(L, 2, 0, what);
        *a = prb_check_value(L, 1, p->values.v[*b].type, what);
    }
    unify(L, opname, a, b);
}

static const char *const binop_sym[] = {
    "+", "-", "*", "/", "%", "&", "|", "~", "<<", ">>", "min", "max",
};

/* At warp and block level, `c + x` for a counter c and a per-thread x sums
 * x over the lanes that run the handler (the warp-wide sum). */
static int32_t auto_warp_sum(lua_State *L, int32_t x)
{
    prb_op op = prb_op_init(PRB_OP_WARP, prb_stage_line(L));
    op.sub = PRB_WSUM;
    op.a = x;
    return prb_stage_emit_value(L, &op, prb_stage_get(L)->probe->values.v[x].type, false);
}


static int32_t emit_binop(lua_State *L, prb_binop k, int32_t a, int32_t b)
{
    prb_stage *st = prb_stage_get(L);
    prb_probe *p = st->probe;
    prb_type t = p->values.v[a].type;
    const char *sym = binop_sym[k];
    bool bitwise = k == PRB_AND || k == PRB_OR || k == PRB_XOR;
    if (t == PRB_PRED && !bitwise)
        prb_stage_error(L, "'%s' is not defined on pred values (use &, |, ~)", sym);
    if (prb_type_is_float(t) && (bitwise || k == PRB_SHL || k == PRB_SHR || k == PRB_REM))
        prb_stage_error(L, "'%s' is not defined on %s values", sym, prb_type_name(t));
    int32_t acc = -1;
    if (k == PRB_ADD || k == PRB_MAX) {
        const prb_value *va = &p->values.v[a], *vb = &p->values.v[b];
        int32_t other = -1;
        if (va->counter_read) { acc = va->owner; other = b; }
        else if (vb->counter_read) { acc = vb->owner; other = a; }
        if (acc >= 0 && p->level != PRB_LEVEL_THREAD && is_varying(p, other)) {
            if (k == PRB_MAX)
                prb_stage_error(L, "max of a counter and a per-thread value at %s "
                                "level: take nt.warp_max(x) first",
                                p->level == PRB_LEVEL_WARP ? "warp" : "block");
            int32_t s = auto_warp_sum(L, other);
            if (other == b) b = s; else a = s;
        }
    }
    prb_op op = prb_op_init(PRB_OP_BIN, prb_stage_line(L));
    op.sub = (uint8_t)k;
    op.a = a;
    op.b = b;
    int32_t v = prb_stage_emit_value(L, &op, t, is_varying(p, a) || is_varying(p, b));
    p->values.v[v].acc = acc;
    return v;
}

static int arith(lua_State *L, prb_binop k)
{
    int32_t a, b;
    if (k == PRB_SHL || k == PRB_SHR) {
        prb_stage_require_handler(L, "arithmetic on symbolic values");
        if (!test_value(L, 1))
            prb_stage_error(L, "the left operand of %s must be a symbolic value",
                            binop_sym[k]);
        a = prb_check_value(L, 1, 0, "operand of a shift");
        b = prb_check_value(L, 2, PRB_U32, "shift amount");
        prb_probe *p = prb_stage_get(L)->probe;
        if (!prb_type_is_int(p->values.v[a].type) || !prb_type_is_int(p->values.v[b].type))
            prb_stage_error(L, "shifts need integer operands");
        if (p->values.v[b].type != PRB_U32) b = prb_convert(L, b, PRB_U32, false, "shift amount");
    } else {
        operands(L, binop_sym[k], &a, &b);
    }
    prb_push_value(L, emit_binop(L, k, a, b));
    return 1;
}

static int v_add(lua_State *L) { return arith(L, PRB_ADD); }
static int v_sub(lua_State *L) { return arith(L, PRB_SUB); }
static int v_mul(lua_State *L) { return arith(L, PRB_MUL); }
static int v_div(lua_State *L) { return arith(L, PRB_DIV); }
static int v_mod(lua_State *L) { return arith(L, PRB_REM); }
static int v_band(lua_State *L) { return arith(L, PRB_AND); }
static int v_bor(lua_State *L) { return arith(L, PRB_OR); }
static int v_bxor(lua_State *L) { return arith(L, PRB_XOR); }
static int v_shl(lua_State *L) { return arith(L, PRB_SHL); }
static int v_shr(lua_State *L) { return arith(L, PRB_SHR); }

static int unop(lua_State *L, prb_unop k)
{
    prb_stage_require_handler(L, "arithmetic on symbolic values");
    prb_probe *p = prb_stage_get(L)->probe;
    int32_t a = prb_check_value(L, 1, 0, "operand");
    prb_type t = p->values.v[a].type;
    if (k == PRB_NEG && t == PRB_PRED) prb_stage_error(L, "unary minus on a pred (use ~)");
    if (k == PRB_NOT && prb_type_is_float(t))
        prb_stage_error(L, "'~' is not defined on %s values", prb_type_name(t));
    if (k == PRB_POPC && !prb_type_is_int(t))
        prb_stage_error(L, "nt.popc needs an integer, found %s", prb_type_name(t));
    prb_op op = prb_op_init(PRB_OP_UN, prb_stage_line(L));
    op.sub = (uint8_t)k;
    op.a = a;
    prb_type rt = k == PRB_POPC ? PRB_U32 : t;
    prb_push_value(L, prb_stage_emit_value(L, &op, rt, is_varying(p, a)));
    return 1;
}

static int v_unm(lua_State *L) { return unop(L, PRB_NEG); }
static int v_bnot(lua_State *L) { return unop(L, PRB_NOT); }

static int cmp(lua_State *L, prb_cmp k)
{
    static const char *const names[] = { "eq", "ne", "lt", "le", "gt", "ge" };
    int32_t a, b;
    operands(L, names[k], &a, &b);
    prb_probe *p = prb_stage_get(L)->probe;
    if (p->values.v[a].type == PRB_PRED && k != PRB_EQ && k != PRB_NE)
        prb_stage_error(L, "pred values can only be compared with :eq and :ne");
    prb_op op = prb_op_init(PRB_OP_CMP, prb_stage_line(L));
    op.sub = (uint8_t)k;
    op.a = a;
    op.b = b;
    prb_push_value(L, prb_stage_emit_value(L, &op, PRB_PRED,
                                           is_varying(p, a) || is_varying(p, b)));
    return 1;
}

static int v_eq(lua_State *L) { return cmp(L, PRB_EQ); }
static int v_ne(lua_State *L) { return cmp(L, PRB_NE); }
static int v_lt(lua_State *L) { return cmp(L, PRB_LT); }
static int v_le(lua_State *L) { return cmp(L, PRB_LE); }
static int v_gt(lua_State *L) { return cmp(L, PRB_GT); }
static int v_ge(lua_State *L) { return cmp(L, PRB_GE); }

static int v_min(lua_State *L) { return arith(L, PRB_MIN); }
static int v_max(lua_State *L) { return arith(L, PRB_MAX); }

static int v_to(lua_State *L)
{
    prb_stage_require_handler(L, "a conversion");
    int32_t a = prb_check_value(L, 1, PRB_NTYPES, "value to convert");
    const char *tn = luaL_checkstring(L, 2);
    int t = prb_type_parse(tn);
    if (t < 0) prb_stage_error(L, "unknown type '%s' (types: u32 u64 s32 s64 f32 f64 pred)", tn);
    prb_push_value(L, prb_convert(L, a, (prb_type)t, false, "value"));
    return 1;
}

static int v_type(lua_State *L)
{
    int32_t *u = luaL_checkudata(L, 1, VALUE_MT);
    lua_pushstring(L, prb_type_name(prb_stage_get(L)->probe->values.v[*u].type));
    return 1;
}

static int v_bad_compare(lua_State *L)
{
    return prb_stage_error(L, "symbolic values cannot be compared with <, <=, == "
                           "(Lua makes those a boolean now, at compile time); use "
                           "a:lt(b), a:le(b), a:eq(b), a:ne(b), a:gt(b), a:ge(b)");
}

static int v_bad(lua_State *L)
{
    return prb_stage_error(L, "this operation is not defined on symbolic values "
                           "(they stand for run-time registers)");
}

static int v_tostring(lua_State *L)
{
    int32_t *u = luaL_checkudata(L, 1, VALUE_MT);
    prb_stage *st = prb_stage_get(L);
    lua_pushfstring(L, "<%s value %d>", prb_type_name(st->probe->values.v[*u].type),
                    (int)*u);
    return 1;
}

static const luaL_Reg value_methods[] = {
    {"eq", v_eq}, {"ne", v_ne}, {"lt", v_lt}, {"le", v_le}, {"gt", v_gt}, {"ge", v_ge},
    {"min", v_min}, {"max", v_max}, {"to", v_to}, {"type", v_type},
    {NULL, NULL}
};

static int v_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    for (const luaL_Reg *r = value_methods; k && r->name; r++)
        if (!strcmp(r->name, k)) {
            lua_pushcfunction(L, r->func);
            return 1;
        }
    return prb_stage_error(L, "symbolic values have no field or method '%s' "
                           "(methods: eq ne lt le gt ge min max to type)",
                           k ? k : luaL_typename(L, 2));
}

static const luaL_Reg value_meta[] = {
    {"__add", v_add}, {"__sub", v_sub}, {"__mul", v_mul}, {"__div", v_div},
    {"__idiv", v_div}, {"__mod", v_mod}, {"__band", v_band}, {"__bor", v_bor},
    {"__bxor", v_bxor}, {"__shl", v_shl}, {"__shr", v_shr}, {"__unm", v_unm},
    {"__bnot", v_bnot}, {"__lt", v_bad_compare}, {"__le", v_bad_compare},
    {"__eq", v_bad_compare}, {"__pow", v_bad}, {"__concat", v_bad},
    {"__len", v_bad}, {"__call", v_bad}, {"__newindex", v_bad},
    {"__index", v_index}, {"__tostring", v_tostring},
    {NULL, NULL}
};

void prb_stage_open_values(lua_State *L)
{
    luaL_newmetatable(L, VALUE_MT);
    luaL_setfuncs(L, value_meta, 0);
    lua_pushliteral(L, "ntrace value");
    lua_setfield(L, -2, "__name");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");    /* getmetatable() cannot reach it */
    lua_pop(L, 1);
}

/* Exposed to stage_core.c. */
int prb_value_popc(lua_State *L);
int prb_value_popc(lua_State *L) { return unop(L, PRB_POPC); }
int prb_value_min(lua_State *L);
int prb_value_min(lua_State *L) { return arith(L, PRB_MIN); }
int prb_value_max(lua_State *L);
int prb_value_max(lua_State *L) { return arith(L, PRB_MAX); }
