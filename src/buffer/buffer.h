/*
 * buffer.h — the probe-buffer format (src/buffer), shared by the probe
 * code generator (which emits PTX that writes it), the injector (which
 * allocates and prepares it) and the collector (which decodes it).
 * docs/buffer-format.md is the prose version of this header.
 *
 * One buffer per probed launch, in device memory:
 *
 *   offset 0                buf_header                    (64 bytes)
 *   offset 64               buf_map_desc[nmaps]           (32 bytes each)
 *   map[i].offset           slot array of map i: nslots slots of slot_size
 *
 *   slot (8-byte aligned):  u32 count   saves attempted by the slot's owner
 *                           u32 flags   reserved, 0
 *                           cap records of record_size bytes each
 *
 * The host writes the header and map table (cuMemcpyHtoDAsync) and zeroes
 * every slot before the launch.  Device code never writes the header.  A
 * slot has exactly one writer (a thread, the elected lane of a warp, or the
 * elected warp of a block), so no atomics are needed: a save does
 *     if (count < cap) record[count] = rec;  count += 1;
 * which keeps every store inside the slot whatever the probe does; the host
 * reads min(count, cap) records and reports count - cap as dropped.
 *
 * Probe PTX does not bake in any launch-dependent number: at kernel entry it
 * loads offset, slot_size, cap and record_size of each of its maps from the
 * map table (at the fixed positions below), so the instrumented kernel is
 * the same for every launch and can be cached by content hash.
 *
 * Slot index by level (all linear indices are x-fastest):
 *   thread: block_linear * threads_per_block + thread_linear
 *   warp:   block_linear * warps_per_block + thread_linear / 32
 *   block:  block_linear
 * where warps_per_block = ceil(threads_per_block / 32).
 *
 * All integers are little-endian (both the GPU and the host are).
 */
#ifndef NT_BUFFER_H
#define NT_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define BUF_MAGIC   0x3142544eu   /* "NTB1" in memory order */
#define BUF_VERSION 1u
#define BUF_MAX_MAPS 16u
#define BUF_SLOT_HEADER 8u        /* count + flags before the records */

enum buf_level { BUF_THREAD = 0, BUF_WARP = 1, BUF_BLOCK = 2 };

typedef struct buf_header {
    uint32_t magic;           /*  0: BUF_MAGIC */
    uint16_t version;         /*  4: BUF_VERSION */
    uint16_t nmaps;           /*  6: <= BUF_MAX_MAPS */
    uint64_t launch_id;       /*  8: the collector's launch id */
    uint32_t grid[3];         /* 16 */
    uint32_t block[3];        /* 28 */
    uint64_t total_size;      /* 40: bytes of the whole buffer */
    uint32_t header_size;     /* 48: 64 + 32 * nmaps */
    uint32_t flags;           /* 52: reserved, 0 */
    uint64_t reserved;        /* 56 */
} buf_header;                 /* 64 bytes */

typedef struct buf_map_desc {
    uint64_t offset;          /*  0: byte offset of slot 0 from the buffer start */
    uint64_t slot_size;       /*  8: bytes per slot, multiple of 8 */
    uint32_t cap;             /* 16: records per slot */
    uint32_t nslots;          /* 20: threads, warps or blocks of the grid */
    uint16_t record_size;     /* 24: bytes per record, multiple of 8 */
    uint16_t level;           /* 26: enum buf_level */
    uint32_t map_id;          /* 28: index of the map in its probe */
} buf_map_desc;               /* 32 bytes */

/* Fixed positions the probe PTX loads from (byte offsets into the buffer). */
#define BUF_MAP_DESC_AT(i)        (64u + 32u * (unsigned)(i))
#define BUF_MAP_OFFSET_AT(i)      (BUF_MAP_DESC_AT(i) + 0u)
#define BUF_MAP_SLOT_SIZE_AT(i)   (BUF_MAP_DESC_AT(i) + 8u)
#define BUF_MAP_CAP_AT(i)         (BUF_MAP_DESC_AT(i) + 16u)
#define BUF_MAP_RECORD_SIZE_AT(i) (BUF_MAP_DESC_AT(i) + 24u)

_Static_assert(sizeof(buf_header) == 64, "buf_header is 64 bytes");
_Static_assert(sizeof(buf_map_desc) == 32, "buf_map_desc is 32 bytes");

#endif /* NT_BUFFER_H */
