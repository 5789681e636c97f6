/*
 * exec.h — private to src/emu: the decoded kernel form and the executor's
 * state (warps, blocks, SMs).
 *
 * Decoded form: a kernel and every .func it reaches are lowered into one
 * array of xins.  Every source operand is a register index: immediates,
 * symbol addresses and the constant 0 live in "constant registers" that a
 * warp fills once when it starts, so a handler never tests operand kinds.
 * Register r of lane l of a warp is w->r[r * 32 + l] (64-bit raw bits;
 * narrower values are kept zero-extended, predicates are 0/1).
 *
 * Functions get static, non-overlapping register ranges and frames in
 * per-thread local memory (calls are not reentrant; recursion is refused
 * at load time).  A frame holds the function's .param parameters and
 * return values, the .param variables of its call sites and its .local
 * variables.
 */
#ifndef EMU_EXEC_H
#define EMU_EXEC_H

#include <stdio.h>
#include "emu/emu.h"
#include "ptx/ptx.h"

#define XNOREG 0xffffffffu
#define WARP 32

/* Address spaces as the executor resolves them. */
enum xspace {
    XS_GENERIC = 0,   /* decided per lane by the address window */
    XS_GLOBAL,        /* device memory (global and const) */
    XS_SHARED,        /* offset in the block's shared memory */
    XS_LOCAL,         /* offset in the thread's local memory */
    XS_KPARAM,        /* offset in the kernel parameter buffer */
};

/* Instruction kinds the issue loop handles itself. */
enum xkind {
    XK_OP = 0,        /* ordinary: in->fn */
    XK_BRA,           /* bra target (rpc = reconvergence pc) */
    XK_CALL,          /* call: copy arguments, enter callee */
    XK_CALLRET,       /* after a call: copy return values */
    XK_EXIT,          /* exit (and ret of the kernel) */
    XK_BAR,           /* bar.sync / barrier.sync / bar.red (wait) */
    XK_BAR_ARRIVE,    /* bar.arrive (no wait) */
    XK_TRAP,          /* trap / brkpt */
    XK_END,           /* end of a function (never issued) */
};

typedef struct xrun xrun;
typedef struct warp warp;
typedef struct xins xins;

/* Returns EMU_OK or an emu_status (x->e holds the message). */
typedef int (*xfn)(xrun *x, warp *w, const xins *in, uint32_t m);

/* A copy of call arguments or return values between frames. */
typedef struct xcopy {
    uint32_t src_reg;   /* XNOREG: copy from local src_off instead */
    uint32_t src_off, dst_off, size;
    uint32_t dst_reg;   /* rets into a register (XNOREG: into dst_off) */
} xcopy;

struct xins {
    xfn      fn;
    uint8_t  kind;       /* xkind */
    uint8_t  type;       /* ptx_type of the operation */
    uint8_t  type2;      /* cvt: source type */
    uint8_t  space;      /* xspace of a memory access */
    uint8_t  mode;       /* op-specific (comparison, shuffle mode, ...) */
    uint8_t  mode2;      /* op-specific (setp's boolean op, ...) */
    uint8_t  vec;        /* vector width of ld/st/mov (1, 2, 4) */
    uint8_t  guard_neg;
    uint8_t  negs;       /* bit i: source i (a, b, c, e) is a negated predicate */
    uint8_t  dyn;        /* address is relative to the dynamic shared base */
    uint8_t  sreg;       /* mov/cvt: source is special register (ptx_sreg),
                            component in e */
    uint8_t  pad_;
    uint32_t guard;      /* predicate register or XNOREG */
    uint32_t d[4];       /* destinations (XNOREG: sink) */
    uint32_t a, b, c, e; /* sources */
    int64_t  off;        /* address offset */
    uint32_t target;     /* branch target / callee entry pc */
    uint32_t rpc;        /* reconvergence pc (branches, calls) */
    uint32_t ncopy;      /* call: argument copies; callret: return copies */
    xcopy   *copy;
    uint32_t line;       /* PTX source line */
    const char *name;    /* instruction name as written (messages) */
    uint32_t name_len;
};

typedef struct xparam { uint32_t off, size; } xparam;

struct emu_kernel {
    char       *name;
    xins       *code;
    uint32_t    ncode;
    uint32_t    entry_end;   /* pc of the kernel's XK_END */
    uint32_t    nregs;       /* all registers incl. constants */
    uint32_t    nconst;      /* constant registers: [nregs-nconst, nregs) */
    uint64_t   *consts;      /* their values */
    uint32_t    ptx_regs;    /* registers of the entry (for attributes) */
    uint32_t    nparams;
    xparam     *params;
    uint32_t    params_size;
    uint32_t    smem_static;
    uint32_t    local_size;  /* bytes per thread */
    uint32_t    max_threads;
    char       *bad;         /* set: launching fails with this message */
    struct emu_module *mod;
};

struct emu_module {
    ptx_module *ptx;
    char       *text;        /* the PTX, owned (the IR points into it) */
    emu_kernel **kernels;
    int         nkernels;
    /* module variables with device storage */
    struct mvar { char *name; uint64_t addr; size_t size; } *vars;
    int         nvars;
};

/* ---- run-time state ------------------------------------------------------- */
typedef struct xstk { uint32_t pc, rpc, mask; } xstk;

typedef struct xblock xblock;

enum wstate { W_READY = 0, W_BAR, W_DONE };

struct warp {
    uint64_t *r;             /* [nregs][32] */
    uint8_t  *local;         /* [32][local_size] */
    xstk     *stk;           /* SIMT stack */
    uint32_t  sp, stk_cap;
    uint32_t  exited;        /* lanes that ran exit */
    uint32_t  valid;         /* lanes that exist (partial last warp) */
    uint8_t   state;         /* wstate */
    uint8_t   bar_id;
    uint32_t  bar_dst;       /* bar.red destination register */
    uint32_t  bar_mask;      /* lanes that arrived (bar.red) */
    uint32_t  slot;          /* %warpid on its SM */
    uint32_t  wib;           /* warp index in its block */
    xblock   *blk;
    uint32_t  sm;
};

#define NBAR 16
struct xblock {
    uint32_t ctaid[3];
    uint8_t *smem;
    uint32_t nwarps, live;   /* warps, warps not done */
    uint32_t bar_arrived[NBAR];     /* warps arrived */
    uint32_t bar_expect[NBAR];      /* warps expected (0: all live) */
    uint32_t bar_red[NBAR];         /* bar.red accumulator */
    uint8_t  bar_redop[NBAR];
    warp    *warps;
    uint32_t sm;
};

typedef struct xsm {
    uint64_t clock;
    warp   **res;            /* resident warps by slot (NULL: free) */
    uint32_t rr;             /* round-robin cursor */
    uint32_t nres;           /* resident warps */
    uint32_t smem_used;
    xblock **blocks;         /* resident blocks */
    uint32_t nblocks;
} xsm;

struct xrun {
    const emu_launch *l;
    const emu_kernel *k;
    const xins *code;
    xsm      *sms;
    uint32_t  nsms;
    nt_err   *e;
    int       fault;         /* status of the last failed x_addr */
    emu_stats st;
    uint32_t  threads_per_block;
    uint32_t  warps_per_block;
    uint32_t  smem_size;     /* static + dynamic */
    /* last global allocation hit (fast path) */
    uint64_t  gbase, gsize;
    uint8_t  *ghost;
};

/* Executor services for the handlers (exec.c). */
/* Host pointer for n bytes at addr in space sp for lane l of w; NULL and an
 * error set on a bad access. */
uint8_t *x_addr(xrun *x, warp *w, const xins *in, int sp, uint64_t addr,
                uint32_t n, int lane);
int      x_fail(xrun *x, const xins *in, int status, const char *fmt, ...)
         NT_PRINTF(4, 5);
uint32_t x_lane_tid(const xrun *x, const warp *w, int lane, int comp);

/* Special register value for a lane; -1 when not emulated. */
int      x_sreg(xrun *x, warp *w, int lane, int sreg, int comp, uint64_t *v);

/* Lowering picks handlers (ops_*.c); NULL when the emulator lacks it
 * (e set only for malformed operands). */
xfn ops_pick(const ptx_instr *in, xins *x, nt_err *e);
xfn ops_pick_int(const ptx_instr *in, xins *x);
xfn ops_pick_float(const ptx_instr *in, xins *x);
xfn ops_pick_mov(const ptx_instr *in, xins *x);
xfn ops_pick_mem(const ptx_instr *in, xins *x);
xfn ops_pick_warp(const ptx_instr *in, xins *x);

/* Handler helpers. */
#define XREG(rg) (&w->r[(size_t)(rg) * WARP])
/* Runs body for each lane l of m (straight loop when all are active). */
#define LANES(...) do {                                                    \
        if (m == 0xffffffffu) { for (int l = 0; l < WARP; l++) { __VA_ARGS__ } } \
        else for (uint32_t mm_ = m; mm_; mm_ &= mm_ - 1) {                  \
            int l = __builtin_ctz(mm_); __VA_ARGS__ }                      \
    } while (0)
#define XARGS xrun *x, warp *w, const xins *in, uint32_t m

/* ipdom.c: fills rpc of every XK_BRA in code[lo, hi) (hi-1 is XK_END). */
int x_ipdom(xins *code, uint32_t lo, uint32_t hi, nt_err *e);

static inline uint64_t f2b(float f) { uint32_t u; __builtin_memcpy(&u, &f, 4); return u; }
static inline float b2f(uint64_t b) { uint32_t u = (uint32_t)b; float f; __builtin_memcpy(&f, &u, 4); return f; }
static inline uint64_t d2b(double d) { uint64_t u; __builtin_memcpy(&u, &d, 8); return u; }
static inline double b2d(uint64_t b) { double d; __builtin_memcpy(&d, &b, 8); return d; }

#endif
