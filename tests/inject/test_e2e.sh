#!/bin/sh
# End to end on the emulator: every test app under `ntrace run --emulate`
# with every shipped probe.  The app must still compute the right results
# (each app checks its own), every launch must be probed, and the records
# must be what the emulator implies.  Then the failure paths: a probe that
# does not compile, a kernel filter, launch sampling, the disk cache.
. tests/lib.sh
APPS="vecadd saxpy matmul reduce histogram diverge calls globals streams libkernel multidev regions"
# Two emulated devices of different compute capabilities (multidev uses
# both; the other apps run on device 0, an sm_90).
export NTRACE_EMU_DEVICES=90,80
# emu_env: under SAN=1 the apps exit without freeing what they (and the
# emulated driver and the injector, by design, see docs/injector.md) hold at
# exit: leak checking belongs to the unit tests, memory errors stay fatal here.
emu_env
q() { sqlite3 "$1" "$2"; }

run() { # app probe db [extra ntrace args...]
    app=$1; probe=$2; db=$3; shift 3
    rm -f "$tmp/dump"
    NT_APP_DUMP=$tmp/dump "$NT" run --emulate -f -p "$probe" -o "$db" "$@" -- "$ROOT/$BUILD/apps/$app" "$KDIR" \
        > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$app under $probe: exit $?"; }
    if grep -q "the original ran instead" "$tmp/out"; then
        cat "$tmp/out"; fail "$app under $probe: a probed launch failed"
    fi
}

# Each app's outputs unprobed: the reference every probed run must match
# bit for bit (app.h dumps every device-to-host copy).
for app in $APPS; do
    NT_APP_DUMP=$tmp/$app.native LD_LIBRARY_PATH=$ROOT/$BUILD/emu "$ROOT/$BUILD/apps/$app" "$KDIR" \
        > /dev/null 2>&1 || fail "$app natively"
done

for probe in "$ROOT"/probes/*.lua; do
    pn=$(basename "$probe" .lua)
    for app in $APPS; do
        db=$tmp/$app-$pn.db
        run "$app" "$probe" "$db"
        # (streams writes %clock64 deltas, which probe code lengthens: its
        #  outputs are timing, compared by the app's own checks instead)
        [ "$app" = streams ] || cmp -s "$tmp/dump" "$tmp/$app.native" \
            || fail "$app under $pn: outputs differ from the unprobed run"
        n=$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")
        [ "$n" -gt 0 ] || fail "$app/$pn: no launch recorded"
        # (streams faults on purpose: that launch fails probed or not)
        np=$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus is not 'probed'
                      and probeStatus not like '%and so did the original'")
        [ "$np" -eq 0 ] || fail "$app/$pn: $np launches not probed: $(q "$db" "select probeStatus from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus is not 'probed' limit 1")"
        # (regions saves only where a kernel marks regions; the apps do not)
        ns=$(q "$db" "select coalesce(sum(recordsSaved),0) from CUPTI_ACTIVITY_KIND_KERNEL")
        [ "$ns" -gt 0 ] || [ "$pn" = regions ] || fail "$app/$pn: no records saved"
    done
done

# block_sched tells the truth: one record per warp, start < stop, the warps
# of a block on one SM.
for app in $APPS; do
    db=$tmp/$app-block_sched.db
    bad=$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL k where probeStatus = 'probed' and
          (select count(*) from PROBE_BLOCK_SCHED_REC r where r.launchId = k.launchId)
          != k.gridX*k.gridY*k.gridZ * ((k.blockX*k.blockY*k.blockZ + 31) / 32)")
    [ "$bad" -eq 0 ] || fail "$app/block_sched: launches without exactly one record per warp"
    bad=$(q "$db" "select count(*) from PROBE_BLOCK_SCHED_REC where start >= stop")
    [ "$bad" -eq 0 ] || fail "$app/block_sched: $bad warps with start >= stop"
    bad=$(q "$db" "select count(*) from (select launchId, blockId from PROBE_BLOCK_SCHED_REC
          group by launchId, blockId having count(distinct sm) != 1)")
    [ "$bad" -eq 0 ] || fail "$app/block_sched: blocks spread over several SMs"
done

# gmem_bytes equals the bytes vecadd moves: 2 loads and 1 store of 4 bytes
# per element, 10007 elements.
db=$tmp/vecadd-gmem_bytes.db
[ "$(q "$db" "select sum(load_bytes) from PROBE_GMEM_BYTES_COUNTERS")" = 80056 ] || fail "vecadd load bytes"
[ "$(q "$db" "select sum(store_bytes) from PROBE_GMEM_BYTES_COUNTERS")" = 40028 ] || fail "vecadd store bytes"
# barrier_wait: zero without barriers (vecadd), positive with (reduce).
[ "$(q "$tmp/vecadd-barrier_wait.db" "select sum(wait) + sum(barriers) from PROBE_BARRIER_WAIT_COUNTERS")" = 0 ] \
    || fail "vecadd has no barrier, yet barrier_wait counted some"
[ "$(q "$tmp/reduce-barrier_wait.db" "select sum(barriers) > 0 from PROBE_BARRIER_WAIT_COUNTERS")" = 1 ] \
    || fail "reduce has barriers, barrier_wait counted none"

# Library kernels (CUkernel), launched cast to CUfunction through
# cuLaunchKernel and cuLaunchKernelEx and through the CUfunction that
# cuKernelGetFunction gives: one kernel record each (the twin lookup knows
# both kinds of handle), registers read from the real function, and the
# 64 KiB of dynamic shared memory the app allowed on the CUkernel is
# allowed on the twin too (else its probed launch fails).
db=$tmp/libkernel-block_sched.db
[ "$(q "$db" "select group_concat(s.value || ':' || k.instrumented, ' ') from NTRACE_KERNELS k
              join StringIds s on s.id = k.mangledName order by k.id")" = "arch_id:1 big_smem:1" ] \
    || fail "libkernel kernels: $(q "$db" "select * from NTRACE_KERNELS")"
[ "$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'
              and registersPerThread > 0 and start > 0")" = 4 ] \
    || fail "libkernel launches: $(q "$db" "select launchId, registersPerThread, probeStatus from CUPTI_ACTIVITY_KIND_KERNEL")"
# Two devices: each runs its own PTX (the outputs matched the unprobed
# run's above: 900+i on the sm_90, 800+i on the sm_80), every launch on
# both devices is probed, a kernel record per (kernel, device).
db=$tmp/multidev-block_sched.db
[ "$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'
              group by deviceId order by deviceId" | tr '\n' ' ')" = "3 2 " ] \
    || fail "multidev launches per device: $(q "$db" "select launchId, deviceId, probeStatus from CUPTI_ACTIVITY_KIND_KERNEL")"
[ "$(q "$db" "select count(*) from TARGET_INFO_GPU")" = 2 ] || fail "multidev: devices not both recorded"
[ "$(q "$db" "select count(distinct kernelId) from CUPTI_ACTIVITY_KIND_KERNEL")" = 4 ] \
    || fail "multidev: kernel records: $(q "$db" "select launchId, kernelId, deviceId from CUPTI_ACTIVITY_KIND_KERNEL")"

# CUDA graphs: kernels launched by cuGraphLaunch run unprobed and their
# launch rows say so, with their names and times (2 launches of a 2-node
# graph, 1 of a graph captured from a stream: the captured launches run
# nothing at capture time, so they are neither swapped nor recorded then);
# the direct launch of the same kernel is probed; the outputs are the
# unprobed run's.
NT_APP_DUMP=$tmp/graph.native LD_LIBRARY_PATH=$ROOT/$BUILD/emu "$ROOT/$BUILD/apps/graph" "$KDIR" \
    > /dev/null 2>&1 || fail "graph natively"
run graph "$ROOT/probes/block_sched.lua" "$tmp/g.db"
cmp -s "$tmp/dump" "$tmp/graph.native" || fail "graph: outputs differ from the unprobed run"
[ "$(q "$tmp/g.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL k join StringIds s on s.id = k.mangledName
     where s.value = 'vecadd' and k.start > 0 and k.end > k.start and k.probeStatus =
     'not probed: launched by a CUDA graph (cuGraphLaunch): graph launches are not instrumented'")" = 6 ] \
    || fail "graph launches: $(q "$tmp/g.db" "select launchId, kernelId, mangledName, probeStatus from CUPTI_ACTIVITY_KIND_KERNEL")"
[ "$(q "$tmp/g.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed' and recordsSaved > 0")" = 1 ] \
    || fail "graph: the direct launch is not probed"
[ "$(q "$tmp/g.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")" = 7 ] \
    || fail "graph: $(q "$tmp/g.db" "select launchId, kernelId, start, probeStatus from CUPTI_ACTIVITY_KIND_KERNEL")"
[ "$(q "$tmp/g.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where kernelId is null
     or probeStatus is null or start is null")" = 0 ] || fail "graph: launches without kernel, status or times"

# The disk cache: a second run rewrites nothing.
NTRACE_LOG=info run vecadd block_sched "$tmp/c1.db"
grep -q "1 twins built (1 from the cache)" "$tmp/out" || { cat "$tmp/out"; fail "second run did not use the cache"; }

# Kernel filter: nothing matches, nothing is probed, the reason is recorded.
run vecadd block_sched "$tmp/f.db" -k '^no_such_kernel$'
[ "$(q "$tmp/f.db" "select reason from NTRACE_KERNELS")" = "filtered out by --kernel" ] || fail "filter reason"
[ "$(q "$tmp/f.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'")" = 0 ] \
    || fail "filtered kernel probed"

# Launch sampling: every:2 over the streams app's launches of one kernel.
run streams block_sched "$tmp/s.db" -n every:2
total=$(q "$tmp/s.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")
probed=$(q "$tmp/s.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'")
[ "$total" -ge 2 ] && [ "$probed" -lt "$total" ] && [ "$probed" -ge 1 ] \
    || fail "sampling every:2: $probed of $total probed"

# A probe that does not compile: the app runs unprobed and correct, the
# reason is in the database and on stderr.
printf 'local nt = require "ntrace"\nreturn nt.probe "broken" { level = "wrap" }\n' > "$tmp/broken.lua"
run vecadd "$tmp/broken.lua" "$tmp/b.db"
grep -q "ntrace: probe .*broken.lua" "$tmp/out" || { cat "$tmp/out"; fail "bad probe not reported"; }
q "$tmp/b.db" "select reason from NTRACE_KERNELS" | grep -q "broken.lua" || fail "bad probe reason not recorded"
# Injected faults: the JIT rejects the twin; device memory for buffers is
# exhausted.  The app is right, the reason is recorded.
NTRACE_TEST_FAULT=jit NTRACE_CACHE_DIR=off run matmul block_sched "$tmp/j.db"
q "$tmp/j.db" "select reason from NTRACE_KERNELS" | grep -q "JIT rejected the instrumented kernel" \
    || fail "JIT failure reason: $(q "$tmp/j.db" "select reason from NTRACE_KERNELS")"
NTRACE_TEST_FAULT=devmem run matmul block_sched "$tmp/d.db"
q "$tmp/d.db" "select probeStatus from CUPTI_ACTIVITY_KIND_KERNEL" | grep -q "device memory for a .* probe buffer is exhausted" \
    || fail "devmem reason: $(q "$tmp/d.db" "select probeStatus from CUPTI_ACTIVITY_KIND_KERNEL")"

# An app that exits right after its launches, without synchronizing:
# every launch is still probed and its buffer stored.
"$NT" run --emulate -f -p block_sched -o "$tmp/n.db" -- "$ROOT/$BUILD/bench/launchloop_app" 50 nosync \
    > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "nosync app"; }
[ "$(q "$tmp/n.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed' and recordsSaved = 1")" = 50 ] \
    || fail "nosync: $(q "$tmp/n.db" "select count(*), sum(recordsSaved) from CUPTI_ACTIVITY_KIND_KERNEL")"
# A run of several processes: each writes its own database, and ntrace run
# merges them into the one the user named.
"$NT" run --emulate -f -p block_sched -o "$tmp/mp.db" -- sh -c \
    "'$ROOT/$BUILD/apps/matmul' '$KDIR' && '$ROOT/$BUILD/apps/reduce' '$KDIR'" > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "multi-process run"; }
grep -q "merged the databases of 2 processes" "$tmp/out" || { cat "$tmp/out"; fail "no merge"; }
ls "$tmp"/mp.*.db >/dev/null 2>&1 && fail "per-process databases left behind"
[ "$(q "$tmp/mp.db" "select count(*) from NTRACE_RUN")" = 2 ] || fail "merged runs"
[ "$(q "$tmp/mp.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'")" = 3 ] \
    || fail "merged launches"

# The same with an output name without ".db": the parts are NAME.<pid>.
"$NT" run --emulate -f -p block_sched -o "$tmp/mpx" -- sh -c \
    "'$ROOT/$BUILD/apps/matmul' '$KDIR' && '$ROOT/$BUILD/apps/reduce' '$KDIR'" > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "multi-process run, no extension"; }
grep -q "merged the databases of 2 processes" "$tmp/out" || { cat "$tmp/out"; fail "no merge without .db"; }
ls "$tmp"/mpx.[0-9]* >/dev/null 2>&1 && fail "per-process databases left behind (no .db)"

# Merging a merged database again copies each map table's rows once.
"$NT" merge -f "$tmp/mm.db" "$tmp/mp.db" "$tmp/vecadd-block_sched.db" > /dev/null || fail "merge of merged"
want=$(( $(q "$tmp/mp.db" "select count(*) from PROBE_BLOCK_SCHED_REC") + \
         $(q "$tmp/vecadd-block_sched.db" "select count(*) from PROBE_BLOCK_SCHED_REC") ))
[ "$(q "$tmp/mm.db" "select count(*) from PROBE_BLOCK_SCHED_REC")" = "$want" ] || fail "merge duplicated records"

# The report of a merged database: lifetimes from one run (block_sched)
# and barrier cycles from another (barrier_wait) meet per kernel name:
# reduce_sum waits at barriers, vecadd has none.
"$NT" merge -f "$tmp/rb.db" "$tmp/reduce-block_sched.db" "$tmp/reduce-barrier_wait.db" > /dev/null \
    || fail "merge for the report"
"$NT" report "$tmp/rb.db" --format csv > "$tmp/rb.csv" || fail "report of a merged database"
share=$(sed -n '/^# warp_cycles/,/^#/p' "$tmp/rb.csv" | awk -F, '$1 == "reduce_sum" {print $4}')
[ -n "$share" ] && awk "BEGIN { exit !($share > 0 && $share < 100) }" \
    || fail "reduce_sum barrier share in a merged database: '$share'"
[ "$(grep -c '^# block_sched' "$tmp/rb.csv")" = 1 ] || fail "a map summarized more than once"

# Four host threads launching at once, each on its own stream.
"$NT" run --emulate -f -p block_sched -o "$tmp/t.db" -- "$ROOT/$BUILD/bench/launchloop_app" 200 threads \
    > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "threads app"; }
[ "$(q "$tmp/t.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed' and recordsSaved = 1")" = 200 ] \
    || fail "threads: $(q "$tmp/t.db" "select count(*), sum(recordsSaved) from CUPTI_ACTIVITY_KIND_KERNEL")"
echo "e2e: ok"
