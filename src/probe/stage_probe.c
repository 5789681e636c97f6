/*
 * stage_probe.c — turns the description lua/ntrace.lua built (the table
 * nt.probe returns) into a prb_probe: maps, counters, vars, and each
 * handler run once on a context `p` of symbolic values.
 *
 * The description comes from a script, so every field is checked here
 * again: a script may return a hand-made table instead of nt.probe's.
 */
#include "probe/probe_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of the table at idx, sorted (pairs order is not deterministic and
 * the layout must be).  Strings live in the arena. */
static const char **sorted_keys(lua_State *L, prb_probe *p, int idx, size_t *n)
{
    size_t cnt = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            prb_stage_error(L, "probe description: a key is not a name");
        cnt++;
    }
    const char **k = nt_arena_alloc(&p->arena, (cnt + 1) * sizeof *k);
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (i < cnt) k[i++] = nt_arena_strdup(&p->arena, lua_tostring(L, -1));
    }
    qsort(k, i, sizeof *k, cmp_str);
    *n = i;
    return k;
}

static const char *get_string(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1);      /* the string stays alive: it is in the table */
    if (!s) prb_stage_error(L, "probe description: '%s' must be a string", key);
    return s;
}

static prb_type get_type(lua_State *L, int idx, const char *key, const char *what)
{
    const char *s = get_string(L, idx, key);
    int t = prb_type_parse(s);
    if (t < 0) prb_stage_error(L, "%s: unknown type '%s'", what, s);
    return (prb_type)t;
}

static int32_t add_map(prb_probe *p, const char *name, uint32_t cap)
{
    prb_map m = { .name = name, .cap = cap };
    nt_vec_push(&p->maps, m);
    return (int32_t)p->maps.n - 1;
}

static void add_field(prb_probe *p, int32_t mi, const char *name, prb_type t)
{
    prb_field f = { .name = name, .type = t, .value = -1 };
    nt_vec_push(&p->maps.v[mi].fields, f);
}

/* Lays out the record and creates the FIELD state values. */
static void map_values(lua_State *L, prb_probe *p, int32_t mi)
{
    prb_map *m = &p->maps.v[mi];
    nt_err e = {0};
    if (prb_map_layout(m, &e) != 0) prb_stage_error(L, "%s", e.msg);
    for (size_t f = 0; f < m->fields.n; f++) {
        int32_t v = prb_new_value(p, m->fields.v[f].type, PRB_V_FIELD, -1);
        p->values.v[v].owner = mi;
        p->values.v[v].field = (int32_t)f;
        m->fields.v[f].value = v;
    }
}

static void build_maps(lua_State *L, prb_probe *p, int spec)
{
    lua_getfield(L, spec, "cap");
    lua_Integer dcap = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 1;
    lua_pop(L, 1);
    lua_getfield(L, spec, "maps");
    if (!lua_istable(L, -1)) prb_stage_error(L, "probe description: 'maps' must be a table");
    int maps = lua_gettop(L);
    size_t n;
    const char **names = sorted_keys(L, p, maps, &n);
    /* The default map first, so its index is stable. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            bool is_rec = !strcmp(names[i], "rec");
            if (is_rec != (pass == 0)) continue;
            lua_getfield(L, maps, names[i]);
            int m = lua_gettop(L);
            if (!lua_istable(L, m)) prb_stage_error(L, "map '%s' is not nt.map{}", names[i]);
            lua_getfield(L, m, "cap");
            lua_Integer cap = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : dcap;
            lua_pop(L, 1);
            if (cap < 1 || cap > 1048576)
                prb_stage_error(L, "map '%s': cap must be from 1 to 1048576", names[i]);
            int32_t mi = add_map(p, names[i], (uint32_t)cap);
            if (is_rec) p->default_map = mi;
            lua_getfield(L, m, "fields");
            if (!lua_istable(L, -1)) prb_stage_error(L, "map '%s' has no fields", names[i]);
            int fl = lua_gettop(L);
            size_t nf;
            const char **fn = sorted_keys(L, p, fl, &nf);
            if (nf == 0) prb_stage_error(L, "map '%s' has no fields", names[i]);
            /* The record order nt.map chose (declared, or largest first);
             * a hand-made description without one gets the sorted order. */
            lua_getfield(L, m, "order");
            int ord = lua_istable(L, -1) ? lua_gettop(L) : 0;
            if (ord && luaL_len(L, ord) != (lua_Integer)nf)
                prb_stage_error(L, "map '%s': its field order does not list each field "
                                "once", names[i]);
            for (size_t f = 0; f < nf; f++) {
                const char *name = fn[f];
                if (ord) {
                    lua_geti(L, ord, (lua_Integer)f + 1);
                    const char *o = lua_tostring(L, -1);
                    name = NULL;
                    for (size_t k = 0; o && k < nf; k++)
                        if (!strcmp(fn[k], o)) name = fn[k];
                    lua_pop(L, 1);
                    for (size_t k = 0; name && k < p->maps.v[mi].fields.n; k++)
                        if (!strcmp(p->maps.v[mi].fields.v[k].name, name)) name = NULL;
                    if (!name)
                        prb_stage_error(L, "map '%s': its field order does not list each "
                                        "field once", names[i]);
                }
                char what[160];
                snprintf(what, sizeof what, "map '%s' field '%s'", names[i], name);
                prb_type t = get_type(L, fl, name, what);
                add_field(p, mi, name, t);
            }
            if (!ord) prb_map_sort_fields(&p->maps.v[mi]);
            map_values(L, p, mi);
            lua_pop(L, 3);
        }
    lua_pop(L, 1);
    if (p->maps.n > BUF_MAX_MAPS - 2)
        prb_stage_error(L, "too many maps (%zu): a probe has at most %u",
                        p->maps.n, BUF_MAX_MAPS - 2);
}

static void build_decls(lua_State *L, prb_probe *p, int spec, bool counters)
{
    lua_getfield(L, spec, counters ? "counters" : "vars");
    int t = lua_gettop(L);
    if (!lua_istable(L, t))
        prb_stage_error(L, "probe description: '%s' must be a table",
                        counters ? "counters" : "vars");
    size_t n;
    const char **names = sorted_keys(L, p, t, &n);
    int32_t mi = -1;
    if (counters && n) {
        mi = add_map(p, "counters", 1);
        p->maps.v[mi].is_counters = true;
        p->counters_map = mi;
    }
    for (size_t i = 0; i < n; i++) {
        lua_getfield(L, t, names[i]);
        int d = lua_gettop(L);
        if (!lua_istable(L, d)) prb_stage_error(L, "'%s' is not a declaration", names[i]);
        char what[160];
        snprintf(what, sizeof what, "%s '%s'", counters ? "counter" : "var", names[i]);
        prb_type ty = get_type(L, d, "type", what);
        const char *kind = get_string(L, d, "kind");
        if (counters) {
            if (ty == PRB_PRED)
                prb_stage_error(L, "counter '%s' cannot be a pred", names[i]);
            if (p->level != PRB_LEVEL_THREAD && !prb_type_is_int(ty))
                prb_stage_error(L, "counter '%s': %s level counters are summed over "
                                "lanes at exit and must be integers, not %s", names[i],
                                p->level == PRB_LEVEL_WARP ? "warp" : "block",
                                prb_type_name(ty));
            if (!strcmp(kind, "max") && prb_type_is_float(ty))
                prb_stage_error(L, "counter '%s': max counters must be integers", names[i]);
            prb_counter c = { .name = names[i], .type = ty,
                              .kind = !strcmp(kind, "max") ? PRB_CNT_MAX : PRB_CNT_SUM };
            c.value = prb_new_value(p, ty, PRB_V_COUNTER, -1);
            p->values.v[c.value].owner = (int32_t)p->counters.n;
            nt_vec_push(&p->counters, c);
            add_field(p, mi, names[i], ty);
        } else {
            prb_var v = { .name = names[i], .type = ty };
            v.value = prb_new_value(p, ty, PRB_V_VAR, -1);
            nt_vec_push(&p->vars, v);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (mi >= 0) {
        prb_map *m = &p->maps.v[mi];
        prb_map_sort_fields(m);
        nt_err e = {0};
        if (prb_map_layout(m, &e) != 0) prb_stage_error(L, "%s", e.msg);
        /* The counters map's fields are the counters themselves. */
        for (size_t f = 0; f < m->fields.n; f++)
            for (size_t c = 0; c < p->counters.n; c++)
                if (!strcmp(p->counters.v[c].name, m->fields.v[f].name)) {
                    m->fields.v[f].value = p->counters.v[c].value;
                    p->counters.v[c].field = (int32_t)f;
                }
    }
}

/* ---- the handler context `p` ---- */
static bool memory_pattern(const char *pat)
{
    static const char *const fams[] = { "ld", "ldu", "st", "atom", "red", "cp",
                                        "prefetch", "ldmatrix", "stmatrix", "multimem" };
    const char *s = pat;
    for (;;) {
        size_t n = strcspn(s, ".*|");
        bool ok = false;
        for (size_t i = 0; i < NT_ARRAY_LEN(fams); i++)
            if (strlen(fams[i]) == n && !strncmp(s, fams[i], n)) ok = true;
        if (!ok) return false;
        s = strchr(s, '|');
        if (!s) return true;
        s++;
    }
}

static prb_handler *cur_handler(lua_State *L)
{
    prb_stage *st = prb_stage_get(L);
    if (st->cur_handler < 0 || st->cur_block < 0)
        prb_stage_error(L, "the handler context p is only valid while its handler "
                        "runs (do not keep it for later)");
    return &st->probe->handlers.v[st->cur_handler];
}

static const char *handler_desc(const prb_handler *h, char *buf, size_t n)
{
    static const char *const k[] = { "kernel.entry", "kernel.exit", "nt.before",
                                     "nt.after", "nt.first_use", "region.begin",
                                     "region.end" };
    if (h->pattern) snprintf(buf, n, "%s \"%s\"", k[h->kind], h->pattern);
    else snprintf(buf, n, "%s", k[h->kind]);
    return buf;
}

static int tparam(lua_State *L, prb_tparam k)
{
    prb_handler *h = cur_handler(L);
    char d[160];
    bool instr = h->kind == PRB_TP_BEFORE || h->kind == PRB_TP_AFTER || h->kind == PRB_TP_USE;
    bool ok;
    switch (k) {
    case PRB_TP_ADDR: case PRB_TP_BYTES: case PRB_TP_SPACE:
        ok = instr && memory_pattern(h->pattern);
        if (!ok)
            return prb_stage_error(L, "p.%s is only available at tracepoints of memory "
                                   "instructions (ld, st, atom, red, cp.async...), not "
                                   "at %s", prb_tparam_names[k], handler_desc(h, d, sizeof d));
        break;
    case PRB_TP_ISSUE_CLOCK:
        if (h->kind != PRB_TP_USE)
            return prb_stage_error(L, "p.issue_clock is only available in nt.first_use "
                                   "handlers, not at %s", handler_desc(h, d, sizeof d));
        h->uses_issue_clock = true;
        break;
    case PRB_TP_REGION:
        if (h->kind != PRB_TP_REGION_BEGIN && h->kind != PRB_TP_REGION_END)
            return prb_stage_error(L, "p.region is only available at region tracepoints");
        break;
    default:
        if (!instr)
            return prb_stage_error(L, "p.%s is only available at instruction "
                                   "tracepoints, not at %s", prb_tparam_names[k],
                                   handler_desc(h, d, sizeof d));
    }
    static const uint8_t types[PRB_NTPARAMS] = {
        PRB_U64, PRB_U32, PRB_U32, PRB_U32, PRB_PRED, PRB_U64, PRB_U32 };
    bool varying = k == PRB_TP_ADDR || k == PRB_TP_BYTES || k == PRB_TP_GUARD;
    prb_op op = prb_op_init(PRB_OP_TPARAM, prb_stage_line(L));
    op.sub = (uint8_t)k;
    prb_push_value(L, prb_stage_emit_value(L, &op, (prb_type)types[k], varying));
    return 1;
}

static int emit_save(lua_State *L, int32_t mi)
{
    prb_stage *st = prb_stage_get(L);
    cur_handler(L);
    prb_op op = prb_op_init(PRB_OP_SAVE, prb_stage_line(L));
    op.map = mi;
    prb_emit(st->probe, st->cur_block, &op);
    return 0;
}

static int map_save(lua_State *L)
{
    return emit_save(L, (int32_t)lua_tointeger(L, lua_upvalueindex(1)));
}

static int p_save(lua_State *L)
{
    prb_probe *p = prb_stage_get(L)->probe;
    if (lua_gettop(L) > 1)
        return prb_stage_error(L, "p:save() takes no arguments (save a named map "
                               "with p.maps.NAME:save())");
    if (p->default_map < 0)
        return prb_stage_error(L, "p:save(): the probe has no default map (declare "
                               "map = nt.map{...}, or use p.maps.NAME:save())");
    return emit_save(L, p->default_map);
}

static int read_state(lua_State *L, int32_t v)
{
    prb_probe *p = prb_stage_get(L)->probe;
    prb_op op = prb_op_init(PRB_OP_READ, prb_stage_line(L));
    op.a = v;
    int32_t r = prb_stage_emit_value(L, &op, p->values.v[v].type, false);
    if (p->values.v[v].kind == PRB_V_COUNTER) {
        p->values.v[r].counter_read = 1;
        p->values.v[r].owner = p->values.v[v].owner;
    }
    prb_push_value(L, r);
    return 1;
}

static void write_state(lua_State *L, int32_t dst, int idx, const char *what)
{
    prb_probe *p = prb_stage_get(L)->probe;
    prb_type t = p->values.v[dst].type;
    int32_t v = prb_check_value(L, idx, t, what);
    v = prb_convert(L, v, t, true, what);
    prb_op op = prb_op_init(PRB_OP_WRITE, prb_stage_line(L));
    op.dst = dst;
    op.a = v;
    prb_emit(p, prb_stage_get(L)->cur_block, &op);
}

/* Field list for messages: "start, stop, sm". */
static void field_list(prb_probe *p, int32_t mi, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t f = 0; f < p->maps.v[mi].fields.n && k < n; f++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", f ? ", " : "",
                              p->maps.v[mi].fields.v[f].name);
}

static int32_t find_field(lua_State *L, int32_t mi, int key_idx)
{
    prb_probe *p = prb_stage_get(L)->probe;
    const char *k = lua_tostring(L, key_idx);
    for (size_t f = 0; k && f < p->maps.v[mi].fields.n; f++)
        if (!strcmp(p->maps.v[mi].fields.v[f].name, k)) return (int32_t)f;
    char list[300];
    field_list(p, mi, list, sizeof list);
    prb_stage_error(L, "map '%s' has no field '%s' (fields: %s)", p->maps.v[mi].name,
                    k ? k : "?", list);
    return -1;
}

static int map_index(lua_State *L)
{
    cur_handler(L);
    int32_t mi = (int32_t)lua_tointeger(L, lua_upvalueindex(1));
    const char *k = lua_tostring(L, 2);
    if (k && !strcmp(k, "save")) {
        lua_pushinteger(L, mi);
        lua_pushcclosure(L, map_save, 1);
        return 1;
    }
    prb_probe *p = prb_stage_get(L)->probe;
    return read_state(L, p->maps.v[mi].fields.v[find_field(L, mi, 2)].value);
}

static int map_newindex(lua_State *L)
{
    cur_handler(L);
    int32_t mi = (int32_t)lua_tointeger(L, lua_upvalueindex(1));
    prb_probe *p = prb_stage_get(L)->probe;
    int32_t f = find_field(L, mi, 2);
    char what[160];
    snprintf(what, sizeof what, "field '%s' of map '%s'", p->maps.v[mi].fields.v[f].name,
             p->maps.v[mi].name);
    write_state(L, p->maps.v[mi].fields.v[f].value, 3, what);
    return 0;
}

static void push_map_proxy(lua_State *L, int32_t mi)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushinteger(L, mi);
    lua_pushcclosure(L, map_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushinteger(L, mi);
    lua_pushcclosure(L, map_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
}

static int maps_index(lua_State *L)
{
    prb_probe *p = prb_stage_get(L)->probe;
    const char *k = lua_tostring(L, 2);
    for (size_t i = 0; k && i < p->maps.n; i++)
        if (!p->maps.v[i].is_counters &&
            !strcmp(p->maps.v[i].name, k)) {
            push_map_proxy(L, (int32_t)i);
            return 1;
        }
    return prb_stage_error(L, "the probe has no map '%s'", k ? k : "?");
}

/* Counters and vars: upvalue 1 says which (1 = counters). */
static int decl_find(lua_State *L, bool counters)
{
    prb_probe *p = prb_stage_get(L)->probe;
    const char *k = lua_tostring(L, 2);
    size_t n = counters ? p->counters.n : p->vars.n;
    for (size_t i = 0; k && i < n; i++)
        if (!strcmp(counters ? p->counters.v[i].name : p->vars.v[i].name, k))
            return (int)i;
    char list[300] = "";
    size_t off = 0;
    for (size_t i = 0; i < n && off < sizeof list; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "",
                                counters ? p->counters.v[i].name : p->vars.v[i].name);
    return prb_stage_error(L, "the probe has no %s '%s' (%s: %s)",
                           counters ? "counter" : "var", k ? k : "?",
                           counters ? "counters" : "vars", n ? list : "none declared");
}

static int decl_index(lua_State *L)
{
    cur_handler(L);
    bool counters = lua_toboolean(L, lua_upvalueindex(1));
    prb_probe *p = prb_stage_get(L)->probe;
    int i = decl_find(L, counters);
    return read_state(L, counters ? p->counters.v[i].value : p->vars.v[i].value);
}

static int decl_newindex(lua_State *L)
{
    cur_handler(L);
    bool counters = lua_toboolean(L, lua_upvalueindex(1));
    prb_probe *p = prb_stage_get(L)->probe;
    int i = decl_find(L, counters);
    char what[160];
    if (counters) {
        prb_counter *c = &p->counters.v[i];
        int32_t *u = luaL_testudata(L, 3, "ntrace.value");
        if (!u || p->values.v[*u].acc != i)
            return prb_stage_error(L, "counters accumulate: write p.cnt.%s = p.cnt.%s + x%s",
                                   c->name, c->name,
                                   c->kind == PRB_CNT_MAX ? " (or nt.max(p.cnt.x, v) for a max counter)" : "");
        prb_op *def = NULL;
        /* The accumulation must match the counter's kind. */
        for (size_t b = 0; b < p->blocks.n && !def; b++)
            for (size_t o = 0; o < p->blocks.v[b].ops.n; o++)
                if (p->blocks.v[b].ops.v[o].dst == *u) def = &p->blocks.v[b].ops.v[o];
        if (def && def->sub != (c->kind == PRB_CNT_MAX ? PRB_MAX : PRB_ADD))
            return prb_stage_error(L, "counter '%s' is a %s counter: write p.cnt.%s = %s",
                                   c->name, c->kind == PRB_CNT_MAX ? "max" : "sum", c->name,
                                   c->kind == PRB_CNT_MAX ? "nt.max(p.cnt.x, v)" : "p.cnt.x + v");
        snprintf(what, sizeof what, "counter '%s'", c->name);
        write_state(L, c->value, 3, what);
    } else {
        snprintf(what, sizeof what, "var '%s'", p->vars.v[i].name);
        write_state(L, p->vars.v[i].value, 3, what);
    }
    return 0;
}

static void push_decl_proxy(lua_State *L, bool counters)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushboolean(L, counters);
    lua_pushcclosure(L, decl_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, counters);
    lua_pushcclosure(L, decl_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
}

static int p_index(lua_State *L)
{
    cur_handler(L);
    prb_probe *p = prb_stage_get(L)->probe;
    const char *k = lua_tostring(L, 2);
    if (!k) return prb_stage_error(L, "p has no such field");
    for (int i = 0; i < PRB_NTPARAMS; i++)
        if (!strcmp(k, prb_tparam_names[i])) return tparam(L, (prb_tparam)i);
    if (!strcmp(k, "rec")) {
        if (p->default_map < 0)
            return prb_stage_error(L, "p.rec: the probe has no default map (declare "
                                   "map = nt.map{...}, or use p.maps.NAME)");
        push_map_proxy(L, p->default_map);
        return 1;
    }
    if (!strcmp(k, "maps")) {
        lua_newtable(L);
        lua_newtable(L);
        lua_pushcfunction(L, maps_index);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, -2);
        return 1;
    }
    if (!strcmp(k, "cnt")) { push_decl_proxy(L, true); return 1; }
    if (!strcmp(k, "var")) { push_decl_proxy(L, false); return 1; }
    if (!strcmp(k, "save")) { lua_pushcfunction(L, p_save); return 1; }
    return prb_stage_error(L, "p has no field '%s' (fields: rec, maps, cnt, var, save, "
                           "addr, bytes, space, opcode, guard, issue_clock, region)", k);
}

static int p_newindex(lua_State *L)
{
    return prb_stage_error(L, "cannot assign p.%s: assign fields of p.rec, p.cnt or "
                           "p.var instead", lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

static prb_tp_kind kind_of(lua_State *L, const char *k)
{
    static const char *const names[] = { "entry", "exit", "before", "after", "first_use",
                                         "region_begin", "region_end" };
    for (size_t i = 0; i < NT_ARRAY_LEN(names); i++)
        if (!strcmp(k, names[i])) return (prb_tp_kind)i;
    prb_stage_error(L, "probe description: unknown handler kind '%s'", k);
    return PRB_TP_ENTRY;
}

static void build_handlers(lua_State *L, prb_probe *p, int spec)
{
    prb_stage *st = prb_stage_get(L);
    lua_getfield(L, spec, "handlers");
    int hs = lua_gettop(L);
    if (!lua_istable(L, hs)) prb_stage_error(L, "probe description: no handlers");
    lua_Integer n = luaL_len(L, hs);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, hs, i);
        int h = lua_gettop(L);
        if (!lua_istable(L, h)) prb_stage_error(L, "probe description: bad handler %d", (int)i);
        prb_handler hd = {0};
        hd.kind = kind_of(L, get_string(L, h, "kind"));
        lua_getfield(L, h, "line");
        hd.line = (int32_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (hd.kind >= PRB_TP_BEFORE) {
            hd.pattern = nt_arena_strdup(&p->arena, get_string(L, h, "pattern"));
            nt_err e = {0};
            if (hd.kind < PRB_TP_REGION_BEGIN && prb_pattern_check(hd.pattern, &e) != 0)
                prb_stage_error(L, "%s", e.msg);
        }
        hd.block = prb_new_block(p, -1);
        nt_vec_push(&p->handlers, hd);
        lua_getfield(L, h, "fn");
        if (!lua_isfunction(L, -1)) prb_stage_error(L, "probe description: handler without a function");
        /* the context p */
        lua_newtable(L);
        lua_newtable(L);
        lua_pushcfunction(L, p_index);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, p_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_setmetatable(L, -2);
        st->cur_handler = (int32_t)p->handlers.n - 1;
        st->cur_block = hd.block;
        lua_call(L, 1, 0);
        st->cur_handler = -1;
        st->cur_block = -1;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

int prb_stage_build(lua_State *L, int spec)
{
    prb_stage *st = prb_stage_get(L);
    prb_probe *p = st->probe;
    lua_getfield(L, spec, "__nt_probe");
    bool ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!ok)
        return prb_stage_error(L, "the script must return nt.probe \"name\" { ... }");
    p->name = nt_arena_strdup(&p->arena, get_string(L, spec, "name"));
    const char *lv = get_string(L, spec, "level");
    p->level = !strcmp(lv, "thread") ? PRB_LEVEL_THREAD :
               !strcmp(lv, "block") ? PRB_LEVEL_BLOCK : PRB_LEVEL_WARP;
    build_maps(L, p, spec);
    build_decls(L, p, spec, true);
    build_decls(L, p, spec, false);
    build_handlers(L, p, spec);
    return 0;
}
