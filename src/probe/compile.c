/* compile.c — probe script -> prb_probe: sandbox, run, stage, check. */
#include "probe/probe_int.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

/* Runs the chunk (pushed by the caller) and stages what it returns;
 * protected by the sandbox's pcall. */
static int compile_main(lua_State *L)
{
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return prb_stage_error(L, "the script must return nt.probe \"name\" { ... } "
                               "(it returned %s)", luaL_typename(L, -1));
    return prb_stage_build(L, lua_gettop(L));
}

static const char *default_lua_dir(void)
{
    const char *d = getenv("NTRACE_LUA_DIR");
    return d && *d ? d : "lua";
}

prb_probe *prb_compile_string(const char *src, size_t len, const char *chunkname,
                              const char *lua_dir, const prb_limits *lim, nt_err *e)
{
    prb_probe *p = nt_xcalloc(1, sizeof *p);
    nt_arena_init(&p->arena, 0);
    p->counters_map = p->default_map = -1;
    p->file = nt_arena_strdup(&p->arena, chunkname);
    prb_stage st = { .probe = p, .chunkname = p->file, .cur_block = -1,
                     .cur_handler = -1 };
    prb_sandbox *sb = prb_sandbox_new(lua_dir ? lua_dir : default_lua_dir(), lim, &st);
    if (!sb) {
        nt_err_set(e, "%s: cannot create the Lua state", chunkname);
        prb_free(p);
        return NULL;
    }
    lua_State *L = prb_sandbox_lua(sb);
    char name[1100];
    snprintf(name, sizeof name, "@%s", chunkname);
    /* mode "t": a probe is Lua text, never precompiled bytecode. */
    int rc = luaL_loadbufferx(L, src, len, name, "t");
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (rc == LUA_ERRMEM)
            nt_err_set(e, "%s: out of memory while loading", chunkname);
        else if (m && strstr(m, "attempt to load a binary"))
            nt_err_set(e, "%s: probe scripts must be Lua source, not precompiled "
                       "bytecode", chunkname);
        else
            nt_err_set(e, "%s", m ? m : "cannot load the probe script");
        prb_sandbox_free(sb);
        prb_free(p);
        return NULL;
    }
    lua_pushcfunction(L, compile_main);
    lua_insert(L, -2);
    int r = prb_sandbox_pcall(sb, 1, 0, e);
    prb_sandbox_free(sb);
    if (r != 0) {
        prb_free(p);
        return NULL;
    }
    return p;
}

prb_probe *prb_compile_file(const char *path, const char *lua_dir,
                            const prb_limits *lim, nt_err *e)
{
    nt_file f;
    if (nt_file_open(&f, path, e) != 0) return NULL;
    prb_probe *p = prb_compile_string(f.data, f.size, path, lua_dir, lim, e);
    nt_file_close(&f);
    return p;
}
