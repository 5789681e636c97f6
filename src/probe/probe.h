/*
 * probe.h — probes: the Lua probe language, its IR, and PTX generation
 * (src/probe).  The one public header of the module; prefix prb_.
 *
 * A probe script (Lua 5.4, sandboxed) is run once at compile time.  Its
 * handler functions receive symbolic values; arithmetic, comparison and
 * assignment on them append operations to the probe IR below (staged
 * code).  After compilation the IR is plain C data, independent of Lua:
 * codegen turns it into PTX instruction text, and the rewriter inserts that
 * text into a kernel (docs/probe-language.md is the language reference).
 *
 * Memory: a prb_probe owns an nt_arena; everything reachable from it lives
 * there and is freed by prb_free().
 */
#ifndef NT_PROBE_H
#define NT_PROBE_H

#include "buffer/buffer.h"
#include "common/common.h"
#include "ptx/ptx.h"

/* ---- types ------------------------------------------------------------ */
typedef enum prb_type {
    PRB_U32 = 0, PRB_U64, PRB_S32, PRB_S64, PRB_F32, PRB_F64, PRB_PRED,
    PRB_NTYPES
} prb_type;

const char *prb_type_name(prb_type t);          /* "u32" ... "pred" */
int         prb_type_parse(const char *s);      /* -1 when unknown */
unsigned    prb_type_size(prb_type t);          /* bytes; pred: 1 */
bool        prb_type_is_int(prb_type t);
bool        prb_type_is_signed(prb_type t);
bool        prb_type_is_float(prb_type t);

/* ---- levels and tracepoints ------------------------------------------ */
typedef enum prb_level {
    PRB_LEVEL_THREAD = BUF_THREAD, PRB_LEVEL_WARP = BUF_WARP,
    PRB_LEVEL_BLOCK = BUF_BLOCK
} prb_level;

typedef enum prb_tp_kind {
    PRB_TP_ENTRY,        /* kernel.entry */
    PRB_TP_EXIT,         /* kernel.exit: before every ret/exit of the entry */
    PRB_TP_BEFORE,       /* before instructions matching a pattern */
    PRB_TP_AFTER,        /* after them */
    PRB_TP_USE,          /* before the first use of a load's result */
    PRB_TP_REGION_BEGIN, /* user region markers (ntrace/region.h) */
    PRB_TP_REGION_END,
} prb_tp_kind;

/* Does an opcode ("ld.global.v4.f32") match a tracepoint pattern?
 * Patterns are dot-separated; a trailing '*' on the last component matches
 * any rest ("ld.global*" matches ld.global.u32 and ld.global.nc.v2.f32,
 * "mma*" matches mma.sync...).  A pattern without '*' matches the opcode
 * exactly or as a prefix ending at a '.': "bar.sync" matches bar.sync and
 * bar.sync.aligned.  "a|b" matches either. */
bool prb_pattern_match(const char *pattern, const char *opcode);
/* Checks that a pattern names instructions ntrace can trace; -1 with a
 * message that lists the known families otherwise. */
int  prb_pattern_check(const char *pattern, nt_err *e);

/* ---- the IR ----------------------------------------------------------- */
/* Every IR value is one virtual register of the instrumented kernel.
 * Values of kind TEMP are written by exactly one op; COUNTER, FIELD and VAR
 * values are state that lives across tracepoints. */
typedef enum prb_vkind {
    PRB_V_TEMP, PRB_V_COUNTER, PRB_V_FIELD, PRB_V_VAR
} prb_vkind;

typedef struct prb_value {
    uint8_t type;          /* prb_type */
    uint8_t kind;          /* prb_vkind */
    uint8_t varying;       /* differs between the threads of a warp */
    uint8_t counter_read;  /* a TEMP that is a fresh read of a counter */
    int32_t owner;         /* COUNTER: counter index; FIELD: map index; -1 */
    int32_t field;         /* FIELD: field index in its map */
    int32_t block;         /* TEMP: block that defines it (-1: state) */
    int32_t acc;           /* TEMP: counter c when this is `c + x` / max(c, x), else -1 */
    int32_t line;          /* TEMP: script line that made it */
} prb_value;

typedef enum prb_opk {
    PRB_OP_CONST,      /* dst = imm / fimm */
    PRB_OP_SREG,       /* dst = intrinsic (sub: prb_sreg) */
    PRB_OP_TPARAM,     /* dst = tracepoint operand (sub: prb_tparam) */
    PRB_OP_BIN,        /* dst = a <sub: prb_binop> b */
    PRB_OP_CMP,        /* dst(pred) = a <sub: prb_cmp> b */
    PRB_OP_UN,         /* dst = <sub: prb_unop> a */
    PRB_OP_CVT,        /* dst = (type of dst) a */
    PRB_OP_SEL,        /* dst = c ? a : b */
    PRB_OP_READ,       /* dst = state value a (a fresh copy) */
    PRB_OP_WRITE,      /* state value dst = a */
    PRB_OP_WARP,       /* dst = reduction (sub: prb_warpop) of a over lanes */
    PRB_OP_SAVE,       /* save the current record of map `map` */
    PRB_OP_WHEN,       /* run block `block` where pred a holds */
    PRB_OP_PTX,        /* raw PTX text with $name operands (args) */
} prb_opk;

typedef enum prb_sreg {
    PRB_SR_CLOCK, PRB_SR_CLOCK64, PRB_SR_GLOBALTIMER, PRB_SR_SMID,
    PRB_SR_WARPID, PRB_SR_LANEID,
    PRB_SR_TID_X, PRB_SR_TID_Y, PRB_SR_TID_Z,
    PRB_SR_NTID_X, PRB_SR_NTID_Y, PRB_SR_NTID_Z,
    PRB_SR_CTAID_X, PRB_SR_CTAID_Y, PRB_SR_CTAID_Z,
    PRB_SR_NCTAID_X, PRB_SR_NCTAID_Y, PRB_SR_NCTAID_Z,
    PRB_SR_THREAD_LINEAR,   /* thread index in its block, x fastest */
    PRB_SR_BLOCK_LINEAR,    /* block index in the grid, x fastest */
    PRB_SR_WARP_LINEAR,     /* warp index in its block: thread_linear / 32 */
    PRB_SR_GWARP_LINEAR,    /* block_linear * warps_per_block + warp_linear */
    PRB_SR_ACTIVEMASK, PRB_SR_ACTIVE_LANES,
    PRB_NSREGS
} prb_sreg;

typedef enum prb_tparam {
    PRB_TP_ADDR,        /* u64: address operand (generic or of its space) */
    PRB_TP_BYTES,       /* u32: bytes accessed by this thread (0 if guard false) */
    PRB_TP_SPACE,       /* u32: prb_space of the access */
    PRB_TP_OPCODE,      /* u32: prb_opclass of the instruction */
    PRB_TP_GUARD,       /* pred: the guard predicate's value (true if none) */
    PRB_TP_ISSUE_CLOCK, /* u64: %clock64 right after the traced load (use:) */
    PRB_TP_REGION,      /* u32: region id (region tracepoints) */
    PRB_NTPARAMS
} prb_tparam;

typedef enum prb_space {
    PRB_SP_NONE = 0, PRB_SP_GENERIC, PRB_SP_GLOBAL, PRB_SP_SHARED, PRB_SP_LOCAL,
    PRB_SP_CONST, PRB_SP_PARAM, PRB_SP_TEX
} prb_space;

typedef enum prb_opclass {
    PRB_OC_OTHER = 0, PRB_OC_LOAD, PRB_OC_STORE, PRB_OC_ATOMIC, PRB_OC_BARRIER,
    PRB_OC_MMA, PRB_OC_ASYNC_COPY, PRB_OC_BRANCH, PRB_OC_ARITH, PRB_OC_CONTROL,
    PRB_NOPCLASSES
} prb_opclass;
const char *prb_opclass_name(prb_opclass c);
prb_opclass prb_opclass_of(const char *opcode);

typedef enum prb_binop {
    PRB_ADD, PRB_SUB, PRB_MUL, PRB_DIV, PRB_REM, PRB_AND, PRB_OR, PRB_XOR,
    PRB_SHL, PRB_SHR, PRB_MIN, PRB_MAX
} prb_binop;
typedef enum prb_cmp { PRB_EQ, PRB_NE, PRB_LT, PRB_LE, PRB_GT, PRB_GE } prb_cmp;
typedef enum prb_unop { PRB_NEG, PRB_NOT, PRB_POPC } prb_unop;
typedef enum prb_warpop { PRB_WSUM, PRB_WMAX, PRB_WBCAST } prb_warpop;

typedef struct prb_op {
    uint8_t kind;          /* prb_opk */
    uint8_t sub;
    int32_t dst, a, b, c;  /* value indices, -1 when unused */
    int32_t block;         /* WHEN: the guarded block; SAVE: unused */
    int32_t map;           /* SAVE: map index */
    union { uint64_t imm; double fimm; };
    const char  *text;     /* PTX: the text; arena */
    const char **argn;     /* PTX: operand names; arena */
    int32_t     *argv;     /* PTX: operand values */
    int32_t      nargs;
    int32_t      line;     /* probe source line, for messages and comments */
} prb_op;

typedef struct prb_block {
    int32_t parent;        /* -1 for a handler's top block */
    NT_VEC(prb_op) ops;
} prb_block;

typedef struct prb_field {
    const char *name;
    prb_type    type;
    uint32_t    offset;    /* byte offset in the record (a pred is a u32) */
    int32_t     value;     /* the FIELD state value */
} prb_field;

typedef struct prb_map {
    const char *name;
    uint32_t    cap;           /* records per slot */
    uint32_t    record_size;   /* multiple of 8 */
    bool        is_counters;   /* the implicit map of the counters */
    NT_VEC(prb_field) fields;  /* in record order: as declared with the
                                  {{name, type}, ...} form, else largest
                                  first, then by name; offsets from
                                  buf_record_layout (buffer.h) */
} prb_map;

typedef enum prb_ckind { PRB_CNT_SUM, PRB_CNT_MAX } prb_ckind;
typedef struct prb_counter {
    const char *name;
    prb_type    type;
    prb_ckind   kind;
    int32_t     value;         /* the COUNTER state value */
    int32_t     field;         /* its field in the counters map */
} prb_counter;

typedef struct prb_var {
    const char *name;
    prb_type    type;
    int32_t     value;
} prb_var;

typedef struct prb_handler {
    prb_tp_kind kind;
    const char *pattern;       /* BEFORE/AFTER/USE: opcode pattern; REGION: name */
    int32_t     block;         /* top block of the body */
    int32_t     line;          /* where nt.at/before/after was written */
    bool        uses_issue_clock;
} prb_handler;

typedef struct prb_probe {
    nt_arena    arena;
    const char *name;
    const char *file;          /* the script's path (arena) */
    prb_level   level;
    NT_VEC(prb_value)   values;
    NT_VEC(prb_block)   blocks;
    NT_VEC(prb_map)     maps;      /* user maps, then counters */
    NT_VEC(prb_counter) counters;
    NT_VEC(prb_var)     vars;
    NT_VEC(prb_handler) handlers;
    int32_t counters_map;          /* index in maps, -1 when no counters */
    int32_t default_map;           /* the map `p.rec` / `p:save()` use, -1 */
} prb_probe;

/* ---- compiling a probe script ---------------------------------------- */
typedef struct prb_limits {
    size_t   mem_bytes;      /* Lua heap limit (0: 64 MiB) */
    uint64_t instructions;   /* Lua VM instruction limit (0: 200 million) */
} prb_limits;

/* Directory of ntrace's own Lua modules (lua/): the only place `require`
 * loads from.  NULL: $NTRACE_LUA_DIR, else "lua" relative to the cwd. */
prb_probe *prb_compile_file(const char *path, const char *lua_dir,
                            const prb_limits *lim, nt_err *e);
/* The same from a string; `chunkname` is shown in messages ("probe.lua"). */
prb_probe *prb_compile_string(const char *src, size_t len, const char *chunkname,
                              const char *lua_dir, const prb_limits *lim,
                              nt_err *e);
void prb_free(prb_probe *p);

/* The buffer field type (enum buf_ftype) a field of this type is stored
 * as in records (a pred is a u32 0/1). */
uint8_t prb_buf_type(prb_type t);

/* The buffer maps the probe's code expects, in map-table order (map i of
 * the probe is descriptor i): level, record_size, cap and map_id, for
 * buf_layout_compute.  out holds BUF_MAX_MAPS; returns the count: every
 * map is the user's (or the counters'), so each gets a collector table;
 * ntrace's own block-exit ticket lives in shared memory, not the buffer. */
unsigned prb_buffer_specs(const prb_probe *p, buf_map_spec *out);

/* A readable dump of the IR (tests, `ntrace probe check -v`); caller frees. */
char *prb_dump(const prb_probe *p);

/* Lowest SM (compute capability * 10) that the generated code needs beyond
 * the baseline (sm_30, PTX 6.2); e.g. 80 when nt.warp_max is used. */
unsigned prb_min_sm(const prb_probe *p);

/* ---- code generation: probe IR -> PTX text ---------------------------
 * One prb_gen per instrumented kernel.  Every piece is PTX text (lines
 * ending in '\n') for the rewriter to insert; the pieces share registers,
 * so they belong to one kernel.  Registers are named %__pv*, %__px*,
 * %__pk* and %__pic*, shared variables __prb_*: the rewriter checks that
 * the kernel uses no such names.  Call prb_gen_decls() last: it declares
 * everything the other calls used. */
typedef struct prb_site {
    const char *opcode;       /* full instruction name: "ld.global.v4.f32" */
    const char *guard;        /* guard predicate register ("%p3"), NULL: none */
    bool        guard_neg;    /* @!%p3 */
    const char *addr_base;    /* register ("%rd4") or symbol of the address,
                                 NULL: no address operand */
    bool        addr_is_reg;  /* addr_base is a register (else a symbol) */
    bool        addr_reg32;   /* ... of 32 bits */
    int64_t     addr_off;     /* [base+off] */
    uint32_t    bytes;        /* bytes per thread accessed */
    prb_space   space;
    int32_t     issue_site;   /* USE handlers: the site's issue-clock register
                                 (from prb_gen_issue_clock), else -1 */
    uint32_t    region;       /* region tracepoints: prb_region_id(name) */
} prb_site;

typedef struct prb_gen prb_gen;

/* `sm`: the kernel's target (e.g. 80); `param`: the name of the added
 * .param .u64 that carries the probe buffer.  NULL with e when the probe
 * needs a newer target than the kernel's. */
prb_gen *prb_gen_new(const prb_probe *p, unsigned sm, const char *param, nt_err *e);
void     prb_gen_free(prb_gen *g);
/* Buffer setup, state initialisation, then the kernel.entry handlers:
 * inserted at the start of the kernel body (after its declarations). */
void prb_gen_entry(prb_gen *g, nt_sb *out);
/* kernel.exit handlers and the counters' flush: before every ret/exit. */
void prb_gen_exit(prb_gen *g, nt_sb *out);
/* Handler h (an instruction handler) at one site. */
void prb_gen_site(prb_gen *g, int h, const prb_site *s, nt_sb *out);
/* A new issue-clock register and the line that sets it (insert right
 * after the traced load); returns the site number for prb_site.issue_site.
 * With `pending`, the lines also set the site's flag %__pfu<k> (cleared
 * at entry by prb_gen_entry, so call this first): see rewrite.c. */
int32_t prb_gen_issue_clock(prb_gen *g, bool pending, nt_sb *out);
/* Declarations of every register (and the spill area) used so far:
 * inserted first in the kernel body. */
void prb_gen_decls(prb_gen *g, nt_sb *out);
/* Module-scope declarations (block level: the shared records and the
 * exit ticket), once per module, before its first function. */
bool prb_gen_needs_module_decls(const prb_gen *g);
void prb_gen_module_decls(prb_gen *g, nt_sb *out);
/* Exits inside called functions (gen_spill.c): the kernel's state saved
 * to its .local spill area (insert before a call that may reach an exit;
 * %__pk_sp then holds the area's generic address), and the callee's exit
 * path: a scope that declares the registers, loads them from the address
 * in %__pk_sp and runs exit_text (from prb_gen_exit). */
void prb_gen_spill_save(prb_gen *g, nt_sb *out);
void prb_gen_callee_exit(prb_gen *g, const char *exit_text, nt_sb *out);

/* ---- instrumenting kernels --------------------------------------------- */
typedef struct prb_inst_stats {
    unsigned kernels;        /* kernels instrumented */
    unsigned sites;          /* handler insertions at instructions */
    unsigned exits;          /* exit sequences inserted (kernel and callees) */
    unsigned exits_untraced; /* exits in called functions left without one
                                (a may-exit function's address is taken:
                                rewrite_exit.c) */
    unsigned uses_missed;    /* first_use loads whose result is never read
                                (or read at more than 64 places): no site */
    unsigned regions;        /* handler insertions at user-region markers */
} prb_inst_stats;

/* The id p.region gives for a region name: the low 32 bits of
 * nt_hash64(name, n, 0), so the host can map ids back to names. */
uint32_t prb_region_id(const char *name, size_t n);

/* Instruments kernel fn of m in place: declarations, the buffer prologue
 * and kernel.entry handlers at the start, instruction handlers around
 * matching instructions (guards respected), kernel.exit handlers and the
 * counters' flush before every ret/exit, and a last parameter
 * `.param .u64 <param>` (NULL: "__ntrace_buf") for the buffer pointer.
 * The kernel's own instructions are kept as they are. */
int prb_instrument(const prb_probe *p, ptx_module *m, ptx_func *fn, const char *param,
                   prb_inst_stats *stats, nt_err *e);
/* For a caller that prints kernel after kernel into one kept buffer,
 * before printing m: once a kernel is big (1 MiB of IR), reserves 8 MiB
 * there (nt_sb_reserve: huge pages, each faulted in once per process;
 * 4 KiB first touches were most of the time of the biggest kernels).
 * Small kernels never pay for a huge page. */
static inline void prb_out_reserve(nt_sb *out, const ptx_module *m)
{
    if (nt_arena_used(&m->arena) >= ((size_t)1 << 20)) nt_sb_reserve(out, (size_t)8 << 20);
}

/* Readies this process's working memory for instrumenting the kernels of
 * ix one by one (slice, prb_instrument, print into `out`): the kept PTX
 * arena (ptx_arena_prepare) and out are sized for ix's largest kernel and
 * their pages touched now.  First touch of fresh memory costs 15-100 us a
 * 4 KiB page on a virtual machine (up to ~5 ms a 2 MiB page), and without
 * this it lands on whichever kernel first needs more memory than any
 * before it.  Call once per module index (again is cheap: the memory is
 * kept); what it costs is a one-time cost, about 2 * 6 bytes per byte of
 * the largest kernel's text (counted up to 4 MiB of text).  Returns the
 * bytes made ready. */
size_t prb_prepare(const ptx_index *ix, nt_sb *out);

/* Text to text: slices `kernel` out of the module (NULL: instruments every
 * kernel of the whole module), instruments, prints.  Caller frees. */
char *prb_instrument_text(const prb_probe *p, const char *ptx, size_t len,
                          const char *file, const char *kernel,
                          prb_inst_stats *stats, nt_err *e);

#endif /* NT_PROBE_H */
