/* Fuzz: probe scripts (the sandbox and the staging must turn any text into
 * a probe or one error line, never a crash), and the rewriter (any PTX the
 * parser accepts is instrumented or refused with a reason).
 * Input: byte 0 selects the mode (even: the input is a probe script; odd:
 * the input is PTX, instrumented with a probe that uses every kind of
 * tracepoint).  Seeds: tests/probe/fuzz_probe.seeds/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"

static const char every_point[] =
    "local nt = require 'ntrace'\n"
    "return nt.probe 'f' { level = 'warp', map = nt.map { a = 'u64', cap = 2 },\n"
    "  counters = { b = 'u64', w = 'u64' }, vars = { t = 'u64' },\n"
    "  nt.at 'kernel.entry' (function(p) p.rec.a = nt.clock64(); p:save() end),\n"
    "  nt.at 'kernel.exit' (function(p) p.rec.a = nt.globaltimer(); p:save() end),\n"
    "  nt.before 'ld*|st*|atom*|red*|cp*' (function(p) p.cnt.b = p.cnt.b + nt.u64(p.bytes) end),\n"
    "  nt.before 'bar*' (function(p) p.var.t = nt.clock64() end),\n"
    "  nt.after 'bar*' (function(p) p.cnt.w = p.cnt.w + (nt.clock64() - p.var.t) end),\n"
    "  nt.first_use 'ld*' (function(p) p.cnt.w = p.cnt.w + (nt.clock64() - p.issue_clock) end),\n"
    "  nt.at 'region.begin:*' (function(p) p.var.t = nt.clock64() end),\n"
    "}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const prb_limits lim = { .mem_bytes = 16 << 20, .instructions = 2000000 };
    nt_err e = {0};
    if (!(data[0] & 1)) {
        prb_probe *p = prb_compile_string((const char *)data + 1, size - 1, "fuzz.lua",
                                          "lua", &lim, &e);
        if (!p && !e.set) abort();      /* a failure always says why */
        prb_free(p);
        return 0;
    }
    static prb_probe *probe;
    if (!probe) probe = prb_compile_string(every_point, sizeof every_point - 1, "every.lua",
                                           "lua", &lim, &e);
    if (!probe) abort();
    char *out = prb_instrument_text(probe, (const char *)data + 1, size - 1, "fuzz.ptx",
                                    NULL, NULL, &e);
    if (!out && !e.set) abort();
    free(out);
    return 0;
}
