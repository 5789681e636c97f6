/*
 * binary.h — code ingestion: PTX and kernel metadata out of fatbins,
 * fatbin wrappers, cubins, host ELF files and plain PTX images.
 *
 * The one public header of src/binary.  Every format fact used here is
 * written down, with the evidence, in docs/formats.md.
 *
 * Bounds: every read is checked against the size the caller gives (or the
 * size derived from the image's own headers).  Bad input gets one error
 * line naming what is wrong and at which offset; it never crashes.
 * The single exception is the fatbin wrapper struct: it holds a pointer
 * into the process (cudart registration), which is followed as the driver
 * would follow it.  bin_foreach_ptx and bin_walk follow that pointer only
 * when the whole input is a wrapper (bin_walk_ops.no_pointers refuses).
 */
#ifndef NT_BINARY_H
#define NT_BINARY_H

#include "common/common.h"

/* ---- the contract other modules code against -------------------------- */

typedef enum bin_kind {
    BIN_UNKNOWN = 0, BIN_FATBIN, BIN_FATBIN_WRAPPER, BIN_CUBIN, BIN_PTX, BIN_HOST_ELF
} bin_kind;

/* Classify an image the driver was given and derive its full size from its
 * own headers.  max_len bounds every read (SIZE_MAX when the caller does
 * not know it).  Sizes: a fatbin is its 16-byte header plus the size it
 * declares; a wrapper is its 24-byte struct (bin_wrapper_target gives the
 * fatbin it points to); an ELF is the end of its furthest header, section
 * or segment; PTX is strlen + 1 (the terminating NUL is part of it). */
int bin_image_size(const void *image, size_t max_len, bin_kind *kind, size_t *size, nt_err *e);

typedef struct bin_ptx {
    const char *text;      /* NUL-terminated PTX, trailing NULs of the payload stripped */
    size_t      len;       /* strlen(text) */
    unsigned    arch;      /* e.g. 90 for sm_90 (from the entry header), 0 if unknown */
    unsigned    ptx_major, ptx_minor;   /* from the entry header when present, else 0 */
    const char *origin;    /* human-readable: "fatbin 2 entry 5 (sm_90, zstd)" */
} bin_ptx;

/* Calls fn for every PTX text found in data (any kind above: host ELF,
 * fatbin, wrapper, cubin with embedded PTX, plain PTX).  The bin_ptx and
 * its text are valid only during the call.  fn returns 0 to go on,
 * non-zero to stop (that value is returned).  -1 with e on malformed input.
 * Plain PTX is bounded by size and needs no NUL within it (unlike
 * bin_image_size, which must find the driver's terminator).  Inside
 * fatbins, cubins are searched for embedded PTX only when their entry
 * header names a source file or has the debug flag (-lineinfo / -G). */
typedef int (*bin_ptx_fn)(void *ctx, const bin_ptx *ptx);
int bin_foreach_ptx(const void *data, size_t size, bin_ptx_fn fn, void *ctx, nt_err *e);

/* ---- which PTX a device runs ------------------------------------------ */

/* The PTX of an image that a device of compute capability sm (major*10 +
 * minor, e.g. 90) would JIT: the newest whose target is not newer than
 * sm.  The target comes from the entry header, or for plain PTX from its
 * `.target sm_XX` directive.  This is the one policy for "which PTX for
 * this device" (the injector and the emulated driver both use it). */
typedef struct bin_ptx_choice {
    char    *text;         /* NUL-terminated copy (caller frees with
                              bin_ptx_choice_free); NULL: none fits */
    size_t   len;
    unsigned arch;         /* target of the chosen text */
    unsigned sm;           /* the device asked for */
    unsigned count;        /* PTX texts in the image */
    unsigned newest;       /* newest target among them (0 if none known) */
} bin_ptx_choice;

/* 0 with out filled (out->text NULL when no PTX fits: out->count says
 * whether the image had any), or -1 with e when the image is malformed. */
int  bin_ptx_pick(const void *data, size_t size, unsigned sm, bin_ptx_choice *out, nt_err *e);
void bin_ptx_choice_free(bin_ptx_choice *c);
/* The sm_XX of a PTX text's .target directive, 0 when it has none. */
unsigned bin_ptx_target(const char *text, size_t len);

/* ---- names ------------------------------------------------------------ */

const char *bin_kind_name(bin_kind k);          /* "fatbin", "cubin", ... */

/* ---- fatbin wrapper (__fatBinC_Wrapper_t, fatbinary_section.h) -------- */

#define BIN_WRAPPER_MAGIC 0x466243B1u
#define BIN_WRAPPER_SIZE  24u
/* The fatbin a wrapper points to and that fatbin's size (from its header,
 * read without a bound: the pointer comes from a live registration). */
int bin_wrapper_target(const void *wrapper, const void **fatbin, size_t *size, nt_err *e);

/* ---- fatbin containers ------------------------------------------------ */

#define BIN_FATBIN_MAGIC  0xBA55ED50u
#define BIN_FATBIN_HDR    16u

typedef enum bin_comp { BIN_COMP_NONE = 0, BIN_COMP_ZSTD, BIN_COMP_LZ4 } bin_comp;
const char *bin_comp_name(bin_comp c);          /* "none", "zstd", "lz4" */

/* Entry flags (docs/formats.md has the evidence for each). */
#define BIN_FLAG_DEBUG   0x2u         /* nvcc -G */
#define BIN_FLAG_LZ4     0x2000u      /* payload is one lz4 block */
#define BIN_FLAG_ZSTD    0x8000u      /* payload is zstd frames */
#define BIN_FLAG_ARCH_A  0x100000u    /* arch-specific target: sm_90a, sm_100a */
#define BIN_FLAG_ARCH_F  0x200000u    /* family target: sm_100f */
/* "a", "f" or "" after "sm_90" for an entry with these flags. */
const char *bin_arch_suffix(uint64_t flags);

/* Entry kinds seen in fatbin entry headers (other values are reported raw). */
enum { BIN_ENTRY_PTX = 1, BIN_ENTRY_ELF = 2 };

/* One fatbin entry, as its header declares it.  Pointers point into the
 * caller's data. */
typedef struct bin_entry {
    unsigned       fatbin;          /* index of the fatbin in the walk */
    unsigned       index;           /* index of the entry in its fatbin */
    size_t         offset;          /* of the entry header, in the walked data */
    unsigned       kind;            /* BIN_ENTRY_PTX, BIN_ENTRY_ELF, or raw */
    unsigned       header_size;
    uint64_t       payload_size;    /* bytes after the header (padded) */
    uint64_t       stored_size;     /* bytes of payload in use (compressed size) */
    uint64_t       size;            /* uncompressed size */
    unsigned       ver_major, ver_minor; /* PTX ISA version for PTX entries */
    unsigned       arch;            /* 90 for sm_90 */
    uint64_t       flags;
    bin_comp       comp;
    const uint8_t *payload;
    const char    *name;            /* source file name (-lineinfo / -G builds), or NULL */
    size_t         name_len;        /* without the NUL padding */
} bin_entry;

/* A reusable output buffer for decompressed payloads (free with bin_buf_free). */
typedef struct bin_buf {
    uint8_t *p;
    size_t   cap;
    void    *zctx;      /* ZSTD_DCtx, created on first use */
} bin_buf;
void bin_buf_free(bin_buf *b);

/* The payload of an entry, decompressed when needed, checked to be exactly
 * the declared size.  Decompressed: *out points into buf (valid until its
 * next use) and out[*len] is 0.  Uncompressed: *out points into the image,
 * *len is the full (padded) payload, and nothing past it may be read. */
int bin_entry_data(const bin_entry *ent, bin_buf *buf, const uint8_t **out, size_t *len, nt_err *e);

/* Strips the trailing NULs of a PTX payload; returns the text length. */
size_t bin_ptx_trim(const uint8_t *p, size_t n);

/* ---- walking a whole image ------------------------------------------- */

/* What bin_walk reports.  Any callback may be NULL; each returns 0 to go
 * on, non-zero to stop the walk (that value is returned by bin_walk). */
typedef struct bin_walk_ops {
    /* A fatbin container starts: its index, offset in data, total size. */
    int (*fatbin)(void *ctx, unsigned index, size_t offset, size_t size, unsigned version);
    /* An entry of the current fatbin. */
    int (*entry)(void *ctx, const bin_entry *ent);
    bool no_pointers;   /* refuse a wrapper (it points outside data): fuzzing */
} bin_walk_ops;

/* Walks every fatbin in data: a fatbin or several back to back, a wrapper's
 * target, the .nv_fatbin and __nv_relfatbin sections of a host ELF.  Cubins
 * and PTX have no fatbins (0, no calls).  *kind receives the image kind. */
int bin_walk(const void *data, size_t size, const bin_walk_ops *ops, void *ctx,
             bin_kind *kind, nt_err *e);

/* ---- cubins ----------------------------------------------------------- */

typedef struct bin_param {
    unsigned ordinal;       /* position in the parameter list */
    unsigned offset;        /* byte offset in the parameter buffer */
    unsigned size;          /* bytes */
} bin_param;

typedef struct bin_kernel {
    const char *name;           /* mangled, as in the symbol table */
    unsigned    regs;           /* EIATTR_REGCOUNT; 0 if absent */
    unsigned    max_threads[3]; /* EIATTR_MAX_THREADS (__launch_bounds__), 0s if absent */
    unsigned    reqntid[3];     /* EIATTR_REQNTID, 0s if absent */
    unsigned    cluster[3];     /* EIATTR_CTA_PER_CLUSTER, 0s if absent */
    bool        explicit_cluster; /* EIATTR_EXPLICIT_CLUSTER */
    unsigned    max_regs;       /* EIATTR_MAXREG_COUNT; 0 if absent */
    unsigned    barriers;       /* EIATTR_NUM_BARRIERS */
    unsigned    frame_size;     /* EIATTR_FRAME_SIZE (local memory per thread) */
    unsigned    min_stack;      /* EIATTR_MIN_STACK_SIZE */
    uint64_t    shared;         /* size of .nv.shared.<name> (static shared) */
    uint64_t    code_size;      /* size of .text.<name> */
    unsigned    param_size;     /* EIATTR_CBANK_PARAM_SIZE */
    unsigned    param_offset;   /* offset of the parameters in constant bank 0 */
    uint64_t    cbank0_size;    /* size of .nv.constant0.<name> */
    size_t      nparams;
    bin_param  *params;         /* sorted by ordinal */
} bin_kernel;

typedef struct bin_cbank {
    unsigned    bank;           /* N of .nv.constant<N> */
    const char *kernel;         /* owning kernel, or NULL for module scope */
    uint64_t    size;
} bin_cbank;

typedef struct bin_cubin {
    unsigned     arch;          /* from e_flags, 0 if unknown */
    size_t       nkernels;
    bin_kernel  *kernels;
    size_t       ncbanks;
    bin_cbank   *cbanks;
    const char  *ptx;           /* .nv_debug_ptx_txt, trailing NULs stripped; NULL if none */
    size_t       ptx_len;
} bin_cubin;

/* Parses a cubin.  Everything is allocated in arena a; strings point into
 * the arena or into data (data must outlive the result).  The PTX text is
 * NUL-terminated (copied into the arena when the section is not). */
int bin_cubin_parse(const void *data, size_t size, nt_arena *a, bin_cubin *out, nt_err *e);

/* ---- source lines (nvcc -lineinfo / -G) -------------------------------- */
/* One row of a cubin's line table: the SASS bytes [offset, end) of
 * `function` (offsets from the function's start, as CUPTI's PC sampling
 * reports them) come from file:line:column.  Strings live in the arena
 * (the cubin's data may go once the table is read). */
typedef struct bin_line {
    const char *function;       /* mangled, as in the symbol table */
    uint64_t    offset, end;
    const char *file;           /* "dir/name.cu" from the file table; "?" if unnamed */
    unsigned    line, column;   /* column 0: not known */
} bin_line;

typedef struct bin_lines {
    size_t    n;
    bin_line *rows;             /* sorted by function, then offset; no overlaps */
    uint64_t  unattributed;     /* sequences whose start names no function: left out */
} bin_lines;

/* The line table of a cubin: its .debug_line (DWARF line program, versions
 * 2-4) with the set_address operands relocated by .rela.debug_line against
 * function symbols.  A cubin without line info gives n = 0.  -1 with e
 * (naming the offset in .debug_line) on a malformed program. */
int bin_cubin_lines(const void *data, size_t size, nt_arena *a, bin_lines *out, nt_err *e);

/* The same from a .debug_line section's bytes and its relocations (the
 * section offset of each relocated set_address operand, the symbol it
 * names, the addend): for tests and for callers that found the section
 * themselves. */
typedef struct bin_line_reloc { uint64_t offset; const char *symbol; uint64_t addend; } bin_line_reloc;
int bin_lines_parse(const uint8_t *sec, size_t size, const bin_line_reloc *relocs, size_t nrelocs,
                    nt_arena *a, bin_lines *out, nt_err *e);

/* The row whose range holds offset in function, or NULL. */
const bin_line *bin_line_find(const bin_lines *l, const char *function, uint64_t offset);

/* ---- library directories ---------------------------------------------- */

/* The regular files of dir whose names contain ".so", sorted by path
 * (symbolic links are skipped: they name the same files).  dir NULL:
 * $CUDA_HOME/lib64 (CUDA_HOME defaults to /usr/local/cuda).  Free with
 * bin_free_libs. */
int  bin_list_libs(const char *dir, char ***paths, size_t *n, nt_err *e);
void bin_free_libs(char **paths, size_t n);

/* ---- names for display ------------------------------------------------ */

/* Demangled name (caller frees), or a copy of the name when it is not a
 * mangled C++ name or no demangler is available.  Uses __cxa_demangle of
 * the libstdc++ already in the process (dlsym at run time; nothing is
 * linked), so it works in the injector too. */
char *bin_demangle(const char *name);

#endif /* NT_BINARY_H */
