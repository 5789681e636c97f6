/* unload.c — what the injector forgets when the app unloads a module or
 * library: the module record (its image, PTX and index copies), the
 * kernels of that module and their twins (the instrumented modules are
 * unloaded too).  Without this, every kernel of every module ever loaded
 * stayed in memory with its twin (about 100 KB a kernel on the emulator:
 * a 100 k-kernel run grew past 5 GB, tests/reliability/load.sh), and a
 * handle value the driver reused for a new function would have found the
 * old kernel's record.  Called with inj_lock held.  The app unloads a
 * module only once its kernels have run (as it must without ntrace), and
 * those launches ran the twins: unloading them with it is as safe. */
#include "inject/inject_int.h"
#include "ptx/ptx.h"

#include <stdlib.h>
#include <string.h>

static void kernel_free(inj_kernel *k)
{
    for (unsigned i = 0; k->twins && i < inj.nprobes; i++) {
        if (k->twins[i].mod) cuModuleUnload(k->twins[i].mod);
        inj_twin_free(&k->twins[i]);
    }
    free(k->twins);
    free(k->name);
    free(k->demangled);
    free(k->reason);
    free(k);
}

/* Removes p from a pointer vector (order kept; recent entries are at the
 * end, where the search starts). */
#define VEC_REMOVE(vec, p) do {                                              \
        for (size_t i_ = (vec)->n; i_-- > 0;)                                \
            if ((vec)->v[i_] == (p)) {                                       \
                memmove(&(vec)->v[i_], &(vec)->v[i_ + 1],                    \
                        ((vec)->n - i_ - 1) * sizeof *(vec)->v);             \
                (vec)->n--;                                                  \
                break;                                                       \
            }                                                                \
    } while (0)

void inj_module_forget(uint64_t handle)
{
    inj_module *m = inj_module_find(&inj.modules, handle);
    inj_module_remove(&inj.modules, handle);
    if (!m) return;
    NT_VEC(uint64_t) gone = {0};
    for (size_t i = 0; i < inj.kernels.cap; i++)
        if (inj.kernels.used[i] && ((inj_kernel *)(uintptr_t)inj.kernels.vals[i])->mod == m)
            nt_vec_push(&gone, inj.kernels.keys[i]);
    for (size_t i = 0; i < gone.n; i++) {
        uint64_t v;
        if (!nt_imap_get(&inj.kernels, gone.v[i], &v)) continue;
        inj_kernel *k = (inj_kernel *)(uintptr_t)v;
        nt_imap_del(&inj.kernels, gone.v[i]);
        VEC_REMOVE(&inj.all_kernels, k);
        kernel_free(k);
    }
    nt_vec_free(&gone);
    VEC_REMOVE(&inj.modules.all, m);
    inj_module_destroy(m);
}
