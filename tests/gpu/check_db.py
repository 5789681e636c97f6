"""check_db.py DB PROBE [APP] [DB PROBE APP ...]: the invariants of a probed run's database,
the same as tests/inject/test_e2e.sh checks on the emulator, for the GPU
suite (tests/gpu/run.sh), where no sqlite3 command may exist but Python
does.  Prints one line per check ("ok: ..." or "FAIL: ...", prefixed by
the database's file name when several are given); exits 1 when any fails.

  - launches were recorded, every one probed (a launch that faults on
    purpose fails probed or not: "... and so did the original"), each with
    CUPTI start < end;
  - records were saved (regions saves only where a kernel marks regions);
  - block_sched: one record per warp, start < stop, the warps of a block on
    one SM, SM ids below the device's SM count;
  - kernel_time: start < stop;
  - gmem_bytes on vecadd: exactly the bytes it moves (2 loads and 1 store
    of 4 bytes per element, 10007 elements);
  - barrier_wait: none counted on vecadd (no barrier), some on reduce.
"""
import os
import sqlite3
import sys


def check_one(path, probe, app, prefix):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    fails = []

    def q(sql, *args):
        row = db.execute(sql, args).fetchone()
        return row[0] if row else None

    def check(ok, what):
        print("%s%s: %s" % (prefix, "ok" if ok else "FAIL", what))
        if not ok:
            fails.append(what)

    def table(map_index=0):
        return q("SELECT m.tableName FROM NTRACE_PROBE_MAPS m JOIN NTRACE_PROBES p ON p.id = m.probeId"
                 " WHERE p.name = ? AND m.mapId = ?", probe, map_index)

    n = q("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL")
    check(n > 0, "%d launches recorded" % n)
    np = q("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE probeStatus IS NOT 'probed'"
           " AND probeStatus NOT LIKE '%and so did the original'")
    why = q("SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE probeStatus IS NOT 'probed'"
            " AND probeStatus NOT LIKE '%and so did the original' LIMIT 1")
    check(np == 0, "every launch probed (%d not%s)" % (np, ": " + str(why) if np else ""))
    bad = q("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE start IS NULL OR end IS NULL"
            " OR end <= start")
    check(bad == 0, "CUPTI start < end for every launch (%d without)" % bad)
    saved = q("SELECT coalesce(sum(recordsSaved), 0) FROM CUPTI_ACTIVITY_KIND_KERNEL")
    check(saved > 0 or probe == "regions", "%d records saved" % saved)
    t = table()
    if probe == "block_sched" and t:
        bad = q("SELECT count(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k WHERE probeStatus = 'probed' AND"
                " (SELECT count(*) FROM \"%s\" r WHERE r.launchId = k.launchId)"
                " != k.gridX*k.gridY*k.gridZ * ((k.blockX*k.blockY*k.blockZ + 31) / 32)" % t)
        check(bad == 0, "block_sched: one record per warp (%d launches without)" % bad)
        bad = q("SELECT count(*) FROM \"%s\" WHERE start >= stop" % t)
        check(bad == 0, "block_sched: start < stop (%d warps without)" % bad)
        bad = q("SELECT count(*) FROM (SELECT launchId, blockId FROM \"%s\" GROUP BY launchId, blockId"
                " HAVING count(DISTINCT sm) != 1)" % t)
        check(bad == 0, "block_sched: each block on one SM (%d blocks without)" % bad)
        sms = q("SELECT max(smCount) FROM TARGET_INFO_GPU")
        if sms:
            bad = q("SELECT count(*) FROM \"%s\" WHERE sm >= ?" % t, sms)
            check(bad == 0, "block_sched: SM ids below %d (%d above)" % (sms, bad))
    if probe == "kernel_time" and t:
        bad = q("SELECT count(*) FROM \"%s\" WHERE start >= stop" % t)
        check(bad == 0, "kernel_time: start < stop (%d records without)" % bad)
    if probe == "gmem_bytes" and app == "vecadd" and t:
        lb = q("SELECT sum(load_bytes) FROM \"%s\"" % t)
        sb = q("SELECT sum(store_bytes) FROM \"%s\"" % t)
        check(lb == 80056 and sb == 40028, "gmem_bytes: vecadd loads 80056 and stores 40028 bytes"
              " (got %s and %s)" % (lb, sb))
    if probe == "barrier_wait" and app in ("vecadd", "reduce") and t:
        w = q("SELECT coalesce(sum(wait), 0) + coalesce(sum(barriers), 0) FROM \"%s\"" % t)
        if app == "vecadd":
            check(w == 0, "barrier_wait: nothing counted on vecadd (got %s)" % w)
        else:
            b = q("SELECT coalesce(sum(barriers), 0) FROM \"%s\"" % t)
            check(b > 0, "barrier_wait: barriers counted on reduce (%s)" % b)
    db.close()
    return len(fails)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print("usage: check_db.py DB PROBE [APP] [DB PROBE APP ...]")
        return 2
    if len(args) == 2:
        args.append("")
    if len(args) % 3:
        print("usage: check_db.py DB PROBE [APP] [DB PROBE APP ...]")
        return 2
    many = len(args) > 3
    failed = 0
    for i in range(0, len(args), 3):
        prefix = os.path.basename(args[i]) + ": " if many else ""
        failed += check_one(args[i], args[i + 1], args[i + 2], prefix)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
