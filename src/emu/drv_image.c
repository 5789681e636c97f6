/*
 * drv_image.c — what the driver can be given as a module image: PTX text,
 * a fatbin, a fatbin wrapper (__fatBinC_Wrapper_t, as cudart registers) or a
 * cubin with embedded PTX.  src/binary classifies and sizes the image and
 * finds its PTX; the emulator runs the PTX for the newest architecture it
 * can (sm_90 or below).  An image without PTX cannot run here.
 */
#include <stdlib.h>
#include <string.h>
#include "binary/binary.h"
#include "emu/drv.h"

typedef struct pick {
    char    *text;
    size_t   len;
    unsigned arch;
} pick;

/* Keeps the PTX of the highest architecture <= 90, else the lowest above. */
static int keep(void *ctx, const bin_ptx *p)
{
    pick *k = ctx;
    int better = !k->text ||
                 (p->arch <= 90 && (k->arch > 90 || p->arch > k->arch)) ||
                 (p->arch > 90 && k->arch > 90 && p->arch < k->arch);
    if (better) {
        free(k->text);
        k->text = nt_xstrndup(p->text, p->len);
        k->len = p->len;
        k->arch = p->arch;
    }
    return 0;
}

CUresult drv_image_ptx(const void *image, char **ptx, size_t *ptx_len, char **copy,
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
    pick k = { 0 };
    if (kind == BIN_PTX) {
        k.text = nt_xstrndup(image, size ? size - 1 : 0);
        k.len = strlen(k.text);
    } else if (kind == BIN_FATBIN || kind == BIN_FATBIN_WRAPPER || kind == BIN_CUBIN) {
        if (bin_foreach_ptx(image, size, keep, &k, &e)) {
            free(k.text);
            nt_warn("emu: module image: %s", e.msg);
            return CUDA_ERROR_INVALID_IMAGE;
        }
        if (!k.text) {
            nt_warn("emu: the %s image has no PTX; the emulator runs PTX only", bin_kind_name(kind));
            return CUDA_ERROR_NO_BINARY_FOR_GPU;
        }
    } else {
        nt_warn("emu: module image of kind %s cannot be loaded", bin_kind_name(kind));
        return CUDA_ERROR_INVALID_IMAGE;
    }
    *ptx = k.text;
    *ptx_len = k.len;
    *copy = nt_xmalloc(nbytes + 1);
    memcpy(*copy, bytes, nbytes);
    (*copy)[nbytes] = 0;
    *copy_size = nbytes;
    return CUDA_SUCCESS;
}
