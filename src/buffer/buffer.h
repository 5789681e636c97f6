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

/* ======================================================================
 * The API of src/buffer.  Everything below is added to the fixed layout
 * above and changes none of it.
 * ====================================================================== */

/* ---- record layout: the field types of a probe map -------------------- */
/* A record is the map's fields in the order the probe declares them, each
 * at its natural alignment (4 or 8 bytes), the whole rounded up to 8 bytes:
 * exactly a C struct of those fields with 8-byte alignment.  The probe code
 * generator and the collector both call buf_record_layout, so they cannot
 * disagree. */
enum buf_ftype { BUF_U32 = 0, BUF_U64, BUF_S32, BUF_S64, BUF_F32, BUF_F64, BUF_NFTYPES };

#define BUF_MAX_FIELDS 64u

/* "u32" .. "f64"; NULL for an unknown type. */
const char *buf_ftype_name(enum buf_ftype t);
/* Parses "u32" .. "f64"; -1 when unknown. */
int buf_ftype_parse(const char *s);
/* 4 or 8. */
unsigned buf_ftype_size(enum buf_ftype t);

/* Fills offsets[0..n) and *record_size for fields of the given types.
 * -1 with e for n == 0, n > BUF_MAX_FIELDS or an unknown type. */
int buf_record_layout(const uint8_t *types, unsigned n, uint16_t *offsets,
                      uint16_t *record_size, nt_err *e);

/* ---- layout of one launch's buffer -------------------------------------- */
typedef struct buf_map_spec {
    uint16_t level;           /* enum buf_level */
    uint16_t record_size;     /* bytes, > 0, multiple of 8 */
    uint32_t cap;             /* records per slot, >= 1 */
    uint32_t map_id;          /* index of the map in its probe */
} buf_map_spec;

/* A computed layout: the header and map table exactly as they are written
 * to the device (the first header_size bytes of the buffer). */
typedef struct buf_layout {
    buf_header   hdr;
    buf_map_desc map[BUF_MAX_MAPS];
} buf_layout;

/* Flags of buf_layout_compute. */
#define BUF_FIT_REDUCE_CAP 1u     /* over budget: lower caps until it fits */

/* The slot arrays are placed in map order, each starting on a multiple of
 * BUF_MAP_ALIGN bytes (the decoder requires only 8). */
#define BUF_MAP_ALIGN 64u

/* Computes the layout of a buffer for a launch of grid x block with the
 * given maps.  budget is the largest total_size allowed (0: no limit).
 * Over budget, without BUF_FIT_REDUCE_CAP: -1 with a message that says the
 * size needed and the budget.  With it: the caps are clamped to one common
 * ceiling t (cap_i' = min(cap_i, t)), t the largest value that fits, so
 * small caps are kept and large ones shrink first; -1 when even cap 1
 * everywhere does not fit.  *reduced (may be NULL) tells whether a cap was
 * lowered.  Every size is checked for overflow (nslots must fit 32 bits,
 * total_size 64 bits).  launch_id is 0; set it with buf_layout_set_launch. */
int buf_layout_compute(buf_layout *l, const uint32_t grid[3], const uint32_t block[3],
                       const buf_map_spec *specs, unsigned nmaps, uint64_t budget,
                       unsigned flags, int *reduced, nt_err *e);

static inline void buf_layout_set_launch(buf_layout *l, uint64_t launch_id)
{
    l->hdr.launch_id = launch_id;
}

/* Writes the header and map table (hdr.header_size bytes) to dst, which
 * holds cap bytes; -1 with e when it is too small.  The rest of the buffer
 * (the slots) must be zeroed by whoever prepares it. */
int buf_layout_write(const buf_layout *l, void *dst, size_t cap, nt_err *e);

/* Slots a map of this level has for the launch: threads, warps or blocks of
 * the whole grid.  -1 with e when the number overflows 32 bits or the
 * level is unknown. */
int64_t buf_nslots(enum buf_level level, const uint32_t grid[3], const uint32_t block[3],
                   nt_err *e);

/* ---- decoding ----------------------------------------------------------- */
/* A validated view of a buffer copied back from the device.  buf_open
 * checks everything (header, map table, every slot header) once, so reading
 * records afterwards cannot fail or leave the buffer. */
typedef struct buf_map_totals {
    uint64_t saved;           /* sum over slots of min(count, cap) */
    uint64_t dropped;         /* sum over slots of count - cap when count > cap */
    uint32_t used_slots;      /* slots with count > 0 */
} buf_map_totals;

typedef struct buf_view {
    const uint8_t  *data;
    size_t          size;
    buf_header      hdr;                    /* copied out: data may be unaligned */
    buf_map_desc    map[BUF_MAX_MAPS];
    buf_map_totals  tot[BUF_MAX_MAPS];
    uint32_t        threads_per_block;
    uint32_t        warps_per_block;
    uint32_t        nblocks;
} buf_view;

/* Validates size bytes at data as a buffer and fills v (which points into
 * data: keep data alive).  -1 with e on the first inconsistency, naming the
 * offset and the values: bad magic or version, too many maps, header_size or
 * total_size that disagree with the header or with size, a zero or
 * overflowing grid/block, an unknown level, record_size or slot_size that do
 * not add up, nslots that disagree with grid/block and level, a map
 * misaligned, before the map table, past the end or overlapping another,
 * non-zero reserved fields or slot flags. */
int buf_open(buf_view *v, const void *data, size_t size, nt_err *e);

/* Checks a validated buffer against the layout the host meant it to have.
 * Always compared: launch id, grid, block, nmaps, and per map level,
 * record_size, map_id and nslots.  With BUF_CHECK_EXACT also cap,
 * slot_size, offset and total_size (the collector leaves them out because
 * the injector may have lowered caps to fit its budget).  -1 with e naming
 * the first difference. */
#define BUF_CHECK_EXACT 1u
int buf_check_layout(const buf_view *v, const buf_layout *expect, unsigned flags, nt_err *e);

/* Where a slot belongs in the grid.  warp is the warp index within the
 * block (thread_linear / 32) for thread and warp maps, thread the thread's
 * linear index within the block for thread maps; -1 where not applicable. */
typedef struct buf_slot_id {
    uint32_t block;           /* linear block id, x fastest */
    int32_t  warp;
    int32_t  thread;
} buf_slot_id;

buf_slot_id buf_slot_ident(const buf_view *v, unsigned map, uint32_t slot);

/* One slot: count as the device left it, the records it holds. */
typedef struct buf_slot {
    uint32_t       count;     /* saves attempted */
    uint32_t       saved;     /* min(count, cap): records below */
    uint32_t       dropped;   /* count - saved */
    const uint8_t *records;   /* saved * record_size bytes, unaligned */
} buf_slot;

/* Slot `slot` (< map[map].nslots) of map `map` (< hdr.nmaps). */
buf_slot buf_slot_get(const buf_view *v, unsigned map, uint32_t slot);

/* Iterates the saved records of one map in slot order, then record order. */
typedef struct buf_iter {
    const buf_view *v;
    unsigned        map;
    uint32_t        slot;     /* current slot */
    uint32_t        idx;      /* next record index in the slot */
    buf_slot        cur;
} buf_iter;

typedef struct buf_rec {
    buf_slot_id    id;
    uint32_t       slot;
    uint32_t       seq;       /* record index within its slot (save order) */
    const uint8_t *data;      /* record_size bytes, unaligned */
} buf_rec;

void buf_iter_init(buf_iter *it, const buf_view *v, unsigned map);
/* Returns 1 and fills r with the next record, 0 at the end. */
int  buf_iter_next(buf_iter *it, buf_rec *r);

/* Reads a field (unaligned-safe) as the given type widened to 64 bits:
 * integers in *i (sign-extended for s32/s64, the u64 bit pattern for u64),
 * floats in *f.  Returns 1 for a float field, 0 for an integer one. */
int buf_field_read(const uint8_t *rec, uint16_t offset, enum buf_ftype t,
                   int64_t *i, double *f);

#endif /* NT_BUFFER_H */
