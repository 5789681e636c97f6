/* Tests: kernel metadata out of the sm_90 fixture cubin (tests/binary/fixtures/kernels.cu),
 * and demangled names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "binary/binary.h"
#include "fixture.h"

static nt_file cubin_file;
static nt_arena cubin_arena;
static bin_cubin cubin;

static int setup(void **state)
{
    fixture_open(&cubin_file, "kernels.cubin");
    nt_arena_init(&cubin_arena, 0);
    nt_err e = {0};
    if (bin_cubin_parse(cubin_file.data, cubin_file.size, &cubin_arena, &cubin, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    nt_arena_free(&cubin_arena);
    nt_file_close(&cubin_file);
    return 0;
}

static const bin_kernel *kernel(const char *name)
{
    for (size_t i = 0; i < cubin.nkernels; i++)
        if (!strcmp(cubin.kernels[i].name, name)) return &cubin.kernels[i];
    fail_msg("kernel %s not found", name);
    return NULL;
}

static void check_param(const bin_kernel *k, size_t i, unsigned off, unsigned size)
{
    assert_true(i < k->nparams);
    assert_int_equal(k->params[i].ordinal, i);
    assert_int_equal(k->params[i].offset, off);
    assert_int_equal(k->params[i].size, size);
}

static void kernels_and_arch(void **state)
{
    assert_int_equal(cubin.arch, 90);
    assert_int_equal(cubin.nkernels, 5);
    assert_null(cubin.ptx);          /* no -lineinfo: no embedded PTX */
    for (size_t i = 0; i < cubin.nkernels; i++) {
        const bin_kernel *k = &cubin.kernels[i];
        /* ptxas -v reports 8..10 registers for these; any sane count passes. */
        assert_in_range(k->regs, 4, 64);
        assert_true(k->code_size > 0);
        /* bank 0: 0x210 bytes of driver constants, then the parameters */
        assert_int_equal(k->cbank0_size, 0x210 + ((k->param_size + 3) & ~3u));
    }
}

static void scale_attributes(void **state)
{
    const bin_kernel *k = kernel("scale");
    unsigned want_max[3] = {256, 1, 1};
    assert_memory_equal(k->max_threads, want_max, sizeof want_max);
    assert_int_equal(k->nparams, 3);
    check_param(k, 0, 0, 8);     /* float *p */
    check_param(k, 1, 8, 4);     /* int n */
    check_param(k, 2, 16, 8);    /* double s */
    assert_int_equal(k->param_size, 24);
    assert_int_equal(k->param_offset, 0x210);
    assert_int_equal(k->barriers, 1);
    /* tile[256] floats: 1 KiB of the user's, plus what the section reserves. */
    assert_true(k->shared >= 1024);
    assert_int_equal(k->cluster[0], 0);
    assert_false(k->explicit_cluster);
}

static void params_of_templates_and_structs(void **state)
{
    const bin_kernel *d = kernel("_ZN2ns4axpyIdEEvT_PKS1_PS1_i");
    assert_int_equal(d->nparams, 4);
    check_param(d, 0, 0, 8);
    check_param(d, 1, 8, 8);
    check_param(d, 2, 16, 8);
    check_param(d, 3, 24, 4);
    assert_int_equal(d->param_size, 28);
    const bin_kernel *f = kernel("_ZN2ns4axpyIfEEvT_PKS1_PS1_i");
    check_param(f, 0, 0, 4);
    check_param(f, 1, 8, 8);
    const bin_kernel *b = kernel("_Z8bigparam3BigPi");
    assert_int_equal(b->nparams, 2);
    check_param(b, 0, 0, 84);    /* struct Big { int v[20]; char c; } */
    check_param(b, 1, 88, 8);
    assert_int_equal(b->shared, 0);
    assert_int_equal(b->max_threads[0], 0);
}

static void cluster_dims(void **state)
{
    const bin_kernel *k = kernel("_Z4clusPf");
    unsigned want[3] = {2, 1, 1};
    assert_memory_equal(k->cluster, want, sizeof want);
    assert_true(k->explicit_cluster);
}

static void constant_banks(void **state)
{
    /* __constant__ float coef[16]: a module-scope bank of 64 bytes, and a
     * bank 0 per kernel. */
    size_t module = 0, per_kernel = 0;
    for (size_t i = 0; i < cubin.ncbanks; i++) {
        if (!cubin.cbanks[i].kernel) {
            module++;
            assert_int_equal(cubin.cbanks[i].size, 64);
        } else {
            assert_int_equal(cubin.cbanks[i].bank, 0);
            per_kernel++;
        }
    }
    assert_int_equal(module, 1);
    assert_int_equal(per_kernel, 5);
}

typedef struct parsed { nt_file f; nt_arena a; bin_cubin c; nt_err e; } parsed;

/* Parses fixture `name`; returns bin_cubin_parse's result. */
static int parse_fixture(const char *name, parsed *p)
{
    memset(p, 0, sizeof *p);
    fixture_open(&p->f, name);
    nt_arena_init(&p->a, 0);
    return bin_cubin_parse(p->f.data, p->f.size, &p->a, &p->c, &p->e);
}

static void parsed_free(parsed *p)
{
    nt_arena_free(&p->a);
    nt_file_close(&p->f);
}

static void lineinfo_cubin_has_ptx(void **state)
{
    parsed p;
    assert_int_equal(parse_fixture("kernels_lineinfo.cubin", &p), 0);
    bin_cubin c = p.c;
    assert_non_null(c.ptx);
    assert_int_equal(strlen(c.ptx), c.ptx_len);
    assert_non_null(strstr(c.ptx, "\n.target sm_90\n"));
    assert_non_null(strstr(c.ptx, ".version "));
    assert_int_equal(c.nkernels, 5);
    parsed_free(&p);
}

static void launch_bound_directives(void **state)
{
    parsed p;
    assert_int_equal(parse_fixture("bounds.cubin", &p), 0);
    bin_cubin c = p.c;
    assert_int_equal(c.nkernels, 2);
    const bin_kernel *rq = &c.kernels[0], *mx = &c.kernels[1];
    if (strcmp(rq->name, "rq")) {
        const bin_kernel *t = rq;
        rq = mx;
        mx = t;
    }
    unsigned want_rq[3] = {128, 2, 1}, want_mx[3] = {64, 1, 1}, zero[3] = {0, 0, 0};
    assert_memory_equal(rq->reqntid, want_rq, sizeof want_rq);     /* .reqntid */
    assert_memory_equal(rq->max_threads, zero, sizeof zero);
    assert_int_equal(rq->max_regs, 255);                          /* no .maxnreg */
    assert_memory_equal(mx->max_threads, want_mx, sizeof want_mx); /* .maxntid */
    assert_memory_equal(mx->reqntid, zero, sizeof zero);
    assert_int_equal(mx->max_regs, 32);                           /* .maxnreg 32 */
    assert_int_equal(mx->nparams, 1);
    parsed_free(&p);
}

static void not_a_cubin(void **state)
{
    parsed p;
    assert_int_equal(parse_fixture("kernels.exe", &p), -1);
    assert_non_null(strstr(p.e.msg, "is not CUDA"));
    parsed_free(&p);
}

static void demangled_names(void **state)
{
    char *d = bin_demangle("_ZN2ns4axpyIdEEvT_PKS1_PS1_i");
    assert_string_equal(d, "void ns::axpy<double>(double, double const*, double*, int)");
    free(d);
    d = bin_demangle("_Z8bigparam3BigPi");
    assert_string_equal(d, "bigparam(Big, int*)");
    free(d);
    d = bin_demangle("scale");          /* extern "C": as is */
    assert_string_equal(d, "scale");
    free(d);
    d = bin_demangle("_Zgarbage");      /* not a valid mangling: as is */
    assert_string_equal(d, "_Zgarbage");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kernels_and_arch),
        cmocka_unit_test(scale_attributes),
        cmocka_unit_test(params_of_templates_and_structs),
        cmocka_unit_test(cluster_dims),
        cmocka_unit_test(constant_banks),
        cmocka_unit_test(lineinfo_cubin_has_ptx),
        cmocka_unit_test(launch_bound_directives),
        cmocka_unit_test(not_a_cubin),
        cmocka_unit_test(demangled_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
