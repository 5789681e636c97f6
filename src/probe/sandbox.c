/*
 * sandbox.c — the Lua state a probe script runs in.
 *
 * What a script can reach: the base library without dofile/loadfile/load/
 * collectgarbage/print-to-stdout, string (without string.dump), table,
 * math, utf8, and a `require` that loads only ntrace's own modules from
 * lua_dir (text chunks, never bytecode).  No io, os, package, debug or
 * coroutine.  Memory is bounded by the allocator, time by an instruction
 * count hook; both end the script with a clear message.
 */
#include "probe/probe_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_EVERY 10000    /* VM instructions between hook calls */

/* mem comes first: the Lua allocator's ud is &sb->mem, which is sb. */
struct prb_sandbox {
    nt_budget   mem;
    lua_State  *L;
    uint64_t    steps, max_steps;
    bool        mem_fatal, time_hit;
    char        lua_dir[1024];
    prb_stage  *stage;
};

static prb_sandbox *sb_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static void sb_hook(lua_State *L, lua_Debug *ar)
{
    prb_sandbox *sb = sb_of(L);
    sb->steps += HOOK_EVERY;
    if (sb->steps > sb->max_steps) {
        sb->time_hit = true;
        char msg[160];
        snprintf(msg, sizeof msg, "probe script ran past its limit of %.1f million "
                 "Lua instructions (an endless loop?)", (double)sb->max_steps / 1e6);
        prb_stage_error(L, "%s", msg);
    }
}

/* require(name): ntrace.core (C) or lua_dir/<name with . as />.lua. */
static int sb_require(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "ntrace.loaded");
    lua_getfield(L, -1, name);
    if (!lua_isnil(L, -1)) return 1;
    lua_pop(L, 1);
    size_t n = strlen(name);
    bool ok = n > 0 && n < 64;
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '_' || (c == '.' && i && name[i - 1] != '.');
    }
    if (!ok)
        return prb_stage_error(L, "require '%s': not a module name; probes may "
                               "require only ntrace's own modules", name);
    prb_sandbox *sb = sb_of(L);
    char path[1200];
    int k = snprintf(path, sizeof path, "%s/", sb->lua_dir);
    for (size_t i = 0; i < n && k < (int)sizeof path - 8; i++)
        path[k++] = name[i] == '.' ? '/' : name[i];
    snprintf(path + k, sizeof path - (size_t)k, ".lua");
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) != 0)
        return prb_stage_error(L, "require '%s': no such ntrace module (probes "
                               "may require only ntrace's own modules, from %s)",
                               name, sb->lua_dir);
    char chunk[128];
    snprintf(chunk, sizeof chunk, "=[ntrace]/%s.lua", name);
    /* mode "t": text only, never precompiled bytecode. */
    int rc = luaL_loadbufferx(L, f.data, f.size, chunk, "t");
    nt_file_close(&f);
    if (rc != LUA_OK) return lua_error(L);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
}

/* pcall that cannot swallow the sandbox's own limits: a memory or time
 * error is raised again, so a script cannot loop around its limits. */
static int sb_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    prb_sandbox *sb = sb_of(L);
    if (rc == LUA_ERRMEM) sb->mem_fatal = true;
    if (rc != LUA_OK && (sb->mem_fatal || sb->time_hit)) return lua_error(L);
    lua_pushboolean(L, rc == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* print: to the log at info level, never to stdout. */
static int sb_print(lua_State *L)
{
    nt_sb b = {0};
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        if (i > 1) nt_sb_putc(&b, '\t');
        nt_sb_puts(&b, luaL_tolstring(L, i, NULL));
        lua_pop(L, 1);
    }
    nt_info("probe: %s", nt_sb_str(&b));
    nt_sb_free(&b);
    return 0;
}

static void open_lib(lua_State *L, const char *name, lua_CFunction f)
{
    luaL_requiref(L, name, f, 1);
    lua_pop(L, 1);
}

prb_sandbox *prb_sandbox_new(const char *lua_dir, const prb_limits *lim,
                             prb_stage *st)
{
    prb_sandbox *sb = nt_xcalloc(1, sizeof *sb);
    sb->mem.limit = lim && lim->mem_bytes ? lim->mem_bytes : (size_t)64 << 20;
    sb->max_steps = lim && lim->instructions ? lim->instructions : 200000000ull;
    snprintf(sb->lua_dir, sizeof sb->lua_dir, "%s", lua_dir);
    sb->stage = st;
    lua_State *L = lua_newstate(nt_budget_alloc, &sb->mem);
    if (!L) {
        free(sb);
        return NULL;
    }
    sb->L = L;
    lua_pushlightuserdata(L, st);
    lua_setfield(L, LUA_REGISTRYINDEX, "ntrace.stage");
    open_lib(L, LUA_GNAME, luaopen_base);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);
    static const char *const banned[] = {
        "dofile", "loadfile", "load", "loadstring", "collectgarbage", "require",
        "xpcall",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(banned); i++) {
        lua_pushnil(L);
        lua_setglobal(L, banned[i]);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    /* math.random is fine, but its seed would make compiles differ. */
    lua_register(L, "print", sb_print);
    lua_register(L, "pcall", sb_pcall);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "ntrace.loaded");
    prb_stage_open_values(L);
    prb_stage_open_core(L);     /* sets ntrace.loaded["ntrace.core"] */
    lua_register(L, "require", sb_require);
    lua_sethook(L, sb_hook, LUA_MASKCOUNT, HOOK_EVERY);
    return sb;
}

lua_State *prb_sandbox_lua(prb_sandbox *sb) { return sb->L; }

void prb_sandbox_free(prb_sandbox *sb)
{
    if (!sb) return;
    if (sb->L) lua_close(sb->L);
    free(sb);
}

static int sb_traceback(lua_State *L)
{
    /* Keep the message as is: prb_stage_error already put file:line first.
     * Non-string errors (error({})) get a readable form. */
    if (!lua_isstring(L, 1)) {
        const char *t = luaL_typename(L, 1);
        lua_pushfstring(L, "probe script raised a non-string error (a %s)", t);
    }
    return 1;
}

int prb_sandbox_pcall(prb_sandbox *sb, int nargs, int nres, nt_err *e)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, sb_traceback);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    if (rc == LUA_OK) return 0;
    if (sb->mem_fatal || rc == LUA_ERRMEM) {
        nt_err_set(e, "%s: probe script exceeded its memory limit of %zu MiB",
                   sb->stage->chunkname, sb->mem.limit >> 20);
    } else {
        const char *m = lua_tostring(L, -1);
        nt_err_set(e, "%s", m ? m : "probe script failed");
    }
    lua_pop(L, 1);
    return -1;
}
