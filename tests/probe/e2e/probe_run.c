/*
 * probe_run.c — end to end on the CUDA driver API (the emulator, or a GPU):
 * instrument vadd (tests/probe/kernels/basic.cu) with a shipped probe, run
 * it with a probe buffer, decode the buffer, and check the records against
 * what the kernel did.  Usage: probe_run PROBE FIXTURE.ptx [KERNEL]
 * (run from the repository root: it reads probes/ and lua/).  PROBE is a
 * shipped probe's name or a path; KERNEL (flow checks) is quit_odd
 * (tests/probe/kernels/flow.cu: odd threads exit inside a called
 * function) or use_flow (tests/probe/e2e/use_flow.ptx: loads first used
 * across branches and a loop).
 */
#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer/buffer.h"
#include "probe/probe.h"

#define CK(x) do { CUresult r_ = (x); if (r_ != CUDA_SUCCESS) { \
    fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #x, (int)r_); exit(1); } } while (0)
#define EXPECT(c, ...) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s: ", \
    __FILE__, __LINE__, #c); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

#define KERNEL "_Z4vaddPKfS0_Pfi"
#define REDUCE "_Z13reduce_sharedPKiPii"
enum { N = 1000, THREADS = 256, BLOCKS = 4 };

static int64_t field(const prb_map *m, const uint8_t *rec, const char *name)
{
    for (size_t f = 0; f < m->fields.n; f++)
        if (!strcmp(m->fields.v[f].name, name)) {
            int64_t i = 0;
            double d;
            buf_field_read(rec, (uint16_t)m->fields.v[f].offset,
                           (enum buf_ftype)prb_buf_type(m->fields.v[f].type), &i, &d);
            return i;
        }
    fprintf(stderr, "no field %s\n", name);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    char path[512];
    if (strchr(argv[1], '/')) snprintf(path, sizeof path, "%s", argv[1]);
    else snprintf(path, sizeof path, "probes/%s.lua", argv[1]);
    const char *pname = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    const char *flow = argc > 3 ? argv[3] : NULL;
    nt_err e = {0};
    prb_probe *p = prb_compile_file(path, "lua", NULL, &e);
    EXPECT(p, "%s", e.msg);
    nt_file f;
    EXPECT(nt_file_open(&f, argv[2], &e) == 0, "%s", e.msg);
    /* barrier_wait runs on reduce_shared (9 __syncthreads per thread) */
    bool red = !flow && !strcmp(argv[1], "barrier_wait");
    const char *kname = flow ? flow : red ? REDUCE : KERNEL;
    char *ptx = prb_instrument_text(p, f.data, f.size, argv[2], kname, NULL, &e);
    nt_file_close(&f);
    EXPECT(ptx, "%s", e.msg);

    CUdevice dev;
    CUcontext ctx;
    CK(cuInit(0));
    CK(cuDeviceGet(&dev, 0));
    CK(cuDevicePrimaryCtxRetain(&ctx, dev));
    CK(cuCtxSetCurrent(ctx));
    int nsm = 0;
    CK(cuDeviceGetAttribute(&nsm, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
    CUmodule mod;
    CK(cuModuleLoadData(&mod, ptx));
    CUfunction fn;
    CK(cuModuleGetFunction(&fn, mod, kname));

    float ha[N], hb[N], hc[N];
    for (int i = 0; i < N; i++) { ha[i] = (float)i; hb[i] = 0.5f * (float)i; hc[i] = -1; }
    CUdeviceptr da, db, dc, dbuf;
    CK(cuMemAlloc(&da, sizeof ha));
    CK(cuMemAlloc(&db, sizeof hb));
    CK(cuMemAlloc(&dc, sizeof hc));
    CK(cuMemcpyHtoD(da, ha, sizeof ha));
    CK(cuMemcpyHtoD(db, hb, sizeof hb));
    CK(cuMemcpyHtoD(dc, hc, sizeof hc));

    /* the buffer, laid out as the probe's code expects */
    buf_map_spec specs[BUF_MAX_MAPS];
    unsigned nmaps = prb_buffer_specs(p, specs);
    buf_layout lay;
    uint32_t grid[3] = { BLOCKS, 1, 1 }, block[3] = { THREADS, 1, 1 };
    EXPECT(buf_layout_compute(&lay, grid, block, specs, nmaps, 0, 0, NULL, &e) == 0, "%s", e.msg);
    size_t total = (size_t)lay.hdr.total_size;
    uint8_t *hbuf = calloc(1, total);
    EXPECT(buf_layout_write(&lay, hbuf, total, &e) == 0, "%s", e.msg);
    CK(cuMemAlloc(&dbuf, total));
    CK(cuMemcpyHtoD(dbuf, hbuf, total));

    int n = N;
    if (flow) {
        /* quit_odd(in, out, n): out[i] = 1 (odd i, written in the callee
         * before its exit) or 2 + in[i]; use_flow(a, out, n) on ints */
        bool quit = !strcmp(flow, "quit_odd");
        int ia[N];
        for (int i = 0; i < N; i++) ia[i] = i;
        if (!quit) CK(cuMemcpyHtoD(da, ia, sizeof ia));
        void *args[] = { &da, &dc, &n, &dbuf };
        CK(cuLaunchKernel(fn, BLOCKS, 1, 1, THREADS, 1, 1, 0, NULL, args, NULL));
        CK(cuCtxSynchronize());
        CK(cuMemcpyDtoH(hc, dc, sizeof hc));
        for (int i = 0; i < N; i++) {
            int32_t got;
            memcpy(&got, &hc[i], 4);
            if (quit)
                EXPECT(hc[i] == ((i & 1) ? 1.0f : 2.0f + ha[i]), "out[%d] = %g: the probed "
                       "kernel computed something else", i, hc[i]);
            else
                EXPECT(got == ((i & 1) ? 3 * i : i + 7) + 4 * i, "out[%d] = %d: the probed "
                       "kernel computed something else", i, got);
        }
    } else if (red) {
        int hin[N], sum = 0, got = 0;
        for (int i = 0; i < N; i++) sum += hin[i] = i % 17;
        CUdeviceptr din, dout;
        CK(cuMemAlloc(&din, sizeof hin));
        CK(cuMemAlloc(&dout, sizeof got));
        CK(cuMemcpyHtoD(din, hin, sizeof hin));
        CK(cuMemcpyHtoD(dout, &got, sizeof got));
        void *args[] = { &din, &dout, &n, &dbuf };
        CK(cuLaunchKernel(fn, BLOCKS, 1, 1, THREADS, 1, 1, 0, NULL, args, NULL));
        CK(cuCtxSynchronize());
        CK(cuMemcpyDtoH(&got, dout, sizeof got));
        EXPECT(got == sum, "sum %d, want %d: the probed kernel computed something else", got, sum);
        CK(cuMemFree(din));
        CK(cuMemFree(dout));
    } else {
        void *args[] = { &da, &db, &dc, &n, &dbuf };
        CK(cuLaunchKernel(fn, BLOCKS, 1, 1, THREADS, 1, 1, 0, NULL, args, NULL));
        CK(cuCtxSynchronize());
        CK(cuMemcpyDtoH(hc, dc, sizeof hc));
        for (int i = 0; i < N; i++)
            EXPECT(hc[i] == ha[i] + hb[i], "c[%d] = %g: the probed kernel computed something else",
                   i, hc[i]);
    }
    CK(cuMemcpyDtoH(hbuf, dbuf, total));

    buf_view v;
    EXPECT(buf_open(&v, hbuf, total, &e) == 0, "%s", e.msg);
    EXPECT(buf_check_layout(&v, &lay, BUF_CHECK_EXACT, &e) == 0, "%s", e.msg);
    const unsigned warps = BLOCKS * THREADS / 32;
    const prb_map *m0 = &p->maps.v[0];
    if (!strcmp(pname, "exit_count.lua") || !strcmp(pname, "use_count.lua")) {
        /* thread level, one counter: every thread left once (wherever it
         * left); every live thread's loads reached their first use 5 times
         * (use_flow.ptx), each load counted once */
        bool ex = !strcmp(pname, "exit_count.lua");
        for (uint32_t t = 0; t < BLOCKS * THREADS; t++) {
            buf_slot s = buf_slot_get(&v, 0, t);
            EXPECT(s.saved == 1, "thread %u: %u records", t, s.saved);
            int64_t c = field(m0, s.records, ex ? "exits" : "uses");
            int64_t want = ex ? 1 : t < N ? 5 : 0;
            EXPECT(c == want, "thread %u: %s %lld, want %lld", t, ex ? "exits" : "uses",
                   (long long)c, (long long)want);
        }
    } else if (!strcmp(pname, "pair_save.lua")) {
        /* four u32 fields written as two vector stores, read back by the
         * decoder's layout */
        for (uint32_t t = 0; t < BLOCKS * THREADS; t++) {
            buf_slot s = buf_slot_get(&v, 0, t);
            EXPECT(s.saved == 1, "thread %u: %u records", t, s.saved);
            EXPECT(field(m0, s.records, "tid") == t % THREADS &&
                   field(m0, s.records, "lane") == t % 32 &&
                   field(m0, s.records, "block") == t / THREADS &&
                   field(m0, s.records, "magic") == 0x5eed,
                   "thread %u: tid %lld lane %lld block %lld magic %llx", t,
                   (long long)field(m0, s.records, "tid"), (long long)field(m0, s.records, "lane"),
                   (long long)field(m0, s.records, "block"),
                   (long long)field(m0, s.records, "magic"));
        }
    } else if (!strcmp(argv[1], "block_sched")) {
        EXPECT(v.tot[0].saved == warps, "%llu records, want one per warp (%u)",
               (unsigned long long)v.tot[0].saved, warps);
        EXPECT(v.tot[0].dropped == 0, "dropped %llu", (unsigned long long)v.tot[0].dropped);
        buf_iter it;
        buf_rec r;
        buf_iter_init(&it, &v, 0);
        while (buf_iter_next(&it, &r)) {
            int64_t start = field(m0, r.data, "start"), stop = field(m0, r.data, "stop");
            int64_t sm = field(m0, r.data, "sm");
            EXPECT(start > 0 && stop >= start, "warp %u: start %lld stop %lld", r.slot,
                   (long long)start, (long long)stop);
            EXPECT(sm >= 0 && sm < nsm, "warp %u on SM %lld of %d", r.slot, (long long)sm, nsm);
        }
    } else if (!strcmp(argv[1], "gmem_bytes")) {
        /* per warp: lanes with i < N load a[i], b[i] and store c[i] */
        for (uint32_t w = 0; w < warps; w++) {
            int lanes = 0;
            for (int l = 0; l < 32; l++) lanes += (int)(w * 32 + (unsigned)l) < N;
            buf_slot s = buf_slot_get(&v, 0, w);
            if (!lanes) continue;
            EXPECT(s.saved == 1, "warp %u: %u records", w, s.saved);
            int64_t lb = field(m0, s.records, "load_bytes"), sb = field(m0, s.records, "store_bytes");
            int64_t loads = field(m0, s.records, "loads"), stores = field(m0, s.records, "stores");
            EXPECT(lb == 8 * lanes, "warp %u: load_bytes %lld, want %d", w, (long long)lb, 8 * lanes);
            EXPECT(sb == 4 * lanes, "warp %u: store_bytes %lld, want %d", w, (long long)sb, 4 * lanes);
            EXPECT(loads == 2 && stores == 1, "warp %u: %lld loads, %lld stores", w,
                   (long long)loads, (long long)stores);
        }
    } else if (!strcmp(argv[1], "mem_wait")) {
        /* both loads of vadd (a[i], b[i]) reach their first use, the add */
        for (uint32_t w = 0; w < warps; w++) {
            buf_slot s = buf_slot_get(&v, 0, w);
            EXPECT(s.saved == 1, "warp %u: %u records", w, s.saved);
            int64_t loads = field(m0, s.records, "loads"), wait = field(m0, s.records, "wait");
            EXPECT(loads == 2, "warp %u: %lld loads, want 2", w, (long long)loads);
            EXPECT(wait >= 0 && wait < (1ll << 40), "warp %u: wait %lld", w, (long long)wait);
        }
    } else if (red) {
        /* every warp passes 1 + log2(256) = 9 barriers; wait is their cycles */
        for (uint32_t w = 0; w < warps; w++) {
            buf_slot s = buf_slot_get(&v, 0, w);
            EXPECT(s.saved == 1, "warp %u: %u records", w, s.saved);
            int64_t nb = field(m0, s.records, "barriers"), wait = field(m0, s.records, "wait");
            EXPECT(nb == 9, "warp %u: %lld barriers, want 9", w, (long long)nb);
            EXPECT(wait >= 0 && wait < (1ll << 40), "warp %u: wait %lld", w, (long long)wait);
        }
    } else if (!strcmp(argv[1], "kernel_time")) {
        /* block level: one record per block, written by the last warp out
         * from what the block's first thread recorded at entry */
        EXPECT(v.tot[0].saved == BLOCKS && v.tot[0].dropped == 0, "%llu records, %llu dropped",
               (unsigned long long)v.tot[0].saved, (unsigned long long)v.tot[0].dropped);
        for (uint32_t b = 0; b < BLOCKS; b++) {
            buf_slot s = buf_slot_get(&v, 0, b);
            int64_t start = field(m0, s.records, "start"), stop = field(m0, s.records, "stop");
            int64_t sm = field(m0, s.records, "sm");
            EXPECT(start > 0 && stop >= start, "block %u: start %lld stop %lld", b,
                   (long long)start, (long long)stop);
            EXPECT(sm >= 0 && sm < nsm, "block %u on SM %lld", b, (long long)sm);
        }
        /* the exit ticket is ntrace's own (shared memory): the buffer
         * holds the user's map only, so the collector sees only that */
        EXPECT(nmaps == 1 && p->maps.n == 1, "%u buffer maps, want 1", nmaps);
    } else {
        EXPECT(0, "no check for probe %s", argv[1]);
    }
    printf("%s%s%s on the emulator: %u warps checked\n", pname, flow ? " on " : "",
           flow ? flow : "", warps);
    free(hbuf);
    free(ptx);
    prb_free(p);
    CK(cuMemFree(da));
    CK(cuMemFree(db));
    CK(cuMemFree(dc));
    CK(cuMemFree(dbuf));
    CK(cuModuleUnload(mod));
    CK(cuDevicePrimaryCtxRelease(dev));
    return 0;
}
