/*
 * probe_int.h — private to src/probe: IR construction and the staging
 * state shared by the Lua bindings.
 */
#ifndef NT_PROBE_INT_H
#define NT_PROBE_INT_H

#include "probe/probe.h"

struct lua_State;

/* ---- IR construction (ir.c) ---- */
int32_t prb_new_value(prb_probe *p, prb_type t, prb_vkind k, int32_t block);
/* Appends an op to block b; returns its index in the block. */
size_t  prb_emit(prb_probe *p, int32_t b, const prb_op *op);
int32_t prb_new_block(prb_probe *p, int32_t parent);
prb_op  prb_op_init(prb_opk kind, int line);
/* Record layout of a map in its field order (buf_record_layout); -1 with
 * e when it has too many fields. */
int     prb_map_layout(prb_map *m, nt_err *e);
/* Orders fields largest first, then by name (counters; maps declared with
 * name = "type" keys, whose order Lua does not keep). */
void    prb_map_sort_fields(prb_map *m);

/* Is block `inner` equal to block `outer` or nested in it? */
bool    prb_block_within(const prb_probe *p, int32_t inner, int32_t outer);

extern const char *const prb_sreg_names[PRB_NSREGS];
extern const char *const prb_tparam_names[PRB_NTPARAMS];

/* ---- staging state (stage_*.c) ---- */
typedef struct prb_stage {
    prb_probe  *probe;
    const char *chunkname;      /* the user's script, for messages */
    int32_t     cur_block;      /* -1 outside a handler body */
    int32_t     cur_handler;    /* -1 outside a handler body */
} prb_stage;

prb_stage *prb_stage_get(struct lua_State *L);
/* Raises a Lua error "file:line: msg" at the user's nearest script line. */
int  prb_stage_error(struct lua_State *L, const char *fmt, ...) NT_PRINTF(2, 3);
/* The user's current script line (0 if none on the stack). */
int  prb_stage_line(struct lua_State *L);
/* Registers the value metatable and the `ntrace.core` functions. */
void prb_stage_open_values(struct lua_State *L);
void prb_stage_open_core(struct lua_State *L);
/* Pushes a new symbolic value for IR value v. */
void prb_push_value(struct lua_State *L, int32_t v);
/* The IR value at Lua index idx; Lua numbers/booleans become constants of
 * type `want` (PRB_NTYPES: infer).  Raises a script error otherwise. */
int32_t prb_check_value(struct lua_State *L, int idx, int want, const char *what);
/* Value with type t converted from v (cvt); errors unless lossless when
 * `implicit` is set. */
int32_t prb_convert(struct lua_State *L, int32_t v, prb_type t, bool implicit,
                    const char *what);
/* Emits op in the current block (raises outside a handler). */
int32_t prb_stage_emit_value(struct lua_State *L, prb_op *op, prb_type t,
                             bool varying);
void    prb_stage_require_handler(struct lua_State *L, const char *what);
/* Runs the probe's handlers (stage_probe.c). */
int  prb_stage_build(struct lua_State *L, int spec_idx);

/* ---- sandbox (sandbox.c) ---- */
typedef struct prb_sandbox prb_sandbox;
prb_sandbox *prb_sandbox_new(const char *lua_dir, const prb_limits *lim,
                             prb_stage *st);
struct lua_State *prb_sandbox_lua(prb_sandbox *sb);
void prb_sandbox_free(prb_sandbox *sb);
/* Runs the Lua function on top of the stack with nargs arguments in
 * protected mode; on error writes the message into e and returns -1. */
int  prb_sandbox_pcall(prb_sandbox *sb, int nargs, int nres, nt_err *e);

#endif
