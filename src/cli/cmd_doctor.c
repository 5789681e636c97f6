/* cmd_doctor.c — what this machine offers ntrace.
 *
 * Everything is probed at run time with dlopen, so doctor works (and says
 * what is missing) on machines without a driver, a GPU or CUPTI. */
#include "cli/cli.h"
#include "inject/inject.h"

#include <cuda.h>
#include <cupti_result.h>
#include <dirent.h>
#include <dlfcn.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef CUresult (*fn_cuInit)(unsigned);
typedef CUresult (*fn_cuDriverGetVersion)(int *);
typedef CUresult (*fn_cuDeviceGetCount)(int *);
typedef CUresult (*fn_cuDeviceGet)(CUdevice *, int);
typedef CUresult (*fn_cuDeviceGetName)(char *, int, CUdevice);
typedef CUresult (*fn_cuDeviceGetAttribute)(int *, CUdevice_attribute, CUdevice);
typedef CUresult (*fn_cuGetErrorString)(CUresult, const char **);
typedef int (*fn_cuptiGetVersion)(uint32_t *);
typedef int (*fn_cuptiSubscribe)(void **, void *, void *);
typedef int (*fn_cuptiUnsubscribe)(void *);
typedef CUresult (*fn_cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
typedef CUresult (*fn_cuCtxSetCurrent)(CUcontext);
typedef CUresult (*fn_cuModuleLoadData)(CUmodule *, const void *);
typedef CUresult (*fn_cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
typedef CUresult (*fn_cuMemAlloc)(CUdeviceptr *, size_t);
typedef CUresult (*fn_cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                                      unsigned, unsigned, CUstream, void **, void **);
typedef CUresult (*fn_cuCtxSynchronize)(void);

/* The driver entry points doctor calls, looked up once (NULL: missing). */
typedef struct drv_api {
    fn_cuInit init;
    fn_cuDriverGetVersion ver;
    fn_cuDeviceGetCount count;
    fn_cuDeviceGet get;
    fn_cuDeviceGetName name;
    fn_cuDeviceGetAttribute attr;
    fn_cuGetErrorString errstr;
    fn_cuDevicePrimaryCtxRetain retain;
    fn_cuCtxSetCurrent setcur;
    fn_cuModuleLoadData load;
    fn_cuModuleGetFunction getf;
    fn_cuMemAlloc alloc;
    fn_cuLaunchKernel launch;
    fn_cuCtxSynchronize sync;
} drv_api;

static void drv_api_load(void *h, drv_api *a)
{
    static const struct {
        const char *sym;
        size_t off;
    } t[] = {
        {"cuInit", offsetof(drv_api, init)},
        {"cuDriverGetVersion", offsetof(drv_api, ver)},
        {"cuDeviceGetCount", offsetof(drv_api, count)},
        {"cuDeviceGet", offsetof(drv_api, get)},
        {"cuDeviceGetName", offsetof(drv_api, name)},
        {"cuDeviceGetAttribute", offsetof(drv_api, attr)},
        {"cuGetErrorString", offsetof(drv_api, errstr)},
        {"cuDevicePrimaryCtxRetain", offsetof(drv_api, retain)},
        {"cuCtxSetCurrent", offsetof(drv_api, setcur)},
        {"cuModuleLoadData", offsetof(drv_api, load)},
        {"cuModuleGetFunction", offsetof(drv_api, getf)},
        {"cuMemAlloc_v2", offsetof(drv_api, alloc)},
        {"cuLaunchKernel", offsetof(drv_api, launch)},
        {"cuCtxSynchronize", offsetof(drv_api, sync)},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(t); i++) {
        /* POSIX (dlsym) makes a function pointer the size of a void *. */
        void *p = dlsym(h, t[i].sym);
        memcpy((char *)a + t[i].off, &p, sizeof p);
    }
}

static int doctor_problems;

static void doctor_line(const char *what, const char *fmt, ...) NT_PRINTF(2, 3);
static void doctor_line(const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  %-16s ", what);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static void CUPTIAPI_dummy(void *u, int d, unsigned c, const void *x) {}

/* Whether CUPTI is free: another tool (Nsight, compute-sanitizer) that
 * injected itself holds the one subscription.  Checked before ntrace's own
 * injector subscribes. */
static void doctor_cupti_free(void *cupti)
{
    fn_cuptiSubscribe sub = (fn_cuptiSubscribe)dlsym(cupti, "cuptiSubscribe");
    fn_cuptiUnsubscribe unsub = (fn_cuptiUnsubscribe)dlsym(cupti, "cuptiUnsubscribe");
    void *h = NULL;
    if (!sub || !unsub) return;
    int r = sub(&h, (void *)CUPTIAPI_dummy, NULL);
    if (r == 0) {
        unsub(h);
        doctor_line("cupti subscriber", "none: ntrace can subscribe");
    } else if (r == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) {
        doctor_line("cupti subscriber", "taken: another tool (Nsight, compute-sanitizer, a "
                    "framework's profiler) holds CUPTI; ntrace would run the program unprobed");
        doctor_problems++;
    } else {
        doctor_line("cupti subscriber", "not checked (CUPTI error %d)", r);
    }
}

/* The launch-swap canary, run by the injector itself: doctor loads it
 * into this process through CUDA_INJECTION64_PATH (set before cuInit) and
 * makes one launch. */
static void doctor_canary(const drv_api *a, const char *injector)
{
    static const char ptx[] = ".version 6.0\n.target sm_50\n.address_size 64\n"
                              ".visible .entry nt_doctor(.param .u64 p) { ret; }\n";
    CUdevice d;
    CUcontext c;
    CUmodule m;
    CUfunction f;
    CUdeviceptr buf;
    if (!a->get || !a->retain || !a->setcur || !a->load || !a->getf || !a->alloc || !a->launch ||
        !a->sync || a->get(&d, 0) || a->retain(&c, d) || a->setcur(c) || a->load(&m, ptx) ||
        a->getf(&f, m, "nt_doctor") || a->alloc(&buf, 16)) {
        doctor_line("launch swap", "not checked (no usable device)");
        return;
    }
    void *args[] = {&buf};
    CUresult r = a->launch(f, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL);
    a->sync();
    void *inj = dlopen(injector, RTLD_NOW | RTLD_NOLOAD);
    int (*canary)(void) = inj ? (int (*)(void))dlsym(inj, "ntrace_canary") : NULL;
    int ok = canary ? canary() : 0;
    if (r != CUDA_SUCCESS || ok == 0)
        doctor_line("launch swap", "not checked (the injector was not loaded by the driver)");
    else if (ok > 0)
        doctor_line("launch swap", "works (canary: a launch swapped at API_ENTER ran the twin)");
    else {
        doctor_line("launch swap", "does NOT work on this driver: ntrace would trace launches only");
        doctor_problems++;
    }
    if (inj) dlclose(inj);
}

static void doctor_pc_sampling(void)
{
    nt_file f;
    if (nt_file_open(&f, "/proc/driver/nvidia/params", NULL) < 0) {
        doctor_line("pc sampling", "unknown (no NVIDIA kernel driver)");
        return;
    }
    const char *p = strstr(f.data, "RmProfilingAdminOnly: ");
    bool admin_only = p && p[22] == '1';
    if (!admin_only || geteuid() == 0)
        doctor_line("pc sampling", "permitted%s", admin_only ? " (as root)" : "");
    else
        doctor_line("pc sampling", "needs root, or the driver option NVreg_RestrictProfilingToAdminUsers=0");
    nt_file_close(&f);
}

/* h: the driver, dlopen'ed (global, so CUPTI finds it). */
static void doctor_driver(void *h, const char *libpath, const char *injector)
{
    drv_api a;
    drv_api_load(h, &a);
    if (!a.init || !a.ver || !a.count || !a.get || !a.name || !a.attr) {
        doctor_line("driver", "%s lacks the driver API entry points", libpath);
        doctor_problems++;
        return;
    }
    int v = 0;
    a.ver(&v);
    doctor_line("driver", "%s, CUDA %d.%d", libpath, v / 1000, (v % 1000) / 10);
    CUresult r = a.init(0);
    if (r != CUDA_SUCCESS) {
        const char *s = NULL;
        if (a.errstr) a.errstr(r, &s);
        doctor_line("devices", "cuInit failed: %s (%d)", s ? s : "unknown error", (int)r);
        doctor_problems++;
        return;
    }
    int n = 0;
    a.count(&n);
    doctor_line("devices", "%d", n);
    for (int i = 0; i < n; i++) {
        CUdevice d;
        char nm[256] = "?";
        int maj = 0, min = 0, sms = 0, khz = 0;
        a.get(&d, i);
        a.name(nm, sizeof nm, d);
        a.attr(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
        a.attr(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
        a.attr(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d);
        a.attr(&khz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, d);
        char label[32];
        snprintf(label, sizeof label, "device %d", i);
        doctor_line(label, "%s, sm_%d%d, %d SMs, %.0f MHz", nm, maj, min, sms, khz / 1000.0);
    }
    if (n > 0 && injector) doctor_canary(&a, injector);
    /* The driver stays loaded: the injector inside it is still running. */
}

/* CUPTI: the emulator's when emu_dir is given (loaded first, so that the
 * injector's libcupti.so.13 is that one), else the toolkit's. */
static void *doctor_cupti(const char *emu_dir)
{
    const char *home = getenv("CUDA_HOME");
    char cand[3][4096];
    if (emu_dir) snprintf(cand[0], sizeof cand[0], "%s/libcupti.so.13", emu_dir);
    else snprintf(cand[0], sizeof cand[0], "libcupti.so");
    snprintf(cand[1], sizeof cand[1], "%s/lib64/libcupti.so", home ? home : "/usr/local/cuda");
    snprintf(cand[2], sizeof cand[2], "%s/extras/CUPTI/lib64/libcupti.so", home ? home : "/usr/local/cuda");
    for (int i = 0; i < 3; i++) {
        void *h = dlopen(cand[i], RTLD_NOW | RTLD_GLOBAL);
        if (!h) continue;
        fn_cuptiGetVersion gv = (fn_cuptiGetVersion)dlsym(h, "cuptiGetVersion");
        uint32_t v = 0;
        if (gv) gv(&v);
        doctor_line("cupti", "%s, API version %u", cand[i], v);
        /* Not closed: CUPTI does not support being unloaded. */
        return h;
    }
    doctor_line("cupti", "not found (looked in the loader path and CUDA_HOME=%s)",
                home ? home : "/usr/local/cuda");
    doctor_problems++;
    return NULL;
}

static uint64_t doctor_dir_bytes(const char *dir, int *files)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            total += (uint64_t)st.st_size;
            (*files)++;
        }
    }
    closedir(d);
    return total;
}

static void doctor_cache(void)
{
    /* The injector's own rule, so doctor shows the directory it uses. */
    char *dir = inj_cache_dir();
    if (!dir) {
        doctor_line("jit cache", "off (NTRACE_CACHE_DIR=off, or no home directory)");
        return;
    }
    int files = 0;
    uint64_t bytes = doctor_dir_bytes(dir, &files);
    doctor_line("jit cache", "%s (%d files, %.1f MB)", dir, files, bytes / 1e6);
    free(dir);
}

static void doctor_file(const char *what, const char *dir, const char *name)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char real[4096];
    if (access(p, R_OK) == 0 && realpath(p, real)) {
        doctor_line(what, "%s", real);
    } else {
        doctor_line(what, "missing (%s)", p);
        doctor_problems++;
    }
}

int cmd_doctor(int argc, char **argv)
{
    bool emulate = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: ntrace doctor [--emulate]\n\n"
                   "Reports what this machine offers ntrace: the CUDA driver and its\n"
                   "devices, CUPTI, ntrace's own libraries, and the JIT cache.\n"
                   "--emulate checks the emulator's driver instead of the real one.\n"
                   "Exit status 0 when everything ntrace needs is present, 1 otherwise.\n");
            return CLI_OK;
        } else if (!strcmp(argv[i], "--emulate")) {
            emulate = true;
        } else {
            return cli_fail(CLI_USAGE, "doctor", "unknown option '%s' (see --help)", argv[i]);
        }
    }
    cli_paths paths;
    if (cli_paths_get(&paths) < 0) return cli_fail(CLI_FAIL, "doctor", "cannot locate the ntrace executable");
    doctor_problems = 0;
    printf("ntrace %s\n", NT_VERSION);
    char drv[8192], inj[8192], tmpdir[4096], tmpdb[4200];
    const char *tmpbase = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ntrace-doctor-XXXXXX", tmpbase && *tmpbase ? tmpbase : "/tmp");
    snprintf(inj, sizeof inj, "%s/libntrace_inject.so", paths.lib_dir);
    if (emulate) snprintf(drv, sizeof drv, "%s/libcuda.so.1", paths.emu_dir);
    else snprintf(drv, sizeof drv, "libcuda.so.1");
    void *h = dlopen(drv, RTLD_NOW | RTLD_GLOBAL);
    char dl_error[512] = "";
    if (!h) snprintf(dl_error, sizeof dl_error, "%s", dlerror());
    void *cupti = doctor_cupti(emulate ? paths.emu_dir : NULL);
    if (cupti && h) doctor_cupti_free(cupti);
    /* The injector comes in with cuInit; its database goes to a scratch
     * directory, removed at the end. */
    bool have_tmp = mkdtemp(tmpdir) != NULL;
    snprintf(tmpdb, sizeof tmpdb, "%s/doctor.db", tmpdir);
    bool with_inj = have_tmp && access(inj, R_OK) == 0;
    if (with_inj) {
        setenv("CUDA_INJECTION64_PATH", inj, 1);
        setenv("NTRACE_OUTPUT", tmpdb, 1);
        setenv("NTRACE_PROBES", "", 1);
    }
    if (h) {
        doctor_driver(h, drv, with_inj ? inj : NULL);
    } else {
        doctor_line("driver", "not loadable (%s)", dl_error);
        doctor_problems++;
    }
    doctor_pc_sampling();
    doctor_file("injector", paths.lib_dir, "libntrace_inject.so");
    doctor_file("emulator", paths.emu_dir, "libcuda.so.1");
    doctor_cache();
    if (have_tmp) {
        glob_t g;
        char pat[4200];
        snprintf(pat, sizeof pat, "%s/*", tmpdir);
        if (glob(pat, 0, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++) unlink(g.gl_pathv[i]);
            globfree(&g);
        }
        rmdir(tmpdir);
    }
    printf("%s\n", doctor_problems ? "some parts are missing (see above)" : "everything ntrace needs is here");
    return doctor_problems ? CLI_FAIL : CLI_OK;
}
