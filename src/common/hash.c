/* hash.c — a 64-bit byte hash and two open-addressing hash maps.
 *
 * Map invariants: cap is 0 or a power of two; n < cap * 3/4 after every
 * put (so probing always finds an empty slot); deletion uses backward
 * shifting, so there are no tombstones and lookups stop at the first
 * empty slot. */
#include "common/common.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t nt_rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t nt_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A wyhash-style multiply-mix hash: 8 bytes per step, good avalanche. */
uint64_t nt_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = seed ^ nt_mix(seed ^ k0, (uint64_t)n ^ k1);
    while (n >= 16) {
        h = nt_mix(nt_rd64(p) ^ k1, nt_rd64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        a = nt_rd64(p);
        b = nt_rd64(p + n - 8);
    } else if (n > 0) {
        unsigned char t[8] = {0};
        memcpy(t, p, n);
        a = nt_rd64(t);
        b = (uint64_t)n << 56;
    }
    return nt_mix(a ^ k1 ^ h, b ^ k0 ^ h) ^ n;
}

/* ---- string-keyed map ---- */

static bool nt_map_slot_eq(const nt_map_slot *s, const char *key, size_t len, uint32_t h)
{
    return s->hash32 == h && s->len == len && memcmp(s->key, key, len) == 0;
}

static void nt_map_grow(nt_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16;
    nt_map_slot *ns = nt_xcalloc(ncap, sizeof *ns);
    for (size_t i = 0; i < m->cap; i++) {
        nt_map_slot *s = &m->slots[i];
        if (!s->key) continue;
        size_t j = s->hash32 & (ncap - 1);
        while (ns[j].key) j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
}

/* Keys hash to 32 bits; the slot stores it so most mismatches cost no
 * memcmp, and growth needs no rehash of the key bytes. */
static uint32_t nt_map_hash(const char *key, size_t len)
{
    uint64_t h = nt_hash64(key, len, 0x9e3779b97f4a7c15ull);
    return (uint32_t)(h ^ (h >> 32));
}

bool nt_map_put(nt_map *m, const char *key, size_t len, uint64_t val)
{
    if ((m->n + 1) * 4 > m->cap * 3) nt_map_grow(m);
    uint32_t h = nt_map_hash(key, len);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key) {
        if (nt_map_slot_eq(&m->slots[j], key, len, h)) {
            m->slots[j].val = val;
            return false;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j] = (nt_map_slot){key, (uint32_t)len, h, val};
    m->n++;
    return true;
}

static nt_map_slot *nt_map_find(const nt_map *m, const char *key, size_t len)
{
    if (!m->cap) return NULL;
    uint32_t h = nt_map_hash(key, len);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key) {
        if (nt_map_slot_eq(&m->slots[j], key, len, h)) return &m->slots[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

bool nt_map_get(const nt_map *m, const char *key, size_t len, uint64_t *val)
{
    nt_map_slot *s = nt_map_find(m, key, len);
    if (s && val) *val = s->val;
    return s != NULL;
}

bool nt_map_del(nt_map *m, const char *key, size_t len)
{
    nt_map_slot *s = nt_map_find(m, key, len);
    if (!s) return false;
    size_t mask = m->cap - 1, i = (size_t)(s - m->slots), j = i;
    /* Backward-shift deletion: move later members of the probe run into
     * the hole when their home slot does not lie in (i, j]. */
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].key) break;
        size_t home = m->slots[j].hash32 & mask;
        bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = NULL;
    m->n--;
    return true;
}

void nt_map_free(nt_map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ---- integer-keyed map ---- */

static void nt_imap_grow(nt_imap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16;
    uint64_t *nk = nt_xmalloc(ncap * sizeof *nk), *nv = nt_xmalloc(ncap * sizeof *nv);
    uint8_t *nu = nt_xcalloc(ncap, 1);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i]) continue;
        size_t j = nt_hash_u64(m->keys[i]) & (ncap - 1);
        while (nu[j]) j = (j + 1) & (ncap - 1);
        nu[j] = 1;
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys); free(m->vals); free(m->used);
    m->keys = nk; m->vals = nv; m->used = nu;
    m->cap = ncap;
}

static bool nt_imap_find(const nt_imap *m, uint64_t key, size_t *at)
{
    if (!m->cap) return false;
    size_t j = nt_hash_u64(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            *at = j;
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    *at = j;
    return false;
}

bool nt_imap_put(nt_imap *m, uint64_t key, uint64_t val)
{
    if ((m->n + 1) * 4 > m->cap * 3) nt_imap_grow(m);
    size_t j;
    if (nt_imap_find(m, key, &j)) {
        m->vals[j] = val;
        return false;
    }
    m->used[j] = 1;
    m->keys[j] = key;
    m->vals[j] = val;
    m->n++;
    return true;
}

bool nt_imap_get(const nt_imap *m, uint64_t key, uint64_t *val)
{
    size_t j;
    if (!nt_imap_find(m, key, &j)) return false;
    if (val) *val = m->vals[j];
    return true;
}

bool nt_imap_del(nt_imap *m, uint64_t key)
{
    size_t i;
    if (!nt_imap_find(m, key, &i)) return false;
    size_t mask = m->cap - 1, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->used[j]) break;
        size_t home = nt_hash_u64(m->keys[j]) & mask;
        bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!between) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->used[i] = 0;
    m->n--;
    return true;
}

void nt_imap_free(nt_imap *m)
{
    free(m->keys); free(m->vals); free(m->used);
    memset(m, 0, sizeof *m);
}
