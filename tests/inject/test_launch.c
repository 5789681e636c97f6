/* Tests: decoding launch parameter blocks and extending their arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "inject/inject_int.h"

static void decode_launch_kernel_and_swap(void **state)
{
    int x = 1, y = 2;
    void *args[] = {&x, &y};
    cuLaunchKernel_params p = {(CUfunction)0x1000, 4, 2, 1, 128, 1, 1, 512, (CUstream)0x77, args, NULL};
    inj_launch l;
    assert_int_equal(inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, &p, &l), 1);
    assert_false(l.graph);
    assert_int_equal(l.grid[0], 4);
    assert_int_equal(l.grid[1], 2);
    assert_int_equal(l.block[0], 128);
    assert_int_equal(l.shmem, 512);
    assert_ptr_equal(l.stream, (CUstream)0x77);
    /* The swap writes into the caller's parameter block. */
    *l.fn = (CUfunction)0x2000;
    assert_ptr_equal(p.f, (CUfunction)0x2000);

    inj_args a = {0};
    nt_err e = {0};
    assert_int_equal(inj_args_extend(&l, 2, 8, 0xdead0000, &a, &e), 0);
    assert_ptr_not_equal(p.kernelParams, args);     /* replaced */
    assert_ptr_equal(p.kernelParams[0], &x);
    assert_ptr_equal(p.kernelParams[1], &y);
    assert_int_equal(*(CUdeviceptr *)p.kernelParams[2], 0xdead0000);
    assert_ptr_equal(args[0], &x);                  /* the app's array untouched */
    inj_args_free(&a);
}

static void decode_other_entry_points(void **state)
{
    inj_launch l;
    cuLaunchCooperativeKernel_params c = {(CUfunction)1, 1, 1, 1, 32, 1, 1, 0, NULL, NULL};
    assert_int_equal(inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel, &c, &l), 1);
    assert_null(l.extra);
    assert_int_equal(l.block[0], 32);
    CUlaunchConfig cfg = {.gridDimX = 9, .gridDimY = 1, .gridDimZ = 1, .blockDimX = 64,
                          .blockDimY = 2, .blockDimZ = 1, .sharedMemBytes = 16};
    cuLaunchKernelEx_params ex = {&cfg, (CUfunction)2, NULL, NULL};
    assert_int_equal(inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz, &ex, &l), 1);
    assert_int_equal(l.grid[0], 9);
    assert_int_equal(l.block[1], 2);
    assert_ptr_equal(l.fn, &ex.f);
    int dummy = 0;
    cuGraphLaunch_params gp = {(CUgraphExec)3, (CUstream)0x66};
    assert_int_equal(inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch, &gp, &l), 1);
    assert_true(l.graph);
    assert_ptr_equal(l.stream, (CUstream)0x66);
    assert_int_equal(inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2, &dummy, &l), 0);
}

/* The one list of launch entry points: every entry decodes, the graph
 * launches as graphs, the _ptsz variants (and only they) as per-thread. */
static void launch_api_list(void **state)
{
    size_t n = 0;
    const inj_launch_api *a = inj_launch_apis(&n);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(inj_launch_api_of(a[i].cbid), &a[i]);
        cuLaunchKernel_params p = {(CUfunction)0x1000, 1, 1, 1, 32, 1, 1, 0, (CUstream)0x5, NULL, NULL};
        CUlaunchConfig cfg = {.gridDimX = 1, .gridDimY = 1, .gridDimZ = 1, .blockDimX = 32,
                              .blockDimY = 1, .blockDimZ = 1, .hStream = (CUstream)0x5};
        cuLaunchKernelEx_params ex = {&cfg, (CUfunction)0x1000, NULL, NULL};
        cuGraphLaunch_params g = {(CUgraphExec)0x9, (CUstream)0x5};
        void *block = a[i].kind == INJ_API_EX ? (void *)&ex : a[i].kind == INJ_API_GRAPH ? (void *)&g
                                                                                         : (void *)&p;
        inj_launch l;
        assert_int_equal(inj_launch_decode(a[i].cbid, block, &l), 1);
        assert_string_equal(l.api, a[i].name);
        assert_int_equal(l.graph, a[i].kind == INJ_API_GRAPH);
        assert_int_equal(l.ptsz, strstr(a[i].name, "_ptsz") != NULL);
        assert_ptr_equal(l.stream, (CUstream)0x5);
        if (!l.graph) assert_int_equal(l.block[0], 32);
    }
    assert_null(inj_launch_api_of(CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2));
}

static void extend_extra_style(void **state)
{
    unsigned char packed[12];
    for (int i = 0; i < 12; i++) packed[i] = (unsigned char)(i + 1);
    size_t size = sizeof packed;
    void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, packed, CU_LAUNCH_PARAM_BUFFER_SIZE, &size,
                     CU_LAUNCH_PARAM_END};
    cuLaunchKernel_params p = {(CUfunction)1, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, extra};
    inj_launch l;
    inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, &p, &l);
    inj_args a = {0};
    nt_err e = {0};
    assert_int_equal(inj_args_extend(&l, 2, 16, 0xabc00, &a, &e), 0);
    void **ne = p.extra;
    assert_ptr_equal(ne[0], CU_LAUNCH_PARAM_BUFFER_POINTER);
    unsigned char *nb = ne[1];
    assert_memory_equal(nb, packed, 12);
    assert_int_equal(nb[12] | nb[13] | nb[14] | nb[15], 0);   /* padding */
    CUdeviceptr got;
    memcpy(&got, nb + 16, 8);
    assert_int_equal(got, 0xabc00);
    assert_int_equal(*(size_t *)ne[3], 24);
    assert_ptr_equal(ne[4], CU_LAUNCH_PARAM_END);
    inj_args_free(&a);
}

static void extend_errors_leave_block_alone(void **state)
{
    inj_launch l;
    inj_args a = {0};
    nt_err e = {0};
    unsigned char packed[24] = {0};
    size_t size = sizeof packed;
    void *extra[] = {CU_LAUNCH_PARAM_BUFFER_POINTER, packed, CU_LAUNCH_PARAM_BUFFER_SIZE, &size,
                     CU_LAUNCH_PARAM_END};
    cuLaunchKernel_params p = {(CUfunction)1, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, extra};
    inj_launch_decode(CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, &p, &l);
    assert_int_equal(inj_args_extend(&l, 3, 16, 1, &a, &e), -1);
    assert_string_equal(e.msg, "packed arguments (24 bytes) overlap the probe parameter at 16");
    assert_ptr_equal(p.extra, extra);
    nt_err_clear(&e);
    assert_int_equal(inj_args_extend(&l, 3, 12, 1, &a, &e), -1);
    assert_string_equal(e.msg, "probe buffer parameter offset 12 is not 8-aligned");
    nt_err_clear(&e);
    void *bad[] = {(void *)0x99, NULL, CU_LAUNCH_PARAM_END};
    p.extra = bad;
    assert_int_equal(inj_args_extend(&l, 3, 24, 1, &a, &e), -1);
    assert_non_null(strstr(e.msg, "unknown key"));
    nt_err_clear(&e);
    p.extra = NULL;
    assert_int_equal(inj_args_extend(&l, 3, 24, 1, &a, &e), -1);
    assert_string_equal(e.msg, "cuLaunchKernel passed neither kernelParams nor extra");
    /* A kernel without parameters launched with NULL args gets one. */
    assert_int_equal(inj_args_extend(&l, 0, 0, 0x55, &a, &e), 0);
    assert_int_equal(*(CUdeviceptr *)p.kernelParams[0], 0x55);
    inj_args_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_launch_kernel_and_swap),
        cmocka_unit_test(decode_other_entry_points),
        cmocka_unit_test(launch_api_list),
        cmocka_unit_test(extend_extra_style),
        cmocka_unit_test(extend_errors_leave_block_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
