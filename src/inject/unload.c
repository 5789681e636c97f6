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

/* Unlinks from every handle's chain (inj_kref: one entry per context the
 * handle was launched in) the entries whose kernel belongs to m; a chain
 * left empty loses its key. */
static void krefs_drop_module(const inj_module *m)
{
    NT_VEC(uint64_t) keys = {0};
    for (size_t i = 0; i < inj.kernels.cap; i++)
        if (inj.kernels.used[i]) nt_vec_push(&keys, inj.kernels.keys[i]);
    for (size_t i = 0; i < keys.n; i++) {
        uint64_t v;
        if (!nt_imap_get(&inj.kernels, keys.v[i], &v)) continue;
        inj_kref *head = (inj_kref *)(uintptr_t)v, **pp = &head;
        while (*pp) {
            inj_kref *r = *pp;
            if (r->k->mod == m) {
                *pp = r->next;
                free(r);
            } else {
                pp = &r->next;
            }
        }
        if (head) nt_imap_put(&inj.kernels, keys.v[i], (uint64_t)(uintptr_t)head);
        else nt_imap_del(&inj.kernels, keys.v[i]);
    }
    nt_vec_free(&keys);
}

void inj_module_forget(uint64_t handle)
{
    inj_module *m = inj_module_find(&inj.modules, handle);
    inj_module_remove(&inj.modules, handle);
    if (!m) return;
    krefs_drop_module(m);
    for (size_t i = inj.all_kernels.n; i-- > 0;) {
        inj_kernel *k = inj.all_kernels.v[i];
        if (k->mod != m) continue;
        memmove(&inj.all_kernels.v[i], &inj.all_kernels.v[i + 1],
                (inj.all_kernels.n - i - 1) * sizeof *inj.all_kernels.v);
        inj.all_kernels.n--;
        kernel_free(k);
    }
    VEC_REMOVE(&inj.modules.all, m);
    inj_module_destroy(m);
}
