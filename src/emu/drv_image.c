/*
 * drv_image.c — what the driver can be given as a module image: PTX text,
 * a fatbin, a fatbin wrapper (__fatBinC_Wrapper_t, as cudart registers) or a
 * cubin with embedded PTX.  src/binary classifies and sizes the image and
 * picks the PTX a device of the context's compute capability would JIT
 * (bin_ptx_pick: the newest not newer than the device, the injector's very
 * rule).  An image without such PTX cannot run here.
 */
#include <stdlib.h>
#include <string.h>
#include "binary/binary.h"
#include "emu/drv.h"

CUresult drv_image_ptx(const void *image, unsigned sm, char **ptx, size_t *ptx_len, char **copy,
                       size_t *copy_size)
{
    bin_kind kind;
    size_t size;
    nt_err e = { 0 };
    if (bin_image_size(image, SIZE_MAX, &kind, &size, &e)) {
        nt_warn("emu: module image: %s", e.msg);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    /* The bytes handed to CUPTI's module-loaded callback: the image, or for
     * a wrapper the fatbin it points to. */
    const void *bytes = image;
    size_t nbytes = size;
    if (kind == BIN_FATBIN_WRAPPER && bin_wrapper_target(image, &bytes, &nbytes, &e)) {
        nt_warn("emu: fatbin wrapper: %s", e.msg);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    if (kind != BIN_PTX && kind != BIN_FATBIN && kind != BIN_FATBIN_WRAPPER && kind != BIN_CUBIN) {
        nt_warn("emu: module image of kind %s cannot be loaded", bin_kind_name(kind));
        return CUDA_ERROR_INVALID_IMAGE;
    }
    /* PTX text: its size counts the NUL, which is not PTX. */
    bin_ptx_choice k;
    if (bin_ptx_pick(image, kind == BIN_PTX && size ? size - 1 : size, sm, &k, &e)) {
        nt_warn("emu: module image: %s", e.msg);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    if (!k.text) {
        if (k.count)
            nt_warn("emu: the %s image has no PTX for sm_%u (its newest targets sm_%u)",
                    bin_kind_name(kind), sm, k.newest);
        else
            nt_warn("emu: the %s image has no PTX; the emulator runs PTX only", bin_kind_name(kind));
        return kind == BIN_PTX ? CUDA_ERROR_INVALID_PTX : CUDA_ERROR_NO_BINARY_FOR_GPU;
    }
    *ptx = k.text;
    *ptx_len = k.len;
    *copy = nt_xmalloc(nbytes + 1);
    memcpy(*copy, bytes, nbytes);
    (*copy)[nbytes] = 0;
    *copy_size = nbytes;
    return CUDA_SUCCESS;
}
