/* pclines.c — source lines of sampled PCs (docs/pc-sampling.md).
 *
 * CUPTI names the cubin of each sampled PC by a 64-bit "CRC" and lets the
 * client compute it (cuptiRegisterComputeCrcCallback): it hands the
 * callback the very cubin the driver loaded — the SASS picked out of a
 * fatbin, or the JIT's output for PTX — when a module is loaded.  So the
 * callback is where the cubin is at hand: it hashes the cubin (that hash is
 * the CRC CUPTI then stores in every PC record of it) and reads its line
 * table (nvcc -lineinfo) while it can.  Tables are kept, by CRC, until the
 * run ends; cubins without line info cost the hash and a section scan.
 *
 * Lock order: this module's lock is a leaf (taken under pcs.mu, never
 * around anything else). */
#include "inject/pcsamp.h"
#include "binary/binary.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PCL_SEED 0x6e7470636cull     /* "ntpcl" */

static struct {
    pthread_mutex_t mu;
    nt_arena        arena;       /* the tables */
    bool            arena_ready;
    nt_imap         by_crc;      /* crc -> bin_lines* (only tables with rows) */
    nt_imap         stored;      /* key of (crc, function, pc) -> 1: already sent */
    uint64_t        cubins, with_lines;
} pcl = {.mu = PTHREAD_MUTEX_INITIALIZER};

void CUPTIAPI inj_pcl_cubin_crc(const void *cubin, size_t size, uint64_t *crc)
{
    if (!crc) return;
    *crc = cubin && size ? nt_hash64(cubin, size, PCL_SEED) : 0;
    if (!cubin || !size) return;
    pthread_mutex_lock(&pcl.mu);
    pcl.cubins++;
    uint64_t have;
    if (!nt_imap_get(&pcl.by_crc, *crc, &have)) {
        if (!pcl.arena_ready) {
            nt_arena_init(&pcl.arena, 0);
            pcl.arena_ready = true;
        }
        bin_lines *l = nt_arena_zalloc(&pcl.arena, sizeof *l);
        nt_err e = {0};
        if (bin_cubin_lines(cubin, size, &pcl.arena, l, &e) < 0)
            nt_debug("no source lines for cubin %016llx: %s", (unsigned long long)*crc, e.msg);
        else if (l->n) {
            nt_imap_put(&pcl.by_crc, *crc, (uint64_t)(uintptr_t)l);
            pcl.with_lines++;
        }
    }
    pthread_mutex_unlock(&pcl.mu);
}

int inj_pcl_lookup(uint64_t crc, const char *function, uint64_t pc, inj_pcl_line *out)
{
    if (!function) return 0;
    int found = 0;
    pthread_mutex_lock(&pcl.mu);
    uint64_t v;
    if (nt_imap_get(&pcl.by_crc, crc, &v)) {
        const bin_line *l = bin_line_find((const bin_lines *)(uintptr_t)v, function, pc);
        if (l) {
            uint64_t key = nt_hash64(function, strlen(function), nt_hash_u64(crc ^ nt_hash_u64(pc)));
            uint64_t seen;
            found = nt_imap_get(&pcl.stored, key, &seen) ? 2 : 1;
            if (found == 1) nt_imap_put(&pcl.stored, key, 1);
            *out = (inj_pcl_line){.file = l->file, .line = l->line, .column = l->column};
        }
    }
    pthread_mutex_unlock(&pcl.mu);
    return found;
}

void inj_pcl_counts(uint64_t *cubins, uint64_t *with_lines)
{
    pthread_mutex_lock(&pcl.mu);
    *cubins = pcl.cubins;
    *with_lines = pcl.with_lines;
    pthread_mutex_unlock(&pcl.mu);
}

void inj_pcl_reset(void)
{
    pthread_mutex_lock(&pcl.mu);
    nt_imap_free(&pcl.by_crc);
    nt_imap_free(&pcl.stored);
    memset(&pcl.by_crc, 0, sizeof pcl.by_crc);
    memset(&pcl.stored, 0, sizeof pcl.stored);
    if (pcl.arena_ready) nt_arena_free(&pcl.arena);
    pcl.arena_ready = false;
    pcl.cubins = pcl.with_lines = 0;
    pthread_mutex_unlock(&pcl.mu);
}
