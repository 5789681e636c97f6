/*
 * ptx.h — the PTX front end: lexer, parser, module IR, printer, module
 * index, kernel slicer, rewriting helpers and instruction facts.
 *
 * This is the one public header of src/ptx (docs/ptx.md explains the
 * design).  ptx knows nothing of CUDA or Lua.
 *
 * Two speeds of reading:
 *   - ptx_index_build(): a fast scan of a module text that finds the
 *     top-level items (directives, variables, functions) and their byte
 *     spans, without parsing instructions.
 *   - ptx_parse(): a full parse of a whole module into the IR, or
 *     ptx_slice(): a full parse of just one entry and what it reaches.
 *
 * Memory: a ptx_module owns an nt_arena; every IR node of the module lives
 * in it and ptx_module_free() releases all of it at once.  IR names
 * (ptx_str) point into the parsed text or into the arena, so the TEXT
 * GIVEN TO ptx_parse/ptx_slice MUST OUTLIVE THE MODULE (or pass
 * PTX_PARSE_COPY to have the module keep its own copy).
 *
 * Errors: every function that can fail takes an nt_err and writes one
 * line: "file:line:col: expected ')' after call arguments, found ';'".
 *
 * Stability: this API only grows.  Enum values of ptx_op/ptx_mod/ptx_type
 * may be renumbered when entries are added (use the names, not numbers).
 */
#ifndef NT_PTX_H
#define NT_PTX_H

#include "common/common.h"

/* ======================================================================
 * Strings
 * ==================================================================== */

/* A counted string, not NUL-terminated in general (it usually points into
 * the module text).  Print with "%.*s", (int)s.n, s.s. */
typedef struct ptx_str {
    const char *s;
    uint32_t    n;
} ptx_str;

static inline bool ptx_str_eq(ptx_str a, const char *lit)
{
    size_t i = 0;
    for (; i < a.n; i++)
        if (lit[i] != a.s[i]) return false;   /* also stops at lit's NUL */
    return lit[i] == '\0';
}
static inline bool ptx_str_same(ptx_str a, ptx_str b)
{
    if (a.n != b.n) return false;
    for (uint32_t i = 0; i < a.n; i++)
        if (a.s[i] != b.s[i]) return false;
    return true;
}

/* ======================================================================
 * Opcodes, modifiers, types, state spaces (enums, cheap to test)
 * ==================================================================== */

/* Opcode = the first dotted component of an instruction name ("ld" in
 * "ld.global.nc.v4.f32", "cp" in "cp.async.bulk.tensor.2d...").  Names
 * not in this list parse fine as PTX_OP_OTHER (their text is kept). */
#define PTX_OPS(X) \
    X(ABS, "abs") X(ACTIVEMASK, "activemask") X(ADD, "add") X(ADDC, "addc") \
    X(ALLOCA, "alloca") X(AND, "and") X(APPLYPRIORITY, "applypriority") \
    X(ATOM, "atom") X(BAR, "bar") X(BARRIER, "barrier") X(BFE, "bfe") \
    X(BFI, "bfi") X(BFIND, "bfind") X(BMSK, "bmsk") X(BRA, "bra") \
    X(BREV, "brev") X(BRKPT, "brkpt") X(BRX, "brx") X(CALL, "call") \
    X(CLUSTERLAUNCHCONTROL, "clusterlaunchcontrol") X(CLZ, "clz") \
    X(CNOT, "cnot") X(COPYSIGN, "copysign") X(COS, "cos") X(CP, "cp") \
    X(CREATEPOLICY, "createpolicy") X(CVT, "cvt") X(CVTA, "cvta") \
    X(DISCARD, "discard") X(DIV, "div") X(DP2A, "dp2a") X(DP4A, "dp4a") \
    X(ELECT, "elect") X(EX2, "ex2") X(EXIT, "exit") X(FENCE, "fence") \
    X(FMA, "fma") X(FNS, "fns") X(GETCTARANK, "getctarank") \
    X(GRIDDEPCONTROL, "griddepcontrol") X(ISSPACEP, "isspacep") \
    X(ISTYPEP, "istypep") X(LD, "ld") X(LDMATRIX, "ldmatrix") X(LDU, "ldu") \
    X(LG2, "lg2") X(LOP3, "lop3") X(MAD, "mad") X(MAD24, "mad24") \
    X(MADC, "madc") X(MAPA, "mapa") X(MATCH, "match") X(MAX, "max") \
    X(MBARRIER, "mbarrier") X(MEMBAR, "membar") X(MIN, "min") X(MMA, "mma") \
    X(MOV, "mov") X(MOVMATRIX, "movmatrix") X(MUL, "mul") X(MUL24, "mul24") \
    X(MULTIMEM, "multimem") X(NANOSLEEP, "nanosleep") X(NEG, "neg") \
    X(NOT, "not") X(OR, "or") X(PMEVENT, "pmevent") X(POPC, "popc") \
    X(PREFETCH, "prefetch") X(PREFETCHU, "prefetchu") X(PRMT, "prmt") \
    X(RCP, "rcp") X(RED, "red") X(REDUX, "redux") X(REM, "rem") X(RET, "ret") \
    X(RSQRT, "rsqrt") X(SAD, "sad") X(SELP, "selp") X(SET, "set") \
    X(SETMAXNREG, "setmaxnreg") X(SETP, "setp") X(SHF, "shf") X(SHFL, "shfl") \
    X(SHL, "shl") X(SHR, "shr") X(SIN, "sin") X(SLCT, "slct") X(SQRT, "sqrt") \
    X(ST, "st") X(STACKRESTORE, "stackrestore") X(STACKSAVE, "stacksave") \
    X(STMATRIX, "stmatrix") X(SUB, "sub") X(SUBC, "subc") X(SULD, "suld") \
    X(SUQ, "suq") X(SURED, "sured") X(SUST, "sust") X(SZEXT, "szext") \
    X(TANH, "tanh") X(TCGEN05, "tcgen05") X(TENSORMAP, "tensormap") \
    X(TESTP, "testp") X(TEX, "tex") X(TLD4, "tld4") X(TRAP, "trap") \
    X(TXQ, "txq") X(VABSDIFF, "vabsdiff") X(VABSDIFF2, "vabsdiff2") \
    X(VABSDIFF4, "vabsdiff4") X(VADD, "vadd") X(VADD2, "vadd2") \
    X(VADD4, "vadd4") X(VAVRG2, "vavrg2") X(VAVRG4, "vavrg4") X(VMAD, "vmad") \
    X(VMAX, "vmax") X(VMAX2, "vmax2") X(VMAX4, "vmax4") X(VMIN, "vmin") \
    X(VMIN2, "vmin2") X(VMIN4, "vmin4") X(VOTE, "vote") X(VSET, "vset") \
    X(VSET2, "vset2") X(VSET4, "vset4") X(VSHL, "vshl") X(VSHR, "vshr") \
    X(VSUB, "vsub") X(VSUB2, "vsub2") X(VSUB4, "vsub4") X(WGMMA, "wgmma") \
    X(WMMA, "wmma") X(XOR, "xor")

typedef enum ptx_op {
    PTX_OP_OTHER = 0,              /* not in the table; see ptx_instr.name */
#define PTX_X_(id, s) PTX_OP_##id,
    PTX_OPS(PTX_X_)
#undef PTX_X_
    PTX_OP_COUNT_
} ptx_op;

/* Data types, as written in instruction modifiers and declarations. */
#define PTX_TYPES(X) \
    X(B8, "b8", 1) X(B16, "b16", 2) X(B32, "b32", 4) X(B64, "b64", 8) \
    X(B128, "b128", 16) X(U8, "u8", 1) X(U16, "u16", 2) X(U32, "u32", 4) \
    X(U64, "u64", 8) X(S8, "s8", 1) X(S16, "s16", 2) X(S32, "s32", 4) \
    X(S64, "s64", 8) X(F16, "f16", 2) X(F16X2, "f16x2", 4) X(BF16, "bf16", 2) \
    X(BF16X2, "bf16x2", 4) X(TF32, "tf32", 4) X(F32, "f32", 4) \
    X(F64, "f64", 8) X(PRED, "pred", 0) X(E4M3, "e4m3", 1) X(E5M2, "e5m2", 1) \
    X(E4M3X2, "e4m3x2", 2) X(E5M2X2, "e5m2x2", 2) X(E4M3X4, "e4m3x4", 4) \
    X(E5M2X4, "e5m2x4", 4) X(E2M1, "e2m1", 1) X(E2M1X2, "e2m1x2", 1) \
    X(E2M1X4, "e2m1x4", 2) X(E3M2, "e3m2", 1) X(E2M3, "e2m3", 1) \
    X(E3M2X2, "e3m2x2", 2) X(E2M3X2, "e2m3x2", 2) X(E3M2X4, "e3m2x4", 4) \
    X(E2M3X4, "e2m3x4", 4) X(UE8M0, "ue8m0", 1) X(UE8M0X2, "ue8m0x2", 2) \
    X(UE4M3, "ue4m3", 1) X(S4, "s4", 1) X(U4, "u4", 1) X(B1, "b1", 1) \
    X(S2F6X2, "s2f6x2", 2) X(TEXREF, "texref", 8) X(SAMPLERREF, "samplerref", 8) \
    X(SURFREF, "surfref", 8)

/* ptx_type_size(): bytes of one element (PRED: 0; S4/U4/B1/E2M1: 1, i.e.
 * the packed byte; ptxas packs them pairwise). */
typedef enum ptx_type {
    PTX_T_NONE = 0,
#define PTX_X_(id, s, sz) PTX_T_##id,
    PTX_TYPES(PTX_X_)
#undef PTX_X_
    PTX_T_COUNT_
} ptx_type;

/* State spaces. */
typedef enum ptx_space {
    PTX_SP_NONE = 0,     /* no space given: generic addressing for ld/st */
    PTX_SP_REG,          /* .reg */
    PTX_SP_SREG,         /* .sreg (special registers) */
    PTX_SP_GLOBAL,       /* .global */
    PTX_SP_SHARED,       /* .shared and .shared::cta */
    PTX_SP_SHARED_CLUSTER, /* .shared::cluster */
    PTX_SP_LOCAL,        /* .local */
    PTX_SP_CONST,        /* .const (incl. banked .const[n]) */
    PTX_SP_PARAM,        /* .param, .param::entry, .param::func */
    PTX_SP_TEX,          /* .tex */
    PTX_SP_GENERIC,      /* ".generic" written explicitly (rare) */
    PTX_SP_COUNT_
} ptx_space;

/* Modifiers: every dotted component after the opcode ("global", "nc",
 * "v4", "f32", "shared::cluster", "L2::cache_hint").  Known ones are
 * interned into this enum; shape strings (m16n8k16), unknown and future
 * modifiers are PTX_MOD_OTHER (their text: ptx_instr_mod_text()).
 * The enum names are the modifier with '::' -> '_' and upper-cased. */
#define PTX_MODS(X) \
    /* types (same spelling as PTX_TYPES) */ \
    X(B8, "b8") X(B16, "b16") X(B32, "b32") X(B64, "b64") X(B128, "b128") \
    X(U8, "u8") X(U16, "u16") X(U32, "u32") X(U64, "u64") X(S8, "s8") \
    X(S16, "s16") X(S32, "s32") X(S64, "s64") X(F16, "f16") \
    X(F16X2, "f16x2") X(BF16, "bf16") X(BF16X2, "bf16x2") X(TF32, "tf32") \
    X(F32, "f32") X(F64, "f64") X(PRED, "pred") X(E4M3, "e4m3") \
    X(E5M2, "e5m2") X(E4M3X2, "e4m3x2") X(E5M2X2, "e5m2x2") \
    X(E4M3X4, "e4m3x4") X(E5M2X4, "e5m2x4") X(E2M1, "e2m1") \
    X(E2M1X2, "e2m1x2") X(E2M1X4, "e2m1x4") X(E3M2, "e3m2") X(E2M3, "e2m3") \
    X(E3M2X2, "e3m2x2") X(E2M3X2, "e2m3x2") X(E3M2X4, "e3m2x4") \
    X(E2M3X4, "e2m3x4") X(UE8M0, "ue8m0") X(UE8M0X2, "ue8m0x2") \
    X(UE4M3, "ue4m3") X(S4, "s4") X(U4, "u4") X(B1, "b1") \
    X(S2F6X2, "s2f6x2") \
    /* state spaces */ \
    X(GLOBAL, "global") X(SHARED, "shared") X(SHARED_CTA, "shared::cta") \
    X(SHARED_CLUSTER, "shared::cluster") X(LOCAL, "local") X(CONST, "const") \
    X(PARAM, "param") X(PARAM_ENTRY, "param::entry") \
    X(PARAM_FUNC, "param::func") X(TEX, "tex") X(GENERIC, "generic") \
    /* vectors */ \
    X(V2, "v2") X(V4, "v4") X(V8, "v8") \
    /* cache operators, memory order and scope */ \
    X(CA, "ca") X(CG, "cg") X(CS, "cs") X(LU, "lu") X(CV, "cv") X(WB, "wb") \
    X(WT, "wt") X(NC, "nc") X(VOLATILE, "volatile") X(RELAXED, "relaxed") \
    X(ACQUIRE, "acquire") X(RELEASE, "release") X(ACQ_REL, "acq_rel") \
    X(SC, "sc") X(WEAK, "weak") X(MMIO, "mmio") X(CTA, "cta") \
    X(CLUSTER, "cluster") X(GPU, "gpu") X(SYS, "sys") X(GL, "gl") \
    X(L1_EVICT_NORMAL, "L1::evict_normal") \
    X(L1_EVICT_UNCHANGED, "L1::evict_unchanged") \
    X(L1_EVICT_FIRST, "L1::evict_first") X(L1_EVICT_LAST, "L1::evict_last") \
    X(L1_NO_ALLOCATE, "L1::no_allocate") X(L2_EVICT_NORMAL, "L2::evict_normal") \
    X(L2_EVICT_FIRST, "L2::evict_first") X(L2_EVICT_LAST, "L2::evict_last") \
    X(L2_CACHE_HINT, "L2::cache_hint") X(L2_64B, "L2::64B") \
    X(L2_128B, "L2::128B") X(L2_256B, "L2::256B") \
    /* rounding and numerics */ \
    X(RN, "rn") X(RZ, "rz") X(RM, "rm") X(RP, "rp") X(RNI, "rni") \
    X(RZI, "rzi") X(RMI, "rmi") X(RPI, "rpi") X(RNA, "rna") X(RS, "rs") \
    X(FTZ, "ftz") X(SAT, "sat") X(SATFINITE, "satfinite") X(APPROX, "approx") \
    X(FULL, "full") X(RELU, "relu") X(NAN_, "NaN") X(XORSIGN, "xorsign") \
    X(ABS_, "abs") X(OOB, "oob") \
    /* integer forms */ \
    X(WIDE, "wide") X(HI, "hi") X(LO, "lo") X(CC, "cc") X(SHIFTAMT, "shiftamt") \
    X(CLAMP, "clamp") X(WRAP, "wrap") X(L, "l") X(R, "r") \
    /* comparisons and boolean ops */ \
    X(EQ, "eq") X(NE, "ne") X(LT, "lt") X(LE, "le") X(GT, "gt") X(GE, "ge") \
    X(LS, "ls") X(HS, "hs") X(EQU, "equ") X(NEU, "neu") X(LTU, "ltu") \
    X(LEU, "leu") X(GTU, "gtu") X(GEU, "geu") X(NUM, "num") X(NAN, "nan") \
    X(AND, "and") X(OR, "or") X(XOR, "xor") X(ALL, "all") X(ANY, "any") \
    X(UNI, "uni") X(BALLOT, "ballot") X(POPC, "popc") \
    /* atomics */ \
    X(ADD, "add") X(INC, "inc") X(DEC, "dec") X(MIN, "min") X(MAX, "max") \
    X(EXCH, "exch") X(CAS, "cas") X(NOFTZ, "noftz") \
    /* control, sync, async */ \
    X(SYNC, "sync") X(ALIGNED, "aligned") X(ARRIVE, "arrive") X(RED, "red") \
    X(WAIT, "wait") X(WARP, "warp") X(ASYNC, "async") X(BULK, "bulk") \
    X(TENSOR, "tensor") X(GROUP, "group") X(COMMIT_GROUP, "commit_group") \
    X(WAIT_GROUP, "wait_group") X(WAIT_ALL, "wait_all") \
    X(MBARRIER_, "mbarrier") X(COMPLETE_TX_BYTES, "mbarrier::complete_tx::bytes") \
    X(MULTICAST_CLUSTER, "multicast::cluster") X(TILE, "tile") \
    X(IM2COL, "im2col") X(PROXY, "proxy") \
    X(NOINC, "noinc") X(MMA_ASYNC, "mma_async") \
    X(SP, "sp") X(LOAD, "load") X(STORE, "store") X(MMA_, "mma") \
    X(TO, "to") X(IDX, "idx") X(BFLY, "bfly") X(UP, "up") X(DOWN, "down") \
    X(TRANS, "trans") X(ROW, "row") X(COL, "col") X(X1, "x1") X(X2, "x2") \
    X(X4, "x4") X(EXPECT_TX, "expect_tx") X(TRY_WAIT, "try_wait") \
    X(TEST_WAIT, "test_wait") X(PARITY, "parity") X(INIT, "init") \
    X(INVAL, "inval") X(ARRIVE_DROP, "arrive_drop") X(NORET, "noreturn")

typedef enum ptx_mod {
    PTX_MOD_OTHER = 0,
#define PTX_X_(id, s) PTX_MOD_##id,
    PTX_MODS(PTX_X_)
#undef PTX_X_
    PTX_MOD_COUNT_
} ptx_mod;
/* ptx_instr.mods[] holds them in one byte each. */
_Static_assert(PTX_MOD_COUNT_ <= 256, "ptx_mod must fit in a byte");

/* Linkage of a module-level symbol. */
typedef enum ptx_linkage {
    PTX_LINK_NONE = 0, PTX_LINK_VISIBLE, PTX_LINK_EXTERN, PTX_LINK_WEAK,
    PTX_LINK_COMMON
} ptx_linkage;

/* Special registers (%tid, %clock64, ...): ptx_operand.reg of a
 * PTX_OPND_SREG operand; the .x/.y/.z component is in ptx_operand.comp. */
#define PTX_SREGS(X) \
    X(TID, "%tid") X(NTID, "%ntid") X(LANEID, "%laneid") X(WARPID, "%warpid") \
    X(NWARPID, "%nwarpid") X(CTAID, "%ctaid") X(NCTAID, "%nctaid") \
    X(SMID, "%smid") X(NSMID, "%nsmid") X(GRIDID, "%gridid") \
    X(LANEMASK_EQ, "%lanemask_eq") X(LANEMASK_LE, "%lanemask_le") \
    X(LANEMASK_LT, "%lanemask_lt") X(LANEMASK_GE, "%lanemask_ge") \
    X(LANEMASK_GT, "%lanemask_gt") X(CLOCK, "%clock") X(CLOCK_HI, "%clock_hi") \
    X(CLOCK64, "%clock64") X(GLOBALTIMER, "%globaltimer") \
    X(GLOBALTIMER_LO, "%globaltimer_lo") X(GLOBALTIMER_HI, "%globaltimer_hi") \
    X(TOTAL_SMEM_SIZE, "%total_smem_size") \
    X(AGGR_SMEM_SIZE, "%aggr_smem_size") \
    X(DYNAMIC_SMEM_SIZE, "%dynamic_smem_size") \
    X(RESERVED_SMEM_OFFSET_BEGIN, "%reserved_smem_offset_begin") \
    X(RESERVED_SMEM_OFFSET_END, "%reserved_smem_offset_end") \
    X(RESERVED_SMEM_OFFSET_CAP, "%reserved_smem_offset_cap") \
    X(RESERVED_SMEM_OFFSET_0, "%reserved_smem_offset_0") \
    X(RESERVED_SMEM_OFFSET_1, "%reserved_smem_offset_1") \
    X(IS_EXPLICIT_CLUSTER, "%is_explicit_cluster") X(CLUSTERID, "%clusterid") \
    X(NCLUSTERID, "%nclusterid") X(CLUSTER_CTAID, "%cluster_ctaid") \
    X(CLUSTER_NCTAID, "%cluster_nctaid") X(CLUSTER_CTARANK, "%cluster_ctarank") \
    X(CLUSTER_NCTARANK, "%cluster_nctarank") \
    X(CURRENT_GRAPH_EXEC, "%current_graph_exec") X(PM, "%pm") \
    X(PM_64, "%pm_64") X(ENVREG, "%envreg")

typedef enum ptx_sreg {
    PTX_SREG_NONE = 0,
#define PTX_X_(id, s) PTX_SREG_##id,
    PTX_SREGS(PTX_X_)
#undef PTX_X_
    PTX_SREG_COUNT_
} ptx_sreg;

/* Name tables (indexed by the enums; [0] is "" ) and lookups. */
extern const char *const ptx_op_names[PTX_OP_COUNT_];
extern const char *const ptx_mod_names[PTX_MOD_COUNT_];
extern const char *const ptx_type_names[PTX_T_COUNT_];
extern const char *const ptx_sreg_names[PTX_SREG_COUNT_];
ptx_op   ptx_op_lookup(const char *s, size_t n);     /* PTX_OP_OTHER if unknown */
ptx_mod  ptx_mod_lookup(const char *s, size_t n);    /* without the dot */
ptx_type ptx_type_lookup(const char *s, size_t n);   /* without the dot */
unsigned ptx_type_size(ptx_type t);                  /* bytes; 0: pred/none */
bool     ptx_type_is_float(ptx_type t);
bool     ptx_type_is_signed(ptx_type t);

/* ======================================================================
 * Operands
 * ==================================================================== */

typedef enum ptx_opnd_kind {
    PTX_OPND_NONE = 0,
    PTX_OPND_REG,      /* a declared register: .reg = id in its function */
    PTX_OPND_SREG,     /* special register: .reg = ptx_sreg, .comp = x/y/z */
    PTX_OPND_IMM,      /* integer immediate: .i (two's complement, 64-bit) */
    PTX_OPND_F32,      /* float immediate as 0fXXXXXXXX: .bits (low 32) */
    PTX_OPND_F64,      /* float immediate 0dXXXXXXXXXXXXXXXX or decimal
                          (1.5, 1e-3): .bits = IEEE double bits */
    PTX_OPND_SYM,      /* a name: variable, parameter, function, label
                          target not resolved as a label: .name */
    PTX_OPND_LABEL,    /* a name resolved to a label of the function: .name */
    PTX_OPND_ADDR,     /* [base+off]: .reg (base register) or .name (base
                          symbol; .name.n == 0 and .reg == PTX_NOREG: an
                          absolute address [imm]); .i = byte offset.  With
                          flag PTX_OPF_ALIST the brackets hold a list
                          instead (tex/surface forms "[tex, {x, y}]"):
                          .elems[0..n) */
    PTX_OPND_VEC,      /* {a, b, c, d}: .elems[0..n) */
    PTX_OPND_LIST,     /* (a, b) of call returns/arguments: .elems[0..n) */
    PTX_OPND_PAIR,     /* p|q (setp's two predicate destinations):
                          .elems[0..2) */
    PTX_OPND_SINK,     /* the sink "_" */
    PTX_OPND_EXPR      /* anything else kept as text (.name), e.g. a
                          constant expression (1+2) or sym+4 in a mov */
} ptx_opnd_kind;

#define PTX_NOREG 0xffffffffu

/* Operand flags. */
enum {
    PTX_OPF_NEG   = 1 << 0,  /* !%p (negated predicate source) */
    PTX_OPF_HEX   = 1 << 1,  /* IMM written in hex (printer keeps the form) */
    PTX_OPF_UNS   = 1 << 2,  /* IMM had the U suffix */
    PTX_OPF_NEGOFF= 1 << 3,  /* ADDR offset written as "+-n" (kept) */
    PTX_OPF_DEC   = 1 << 4,  /* F64 written as a decimal literal */
    PTX_OPF_OCT   = 1 << 5,  /* IMM written in octal */
    PTX_OPF_BIN   = 1 << 6,  /* IMM written in binary 0b... */
    PTX_OPF_ALIST = 1 << 7   /* ADDR whose brackets hold a list
                                ("[tex, {x, y}]"): .elems[0..n) */
};

/* 16 bytes.  Which fields are meaningful depends on kind (above).  Names,
 * elements and the offset of an address are read through the accessors
 * below: the fields that hold them (names ending in '_') are private to
 * src/ptx.
 *   SYM/LABEL/EXPR:      name_ = the text, len_ = its length
 *   VEC/LIST/PAIR,
 *   ADDR with ALIST:     elems_ = the elements, len_ = their count
 *   ADDR, base symbol:   sym_ -> {name, offset}, len_ = the name's length
 *   ADDR, otherwise:     i = the offset, len_ = 0
 * Names and lists are at most PTX_OPND_MAXLEN long (the parser says so). */
struct ptx_addrsym;
typedef struct ptx_operand {
    uint8_t  kind;          /* ptx_opnd_kind */
    uint8_t  flags;         /* PTX_OPF_* */
    union {
        struct {
            uint8_t comp;   /* SREG/REG component: 0 none, 1..4 = .x .y .z .w */
            uint8_t pad_;
        };
        uint16_t len_;      /* private: name length or element count */
    };
    uint32_t reg;           /* REG/ADDR: register id, PTX_NOREG if none;
                               SREG: ptx_sreg; SREG %pmN/%envregN: N in
                               high 16 bits (reg = sreg | N << 16) */
    union {
        int64_t  i;         /* IMM value; ADDR offset (use ptx_opnd_off) */
        uint64_t bits;      /* F32/F64 IEEE bits */
        const char *name_;  /* private */
        struct ptx_operand *elems_;   /* private */
        struct ptx_addrsym *sym_;     /* private */
    };
} ptx_operand;
_Static_assert(sizeof(ptx_operand) == 16, "ptx_operand is 16 bytes");
#define PTX_OPND_MAXLEN 65535u

/* An address's base symbol and offset (private to src/ptx). */
typedef struct ptx_addrsym {
    const char *s;
    int64_t     i;
} ptx_addrsym;

/* Operand accessors.  Code outside src/ptx reads an operand's name,
 * elements and address offset through these only; kind, flags, comp,
 * reg, i (IMM) and bits (F32/F64) are read directly. */
static inline bool ptx_opnd_is_list_(const ptx_operand *o)
{
    return o->kind == PTX_OPND_VEC || o->kind == PTX_OPND_LIST ||
           o->kind == PTX_OPND_PAIR ||
           (o->kind == PTX_OPND_ADDR && (o->flags & PTX_OPF_ALIST));
}
/* SYM/LABEL/EXPR: the text; ADDR: the base symbol (n == 0: none). */
static inline ptx_str ptx_opnd_name(const ptx_operand *o)
{
    switch (o->kind) {
    case PTX_OPND_SYM: case PTX_OPND_LABEL: case PTX_OPND_EXPR:
        return (ptx_str){o->name_, o->len_};
    case PTX_OPND_ADDR:
        if (o->len_ && !(o->flags & PTX_OPF_ALIST))
            return (ptx_str){o->sym_->s, o->len_};
        return (ptx_str){"", 0};
    default:
        return (ptx_str){"", 0};
    }
}
/* VEC/LIST/PAIR and ADDR with PTX_OPF_ALIST: number of elements. */
static inline uint32_t ptx_opnd_count(const ptx_operand *o)
{
    return ptx_opnd_is_list_(o) ? o->len_ : 0;
}
/* Element i (< ptx_opnd_count) of a VEC/LIST/PAIR/ADDR-list operand.
 * Writable when the operand is (like strchr, it takes a const one). */
static inline ptx_operand *ptx_opnd_elem(const ptx_operand *o, uint32_t i)
{
    return &o->elems_[i];
}
/* ADDR (not a list): the byte offset of [base+off]. */
static inline int64_t ptx_opnd_off(const ptx_operand *o)
{
    if (o->kind == PTX_OPND_ADDR && o->len_ && !(o->flags & PTX_OPF_ALIST))
        return o->sym_->i;
    return o->i;
}

/* ======================================================================
 * Statements (function bodies and module items share one list type)
 * ==================================================================== */

typedef enum ptx_stmt_kind {
    PTX_ST_HEAD = 0,   /* the sentinel of a ptx_block (not a statement) */
    PTX_ST_INSTR,      /* ptx_instr */
    PTX_ST_LABEL,      /* ptx_label: "name:" */
    PTX_ST_SCOPE,      /* ptx_scope: nested "{ ... }" */
    PTX_ST_REG,        /* ptx_regdecl: ".reg .b32 %r<10>, %x;" */
    PTX_ST_VAR,        /* ptx_vardecl: variable (module level or local) */
    PTX_ST_DIR,        /* ptx_dir: other directive kept as text (.loc,
                          .pragma, .file, .section block, .version, ...) */
    PTX_ST_TARGETS,    /* ptx_targets: "L: .branchtargets a, b;" and
                          ".calltargets" */
    PTX_ST_PROTO,      /* ptx_proto: "p: .callprototype (...) _ (...);" */
    PTX_ST_FUNC,       /* ptx_funcitem: a function (module level only) */
    PTX_ST_ALIAS       /* ptx_alias: ".alias a, b;" (module level only) */
} ptx_stmt_kind;

/* Common head of every statement.  Blocks are circular doubly linked
 * lists with a sentinel, so inserting before/after any statement is O(1)
 * without knowing its block. */
typedef struct ptx_stmt {
    struct ptx_stmt *next, *prev;
    uint8_t  kind;          /* ptx_stmt_kind */
    uint8_t  synth;         /* 1: created by the rewriting API, not parsed */
    uint16_t pad_;
    uint32_t line;          /* 1-based source line (0 for synthesized) */
} ptx_stmt;

/* A list of statements: `head` is a sentinel (kind PTX_ST_HEAD);
 * head.next is the first statement, head.prev the last; empty when
 * head.next == &head. */
typedef struct ptx_block {
    ptx_stmt head;
} ptx_block;

#define ptx_block_foreach(blk, s) \
    for (ptx_stmt *s = (blk)->head.next; s != &(blk)->head; s = s->next)
static inline bool ptx_block_empty(const ptx_block *b)
{ return b->head.next == &b->head; }

/* An instruction's name and what it decodes to.  A name's modifiers
 * depend on the name alone and most names repeat (a module has a few
 * hundred distinct ones), so the parser makes one record per distinct
 * name in the module's arena and every instruction of that name points
 * to it: an instruction stays 48 bytes.  Read it through
 * ptx_instr_name/_nmods/_mod; the record is shared, never written after
 * it is made.  mods[] keeps the first PTX_MAX_MODS modifiers (names with
 * more do not occur in practice); ptx_instr_has_mod() also looks at the
 * rest, in the name's text. */
#define PTX_MAX_MODS 255
typedef struct ptx_iname {
    ptx_str   name;          /* full name as written: "ld.global.nc.v4.f32"
                                (the text of its first occurrence) */
    uint16_t  op;            /* what the instruction copies: see ptx_instr */
    uint8_t   type, type2, space, space2, vec;
    uint8_t   nmods;         /* modifiers in mods[] */
    uint8_t   mods[];        /* ptx_mod of each dotted component after the
                                opcode, in order (one byte each:
                                PTX_MOD_COUNT_ <= 256, checked) */
} ptx_iname;

/* An instruction: [@[!]guard] name operands ; */
typedef struct ptx_instr {
    ptx_stmt  st;            /* st.kind == PTX_ST_INSTR */
    const ptx_iname *iname_; /* private: its name and modifiers (never
                                NULL), read through ptx_instr_name,
                                ptx_instr_nmods, ptx_instr_mod */
    uint16_t  op;            /* ptx_op */
    uint8_t   nops;          /* operands in ops[] */
    uint8_t   type;          /* ptx_type: first type modifier (cvt: dest) */
    uint8_t   type2;         /* ptx_type: second type modifier (cvt: source;
                                PTX_T_NONE if none) */
    uint8_t   space;         /* ptx_space: first space modifier */
    uint8_t   space2;        /* ptx_space: second (cp.*: the source) */
    uint8_t   vec;           /* 1, or 2/4/8 from .v2/.v4/.v8 */
    uint8_t   guard_neg;     /* 1: @!%p */
    uint8_t   pad_[3];
    uint32_t  guard;         /* guard predicate register id, PTX_NOREG: none */
    ptx_operand ops[];       /* operands [0..nops), allocated with the
                                instruction (a call has room for one more:
                                ptx_call_add_arg) */
} ptx_instr;
/* 48 bytes and a multiple of 16, so ops[] stays 16-byte aligned. */
_Static_assert(sizeof(ptx_instr) == 48, "ptx_instr is 48 bytes");

/* The name as written ("ld.global.nc.v4.f32"). */
static inline ptx_str ptx_instr_name(const ptx_instr *in) { return in->iname_->name; }
/* Number of modifiers decoded (dotted components after the opcode, at
 * most PTX_MAX_MODS) and modifier i (< ptx_instr_nmods) of them. */
static inline unsigned ptx_instr_nmods(const ptx_instr *in) { return in->iname_->nmods; }
static inline ptx_mod ptx_instr_mod(const ptx_instr *in, unsigned i)
{
    return (ptx_mod)in->iname_->mods[i];
}

typedef struct ptx_label {
    ptx_stmt st;             /* PTX_ST_LABEL */
    ptx_str  name;
} ptx_label;

typedef struct ptx_scope {
    ptx_stmt  st;            /* PTX_ST_SCOPE */
    ptx_block body;
} ptx_scope;

/* One register name in a .reg declaration.  Register ids are dense per
 * function: set i covers ids [base, base + max(count,1)). */
typedef struct ptx_regset {
    ptx_str  name;           /* "%r" of %r<100>, or the full name "%x" */
    uint32_t count;          /* N of %r<N> (ids %r0..%r{N-1}); 0: one
                                register named exactly `name` */
    uint32_t base;           /* first register id */
    uint8_t  type;           /* ptx_type */
    uint8_t  vec;            /* 1, or 2/4 for ".reg .v4 .f32 %v;" */
    uint16_t align;          /* .align n, 0 if none */
} ptx_regset;

typedef struct ptx_regdecl {
    ptx_stmt    st;          /* PTX_ST_REG */
    uint32_t    nsets;
    ptx_regset *sets;        /* [0..nsets) */
} ptx_regdecl;

/* An initializer element (flattened, in memory order). */
typedef struct ptx_init {
    uint8_t  kind;           /* PTX_INIT_* */
    uint8_t  pad_[7];
    uint64_t index;          /* element index in the variable (nested braces
                                with fewer elements than the dimension leave
                                gaps: those elements are zero) */
    union {
        int64_t  i;          /* INT value; SYM/GENERIC/MASK: byte offset */
        uint64_t bits;       /* F32/F64 bits */
    };
    ptx_str  sym;            /* SYM/GENERIC/MASK: the referenced name */
    ptx_str  text;           /* the element as written (printing) */
} ptx_init;
enum {
    PTX_INIT_INT = 1,        /* integer */
    PTX_INIT_F32,            /* 0f... */
    PTX_INIT_F64,            /* 0d... or decimal */
    PTX_INIT_SYM,            /* address of sym (+ .i) */
    PTX_INIT_GENERIC,        /* generic(sym) (+ .i) */
    PTX_INIT_MASK            /* mask(...): kept as text; .sym if present */
};

/* .ptr attributes of a kernel parameter: ".ptr.global.align 16". */
typedef struct ptx_ptrattr {
    uint8_t  present;        /* 1 when .ptr was given */
    uint8_t  space;          /* ptx_space or PTX_SP_NONE */
    uint16_t pad_;
    uint32_t align;          /* 0 if none */
} ptx_ptrattr;

/* A variable or parameter declaration. */
#define PTX_MAX_DIMS 4
typedef struct ptx_var {
    ptx_str   name;
    uint8_t   space;         /* ptx_space (PARAM for parameters) */
    uint8_t   type;          /* ptx_type */
    uint8_t   vec;           /* 1, 2, 4 (.v2/.v4) */
    uint8_t   linkage;       /* ptx_linkage */
    uint8_t   ndims;         /* array dimensions written */
    uint8_t   has_init;      /* "= ..." present */
    uint8_t   is_sink;       /* parameter named "_" in a prototype */
    uint8_t   pad_;
    uint32_t  align;         /* .align n, 0 if none */
    int32_t   const_bank;    /* .const[n] bank, -1 if none */
    uint64_t  dims[PTX_MAX_DIMS]; /* 0 for "[]" (size from the initializer
                                     or extern) */
    ptx_ptrattr ptr;         /* parameter .ptr attributes */
    uint32_t  ninit;         /* flattened initializer elements; filled on
                                demand by ptx_var_init_elems() (parsing
                                checks the syntax but keeps only the text:
                                a 100 KB byte table would otherwise cost
                                ~50 bytes of IR per byte) */
    ptx_init *init;          /* [0..ninit) once decoded, else NULL */
    ptx_str   init_text;     /* the initializer as written after '=' */
    ptx_str   attrs;         /* other attributes kept as text (e.g.
                                ".attribute(.managed)"), printed verbatim */
    uint32_t  line;
} ptx_var;

typedef struct ptx_vardecl {
    ptx_stmt st;             /* PTX_ST_VAR */
    ptx_var *var;
} ptx_vardecl;

/* A directive kept as text. */
typedef enum ptx_dir_kind {
    PTX_DIR_OTHER = 0, PTX_DIR_LOC, PTX_DIR_FILE, PTX_DIR_PRAGMA,
    PTX_DIR_SECTION, PTX_DIR_VERSION, PTX_DIR_TARGET, PTX_DIR_ADDRSIZE
} ptx_dir_kind;

typedef struct ptx_dir {
    ptx_stmt st;             /* PTX_ST_DIR */
    uint8_t  dkind;          /* ptx_dir_kind */
    uint8_t  pad_[3];
    uint32_t loc_file;       /* LOC: file number; FILE: its number */
    uint32_t loc_line;       /* LOC: line */
    uint32_t loc_col;        /* LOC: column */
    ptx_str  text;           /* whole directive as written, without the
                                trailing newline (a .section block
                                includes its braces) */
} ptx_dir;

typedef struct ptx_targets {
    ptx_stmt st;             /* PTX_ST_TARGETS */
    uint8_t  calltargets;    /* 1: .calltargets, 0: .branchtargets */
    ptx_str  label;          /* the label naming the list */
    uint32_t n;
    ptx_str *names;          /* [0..n) */
} ptx_targets;

struct ptx_func;
typedef struct ptx_proto {
    ptx_stmt st;             /* PTX_ST_PROTO */
    ptx_str  label;
    struct ptx_func *sig;    /* name empty, no body: returns and params */
} ptx_proto;

/* ======================================================================
 * Functions and the module
 * ==================================================================== */

typedef struct ptx_func {
    ptx_str   name;
    uint8_t   is_entry;      /* .entry (kernel) vs .func */
    uint8_t   linkage;       /* ptx_linkage */
    uint8_t   has_body;      /* 0: a declaration "...;" */
    uint8_t   noreturn;      /* .noreturn */
    uint32_t  line;
    uint32_t  nrets, nparams;
    ptx_var  *rets;          /* return parameters [0..nrets) */
    ptx_var  *params;        /* parameters [0..nparams) */
    uint32_t  params_cap_;   /* internal (ptx_func_add_param) */
    uint8_t   has_rets;      /* "( ... )" before the name was written */
    uint8_t   pad_[3];
    /* Performance directives (0: absent). */
    uint32_t  maxnreg, minnctapersm, maxclusterrank;
    uint32_t  maxntid[3], reqntid[3], reqnctapercluster[3];
    uint8_t   nmaxntid, nreqntid, nreqnctapercluster; /* dims written */
    uint8_t   explicitcluster;     /* .explicitcluster */
    /* Directives between the signature and the body that are not above
     * (.pragma, .abi_preserve*, future ones), verbatim, printed in order. */
    uint32_t  nextra;
    ptx_str  *extra;
    ptx_block body;          /* statements (only if has_body) */
    /* Registers: sets in declaration order, ids dense [0..nregs). */
    uint32_t  nsets, nregs, sets_cap_;
    ptx_regset **sets;       /* sorted by base (ptx_func_reg_set) */
    ptx_str   span;          /* the whole function as written */
    void     *names_;        /* internal: name->id map (rewriting) */
} ptx_func;

typedef struct ptx_funcitem {
    ptx_stmt  st;            /* PTX_ST_FUNC */
    ptx_func *fn;
} ptx_funcitem;

typedef struct ptx_alias {
    ptx_stmt st;             /* PTX_ST_ALIAS */
    ptx_str  alias, target;
} ptx_alias;

typedef struct ptx_module {
    nt_arena  arena;         /* every IR node; freed at once */
    const char *file;        /* name used in error messages (arena copy) */
    const char *text;        /* the parsed text */
    size_t    len;
    /* Header. */
    int       ver_major, ver_minor;   /* .version; 0.0 if missing */
    unsigned  sm;            /* .target sm_XX number (90 for sm_90a), 0 */
    ptx_str   target;        /* text after ".target" (sm_90a, texmode_..) */
    unsigned  address_size;  /* .address_size 32/64; 0 if not given */
    /* Items in source order: PTX_ST_DIR, PTX_ST_VAR, PTX_ST_FUNC,
     * PTX_ST_ALIAS. */
    ptx_block items;
    /* Symbol tables: name -> ptx_func* / ptx_var* (pointer cast to
     * uint64).  A definition replaces an earlier declaration. */
    nt_map    funcs, vars;
    void     *priv_;         /* internal */
} ptx_module;

/* ======================================================================
 * Parsing
 * ==================================================================== */

enum {
    PTX_PARSE_COPY = 1 << 0  /* copy the text into the arena */
};

/* Parses a whole module.  `file` names the text in error messages (may be
 * NULL: "<ptx>").  text need not be NUL-terminated.  Returns NULL with
 * e set on the first error ("file:line:col: ..."). */
ptx_module *ptx_parse(const char *text, size_t len, const char *file,
                      unsigned flags, nt_err *e);
void        ptx_module_free(ptx_module *m);
/* ptx_module_free keeps the arena of the module it frees (one per
 * process, at most 96 MiB touched) for the next module to reuse: first
 * touch of fresh memory is the largest cost of parsing.  This frees that
 * kept arena now (it is also freed at exit).  Thread-safe. */
void        ptx_release_cache(void);
/* Readies that kept arena for modules parsed from up to `parsed` bytes of
 * text (a slice: its kernel's text, ptx_ix_item end - begin): a chunk of
 * the size such a module takes, allocated now and its pages touched (2 MiB
 * pages from 4 MiB), so the first-touch page faults are paid here, once,
 * and not by whichever module first needs the memory.  Returns the bytes
 * made ready.  Thread-safe (but a module being built meanwhile has its
 * own arena, and of the two the one freed last is kept). */
size_t      ptx_arena_prepare(size_t parsed);

/* Strict checks that ptx_parse leaves to ptxas (ntrace ptx check; the
 * parser stays lenient so run-time paths are never stricter than ptxas):
 * instructions whose opcode is not in the PTX ISA (PTX_OP_OTHER) and
 * operand names (address bases, mov sources, sym+N, call arguments) that
 * nothing in the module or the function declares.  Calls report (when
 * non-NULL) once per error with a line "file:line:col: what; expected
 * what" and returns the number of errors. */
size_t ptx_check(const ptx_module *m, void (*report)(void *ctx, const char *msg), void *ctx);

/* Lookups in a parsed module (NULL when absent). */
ptx_func *ptx_module_func(const ptx_module *m, const char *name);
ptx_var  *ptx_module_var(const ptx_module *m, const char *name);

/* Decodes var's initializer into var->init/ninit (once; in m's arena).
 * Returns 0 (also when there is no initializer) or -1 with e. */
int ptx_var_init_elems(ptx_module *m, ptx_var *var, nt_err *e);

/* Register id -> its set (binary search); NULL when out of range.  The
 * register's name is set->name (+ decimal id - set->base when count>0). */
const ptx_regset *ptx_func_reg_set(const ptx_func *fn, uint32_t id);
/* Writes "%r12" into buf (NUL-terminated, truncated to cap). */
void  ptx_func_reg_name(const ptx_func *fn, uint32_t id, char *buf, size_t cap);
ptx_type ptx_func_reg_type(const ptx_func *fn, uint32_t id);
/* Label lookup in a function (its whole body, nested scopes included). */
ptx_label *ptx_func_label(const ptx_func *fn, const char *name, size_t n);

/* Text of modifier i (0-based, after the opcode) of an instruction. */
ptx_str ptx_instr_mod_text(const ptx_instr *in, unsigned i);
static inline bool ptx_instr_has_mod(const ptx_instr *in, ptx_mod m)
{
    const ptx_iname *nm = in->iname_;
    for (unsigned i = 0; i < nm->nmods; i++)
        if (nm->mods[i] == m) return true;
    if (nm->nmods < PTX_MAX_MODS) return false;
    for (unsigned i = PTX_MAX_MODS;; i++) {   /* modifiers past mods[] */
        ptx_str t = ptx_instr_mod_text(in, i);
        if (!t.n) return false;
        if (ptx_mod_lookup(t.s, t.n) == m) return true;
    }
}

/* ======================================================================
 * Printing
 * ==================================================================== */

/* Appends the module as PTX text that ptxas accepts.  Instructions are
 * printed from the IR (one per line, tab-indented); directives kept as
 * text are printed verbatim.  parse(print(parse(x))) == parse(x). */
void ptx_print(const ptx_module *m, nt_sb *out);
void ptx_print_func(const ptx_module *m, const ptx_func *fn, nt_sb *out);
void ptx_print_instr(const ptx_func *fn, const ptx_instr *in, nt_sb *out);
void ptx_print_operand(const ptx_func *fn, const ptx_operand *op, nt_sb *out);

/* ======================================================================
 * Module index (fast scan)
 * ==================================================================== */

typedef enum ptx_ix_kind {
    PTX_IX_DIR = 1,          /* a module directive (.version, .target, ...) */
    PTX_IX_VAR,              /* a module-level variable */
    PTX_IX_FUNC,             /* a .entry/.func (definition or declaration) */
    PTX_IX_ALIAS             /* .alias */
} ptx_ix_kind;

typedef struct ptx_ix_item {
    uint8_t  kind;           /* ptx_ix_kind */
    uint8_t  is_entry;       /* FUNC: .entry */
    uint8_t  has_body;       /* FUNC: a definition */
    uint8_t  linkage;        /* ptx_linkage */
    uint32_t line;           /* 1-based line of the item's first token */
    ptx_str  name;           /* FUNC/VAR name; ALIAS: the alias name;
                                DIR: the directive (".version") */
    size_t   begin, end;     /* byte span [begin,end) in the text,
                                including linkage words and the ';' or '}' */
} ptx_ix_item;

typedef struct ptx_index {
    const char  *text;       /* indexed text (not owned) */
    size_t       len;
    const char  *file;       /* error name (not owned) */
    ptx_ix_item *items;      /* [0..n), source order (owned) */
    size_t       n, cap_;
    nt_map       by_name;    /* FUNC/VAR/ALIAS name -> item index; the
                                definition wins over declarations */
    int          ver_major, ver_minor;
    unsigned     sm;
    ptx_str      target;
    unsigned     address_size;
    size_t       nentries;   /* number of .entry definitions */
    uint32_t    *same_;      /* internal: next item with the same name,
                                UINT32_MAX at the end of a chain */
    uint32_t    *first_;     /* internal: first item of each name chain */
} ptx_index;

/* Builds the index of text (which must outlive the index).  Only braces,
 * strings, comments and directives are looked at; instruction syntax is
 * not checked (ptx_parse does that).  -1 with e on unbalanced braces or
 * a malformed directive. */
int  ptx_index_build(ptx_index *ix, const char *text, size_t len,
                     const char *file, nt_err *e);
void ptx_index_free(ptx_index *ix);
/* Item of a name, or NULL. */
const ptx_ix_item *ptx_index_find(const ptx_index *ix, const char *name, size_t n);
/* Calls fn for every distinct identifier in item's text that names another
 * module-level item (what the item references: callees, variables,
 * functions whose address is taken).  Stops early when fn returns
 * nonzero (and returns that value). */
int  ptx_index_refs(const ptx_index *ix, const ptx_ix_item *item,
                    int (*fn)(const ptx_ix_item *ref, void *ctx), void *ctx);

/* ======================================================================
 * Slicing
 * ==================================================================== */

/* A standalone module holding the header (.version/.target/.address_size,
 * and .file directives), the entry `entry` and exactly what it reaches:
 * called/address-taken .funcs transitively, referenced variables (and
 * what their initializers reference), .alias targets, prototypes and
 * .extern declarations.  Items keep their source order.  Only the
 * reached items are fully parsed: the result is a rewritable module.
 * ix must index `text`; the text must outlive the result. */
ptx_module *ptx_slice(const ptx_index *ix, const char *entry, nt_err *e);
/* Same, from a fully parsed module; the result shares m's IR nodes (the
 * functions and variables are not copied): free it before m, and do not
 * rewrite it if m is used afterwards. */
ptx_module *ptx_slice_module(const ptx_module *m, const char *entry, nt_err *e);

/* ======================================================================
 * Rewriting (all linear in what they touch; new nodes in m's arena)
 * ==================================================================== */

/* Parses one instruction ("add.u32 %r1, %r2, 1;" — the ';' optional) in
 * the context of fn (registers resolve by name, fresh ones included) into
 * a detached statement for ptx_insert_*.  NULL with e on a syntax error. */
ptx_instr *ptx_instr_parse(ptx_module *m, ptx_func *fn, const char *text,
                           nt_err *e);
/* Inserts s (detached) before/after pos (any statement in any block). */
void ptx_insert_before(ptx_stmt *pos, ptx_stmt *s);
void ptx_insert_after(ptx_stmt *pos, ptx_stmt *s);
/* Appends/prepends s to a block. */
void ptx_block_append(ptx_block *b, ptx_stmt *s);
void ptx_block_prepend(ptx_block *b, ptx_stmt *s);
/* Unlinks s from its block (it stays valid and can be reinserted). */
void ptx_stmt_remove(ptx_stmt *s);

/* Declares a fresh virtual register of type t in fn (a ".reg" statement
 * at the top of its body) whose name cannot clash with the function's
 * registers ("%nt_r<k>" style).  Returns its id; *name (optional) gets
 * its printable name in m's arena. */
uint32_t ptx_reg_new(ptx_module *m, ptx_func *fn, ptx_type t, ptx_str *name);
/* Appends a parameter ".param .<t> name" (optional .align) to fn's
 * parameter list; returns it.  name is copied. */
ptx_var *ptx_func_add_param(ptx_module *m, ptx_func *fn, ptx_type t,
                            const char *name, uint32_t align);
/* Redirects every use of symbol `sym` inside fn to the register `reg`,
 * which holds sym's address, in every operand shape PTX allows a name:
 *   [sym], [sym+8], [sym+-8]      -> [%reg], [%reg+8], [%reg+-8]
 *   mov.u64 %rd, sym  (any operand, vector element, call argument,
 *   cvta.global.u64 %rd, sym)      -> the operand becomes %reg
 *   mov.u64 %rd, sym+4 / st [a], sym+4 (sym+-N, any instruction)
 *                                  -> "add.s64 %tmp, %reg, 4" is inserted
 *                                     before it and the operand is %tmp
 * (%tmp: fresh registers of reg's width, reused from one instruction to
 * the next).  Initializers of variables are text and are not rewritten
 * (docs/ptx.md: what a twin kernel does about them).  Array indexing
 * "sym[2]" does not parse, so it never reaches here.  Returns the number
 * of operands changed. */
size_t ptx_redirect_sym(ptx_module *m, ptx_func *fn, const char *sym, uint32_t reg);
/* Appends the symbol `name` (copied) as the last argument of the call
 * `in` ("call f, (a);" -> "call f, (a, name);"; "call f;" -> "call f,
 * (name);", and the same after a "(ret), " list).  `in` stays the same
 * statement.  false (nothing changed) when in is not a call with a
 * target. */
bool ptx_call_add_arg(ptx_module *m, ptx_instr *in, const char *name);
/* Builds a statement that is raw text printed verbatim (a directive or
 * an escape hatch for probe code); NULL if text is empty. */
ptx_stmt *ptx_raw_new(ptx_module *m, const char *text);
/* The same without a copy: the statement points at text[0..n), which must
 * stay unchanged as long as m lives (m's arena, or static storage), so
 * statements can share one text (the rewriter inserts the same probe code
 * at many sites); NULL if n is 0. */
ptx_stmt *ptx_raw_shared(ptx_module *m, const char *text, size_t n);

/* ======================================================================
 * Instruction facts
 * ==================================================================== */

enum {
    PTX_IC_LOAD    = 1 << 0,   /* reads memory (ld, ldu, ld.global.nc, tex,
                                  suld, ldmatrix, cp.* source, atom, red) */
    PTX_IC_STORE   = 1 << 1,   /* writes memory (st, atom, red, cp.* dest,
                                  stmatrix, sust, sured) */
    PTX_IC_ATOMIC  = 1 << 2,   /* atom, red, multimem.red, mbarrier ops */
    PTX_IC_ASYNC   = 1 << 3,   /* cp.async.*, st.async, red.async, wgmma,
                                  tcgen05 async forms */
    PTX_IC_BARRIER = 1 << 4,   /* bar*, barrier*, bar.warp.sync,
                                  mbarrier wait/arrive, membar/fence,
                                  cp.async.wait*, wgmma.wait_group */
    PTX_IC_TENSOR  = 1 << 5,   /* mma, wmma, wgmma, tcgen05.mma */
    PTX_IC_BRANCH  = 1 << 6,   /* bra, brx.idx */
    PTX_IC_CALL    = 1 << 7,   /* call */
    PTX_IC_EXIT    = 1 << 8,   /* exit, ret, trap */
    PTX_IC_MEMORY  = PTX_IC_LOAD | PTX_IC_STORE
};
unsigned ptx_instr_class(const ptx_instr *in);

/* A memory access of an instruction. */
typedef struct ptx_memfact {
    uint8_t  space;          /* ptx_space accessed (NONE = generic) */
    uint8_t  space2;         /* second space (copies: the source) */
    uint8_t  load, store;    /* 1 when it reads / writes `space` memory */
    int      addr_op;        /* operand index of the address (dest address
                                for copies), -1 if none */
    int      addr_op2;       /* copies: operand index of the source address */
    uint32_t bytes;          /* bytes per thread accessed (vector elements
                                times element size; cp.async: cp-size;
                                bulk copies: from the size operand if it is
                                an immediate, else 0) */
    uint8_t  bytes_dynamic;  /* 1: size is in a register (bulk copies) */
    uint8_t  pad_[3];
} ptx_memfact;
/* Fills *f and returns true when in accesses memory. */
bool ptx_instr_mem(const ptx_instr *in, ptx_memfact *f);

/* Control-flow graph of one function: basic blocks over the function's
 * instructions in order (nested scopes flattened). */
typedef struct ptx_bb {
    uint32_t first, last;    /* instruction indexes [first, last] in
                                ptx_cfg.instrs */
    uint32_t nsucc;
    uint32_t succ[2];        /* successor block ids (fallthrough first);
                                brx.idx: see succ_many */
    uint32_t *succ_many;     /* brx.idx targets when nsucc > 2 */
    uint8_t  exits;          /* ends with exit/ret/trap */
} ptx_bb;

typedef struct ptx_cfg {
    uint32_t    ninstrs;
    ptx_instr **instrs;      /* flattened instructions, in order */
    uint32_t    nblocks;
    ptx_bb     *blocks;      /* block 0 = entry */
} ptx_cfg;

/* Builds the CFG of fn in m's arena.  NULL with e when a branch targets
 * an unknown label. */
ptx_cfg *ptx_cfg_build(ptx_module *m, const ptx_func *fn, nt_err *e);
/* Successor j of block b. */
static inline uint32_t ptx_bb_succ(const ptx_bb *b, uint32_t j)
{
    const uint32_t *s = b->nsucc > 2 ? b->succ_many : b->succ;
    return s[j];
}

#endif /* NT_PTX_H */
