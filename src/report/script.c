/* script.c — `--script FILE.lua`: user analyses in a Lua 5.4 sandbox.
 *
 * The sandbox: base, string, table, math and utf8 only (no io, os, package,
 * debug; no dofile/loadfile/load, so no bytecode either), memory bounded by
 * the allocator, VM instructions bounded by a count hook.  The one way out
 * is nt.query(sql, ...): a single statement that SQLite's authorizer lets
 * only read (SELECT, reads, functions; no ATTACH, no PRAGMA), on a
 * connection opened read-only.  Rows come back as tables keyed by column
 * name, with `columns` listing the names in order.
 *
 * The script's result is printed: a list of rows as a table, a list of
 * scalars one per line, a record as "key  value" lines, a scalar as is.  A
 * chunk that returns a function, or a table with an `analyze` function (a
 * probe file), has it called with `nt` and its result printed. */
#include "report/report_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

/* mem comes first: the Lua allocator's ud is &s->mem, which is s. */
typedef struct sbox {
    nt_budget mem;
    rep_db *db;
    FILE *out;
    uint64_t instrs, max_instrs;
} sbox;

#define HOOK_EVERY 10000

static sbox *box_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static void sb_hook(lua_State *L, lua_Debug *ar)
{
    sbox *s = box_of(L);
    s->instrs += HOOK_EVERY;
    if (s->instrs > s->max_instrs)
        luaL_error(L, "script stopped: instruction limit (%I) reached",
                   (lua_Integer)s->max_instrs);
}

static int deny_writes(void *ud, int action, const char *a, const char *b, const char *c,
                       const char *d)
{
    switch (action) {
    case SQLITE_SELECT: case SQLITE_READ: case SQLITE_FUNCTION: case SQLITE_RECURSIVE:
        return SQLITE_OK;
    default:
        return SQLITE_DENY;
    }
}

/* A statement owned by a userdata, so a Lua error (memory, limit) while the
 * rows are built still finalizes it. */
static int stmt_gc(lua_State *L)
{
    sqlite3_stmt **p = luaL_checkudata(L, 1, "nt.stmt");
    sqlite3_finalize(*p);
    *p = NULL;
    return 0;
}

static int nt_query(lua_State *L)
{
    sbox *s = box_of(L);
    const char *sql = luaL_checkstring(L, 1);
    int nargs = lua_gettop(L) - 1;
    sqlite3_stmt **p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = NULL;
    luaL_setmetatable(L, "nt.stmt");
    const char *tail = NULL;
    sqlite3_set_authorizer(s->db->db, deny_writes, NULL);
    int rc = sqlite3_prepare_v2(s->db->db, sql, -1, p, &tail);
    sqlite3_set_authorizer(s->db->db, NULL, NULL);
    if (rc != SQLITE_OK)
        return luaL_error(L, "nt.query: %s (only reading SELECTs are allowed)",
                          sqlite3_errmsg(s->db->db));
    if (!*p) return luaL_error(L, "nt.query: empty statement");
    while (tail && *tail && strchr(" \t\r\n;", *tail)) tail++;
    if (tail && *tail) return luaL_error(L, "nt.query: one statement at a time");
    if (!sqlite3_stmt_readonly(*p)) return luaL_error(L, "nt.query: only SELECT is allowed");
    if (nargs > sqlite3_bind_parameter_count(*p))
        return luaL_error(L, "nt.query: %d values for %d parameters", nargs,
                          sqlite3_bind_parameter_count(*p));
    for (int i = 1; i <= nargs; i++) {
        int idx = i + 1;
        switch (lua_type(L, idx)) {
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx)) sqlite3_bind_int64(*p, i, lua_tointeger(L, idx));
            else sqlite3_bind_double(*p, i, lua_tonumber(L, idx));
            break;
        case LUA_TSTRING: {
            size_t n;
            const char *v = lua_tolstring(L, idx, &n);
            sqlite3_bind_text(*p, i, v, (int)n, SQLITE_TRANSIENT);
            break;
        }
        case LUA_TBOOLEAN: sqlite3_bind_int(*p, i, lua_toboolean(L, idx)); break;
        case LUA_TNIL: sqlite3_bind_null(*p, i); break;
        default: return luaL_error(L, "nt.query: value %d is a %s", i, luaL_typename(L, idx));
        }
    }
    int ncol = sqlite3_column_count(*p);
    lua_newtable(L);                      /* rows */
    lua_createtable(L, ncol, 0);          /* rows.columns */
    for (int c = 0; c < ncol; c++) {
        lua_pushstring(L, sqlite3_column_name(*p, c));
        lua_rawseti(L, -2, c + 1);
    }
    lua_setfield(L, -2, "columns");
    lua_Integer n = 0;
    while ((rc = sqlite3_step(*p)) == SQLITE_ROW) {
        sb_hook(L, NULL);                 /* a row costs like instructions do */
        lua_createtable(L, 0, ncol);
        for (int c = 0; c < ncol; c++) {
            switch (sqlite3_column_type(*p, c)) {
            case SQLITE_INTEGER: lua_pushinteger(L, sqlite3_column_int64(*p, c)); break;
            case SQLITE_FLOAT: lua_pushnumber(L, sqlite3_column_double(*p, c)); break;
            case SQLITE_NULL: lua_pushnil(L); break;
            default:
                lua_pushlstring(L, (const char *)sqlite3_column_text(*p, c),
                                (size_t)sqlite3_column_bytes(*p, c));
            }
            lua_setfield(L, -2, sqlite3_column_name(*p, c));
        }
        lua_rawseti(L, -2, ++n);
    }
    if (rc != SQLITE_DONE) return luaL_error(L, "nt.query: %s", sqlite3_errmsg(s->db->db));
    sqlite3_finalize(*p);
    *p = NULL;
    return 1;
}

static int sb_print(lua_State *L)
{
    sbox *s = box_of(L);
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        if (i > 1) fputc('\t', s->out);
        fputs(luaL_tolstring(L, i, NULL), s->out);
        lua_pop(L, 1);
    }
    fputc('\n', s->out);
    return 0;
}

static void open_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(libs); i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    static const char *const drop[] = {"dofile", "loadfile", "load", "collectgarbage",
                                       "require"};
    for (size_t i = 0; i < NT_ARRAY_LEN(drop); i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    lua_pushcfunction(L, sb_print);
    lua_setglobal(L, "print");
    luaL_newmetatable(L, "nt.stmt");
    lua_pushcfunction(L, stmt_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, nt_query);
    lua_setfield(L, -2, "query");
    lua_setglobal(L, "nt");
}

/* Prints the value at the top of the stack (see the file comment). */
static void print_result(lua_State *L, rep_db *db, FILE *out)
{
    int t = lua_gettop(L);
    if (lua_isnil(L, t)) return;
    if (!lua_istable(L, t)) {
        fprintf(out, "%s\n", luaL_tolstring(L, t, NULL));
        lua_pop(L, 1);
        return;
    }
    rep_doc d;
    rep_doc_init(&d);
    nt_sb cols = {0};
    lua_rawgeti(L, t, 1);
    bool rows = lua_istable(L, -1);
    bool list = !lua_isnil(L, -1);
    if (rows) {
        /* Column order: rows.columns when there (nt.query), else the first
         * row's keys in sorted order. */
        NT_VEC(const char *) names = {0};
        lua_getfield(L, t, "columns");
        if (lua_istable(L, -1)) {
            for (lua_Integer i = 1; lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
                nt_vec_push(&names, nt_arena_strdup(&d.a, lua_tostring(L, -1)));
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (!names.n) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pop(L, 1);
                if (lua_type(L, -1) == LUA_TSTRING)
                    nt_vec_push(&names, nt_arena_strdup(&d.a, lua_tostring(L, -1)));
            }
            for (size_t a = 0; a < names.n; a++)
                for (size_t b = a + 1; b < names.n; b++)
                    if (strcmp(names.v[b], names.v[a]) < 0) {
                        const char *x = names.v[a]; names.v[a] = names.v[b]; names.v[b] = x;
                    }
        }
        for (size_t i = 0; i < names.n; i++) {
            if (i) nt_sb_putc(&cols, '|');
            nt_sb_puts(&cols, names.v[i]);
        }
        rep_table *tb = rep_table_new(&d, "result", "script result", names.n ? nt_sb_str(&cols) : "(no columns)");
        lua_pop(L, 1);
        for (lua_Integer r = 1; lua_rawgeti(L, t, r) == LUA_TTABLE; r++) {
            rep_row(tb);
            for (size_t c = 0; c < names.n; c++) {
                lua_getfield(L, -1, names.v[c]);
                if (lua_isinteger(L, -1)) rep_put_i(tb, lua_tointeger(L, -1));
                else if (lua_type(L, -1) == LUA_TNUMBER) rep_put_f(tb, lua_tonumber(L, -1), 3);
                else if (lua_isnil(L, -1)) rep_put_null(tb);
                else rep_put_s(&d, tb, luaL_tolstring(L, -1, NULL)), lua_pop(L, 1);
                lua_pop(L, 1);
            }
            if (!names.n) rep_put_null(tb);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        nt_vec_free(&names);
        rep_doc_write(&d, REP_TEXT, out);
    } else if (list) {
        lua_pop(L, 1);
        for (lua_Integer r = 1; lua_rawgeti(L, t, r) != LUA_TNIL; r++) {
            fprintf(out, "%s\n", luaL_tolstring(L, -1, NULL));
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
        rep_table *tb = rep_table_new(&d, "result", "script result", "key|value");
        lua_pushnil(L);
        while (lua_next(L, t)) {
            rep_row(tb);
            rep_put_s(&d, tb, luaL_tolstring(L, -2, NULL));
            lua_pop(L, 1);
            rep_put_s(&d, tb, luaL_tolstring(L, -1, NULL));
            lua_pop(L, 2);
        }
        rep_doc_write(&d, REP_TEXT, out);
    }
    nt_sb_free(&cols);
    rep_doc_free(&d);
    lua_settop(L, t - 1);
}

static int run_chunk(lua_State *L)
{
    const char *path = lua_touserdata(L, 1);
    rep_db *db = lua_touserdata(L, 2);
    FILE *out = lua_touserdata(L, 3);
    lua_settop(L, 0);
    if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
    lua_call(L, 0, 1);
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "analyze");
        if (lua_isfunction(L, -1)) lua_remove(L, -2);
        else lua_pop(L, 1);
    }
    if (lua_isfunction(L, -1)) {
        lua_getglobal(L, "nt");
        lua_call(L, 1, 1);
    }
    print_result(L, db, out);
    return 0;
}

int rep_script(rep_db *db, const char *path, const rep_script_limits *lim, FILE *out, nt_err *e)
{
    sbox s = {
        .db = db, .out = out,
        .mem.limit = lim && lim->mem_bytes ? lim->mem_bytes : (size_t)64 << 20,
        .max_instrs = lim && lim->instrs ? lim->instrs : 1000000000ull,
    };
    lua_State *L = lua_newstate(nt_budget_alloc, &s.mem);
    if (!L) return nt_err_set(e, "%s: cannot start Lua", path);
    lua_sethook(L, sb_hook, LUA_MASKCOUNT, HOOK_EVERY);
    open_sandbox(L);
    lua_pushcfunction(L, run_chunk);
    lua_pushlightuserdata(L, (void *)path);
    lua_pushlightuserdata(L, db);
    lua_pushlightuserdata(L, out);
    int rc = lua_pcall(L, 3, 0, 0);
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        nt_err_set(e, "%s", m ? m : "script failed (error object is not a string)");
    }
    lua_close(L);
    return rc == LUA_OK ? 0 : -1;
}
