/* Tests: probe-buffer layout, record layout, decoding and every way a
 * buffer can be rejected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer/buffer.h"
#include "buffer/buf_test.h"

static const uint32_t G[3] = {3, 2, 1}, B[3] = {40, 2, 1};   /* 6 blocks, 80 threads, 3 warps */
static const buf_map_spec SPECS[3] = {
    {.level = BUF_WARP, .record_size = 24, .cap = 4, .map_id = 0},
    {.level = BUF_THREAD, .record_size = 8, .cap = 1, .map_id = 1},
    {.level = BUF_BLOCK, .record_size = 16, .cap = 3, .map_id = 2},
};

#define assert_err(e, sub)                                                        \
    do {                                                                          \
        assert_true((e)->set);                                                    \
        if (!strstr((e)->msg, (sub))) fail_msg("error '%s' lacks '%s'", (e)->msg, (sub)); \
    } while (0)

static void std_layout(buf_layout *l)
{
    nt_err e = {0};
    assert_int_equal(buf_layout_compute(l, G, B, SPECS, 3, 0, 0, NULL, &e), 0);
    buf_layout_set_launch(l, 77);
}

static void record_layout_is_c_struct(void **state)
{
    uint8_t t1[] = {BUF_U32, BUF_U64, BUF_U32};
    uint16_t off[3], rs;
    assert_int_equal(buf_record_layout(t1, 3, off, &rs, NULL), 0);
    assert_int_equal(off[0], 0); assert_int_equal(off[1], 8); assert_int_equal(off[2], 16);
    assert_int_equal(rs, 24);
    uint8_t t2[] = {BUF_F32, BUF_S32, BUF_U32};
    assert_int_equal(buf_record_layout(t2, 3, off, &rs, NULL), 0);
    assert_int_equal(off[2], 8); assert_int_equal(rs, 16);
    nt_err e = {0};
    assert_int_equal(buf_record_layout(t2, 0, off, &rs, &e), -1);
    assert_err(&e, "at least one field");
    uint8_t bad[] = {BUF_U32, 9};
    nt_err e2 = {0};
    assert_int_equal(buf_record_layout(bad, 2, off, &rs, &e2), -1);
    assert_err(&e2, "field 1: unknown type code 9");
    assert_int_equal(buf_ftype_parse("s64"), BUF_S64);
    assert_int_equal(buf_ftype_parse("i32"), -1);
    assert_string_equal(buf_ftype_name(BUF_F64), "f64");
    assert_null(buf_ftype_name((enum buf_ftype)6));
}

static void field_read_widens(void **state)
{
    uint8_t rec[24];
    int32_t s = -5; float f = 1.5f; uint64_t u = 0xfffffffffffffffeull;
    memcpy(rec, &s, 4); memcpy(rec + 4, &f, 4); memcpy(rec + 8, &u, 8);
    int64_t i; double d;
    assert_int_equal(buf_field_read(rec, 0, BUF_S32, &i, &d), 0); assert_int_equal(i, -5);
    assert_int_equal(buf_field_read(rec, 0, BUF_U32, &i, &d), 0);
    assert_int_equal(i, 0xfffffffbll);
    assert_int_equal(buf_field_read(rec, 4, BUF_F32, &i, &d), 1); assert_true(d == 1.5);
    assert_int_equal(buf_field_read(rec, 8, BUF_U64, &i, &d), 0);
    assert_true((uint64_t)i == u);
}

static void layout_places_maps(void **state)
{
    buf_layout l;
    std_layout(&l);
    assert_int_equal(l.hdr.magic, BUF_MAGIC);
    assert_int_equal(l.hdr.header_size, 64 + 3 * 32);
    assert_int_equal(l.map[0].nslots, 6 * 3);
    assert_int_equal(l.map[1].nslots, 6 * 80);
    assert_int_equal(l.map[2].nslots, 6);
    assert_int_equal(l.map[0].slot_size, 8 + 4 * 24);
    assert_int_equal(l.map[0].offset, 192);              /* 160 rounded to 64 */
    uint64_t end0 = 192 + 18 * 104;                      /* 2064 */
    assert_int_equal(l.map[1].offset, (end0 + 63) / 64 * 64);
    uint64_t end1 = l.map[1].offset + 480 * 16;
    assert_int_equal(l.map[2].offset, (end1 + 63) / 64 * 64);
    assert_int_equal(l.hdr.total_size, l.map[2].offset + 6 * (8 + 48));
    assert_int_equal(l.hdr.launch_id, 77);
    /* The fixed positions the PTX loads from hold the fields. */
    uint8_t *b = bt_buffer(&l);
    uint64_t off; uint32_t cap; uint16_t rs;
    memcpy(&off, b + BUF_MAP_OFFSET_AT(1), 8); assert_int_equal(off, l.map[1].offset);
    memcpy(&cap, b + BUF_MAP_CAP_AT(2), 4); assert_int_equal(cap, 3);
    memcpy(&rs, b + BUF_MAP_RECORD_SIZE_AT(0), 2); assert_int_equal(rs, 24);
    free(b);
    nt_err e = {0};
    char small[100];
    assert_int_equal(buf_layout_write(&l, small, sizeof small, &e), -1);
    assert_err(&e, "cannot hold the 160-byte header");
}

static void layout_rejects_bad_specs(void **state)
{
    buf_layout l;
    nt_err e = {0};
    buf_map_spec s = {.level = BUF_WARP, .record_size = 12, .cap = 1};
    assert_int_equal(buf_layout_compute(&l, G, B, &s, 1, 0, 0, NULL, &e), -1);
    assert_err(&e, "record size 12 is not a positive multiple of 8");
    s.record_size = 8; s.cap = 0; nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, G, B, &s, 1, 0, 0, NULL, &e), -1);
    assert_err(&e, "cap is 0");
    s.cap = 1; s.level = 7; nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, G, B, &s, 1, 0, 0, NULL, &e), -1);
    assert_err(&e, "map 0: unknown map level 7");
    s.level = BUF_THREAD; nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, G, B, &s, 0, 0, 0, NULL, &e), -1);
    assert_err(&e, "1 to 16 maps, not 0");
    const uint32_t zg[3] = {4, 0, 1};
    nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, zg, B, &s, 1, 0, 0, NULL, &e), -1);
    assert_err(&e, "has a zero dimension");
    /* 2^31 blocks of 1024 threads: 2^41 thread slots. */
    const uint32_t hg[3] = {0x80000000u, 1, 1}, hb[3] = {1024, 1, 1};
    nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, hg, hb, &s, 1, 0, 0, NULL, &e), -1);
    assert_err(&e, "more than 2^32-1 threads");
    /* 2^32-1 slots of 8 + 2^32-1 * 65528 bytes: past 2^64 */
    const uint32_t mg[3] = {0xffffffffu, 1, 1}, mb[3] = {1, 1, 1};
    buf_map_spec big = {.level = BUF_BLOCK, .record_size = 65528, .cap = 0xffffffffu};
    nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, mg, mb, &big, 1, 0, 0, NULL, &e), -1);
    assert_err(&e, "larger than 2^64 bytes");
    nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, mg, mb, &big, 1, 1 << 20, 0, NULL, &e), -1);
    assert_err(&e, "needs more than 2^64 bytes");
}

static void layout_budget(void **state)
{
    buf_layout l, full;
    nt_err e = {0};
    std_layout(&full);
    uint64_t need = full.hdr.total_size;
    int reduced = -1;
    assert_int_equal(buf_layout_compute(&l, G, B, SPECS, 3, need, 0, &reduced, &e), 0);
    assert_int_equal(reduced, 0);
    assert_int_equal(buf_layout_compute(&l, G, B, SPECS, 3, need - 1, 0, NULL, &e), -1);
    char want[160];
    snprintf(want, sizeof want, "needs %llu bytes for grid 3x2x1 block 40x2x1, over the "
             "budget of %llu bytes", (unsigned long long)need, (unsigned long long)need - 1);
    assert_err(&e, want);
    /* Reducing: caps clamp to one ceiling, small caps stay. */
    uint64_t budget = need - 18 * 24;     /* one warp record per slot less */
    assert_int_equal(buf_layout_compute(&l, G, B, SPECS, 3, budget, BUF_FIT_REDUCE_CAP,
                                        &reduced, &e), 0);
    assert_int_equal(reduced, 1);
    assert_true(l.hdr.total_size <= budget);
    assert_int_equal(l.map[0].cap, 3);
    assert_int_equal(l.map[1].cap, 1);
    assert_int_equal(l.map[2].cap, 3);
    /* t is maximal: with cap 4 it would not fit. */
    buf_layout tight;
    /* Sizes by ceiling t: 8592 (t=1), 9136 (t=2), 9680 (t=3). */
    assert_int_equal(buf_layout_compute(&tight, G, B, SPECS, 3, 9135, BUF_FIT_REDUCE_CAP,
                                        &reduced, &e), 0);
    assert_int_equal(tight.map[0].cap, 1);
    assert_int_equal(tight.map[2].cap, 1);
    assert_int_equal(tight.hdr.total_size, 8592);
    assert_int_equal(buf_layout_compute(&tight, G, B, SPECS, 3, 9136, BUF_FIT_REDUCE_CAP,
                                        &reduced, &e), 0);
    assert_int_equal(tight.map[0].cap, 2);
    assert_int_equal(tight.map[2].cap, 2);
    assert_int_equal(tight.hdr.total_size, 9136);
    nt_err_clear(&e);
    assert_int_equal(buf_layout_compute(&l, G, B, SPECS, 3, 1000, BUF_FIT_REDUCE_CAP,
                                        &reduced, &e), -1);
    assert_err(&e, "with every cap lowered to 1, over the budget of 1000 bytes");
}

static void decode_round_trip(void **state)
{
    buf_layout l;
    std_layout(&l);
    uint8_t *b = bt_buffer(&l);
    /* Warp map: block 4 warp 2 saves 6 times (cap 4: 2 dropped); block 0
     * warp 0 once. Thread map: thread 79 of block 5 saves twice. */
    for (uint64_t k = 0; k < 6; k++) {
        uint64_t rec[3] = {k, 100 + k, 200 + k};
        bt_save(b, &l, 0, 4 * 3 + 2, rec);
    }
    uint64_t r0[3] = {9, 9, 9};
    bt_save(b, &l, 0, 0, r0);
    uint64_t t1 = 42, t2 = 43;
    bt_save(b, &l, 1, 5 * 80 + 79, &t1);
    bt_save(b, &l, 1, 5 * 80 + 79, &t2);
    buf_view v;
    nt_err e = {0};
    assert_int_equal(buf_open(&v, b, l.hdr.total_size, &e), 0);
    assert_int_equal(buf_check_layout(&v, &l, BUF_CHECK_EXACT, &e), 0);
    assert_int_equal(v.tot[0].saved, 5);
    assert_int_equal(v.tot[0].dropped, 2);
    assert_int_equal(v.tot[0].used_slots, 2);
    assert_int_equal(v.tot[1].saved, 1);
    assert_int_equal(v.tot[1].dropped, 1);
    assert_int_equal(v.tot[2].saved, 0);
    buf_iter it;
    buf_rec r;
    buf_iter_init(&it, &v, 0);
    assert_int_equal(buf_iter_next(&it, &r), 1);
    assert_int_equal(r.id.block, 0); assert_int_equal(r.id.warp, 0); assert_int_equal(r.id.thread, -1);
    uint64_t x;
    memcpy(&x, r.data, 8); assert_int_equal(x, 9);
    for (uint32_t k = 0; k < 4; k++) {
        assert_int_equal(buf_iter_next(&it, &r), 1);
        assert_int_equal(r.id.block, 4); assert_int_equal(r.id.warp, 2);
        assert_int_equal(r.seq, k);
        memcpy(&x, r.data + 16, 8); assert_int_equal(x, 200 + k);
    }
    assert_int_equal(buf_iter_next(&it, &r), 0);
    buf_iter_init(&it, &v, 1);
    assert_int_equal(buf_iter_next(&it, &r), 1);
    assert_int_equal(r.id.block, 5); assert_int_equal(r.id.thread, 79);
    assert_int_equal(r.id.warp, 2);
    memcpy(&x, r.data, 8); assert_int_equal(x, 42);
    assert_int_equal(buf_iter_next(&it, &r), 0);
    buf_iter_init(&it, &v, 2);
    assert_int_equal(buf_iter_next(&it, &r), 0);
    buf_iter_init(&it, &v, 9);                      /* no such map: empty */
    assert_int_equal(buf_iter_next(&it, &r), 0);
    buf_slot s = buf_slot_get(&v, 0, 14);
    assert_int_equal(s.count, 6); assert_int_equal(s.saved, 4); assert_int_equal(s.dropped, 2);
    buf_slot_id id = buf_slot_ident(&v, 2, 5);
    assert_int_equal(id.block, 5); assert_int_equal(id.warp, -1);
    free(b);
}

static void check_layout_names_difference(void **state)
{
    buf_layout l, other;
    std_layout(&l);
    uint8_t *b = bt_buffer(&l);
    buf_view v;
    assert_int_equal(buf_open(&v, b, l.hdr.total_size, NULL), 0);
    nt_err e = {0};
    other = l; other.hdr.launch_id = 78;
    assert_int_equal(buf_check_layout(&v, &other, 0, &e), -1);
    assert_err(&e, "launch id is 77, the launch's layout says 78");
    other = l; other.hdr.block[1] = 1; nt_err_clear(&e);
    assert_int_equal(buf_check_layout(&v, &other, 0, &e), -1);
    assert_err(&e, "block.y is 2");
    other = l; other.map[2].record_size = 8; nt_err_clear(&e);
    assert_int_equal(buf_check_layout(&v, &other, 0, &e), -1);
    assert_err(&e, "map 2 record_size is 16, the launch's layout says 8");
    other = l; other.map[0].cap = 3; nt_err_clear(&e);
    assert_int_equal(buf_check_layout(&v, &other, 0, &e), 0);   /* caps may be lowered */
    assert_int_equal(buf_check_layout(&v, &other, BUF_CHECK_EXACT, &e), -1);
    assert_err(&e, "map 0 cap is 4");
    free(b);
}

/* ---- corrupt buffers: each one rejected with its own message ---------- */
typedef void (*corrupt_fn)(uint8_t *b, buf_layout *l, size_t *size);

static void put32(uint8_t *b, size_t at, uint32_t x) { memcpy(b + at, &x, 4); }
static void put64(uint8_t *b, size_t at, uint64_t x) { memcpy(b + at, &x, 8); }
static void put16(uint8_t *b, size_t at, uint16_t x) { memcpy(b + at, &x, 2); }

static void c_short(uint8_t *b, buf_layout *l, size_t *n) { *n = 63; }
static void c_magic(uint8_t *b, buf_layout *l, size_t *n) { put32(b, 0, 0x12345678); }
static void c_version(uint8_t *b, buf_layout *l, size_t *n) { put16(b, 4, 2); }
static void c_nmaps(uint8_t *b, buf_layout *l, size_t *n) { put16(b, 6, 17); }
static void c_hsize(uint8_t *b, buf_layout *l, size_t *n) { put32(b, 48, 128); }
static void c_trunc(uint8_t *b, buf_layout *l, size_t *n) { *n -= 8; }
static void c_total(uint8_t *b, buf_layout *l, size_t *n) { put64(b, 40, 1u << 30); }
static void c_hpast(uint8_t *b, buf_layout *l, size_t *n)
{
    put16(b, 6, 16); put32(b, 48, 64 + 16 * 32); put64(b, 40, 100); *n = 100;
}
static void c_flags(uint8_t *b, buf_layout *l, size_t *n) { put32(b, 52, 1); }
static void c_grid0(uint8_t *b, buf_layout *l, size_t *n) { put32(b, 20, 0); }
static void c_gridbig(uint8_t *b, buf_layout *l, size_t *n)
{
    put32(b, 16, 0xffffffffu); put32(b, 20, 0xffffffffu);
}
static void c_level(uint8_t *b, buf_layout *l, size_t *n) { put16(b, BUF_MAP_DESC_AT(1) + 26, 3); }
static void c_rsize(uint8_t *b, buf_layout *l, size_t *n) { put16(b, BUF_MAP_RECORD_SIZE_AT(0), 20); }
static void c_cap0(uint8_t *b, buf_layout *l, size_t *n) { put32(b, BUF_MAP_CAP_AT(2), 0); }
static void c_slotsz(uint8_t *b, buf_layout *l, size_t *n) { put64(b, BUF_MAP_SLOT_SIZE_AT(0), 200); }
static void c_nslots(uint8_t *b, buf_layout *l, size_t *n) { put32(b, BUF_MAP_DESC_AT(1) + 20, 479); }
static void c_align(uint8_t *b, buf_layout *l, size_t *n) { put64(b, BUF_MAP_OFFSET_AT(2), l->map[2].offset + 4); }
static void c_before(uint8_t *b, buf_layout *l, size_t *n) { put64(b, BUF_MAP_OFFSET_AT(0), 64); }
static void c_past(uint8_t *b, buf_layout *l, size_t *n) { put64(b, BUF_MAP_OFFSET_AT(2), l->map[2].offset + 64); }
static void c_huge(uint8_t *b, buf_layout *l, size_t *n) { put64(b, BUF_MAP_OFFSET_AT(2), UINT64_MAX - 7); }
static void c_overlap(uint8_t *b, buf_layout *l, size_t *n) { put64(b, BUF_MAP_OFFSET_AT(2), l->map[1].offset + 64); }
static void c_sflags(uint8_t *b, buf_layout *l, size_t *n) { put32(b, l->map[1].offset + 16 * 7 + 4, 5); }
static void c_capbig(uint8_t *b, buf_layout *l, size_t *n)
{
    /* cap * record_size consistent with slot_size, but slots * slot_size overflows */
    put32(b, 16, 1u << 20); put32(b, 20, 1); put32(b, 28, 1); put32(b, 32, 1);
    put16(b, BUF_MAP_DESC_AT(0) + 26, BUF_BLOCK);
    put32(b, BUF_MAP_DESC_AT(0) + 20, 1u << 20);
    put32(b, BUF_MAP_CAP_AT(0), 0xffffffffu);
    put16(b, BUF_MAP_RECORD_SIZE_AT(0), 0xfff8);
    put64(b, BUF_MAP_SLOT_SIZE_AT(0), 8 + 0xffffffffull * 0xfff8);
}

static void corrupt_buffers_rejected(void **state)
{
    static const struct { corrupt_fn fn; const char *msg; } cases[] = {
        {c_short,   "a 63-byte buffer is shorter than the 64-byte header"},
        {c_magic,   "offset 0: magic 0x12345678 is not an ntrace probe buffer"},
        {c_version, "offset 4: buffer format version 2, this ntrace reads version 1"},
        {c_nmaps,   "offset 6: 17 maps, at most 16"},
        {c_hsize,   "offset 48: header_size 128, but 3 maps need 160"},
        {c_trunc,   "(truncated)"},
        {c_total,   "offset 40: total_size 1073741824, but the buffer holds"},
        {c_hpast,   "offset 48: the 576-byte header runs past the end of the 100-byte buffer"},
        {c_flags,   "offset 52: reserved header fields are not 0 (flags 0x1"},
        {c_grid0,   "offset 16: grid 3x0x1 block 40x2x1 has a zero dimension"},
        {c_gridbig, "offset 16: grid 4294967295x4294967295x1"},
        {c_level,   "offset 122: map 1 has unknown level 3"},
        {c_rsize,   "offset 88: map 0 record_size 20 is not a positive multiple of 8"},
        {c_cap0,    "offset 144: map 2 has cap 0"},
        {c_slotsz,  "offset 72: map 0 slot_size 200, but 8 + cap 4 * record_size 24 = 104"},
        {c_nslots,  "offset 116: map 1 has 479 slots, but its level and the launch shape give 480"},
        {c_align,   "map 2 slots at offset"},
        {c_before,  "offset 64: map 0 slots at offset 64 overlap the 160-byte header"},
        {c_past,    "offset 128: map 2 slots"},
        {c_huge,    "run past the end"},
        {c_overlap, "map 1 slots ["},
        {c_sflags,  "map 1 slot 7 has flags 0x5, not 0"},
        {c_capbig,  "offset 72: map 0 slot array size overflows"},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        buf_layout l;
        std_layout(&l);
        uint8_t *b = bt_buffer(&l);
        size_t n = l.hdr.total_size;
        cases[i].fn(b, &l, &n);
        buf_view v;
        nt_err e = {0};
        if (buf_open(&v, b, n, &e) == 0) fail_msg("case %zu (%s) was accepted", i, cases[i].msg);
        if (!strstr(e.msg, cases[i].msg))
            fail_msg("case %zu: error '%s' lacks '%s'", i, e.msg, cases[i].msg);
        free(b);
    }
}

static void every_truncation_rejected(void **state)
{
    buf_layout l;
    std_layout(&l);
    uint8_t *b = bt_buffer(&l);
    for (size_t n = 0; n < l.hdr.total_size; n += 7) {
        uint8_t *copy = malloc(n ? n : 1);      /* exact size: ASan sees any overread */
        memcpy(copy, b, n);
        buf_view v;
        assert_int_equal(buf_open(&v, copy, n, NULL), -1);
        free(copy);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_layout_is_c_struct),
        cmocka_unit_test(field_read_widens),
        cmocka_unit_test(layout_places_maps),
        cmocka_unit_test(layout_rejects_bad_specs),
        cmocka_unit_test(layout_budget),
        cmocka_unit_test(decode_round_trip),
        cmocka_unit_test(check_layout_names_difference),
        cmocka_unit_test(corrupt_buffers_rejected),
        cmocka_unit_test(every_truncation_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
