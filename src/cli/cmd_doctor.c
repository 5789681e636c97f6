/* cmd_doctor.c — what this machine offers ntrace.
 *
 * Everything is probed at run time with dlopen, so doctor works (and says
 * what is missing) on machines without a driver, a GPU or CUPTI. */
#include "cli/cli.h"

#include <cuda.h>
#include <dirent.h>
#include <dlfcn.h>
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

static void doctor_driver(const char *libpath)
{
    void *h = dlopen(libpath, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        doctor_line("driver", "not loadable (%s)", dlerror());
        doctor_problems++;
        return;
    }
    fn_cuInit init = (fn_cuInit)dlsym(h, "cuInit");
    fn_cuDriverGetVersion ver = (fn_cuDriverGetVersion)dlsym(h, "cuDriverGetVersion");
    fn_cuDeviceGetCount count = (fn_cuDeviceGetCount)dlsym(h, "cuDeviceGetCount");
    fn_cuDeviceGet get = (fn_cuDeviceGet)dlsym(h, "cuDeviceGet");
    fn_cuDeviceGetName name = (fn_cuDeviceGetName)dlsym(h, "cuDeviceGetName");
    fn_cuDeviceGetAttribute attr = (fn_cuDeviceGetAttribute)dlsym(h, "cuDeviceGetAttribute");
    fn_cuGetErrorString errstr = (fn_cuGetErrorString)dlsym(h, "cuGetErrorString");
    if (!init || !ver || !count || !get || !name || !attr) {
        doctor_line("driver", "%s lacks the driver API entry points", libpath);
        doctor_problems++;
        dlclose(h);
        return;
    }
    int v = 0;
    ver(&v);
    doctor_line("driver", "%s, CUDA %d.%d", libpath, v / 1000, (v % 1000) / 10);
    CUresult r = init(0);
    if (r != CUDA_SUCCESS) {
        const char *s = NULL;
        if (errstr) errstr(r, &s);
        doctor_line("devices", "cuInit failed: %s (%d)", s ? s : "unknown error", (int)r);
        doctor_problems++;
        dlclose(h);
        return;
    }
    int n = 0;
    count(&n);
    doctor_line("devices", "%d", n);
    for (int i = 0; i < n; i++) {
        CUdevice d;
        char nm[256] = "?";
        int maj = 0, min = 0, sms = 0, khz = 0;
        get(&d, i);
        name(nm, sizeof nm, d);
        attr(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
        attr(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
        attr(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d);
        attr(&khz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, d);
        char label[32];
        snprintf(label, sizeof label, "device %d", i);
        doctor_line(label, "%s, sm_%d%d, %d SMs, %.0f MHz", nm, maj, min, sms, khz / 1000.0);
    }
    dlclose(h);
}

static void doctor_cupti(void)
{
    const char *home = getenv("CUDA_HOME");
    char cand[3][4096];
    snprintf(cand[0], sizeof cand[0], "libcupti.so");
    snprintf(cand[1], sizeof cand[1], "%s/lib64/libcupti.so", home ? home : "/usr/local/cuda");
    snprintf(cand[2], sizeof cand[2], "%s/extras/CUPTI/lib64/libcupti.so", home ? home : "/usr/local/cuda");
    for (int i = 0; i < 3; i++) {
        void *h = dlopen(cand[i], RTLD_LAZY | RTLD_LOCAL);
        if (!h) continue;
        fn_cuptiGetVersion gv = (fn_cuptiGetVersion)dlsym(h, "cuptiGetVersion");
        uint32_t v = 0;
        if (gv) gv(&v);
        doctor_line("cupti", "%s, API version %u", cand[i], v);
        /* Do not dlclose: CUPTI does not support being unloaded. */
        return;
    }
    doctor_line("cupti", "not found (looked in the loader path and CUDA_HOME=%s)",
                home ? home : "/usr/local/cuda");
    doctor_problems++;
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
    char dir[4096];
    const char *c = getenv("NTRACE_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    if (c && *c) snprintf(dir, sizeof dir, "%s", c);
    else if (x && *x) snprintf(dir, sizeof dir, "%s/ntrace", x);
    else snprintf(dir, sizeof dir, "%s/.cache/ntrace", h ? h : "/tmp");
    int files = 0;
    uint64_t bytes = doctor_dir_bytes(dir, &files);
    doctor_line("jit cache", "%s (%d files, %.1f MB)", dir, files, bytes / 1e6);
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
    if (emulate) {
        char p[8192];
        snprintf(p, sizeof p, "%s/libcuda.so.1", paths.emu_dir);
        doctor_driver(p);
    } else {
        doctor_driver("libcuda.so.1");
    }
    doctor_cupti();
    doctor_file("injector", paths.lib_dir, "libntrace_inject.so");
    doctor_file("emulator", paths.emu_dir, "libcuda.so.1");
    doctor_cache();
    printf("%s\n", doctor_problems ? "some parts are missing (see above)" : "everything ntrace needs is here");
    return doctor_problems ? CLI_FAIL : CLI_OK;
}
