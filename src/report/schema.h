/*
 * schema.h — every table and column name the report reads (src/report).
 *
 * `collector` and `report` share docs/schema.md and nothing else, so this
 * file is the report's one copy of the schema: a schema change is an edit
 * here (and in synth.c, which writes databases of the same shape for tests
 * and benchmarks).  No other file of src/report spells a table or column.
 *
 * The shape assumed (docs/report.md, "Database"):
 *   ntrace_meta(key TEXT PRIMARY KEY, value TEXT)   key 'schema_version'
 *   run(id, command, host, pid, start_ns, end_ns, ntrace_version)
 *   devices(id, name, sm_count, clock_khz, mem_clock_khz, mem_bus_bits,
 *           cc_major, cc_minor)
 *   kernels(id, name, demangled, instrumentable, reason)
 *   launches(id, kernel_id, device_id, stream_id, start_ns, end_ns,
 *            grid_x, grid_y, grid_z, block_x, block_y, block_z,
 *            instrumented, reason)
 *   memcpys(id, device_id, stream_id, start_ns, end_ns, bytes, kind)
 *   probes(id, name)
 *   maps(id, probe_id, name, table_name, level, cap)
 *   map_columns(map_id, idx, name, type)      type: u8..u64, s8..s64, f32, f64
 *   map_drops(launch_id, map_id, dropped)
 *   <map table>(launch_id, slot, idx, <columns of the map>)
 *   stall_reasons(id, name)                    CUPTI's stall-reason names
 *   pc_samples(launch_id, pc, stall_reason_id, samples)
 */
#ifndef NT_REPORT_SCHEMA_H
#define NT_REPORT_SCHEMA_H

/* The newest schema version this report understands. */
#define SCH_VERSION 1

/* Tables whose presence makes a file an ntrace database. */
#define SCH_T_META       "ntrace_meta"
#define SCH_META_VERSION "SELECT value FROM ntrace_meta WHERE key = 'schema_version'"

#define SCH_Q_RUN \
    "SELECT command, host, pid, start_ns, end_ns, ntrace_version FROM run LIMIT 1"
#define SCH_Q_DEVICES \
    "SELECT id, name, sm_count, clock_khz, mem_clock_khz, mem_bus_bits, " \
    "cc_major, cc_minor FROM devices ORDER BY id"
#define SCH_Q_KERNELS \
    "SELECT id, name, coalesce(demangled, name), instrumentable, " \
    "coalesce(reason, '') FROM kernels ORDER BY id"
/* Launches in time order: the order of every per-launch section. */
#define SCH_Q_LAUNCHES \
    "SELECT id, kernel_id, device_id, stream_id, start_ns, end_ns, " \
    "grid_x, grid_y, grid_z, block_x, block_y, block_z, instrumented, " \
    "coalesce(reason, '') FROM launches ORDER BY start_ns, id"
#define SCH_T_MEMCPYS "memcpys"
#define SCH_Q_MEMCPYS \
    "SELECT id, device_id, stream_id, start_ns, end_ns, bytes, kind " \
    "FROM memcpys ORDER BY start_ns, id"
#define SCH_Q_MAPS \
    "SELECT m.id, p.name, m.name, m.table_name, m.level, m.cap " \
    "FROM maps m JOIN probes p ON p.id = m.probe_id ORDER BY m.id"
#define SCH_Q_MAP_COLUMNS \
    "SELECT name, type FROM map_columns WHERE map_id = ?1 ORDER BY idx"
#define SCH_Q_DROPS \
    "SELECT launch_id, map_id, dropped FROM map_drops WHERE dropped > 0"
/* Columns every map table has before the map's own. */
#define SCH_MAP_LAUNCH "launch_id"
#define SCH_MAP_SLOT   "slot"
#define SCH_MAP_IDX    "idx"
/* PC samples per launch and reason (summed over PCs). */
#define SCH_T_PC_SAMPLES "pc_samples"
#define SCH_Q_PC_STALLS \
    "SELECT s.launch_id, r.name, sum(s.samples) FROM pc_samples s " \
    "JOIN stall_reasons r ON r.id = s.stall_reason_id " \
    "GROUP BY s.launch_id, r.name ORDER BY s.launch_id, r.name"


/* ---- the writer's side, for synthetic databases (synth.c) ------------------ */
#define SCH_DDL \
    "CREATE TABLE ntrace_meta(key TEXT PRIMARY KEY, value TEXT);" \
    "CREATE TABLE run(id INTEGER PRIMARY KEY, command TEXT, host TEXT, pid INTEGER, " \
    "  start_ns INTEGER, end_ns INTEGER, ntrace_version TEXT);" \
    "CREATE TABLE devices(id INTEGER PRIMARY KEY, name TEXT, sm_count INTEGER, " \
    "  clock_khz INTEGER, mem_clock_khz INTEGER, mem_bus_bits INTEGER, " \
    "  cc_major INTEGER, cc_minor INTEGER);" \
    "CREATE TABLE kernels(id INTEGER PRIMARY KEY, name TEXT, demangled TEXT, " \
    "  instrumentable INTEGER, reason TEXT);" \
    "CREATE TABLE launches(id INTEGER PRIMARY KEY, kernel_id INTEGER, device_id INTEGER, " \
    "  stream_id INTEGER, start_ns INTEGER, end_ns INTEGER, grid_x INTEGER, grid_y INTEGER, " \
    "  grid_z INTEGER, block_x INTEGER, block_y INTEGER, block_z INTEGER, " \
    "  instrumented INTEGER, reason TEXT);" \
    "CREATE TABLE memcpys(id INTEGER PRIMARY KEY, device_id INTEGER, stream_id INTEGER, " \
    "  start_ns INTEGER, end_ns INTEGER, bytes INTEGER, kind TEXT);" \
    "CREATE TABLE probes(id INTEGER PRIMARY KEY, name TEXT);" \
    "CREATE TABLE maps(id INTEGER PRIMARY KEY, probe_id INTEGER, name TEXT, " \
    "  table_name TEXT, level TEXT, cap INTEGER);" \
    "CREATE TABLE map_columns(map_id INTEGER, idx INTEGER, name TEXT, type TEXT);" \
    "CREATE TABLE map_drops(launch_id INTEGER, map_id INTEGER, dropped INTEGER);" \
    "CREATE TABLE stall_reasons(id INTEGER PRIMARY KEY, name TEXT);" \
    "CREATE TABLE pc_samples(launch_id INTEGER, pc INTEGER, stall_reason_id INTEGER, " \
    "  samples INTEGER);"
#define SCH_INS_META     "INSERT INTO ntrace_meta VALUES('schema_version', ?1)"
#define SCH_INS_RUN      "INSERT INTO run VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6)"
#define SCH_INS_DEVICE   "INSERT INTO devices VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
#define SCH_INS_KERNEL   "INSERT INTO kernels VALUES(?1, ?2, ?3, ?4, ?5)"
#define SCH_INS_LAUNCH \
    "INSERT INTO launches VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
#define SCH_INS_MEMCPY   "INSERT INTO memcpys VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define SCH_INS_PROBE    "INSERT INTO probes VALUES(?1, ?2)"
#define SCH_INS_MAP      "INSERT INTO maps VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
#define SCH_INS_MAPCOL   "INSERT INTO map_columns VALUES(?1, ?2, ?3, ?4)"
#define SCH_INS_DROPS    "INSERT INTO map_drops VALUES(?1, ?2, ?3)"
#define SCH_INS_REASON   "INSERT INTO stall_reasons VALUES(?1, ?2)"
#define SCH_INS_PC       "INSERT INTO pc_samples VALUES(?1, ?2, ?3, ?4)"
/* A map table: the fixed columns, then the map's own ("name TYPE, ..."). */
#define SCH_DDL_MAP \
    "CREATE TABLE %s(launch_id INTEGER, slot INTEGER, idx INTEGER%s);" \
    "CREATE INDEX %s_launch ON %s(launch_id);"
#define SCH_MAP_TABLE_PREFIX "map_"

#endif
