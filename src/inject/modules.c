/* modules.c — the modules and libraries the app loads, and their PTX. */
#include "inject/inject_int.h"
#include "ptx/ptx.h"

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void inj_module_no_ptx(inj_module *m, const char *fmt, const char *arg)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, arg);
    free(m->no_ptx);
    m->no_ptx = nt_xstrdup(buf);
}

inj_module *inj_module_add(inj_modules *ms, uint64_t handle, bool is_library,
                           const void *image, const char *file, const char *origin)
{
    inj_module *m = nt_xcalloc(1, sizeof *m);
    m->handle = handle;
    m->is_library = is_library;
    m->origin = nt_xstrdup(file ? file : origin);
    nt_err e = {0};
    nt_file f = {0};
    size_t max_len = SIZE_MAX;
    if (file) {
        /* The file's bytes plus a NUL, so plain PTX text is an image too. */
        if (nt_file_open(&f, file, &e) == 0) {
            image = f.data;
            max_len = f.size + 1;
        } else {
            image = NULL;
        }
    }
    if (image) {
        bin_kind kind;
        size_t size;
        if (bin_image_size(image, max_len, &kind, &size, &e) == 0) {
            /* A wrapper points at the fatbin; copy that instead. */
            const void *fb;
            size_t fbsize;
            if (kind == BIN_FATBIN_WRAPPER && bin_wrapper_target(image, &fb, &fbsize, &e) == 0) {
                image = fb;
                size = fbsize;
            }
            m->image = nt_xmalloc(size ? size : 1);
            memcpy(m->image, image, size);
            m->size = size;
        }
    }
    nt_file_close(&f);
    if (!m->image) {
        inj_module_no_ptx(m, "image not readable: %s", e.set ? e.msg : "no image");
    } else {
        m->hash = nt_hash64(m->image, m->size, 0);
    }
    /* A handle value reused after an unload replaces the old record. */
    inj_module_remove(ms, handle);
    nt_imap_put(&ms->by_handle, handle, (uint64_t)(uintptr_t)m);
    nt_vec_push(&ms->all, m);
    return m;
}

inj_module *inj_module_find(inj_modules *ms, uint64_t handle)
{
    uint64_t v;
    return nt_imap_get(&ms->by_handle, handle, &v) ? (inj_module *)(uintptr_t)v : NULL;
}

/* Unlinks the handle; the record stays (kernels may still point at it)
 * and is freed with the registry. */
void inj_module_remove(inj_modules *ms, uint64_t handle)
{
    nt_imap_del(&ms->by_handle, handle);
}

/* The choice is made once per compute capability and kept: a module (a
 * library above all) may be used on devices of several. */
inj_ptx *inj_module_ptx(inj_module *m, unsigned sm)
{
    for (size_t i = 0; i < m->ptxs.n; i++)
        if (m->ptxs.v[i]->sm == sm) return m->ptxs.v[i];
    inj_ptx *p = nt_xcalloc(1, sizeof *p);
    p->sm = sm;
    nt_vec_push(&m->ptxs, p);
    char msg[640];
    if (!m->image) {
        p->no_ptx = nt_xstrdup(m->no_ptx ? m->no_ptx : "image not readable");
        return p;
    }
    bin_ptx_choice c;
    nt_err e = {0};
    if (bin_ptx_pick(m->image, m->size, sm, &c, &e) < 0) {
        snprintf(msg, sizeof msg, "image malformed: %s", e.msg);
        p->no_ptx = nt_xstrdup(msg);
    } else if (!c.text) {
        if (!c.count) snprintf(msg, sizeof msg, "no PTX in the module (SASS only)");
        else snprintf(msg, sizeof msg, "no PTX for this device (sm_%u; the module's PTX targets sm_%u)",
                      sm, c.newest);
        p->no_ptx = nt_xstrdup(msg);
    } else {
        p->text = c.text;       /* ownership moves to p */
        p->len = c.len;
        p->arch = c.arch;
    }
    return p;
}

void inj_module_destroy(inj_module *m)
{
    free(m->image);
    for (size_t j = 0; j < m->ptxs.n; j++) {
        inj_ptx *p = m->ptxs.v[j];
        if (p->ix) { ptx_index_free(p->ix); free(p->ix); }
        free(p->text);
        free(p->no_ptx);
        free(p);
    }
    nt_vec_free(&m->ptxs);
    free(m->no_ptx);
    free((char *)m->origin);
    free(m);
}

void inj_modules_free(inj_modules *ms)
{
    for (size_t i = 0; i < ms->all.n; i++) inj_module_destroy(ms->all.v[i]);
    nt_vec_free(&ms->all);
    nt_imap_free(&ms->by_handle);
    for (size_t i = 0; i < ms->ptx_texts.n; i++) free(ms->ptx_texts.v[i]);
    nt_vec_free(&ms->ptx_texts);
    nt_map_free(&ms->by_kernel);
    for (size_t i = 0; i < ms->scanned.cap; i++) free((char *)ms->scanned.slots[i].key);
    nt_map_free(&ms->scanned);
}

/* ---- kernels whose module load was not seen ----
 * The CUDA runtime registers the fatbins embedded in executables and
 * libraries through private driver entry points, so no module-load
 * callback shows their images.  Their PTX is still in the files: the
 * .nv_fatbin sections of the process's loaded objects. */

typedef struct scan_ctx {
    inj_modules *ms;
    unsigned     sm;
    size_t       found;
} scan_ctx;

static int scan_ptx(void *ctx, const bin_ptx *p)
{
    scan_ctx *sc = ctx;
    if (p->arch > sc->sm) return 0;
    ptx_index ix;
    if (ptx_index_build(&ix, p->text, p->len, p->origin, NULL) < 0) return 0;
    size_t id = sc->ms->ptx_texts.n;
    char *text = NULL;
    for (size_t i = 0; i < ix.n; i++) {
        const ptx_ix_item *it = &ix.items[i];
        if (it->kind != PTX_IX_FUNC || !it->is_entry || !it->has_body) continue;
        if (!text) {
            text = nt_xstrndup(p->text, p->len);
            nt_vec_push(&sc->ms->ptx_texts, text);
        }
        /* The key points into our copy, which lives as long as the map.
         * A kernel found again in newer PTX replaces the older one. */
        const char *key = text + (it->name.s - p->text);
        uint64_t prev;
        bool had = nt_map_get(&sc->ms->by_kernel, key, it->name.n, &prev);
        if (!had) sc->found++;
        nt_map_put(&sc->ms->by_kernel, key, it->name.n, id);
    }
    ptx_index_free(&ix);
    return 0;
}

size_t inj_modules_scan_files(inj_modules *ms, const char *const *files, size_t n, unsigned sm)
{
    scan_ctx sc = {ms, sm, 0};
    for (size_t i = 0; i < n; i++) {
        if (nt_map_get(&ms->scanned, files[i], strlen(files[i]), NULL)) continue;
        char *key = nt_xstrdup(files[i]);
        nt_map_put(&ms->scanned, key, strlen(key), 0);
        nt_file f;
        if (nt_file_open(&f, files[i], NULL) < 0) continue;
        /* Only ELF files can hold embedded fatbins. */
        if (f.size > 4 && !memcmp(f.data, "\177ELF", 4)) {
            nt_err e = {0};
            if (bin_foreach_ptx(f.data, f.size, scan_ptx, &sc, &e) < 0)
                nt_debug("scanning %s for PTX: %s", files[i], e.msg);
        }
        nt_file_close(&f);
    }
    return sc.found;
}

static int collect_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
    NT_VEC(const char *) *files = ctx;
    const char *name = info->dlpi_name;
    if (!name || !*name) name = "/proc/self/exe";       /* the executable */
    if (strstr(name, "linux-vdso") || strstr(name, "libntrace_inject")) return 0;
    nt_vec_push(files, name);
    return 0;
}

size_t inj_modules_scan_process(inj_modules *ms, unsigned sm)
{
    NT_VEC(const char *) files = {0};
    dl_iterate_phdr(collect_object, &files);
    size_t found = inj_modules_scan_files(ms, files.v, files.n, sm);
    nt_vec_free(&files);
    return found;
}

inj_module *inj_module_for_kernel(inj_modules *ms, const char *kernel, uint64_t handle)
{
    uint64_t id;
    if (!nt_map_get(&ms->by_kernel, kernel, strlen(kernel), &id)) return NULL;
    const char *text = ms->ptx_texts.v[id];
    inj_module *m = inj_module_find(ms, handle);
    /* One record per (handle, PTX text): reuse it when it is this text. */
    if (m && m->image && m->size == strlen(text) + 1 && !memcmp(m->image, text, m->size)) return m;
    return inj_module_add(ms, handle, false, text, NULL, "embedded fatbin");
}
