/* lines.c — SASS offset -> source line, from the DWARF line program that
 * nvcc -lineinfo (or -G) leaves in a cubin's .debug_line section.
 *
 * What nvcc emits (docs/formats.md): one line-number program (DWARF
 * version 2) with one sequence per function; each sequence starts with
 * DW_LNE_set_address whose 8-byte operand is 0 in the file and relocated by
 * .rela.debug_line against the function's symbol (R_CUDA_64), so the
 * addresses of a sequence are byte offsets from the function's start —
 * exactly what CUPTI's PC sampling reports as pcOffset.
 * (.nv_debug_line_sass maps SASS to PTX lines the same way; not read here.)
 *
 * Bounds: every read is checked against the section; a malformed program
 * gets one error line with its offset in .debug_line.  Versions 2-4 and
 * the 64-bit DWARF format are accepted; version 5 (another file table
 * layout) is refused by name. */
#include "binary/bin_int.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct rd {
    const uint8_t *p;
    size_t         n, off;       /* section bytes, read position */
    nt_err        *e;
    bool           bad;
} rd;

static int rd_fail(rd *r, const char *what)
{
    if (!r->bad) nt_err_set(r->e, ".debug_line offset 0x%zx: %s", r->off, what);
    r->bad = true;
    return -1;
}

static uint64_t rd_uint(rd *r, unsigned size)
{
    if (r->bad) return 0;
    if (!bin_fits(r->n, r->off, size)) { rd_fail(r, "truncated"); return 0; }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) v |= (uint64_t)r->p[r->off + i] << (8 * i);
    r->off += size;
    return v;
}

static uint64_t rd_uleb(rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; !r->bad; shift += 7) {
        if (r->off >= r->n) { rd_fail(r, "LEB128 number runs past the end"); break; }
        uint8_t b = r->p[r->off++];
        if (shift >= 64 || (shift == 63 && (b & 0x7e))) { rd_fail(r, "LEB128 number overflows 64 bits"); break; }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
    }
    return v;
}

static int64_t rd_sleb(rd *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    do {
        if (r->bad) return 0;
        if (r->off >= r->n) { rd_fail(r, "LEB128 number runs past the end"); return 0; }
        if (shift >= 64) { rd_fail(r, "LEB128 number overflows 64 bits"); return 0; }
        b = r->p[r->off++];
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

/* A NUL-terminated string inside [off, end); NULL (and an error) if none. */
static const char *rd_str(rd *r, size_t end)
{
    if (r->bad) return NULL;
    const uint8_t *z = r->off < end ? memchr(r->p + r->off, 0, end - r->off) : NULL;
    if (!z) { rd_fail(r, "string runs past the end of the header"); return NULL; }
    const char *s = (const char *)r->p + r->off;
    r->off = (size_t)(z - r->p) + 1;
    return s;
}

/* ---- relocations of set_address operands -------------------------------- */
typedef struct reloc { uint64_t off; const char *fn; uint64_t addend; } reloc;

static int reloc_cmp(const void *a, const void *b)
{
    uint64_t x = ((const reloc *)a)->off, y = ((const reloc *)b)->off;
    return (x > y) - (x < y);
}

static const reloc *reloc_at(const reloc *v, size_t n, uint64_t off)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].off < off) lo = mid + 1; else hi = mid;
    }
    return lo < n && v[lo].off == off ? &v[lo] : NULL;
}

/* The function a relocation names: the symbol itself, or the function of
 * a .text.<name> section symbol. */
static const char *reloc_fn(const char *sym)
{
    if (!sym) return NULL;
    if (!strncmp(sym, ".text.", 6)) return sym[6] ? sym + 6 : NULL;
    return sym[0] ? sym : NULL;
}

static int relocs_read(const bin_elf *x, size_t line_sec, nt_arena *a, reloc **out, size_t *n,
                       nt_err *e)
{
    *out = NULL;
    *n = 0;
    size_t ns = bin_elf_nsec(x);
    for (size_t i = 1; i < ns; i++) {
        bin_sec s;
        if (bin_elf_sec(x, i, &s, e) < 0) return -1;
        if (s.type != SHT_RELA || s.info != line_sec || !s.data) continue;
        size_t cnt = s.size / sizeof(Elf64_Rela);
        reloc *v = nt_arena_alloc(a, (cnt ? cnt : 1) * sizeof *v);
        size_t m = 0;
        for (size_t k = 0; k < cnt; k++) {
            Elf64_Rela ra;
            memcpy(&ra, s.data + k * sizeof ra, sizeof ra);
            const char *fn = reloc_fn(bin_elf_symname(x, s.link, ELF64_R_SYM(ra.r_info)));
            if (!fn) continue;        /* a symbol we cannot name: its sequence is skipped */
            v[m++] = (reloc){ra.r_offset, nt_arena_strdup(a, fn), (uint64_t)ra.r_addend};
        }
        qsort(v, m, sizeof *v, reloc_cmp);
        *out = v;
        *n = m;
        return 0;
    }
    return 0;
}

/* ---- the line program ----------------------------------------------------- */
typedef NT_VEC(bin_line) line_vec;

typedef struct lstate {
    uint64_t addr;
    uint64_t file, line, col;
    const char *fn;              /* NULL: sequence not attributed */
    size_t first;                /* index of the sequence's first row */
} lstate;

/* Appends a row; closes the previous row of the sequence at this address. */
static void emit(line_vec *v, lstate *s, const char **files, size_t nfiles, bool end)
{
    if (!s->fn) return;
    if (v->n > s->first) {
        bin_line *prev = &v->v[v->n - 1];
        prev->end = s->addr > prev->offset ? s->addr : prev->offset;
    }
    if (end) return;
    bin_line l = {.function = s->fn, .offset = s->addr, .end = s->addr,
                  .file = s->file >= 1 && s->file <= nfiles ? files[s->file - 1] : "?",
                  .line = (unsigned)NT_MIN(s->line, (uint64_t)UINT32_MAX),
                  .column = (unsigned)NT_MIN(s->col, (uint64_t)UINT32_MAX)};
    nt_vec_push(v, l);
}

/* One unit (header + program) at r->off; the unit's end in *unit_end. */
static int unit_parse(rd *r, const reloc *rel, size_t nrel, nt_arena *a, line_vec *v,
                      uint64_t *skipped)
{
    uint64_t len = rd_uint(r, 4);
    unsigned offsz = 4;
    if (len == 0xffffffffu) { len = rd_uint(r, 8); offsz = 8; }
    if (r->bad) return -1;
    if (len > r->n - r->off) return rd_fail(r, "unit length runs past the end of the section");
    size_t end = r->off + (size_t)len;
    unsigned ver = (unsigned)rd_uint(r, 2);
    if (!r->bad && (ver < 2 || ver > 4)) {
        r->off -= 2;
        char m[96];
        snprintf(m, sizeof m, "line program version %u not supported (2 to 4 are)", ver);
        return rd_fail(r, m);
    }
    uint64_t hlen = rd_uint(r, offsz);
    if (r->bad) return -1;
    if (hlen > end - r->off) return rd_fail(r, "header length runs past the end of the unit");
    size_t prog = r->off + (size_t)hlen;
    unsigned min_inst = (unsigned)rd_uint(r, 1);
    if (ver >= 4) (void)rd_uint(r, 1);          /* maximum_operations_per_instruction */
    bool stmt = rd_uint(r, 1) != 0;
    (void)stmt;
    int line_base = (int8_t)rd_uint(r, 1);
    unsigned line_range = (unsigned)rd_uint(r, 1);
    unsigned op_base = (unsigned)rd_uint(r, 1);
    if (r->bad) return -1;
    if (line_range == 0) { r->off--; r->off--; return rd_fail(r, "line_range is 0"); }
    if (op_base == 0) { r->off--; return rd_fail(r, "opcode_base is 0"); }
    uint8_t std_len[256] = {0};
    for (unsigned i = 1; i < op_base; i++) std_len[i] = (uint8_t)rd_uint(r, 1);
    /* include_directories, then file_names: each list ends with "". */
    NT_VEC(const char *) dirs = {0};
    NT_VEC(const char *) files = {0};
    for (;;) {
        const char *d = rd_str(r, prog);
        if (!d || !*d) break;
        nt_vec_push(&dirs, d);
    }
    for (;;) {
        const char *f = rd_str(r, prog);
        if (!f || !*f) break;
        uint64_t di = rd_uleb(r);
        (void)rd_uleb(r);                        /* mtime */
        (void)rd_uleb(r);                        /* length */
        nt_sb sb = {0};
        if (f[0] != '/' && di >= 1 && di <= dirs.n) nt_sb_printf(&sb, "%s/", dirs.v[di - 1]);
        nt_sb_puts(&sb, f);
        nt_vec_push(&files, nt_arena_strdup(a, nt_sb_str(&sb)));
        nt_sb_free(&sb);
    }
    nt_vec_free(&dirs);
    if (r->bad) { nt_vec_free(&files); return -1; }
    r->off = prog;

    lstate s = {.file = 1, .line = 1, .first = v->n};
    while (!r->bad && r->off < end) {
        size_t at = r->off;
        unsigned op = (unsigned)rd_uint(r, 1);
        if (op >= op_base) {                     /* special opcode */
            unsigned adj = op - op_base;
            s.addr += (uint64_t)(adj / line_range) * min_inst;
            s.line += (int64_t)line_base + (int64_t)(adj % line_range);
            emit(v, &s, files.v, files.n, false);
            continue;
        }
        switch (op) {
        case 0: {                                 /* extended */
            uint64_t n = rd_uleb(r);
            if (r->bad) break;
            if (n == 0 || n > end - r->off) { r->off = at; rd_fail(r, "extended opcode length runs past the unit"); break; }
            size_t next = r->off + (size_t)n;
            unsigned sub = (unsigned)rd_uint(r, 1);
            if (sub == 1) {                       /* DW_LNE_end_sequence */
                emit(v, &s, files.v, files.n, true);
                s = (lstate){.file = 1, .line = 1, .first = v->n};
            } else if (sub == 2) {                /* DW_LNE_set_address */
                if (n != 9) { r->off = at; rd_fail(r, "set_address operand is not 8 bytes"); break; }
                const reloc *rl = reloc_at(rel, nrel, r->off);
                uint64_t val = rd_uint(r, 8);
                emit(v, &s, files.v, files.n, true);   /* a new range starts */
                s.first = v->n;
                if (rl) { s.fn = rl->fn; s.addr = rl->addend + val; }
                else { s.fn = NULL; s.addr = val; (*skipped)++; }
            }
            r->off = next;                        /* define_file, discriminator, vendor ops */
            break;
        }
        case 1: emit(v, &s, files.v, files.n, false); break;            /* copy */
        case 2: s.addr += rd_uleb(r) * min_inst; break;                  /* advance_pc */
        case 3: s.line += (uint64_t)rd_sleb(r); break;                   /* advance_line */
        case 4: s.file = rd_uleb(r); break;                              /* set_file */
        case 5: s.col = rd_uleb(r); break;                               /* set_column */
        case 8: s.addr += (uint64_t)((255 - op_base) / line_range) * min_inst; break; /* const_add_pc */
        case 9: s.addr += rd_uint(r, 2); break;                          /* fixed_advance_pc */
        default:                                  /* 6, 7, 10, 11, 12 and unknown ones */
            for (unsigned i = 0; i < std_len[op] && !r->bad; i++) (void)rd_uleb(r);
            break;
        }
    }
    nt_vec_free(&files);
    if (r->bad) return -1;
    r->off = end;
    return 0;
}

static int line_cmp(const void *a, const void *b)
{
    const bin_line *x = a, *y = b;
    int c = strcmp(x->function, y->function);
    if (c) return c;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

int bin_lines_parse(const uint8_t *sec, size_t size, const bin_line_reloc *relocs, size_t nrelocs,
                    nt_arena *a, bin_lines *out, nt_err *e)
{
    memset(out, 0, sizeof *out);
    reloc *rel = nt_arena_alloc(a, (nrelocs ? nrelocs : 1) * sizeof *rel);
    size_t m = 0;
    for (size_t i = 0; i < nrelocs; i++) {
        const char *fn = reloc_fn(relocs[i].symbol);
        if (fn) rel[m++] = (reloc){relocs[i].offset, nt_arena_strdup(a, fn), relocs[i].addend};
    }
    qsort(rel, m, sizeof *rel, reloc_cmp);
    rd r = {.p = sec, .n = size, .e = e};
    line_vec v = {0};
    uint64_t skipped = 0;
    while (r.off < size)
        if (unit_parse(&r, rel, m, a, &v, &skipped) < 0) break;
    if (r.bad) {
        nt_vec_free(&v);
        return -1;
    }
    /* Empty ranges carry no PC (a later row at the same address wins). */
    size_t k = 0;
    for (size_t i = 0; i < v.n; i++)
        if (v.v[i].end > v.v[i].offset) v.v[k++] = v.v[i];
    out->n = k;
    out->rows = nt_arena_alloc(a, (k ? k : 1) * sizeof *out->rows);
    if (k) memcpy(out->rows, v.v, k * sizeof *out->rows);
    qsort(out->rows, k, sizeof *out->rows, line_cmp);
    /* Sequences of one function that overlap (never from nvcc): the later
     * row starts where it says, the earlier one is cut short or dropped, so
     * every offset has at most one row. */
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        bin_line *row = &out->rows[i];
        if (w && !strcmp(out->rows[w - 1].function, row->function) && out->rows[w - 1].end > row->offset) {
            out->rows[w - 1].end = row->offset;
            if (out->rows[w - 1].end <= out->rows[w - 1].offset) w--;
        }
        out->rows[w++] = *row;
    }
    out->n = w;
    out->unattributed = skipped;
    nt_vec_free(&v);
    return 0;
}

int bin_cubin_lines(const void *data, size_t size, nt_arena *a, bin_lines *out, nt_err *e)
{
    memset(out, 0, sizeof *out);
    bin_elf x;
    if (bin_elf_open(&x, data, size, e) < 0) return -1;
    size_t ns = bin_elf_nsec(&x);
    int rc = 0;
    for (size_t i = 1; i < ns; i++) {
        bin_sec s;
        if (bin_elf_sec(&x, i, &s, e) < 0) { rc = -1; break; }
        if (strcmp(s.name, ".debug_line") || !s.data) continue;
        reloc *rel;
        size_t nrel;
        if (relocs_read(&x, i, a, &rel, &nrel, e) < 0) { rc = -1; break; }
        bin_line_reloc *lr = nt_arena_alloc(a, (nrel ? nrel : 1) * sizeof *lr);
        for (size_t k = 0; k < nrel; k++) lr[k] = (bin_line_reloc){rel[k].off, rel[k].fn, rel[k].addend};
        rc = bin_lines_parse(s.data, s.size, lr, nrel, a, out, e);
        if (rc < 0) nt_err_prefix(e, "cubin section %zu: ", i);
        break;
    }
    bin_elf_close(&x);
    return rc;
}

const bin_line *bin_line_find(const bin_lines *l, const char *function, uint64_t offset)
{
    size_t lo = 0, hi = l->n;
    bin_line key = {.function = function, .offset = offset};
    /* The first row past (function, offset); the row before it covers it. */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (line_cmp(&l->rows[mid], &key) <= 0) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    const bin_line *c = &l->rows[lo - 1];
    return !strcmp(c->function, function) && offset >= c->offset && offset < c->end ? c : NULL;
}
