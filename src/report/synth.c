/* synth.c — realistic synthetic databases of the schema's shape, for tests,
 * benchmarks and demos before (and besides) the real collector.
 *
 * The model: each SM holds up to `resident` blocks; a launch hands blocks
 * to the SM that frees a place first (as the hardware block scheduler does
 * to a first approximation); a block's warps start within a few cycles of
 * each other and stop at different times.  Every SM has its own clock64
 * base (SM clocks are not synchronized) and the %globaltimer anchor of each
 * warp is the true start time, so alignment in the report can be checked. */
#include "report/report_int.h"
#include "report/schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct syn {
    sqlite3 *db;
    uint64_t rng;
    nt_err *e;
    sqlite3_stmt *ins[8];     /* per map: record insert */
} syn;

static uint64_t rnd(syn *s)
{
    s->rng += 0x9e3779b97f4a7c15ull;
    return nt_hash_u64(s->rng);
}

static double rndf(syn *s) { return (double)(rnd(s) >> 11) / 9007199254740992.0; }

static int exec(syn *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        nt_err_set(s->e, "synthetic database: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prep(syn *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        nt_err_set(s->e, "synthetic database: %s", sqlite3_errmsg(s->db));
        return NULL;
    }
    return st;
}

/* Binds ints (and strings where fmt says 's') and runs one insert. */
static int run_ins(syn *s, sqlite3_stmt *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 's') {
            const char *v = va_arg(ap, const char *);
            if (v) sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
            else sqlite3_bind_null(st, i + 1);
        } else {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return nt_err_set(s->e, "synthetic database: %s", sqlite3_errmsg(s->db));
    return 0;
}

typedef struct syn_map {
    int bit;
    const char *probe, *map, *cols;   /* cols: "name:type,..." */
    int cap;
} syn_map;

static const syn_map syn_maps[] = {
    {REP_SYN_BLOCK_SCHED, "block_sched", "warps", "start:u64,stop:u64,sm:u32,gstart:u64", 1},
    {REP_SYN_WAITS, "barrier_wait", "cycles", "cycles:u64,count:u32", 1},
    {REP_SYN_WAITS, "mem_wait", "cycles", "cycles:u64,count:u32", 1},
    {REP_SYN_GMEM, "gmem_bytes", "bytes", "bytes:u64,loads:u32,stores:u32", 1},
    {REP_SYN_MEMTRACE, "mem_trace", "access", "addr:u64,gtime:u64,bytes:u32", 4},
    {REP_SYN_DIVERGENCE, "branch_div", "branches", "pc:u32,active_mask:u32", 2},
};

static const char *const syn_reasons[] = {
    "smsp__pcsamp_warps_issue_stalled_barrier",
    "smsp__pcsamp_warps_issue_stalled_long_scoreboard",
    "smsp__pcsamp_warps_issue_stalled_short_scoreboard",
    "smsp__pcsamp_warps_issue_stalled_math_pipe_throttle",
    "smsp__pcsamp_warps_issue_stalled_wait",
    "smsp__pcsamp_warps_issue_stalled_selected",
    "smsp__pcsamp_warps_issue_stalled_not_selected",
    "smsp__pcsamp_warps_issue_stalled_lg_throttle",
};

static void defaults(rep_synth *p)
{
    if (p->kernels <= 0) p->kernels = 3;
    if (p->launches <= 0) p->launches = 6;
    if (p->streams <= 0) p->streams = 2;
    if (p->sm_count <= 0) p->sm_count = 8;
    if (!p->blocks) p->blocks = 160;
    if (!p->threads) p->threads = 128;
    if (!p->maps) p->maps = REP_SYN_ALL;
}

static bool kernel_instr(const rep_synth *p, int k)
{
    return !(p->sass_only_kernel && k == p->kernels - 1);
}

uint64_t rep_synth_records(const rep_synth *in)
{
    rep_synth p = *in;
    defaults(&p);
    uint64_t warps = (uint64_t)p.blocks * ((p.threads + 31) / 32), per = 0, n = 0;
    for (size_t i = 0; i < NT_ARRAY_LEN(syn_maps); i++)
        if (p.maps & syn_maps[i].bit) per += (uint64_t)syn_maps[i].cap;
    for (int l = 0; l < p.launches; l++)
        if (kernel_instr(&p, l % p.kernels)) n += warps * per;
    return n;
}

static int write_meta(syn *s, const rep_synth *p, int64_t t0, int64_t t1)
{
    sqlite3_stmt *st;
    int rc = 0;
    if (!(st = prep(s, SCH_INS_RUN))) return -1;
    rc |= run_ins(s, st, "ssisiii", "./synthetic_app --size 4096", "synthetic-host",
                  (int64_t)4242, NT_VERSION, (int64_t)SCH_VERSION, t0, t1);
    sqlite3_finalize(st);
    if (!(st = prep(s, SCH_INS_DEVICE))) return -1;
    rc |= run_ins(s, st, "isiiiii", (int64_t)0, "NVIDIA H100 80GB HBM3 (synthetic)",
                  (int64_t)80 << 30, (int64_t)1755000000, (int64_t)p->sm_count, (int64_t)9,
                  (int64_t)0);
    sqlite3_finalize(st);
    return rc ? -1 : 0;
}

/* Kernels and their names (StringIds 2k+1 mangled, 2k+2 demangled). */
static int write_kernels(syn *s, const rep_synth *p)
{
    sqlite3_stmt *st = prep(s, SCH_INS_KERNEL), *str = prep(s, SCH_INS_STRING);
    int rc = (!st || !str) ? -1 : 0;
    static const char *const names[][2] = {
        {"_Z6matmulPKfS0_Pfi", "matmul(float const*, float const*, float*, int)"},
        {"_Z9reduce_v2PKfPfj", "reduce_v2(float const*, float*, unsigned int)"},
        {"_Z7softmaxPfii", "softmax(float*, int, int)"},
        {"_Z5scanfPiS_i", "scanf(int*, int*, int)"},
    };
    for (int k = 0; k < p->kernels && !rc; k++) {
        char n[64], d[96];
        snprintf(n, sizeof n, "%s", names[k % 4][0]);
        snprintf(d, sizeof d, "%s", names[k % 4][1]);
        if (k >= 4) {
            snprintf(n + strlen(n), sizeof n - strlen(n), "_v%d", k);
            snprintf(d + strlen(d), sizeof d - strlen(d), " [variant %d]", k);
        }
        bool ins = kernel_instr(p, k);
        rc |= run_ins(s, str, "is", (int64_t)2 * k + 1, n);
        rc |= run_ins(s, str, "is", (int64_t)2 * k + 2, d);
        rc |= run_ins(s, st, "iiiis", (int64_t)k + 1, (int64_t)2 * k + 1, (int64_t)2 * k + 2,
                      (int64_t)ins, ins ? NULL : "no PTX (SASS only)");
    }
    sqlite3_finalize(st);
    sqlite3_finalize(str);
    return rc ? -1 : 0;
}

/* One probe per synthetic map (probe i+1, map 0), as separate probe files
 * would give; each map gets its typed table. */
static int write_probe_meta(syn *s, const rep_synth *p)
{
    sqlite3_stmt *pr = prep(s, SCH_INS_PROBE), *mp = prep(s, SCH_INS_MAP),
                 *mc = prep(s, SCH_INS_MAPCOL);
    int rc = (!pr || !mp || !mc) ? -1 : 0;
    for (size_t i = 0; i < NT_ARRAY_LEN(syn_maps) && !rc; i++) {
        const syn_map *m = &syn_maps[i];
        if (!(p->maps & m->bit)) continue;
        char table[96], cols[256] = "", ins[512];
        snprintf(table, sizeof table, SCH_MAP_TABLE_FMT, m->probe, m->map);
        for (char *c = table; *c; c++) *c = (char)toupper((unsigned char)*c);
        rc |= run_ins(s, pr, "is", (int64_t)i + 1, m->probe);
        rc |= run_ins(s, mp, "iisssi", (int64_t)i + 1, (int64_t)0, m->map, table, "warp",
                      (int64_t)m->cap);
        int nc = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", m->cols);
        for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char *colon = strchr(tok, ':');
            *colon = 0;
            rc |= run_ins(s, mc, "iiiss", (int64_t)i + 1, (int64_t)0, (int64_t)nc++, tok, colon + 1);
            snprintf(cols + strlen(cols), sizeof cols - strlen(cols), ", \"%s\" %s", tok,
                     colon[1] == 'f' ? "REAL" : "INTEGER");
        }
        char ddl[768];
        snprintf(ddl, sizeof ddl, SCH_DDL_MAP, table, cols);
        rc |= exec(s, ddl);
        snprintf(ddl, sizeof ddl, SCH_DDL_MAP_INDEX, table, table);
        rc |= exec(s, ddl);
        int k = snprintf(ins, sizeof ins, "INSERT INTO \"%s\" VALUES(?1,?2,?3,?4", table);
        for (int c = 0; c < nc; c++) k += snprintf(ins + k, sizeof ins - (size_t)k, ",?%d", c + 5);
        snprintf(ins + k, sizeof ins - (size_t)k, ")");
        if (!rc && !(s->ins[i] = prep(s, ins))) rc = -1;
    }
    sqlite3_finalize(pr);
    sqlite3_finalize(mp);
    sqlite3_finalize(mc);
    if (!rc && (p->maps & REP_SYN_PC)) {
        sqlite3_stmt *r = prep(s, SCH_INS_REASON);
        if (!r) return -1;
        for (size_t i = 0; i < NT_ARRAY_LEN(syn_reasons) && !rc; i++)
            rc |= run_ins(s, r, "is", (int64_t)i + 1, syn_reasons[i]);
        sqlite3_finalize(r);
    }
    return rc ? -1 : 0;
}

static int ins_rec(syn *s, int map, int64_t launch, int64_t block, int64_t warp, int64_t seq,
                   int n, const int64_t *v)
{
    sqlite3_stmt *st = s->ins[map];
    sqlite3_bind_int64(st, 1, launch);
    sqlite3_bind_int64(st, 2, block);
    sqlite3_bind_int64(st, 3, warp);
    sqlite3_bind_int64(st, 4, seq);
    for (int i = 0; i < n; i++) sqlite3_bind_int64(st, 5 + i, v[i]);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return nt_err_set(s->e, "synthetic database: %s", sqlite3_errmsg(s->db));
    return 0;
}
/* Simulates one launch starting at t0 (ns); returns its duration in ns. */
static int64_t sim_launch(syn *s, const rep_synth *p, int64_t id, int k, int64_t t0,
                          const int64_t *sm_base, bool instr, int *err)
{
    const double khz = 1755000.0, cyc_per_ns = khz / 1e6;
    uint32_t wpb = (p->threads + 31) / 32;
    int resident = NT_MAX(1, (int)(2048 / (wpb * 32)));
    if (resident > 8) resident = 8;
    int nslot = p->sm_count * resident;
    int64_t *free_at = nt_xcalloc((size_t)nslot, sizeof *free_at);   /* ns since t0 */
    double base = 4000.0 * (1 + k % 3);     /* ns per block: kernels differ */
    int64_t end = 0;
    for (uint32_t b = 0; b < p->blocks && !*err; b++) {
        int best = 0;
        for (int i = 1; i < nslot; i++) if (free_at[i] < free_at[best]) best = i;
        int sm = best % p->sm_count;
        int64_t bstart = free_at[best] + 300 + (int64_t)(rnd(s) % 200);
        int64_t bend = bstart;
        for (uint32_t w = 0; w < wpb && !*err; w++) {
            int64_t ws = bstart + (int64_t)(rnd(s) % 40);
            int64_t life = (int64_t)(base * (0.8 + 0.4 * rndf(s)));
            /* A slow tail: the last blocks of matmul-like kernels run long. */
            if (k % 3 == 0 && b + (uint32_t)p->sm_count >= p->blocks) life = life * 2;
            int64_t we = ws + life;
            if (we > bend) bend = we;
            if (!instr) continue;
            uint64_t c0 = (uint64_t)sm_base[sm] + (uint64_t)(ws * cyc_per_ns);
            uint64_t c1 = (uint64_t)sm_base[sm] + (uint64_t)(we * cyc_per_ns);
            int64_t life_c = (int64_t)(c1 - c0);
            for (size_t m = 0; m < NT_ARRAY_LEN(syn_maps) && !*err; m++) {
                if (!(p->maps & syn_maps[m].bit)) continue;
                int64_t v[4];
                const char *pn = syn_maps[m].probe;
                if (!strcmp(pn, "block_sched")) {
                    v[0] = (int64_t)c0; v[1] = (int64_t)c1; v[2] = sm;
                    v[3] = t0 + ws + (int64_t)(rnd(s) % 3);
                    *err |= ins_rec(s, (int)m, id, b, w, 0, 4, v);
                } else if (!strcmp(pn, "barrier_wait")) {
                    v[0] = (int64_t)(life_c * (0.10 + 0.15 * rndf(s) + 0.1 * (k % 2)));
                    v[1] = 4 + (int64_t)(rnd(s) % 8);
                    *err |= ins_rec(s, (int)m, id, b, w, 0, 2, v);
                } else if (!strcmp(pn, "mem_wait")) {
                    v[0] = (int64_t)(life_c * (0.25 + 0.2 * rndf(s) - 0.1 * (k % 2)));
                    v[1] = 16 + (int64_t)(rnd(s) % 32);
                    *err |= ins_rec(s, (int)m, id, b, w, 0, 2, v);
                } else if (!strcmp(pn, "gmem_bytes")) {
                    v[1] = 64 + (int64_t)(rnd(s) % 16);
                    v[2] = 16;
                    v[0] = (v[1] + v[2]) * 128;
                    *err |= ins_rec(s, (int)m, id, b, w, 0, 3, v);
                } else if (!strcmp(pn, "mem_trace")) {
                    for (int r = 0; r < syn_maps[m].cap && !*err; r++) {
                        /* A streaming kernel: addresses advance with time. */
                        uint64_t page = (uint64_t)(b * 4 + (uint32_t)r) % 512;
                        v[0] = (int64_t)(0x7f0000000000ull + page * 65536 + (rnd(s) % 65536));
                        v[1] = t0 + ws + (life * (r + 1)) / (syn_maps[m].cap + 1);
                        v[2] = 128;
                        *err |= ins_rec(s, (int)m, id, b, w, r, 3, v);
                    }
                } else if (!strcmp(pn, "branch_div")) {
                    for (int r = 0; r < syn_maps[m].cap && !*err; r++) {
                        uint32_t mask = rnd(s) % 3 == 0 ? (uint32_t)rnd(s) : 0xffffffffu;
                        if (k % 3 == 1) mask &= 0x0000ffffu;     /* reduce: half the lanes */
                        v[0] = 0x1a0 + r * 0x40;
                        v[1] = mask;
                        *err |= ins_rec(s, (int)m, id, b, w, r, 2, v);
                    }
                }
            }
        }
        free_at[best] = bend;
        if (bend > end) end = bend;
    }
    free(free_at);
    return end + 2000;
}

static int write_pc(syn *s, sqlite3_stmt *st, int64_t launch, int k)
{
    /* Shares by kernel flavour: matmul waits on memory, reduce on barriers. */
    static const int w[3][8] = {
        {8, 45, 6, 12, 7, 10, 8, 4}, {40, 18, 5, 4, 9, 11, 9, 4}, {10, 25, 15, 20, 8, 12, 6, 4},
    };
    int rc = 0;
    for (int pc = 0; pc < 4 && !rc; pc++)
        for (int r = 0; r < 8 && !rc; r++)
            rc |= run_ins(s, st, "iiii", launch, (int64_t)(0x100 + pc * 0x30), (int64_t)r + 1,
                          (int64_t)(w[k % 3][r] * (pc + 1) * 3 + (int64_t)(rnd(s) % 5)));
    return rc;
}

int rep_synth_write(const char *path, const rep_synth *in, nt_err *e)
{
    rep_synth p = *in;
    defaults(&p);
    struct stat sb;
    if (stat(path, &sb) == 0) return nt_err_set(e, "%s: exists; not overwritten", path);
    syn s = {.rng = p.seed * 0x2545f4914f6cdd1dull + 1, .e = e};
    if (sqlite3_open(path, &s.db) != SQLITE_OK) {
        nt_err_set(e, "%s: %s", path, sqlite3_errmsg(s.db));
        sqlite3_close(s.db);
        return -1;
    }
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
             SCH_PRAGMAS_FMT " BEGIN;", SCH_APPLICATION_ID, SCH_VERSION);
    int rc = exec(&s, pragmas);
    rc = rc ? rc : exec(&s, SCH_DDL);
    rc = rc ? rc : write_probe_meta(&s, &p);
    rc = rc ? rc : write_kernels(&s, &p);
    sqlite3_stmt *li = rc ? NULL : prep(&s, SCH_INS_LAUNCH);
    sqlite3_stmt *mi = rc ? NULL : prep(&s, SCH_INS_MEMCPY);
    sqlite3_stmt *pi = rc ? NULL : prep(&s, SCH_INS_PC);
    if (!li || !mi || !pi) rc = -1;
    int64_t *sm_base = nt_xmalloc((size_t)p.sm_count * sizeof *sm_base);
    for (int i = 0; i < p.sm_count; i++) sm_base[i] = (int64_t)(1000000000ull + rnd(&s) % 4000000000ull);
    int64_t *cursor = nt_xcalloc((size_t)p.streams, sizeof *cursor);
    const int64_t T0 = 1700000000000000000ll;
    int64_t last = T0, corr = 1000;
    uint32_t wpb = (p.threads + 31) / 32;
    for (int st = 0; st < p.streams && !rc; st++) {       /* inputs go up first */
        int64_t a = T0 + 1000 + st * 500, d = 20000 + (int64_t)(rnd(&s) % 5000);
        rc |= run_ins(&s, mi, "iiiiiii", corr++, (int64_t)0, (int64_t)st + 1, a, a + d,
                      (int64_t)(16 << 20), (int64_t)1);
        cursor[st] = a + d;
    }
    for (int l = 0; l < p.launches && !rc; l++) {
        int k = l % p.kernels, st = l % p.streams;
        bool instr = kernel_instr(&p, k);
        int64_t t0 = cursor[st] + 3000 + (int64_t)(rnd(&s) % 2000);
        int64_t dur = sim_launch(&s, &p, l + 1, k, t0, sm_base, instr, &rc);
        /* One launch overflowed its mem_trace slots. */
        int64_t dropped = instr && l == 1 && (p.maps & REP_SYN_MEMTRACE) ? wpb * 3 : 0;
        uint64_t per = 0;
        for (size_t m = 0; m < NT_ARRAY_LEN(syn_maps); m++)
            if (p.maps & syn_maps[m].bit) per += (uint64_t)syn_maps[m].cap;
        int64_t saved = instr ? (int64_t)(per * p.blocks * wpb) - dropped : 0;
        rc |= run_ins(&s, li, "iiiiiiiiiiiisiiiii", (int64_t)l + 1, (int64_t)k + 1, (int64_t)0,
                      (int64_t)st + 1, t0, t0 + dur, (int64_t)p.blocks, (int64_t)1, (int64_t)1,
                      (int64_t)p.threads, (int64_t)1, (int64_t)1,
                      instr ? "probed" : "not probed: kernel not instrumentable: no PTX",
                      (int64_t)2 * k + 2, (int64_t)l + 1, (int64_t)instr, dropped, saved);
        if (instr && (p.maps & REP_SYN_PC)) rc |= write_pc(&s, pi, l + 1, k);
        cursor[st] = t0 + dur;
        if (cursor[st] > last) last = cursor[st];
    }
    for (int st = 0; st < p.streams && !rc; st++) {
        int64_t a = cursor[st] + 2000, d = 9000 + (int64_t)(rnd(&s) % 3000);
        rc |= run_ins(&s, mi, "iiiiiii", corr++, (int64_t)0, (int64_t)st + 1, a, a + d,
                      (int64_t)(4 << 20), (int64_t)2);
        if (a + d > last) last = a + d;
    }
    rc = rc ? rc : write_meta(&s, &p, T0, last + 5000);
    free(sm_base);
    free(cursor);
    sqlite3_finalize(li);
    sqlite3_finalize(mi);
    sqlite3_finalize(pi);
    for (size_t i = 0; i < NT_ARRAY_LEN(s.ins); i++) sqlite3_finalize(s.ins[i]);
    rc = rc ? rc : exec(&s, "COMMIT;");
    sqlite3_close(s.db);
    if (rc) unlink(path);
    return rc ? -1 : 0;
}
