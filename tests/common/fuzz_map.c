/* Fuzz: the string map against a trivially correct model (a list). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* Input: a sequence of ops; each op is 1 byte (op|keylen) + key bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nt_map m = {0};
    const char *keys[256];
    size_t lens[256];
    uint64_t vals[256];
    size_t nk = 0;
    size_t i = 0;
    while (i < size) {
        unsigned op = data[i] >> 6, len = data[i] & 7;
        i++;
        if (i + len > size) break;
        const char *k = (const char *)data + i;
        i += len;
        size_t at = nk;
        for (size_t j = 0; j < nk; j++)
            if (lens[j] == len && memcmp(keys[j], k, len) == 0) at = j;
        if (op <= 1) {                     /* put */
            bool fresh = nt_map_put(&m, k, len, i);
            if (fresh != (at == nk)) abort();
            if (at == nk) {
                if (nk == 256) break;
                keys[nk] = k; lens[nk] = len; nk++;
            }
            vals[at] = i;
        } else if (op == 2) {              /* del */
            if (nt_map_del(&m, k, len) != (at < nk)) abort();
            if (at < nk) {
                keys[at] = keys[nk - 1]; lens[at] = lens[nk - 1]; vals[at] = vals[nk - 1];
                nk--;
            }
        } else {                           /* get */
            uint64_t v;
            bool f = nt_map_get(&m, k, len, &v);
            if (f != (at < nk) || (f && v != vals[at])) abort();
        }
    }
    if (m.n != nk) abort();
    nt_map_free(&m);
    return 0;
}
