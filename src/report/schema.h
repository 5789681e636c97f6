/*
 * schema.h — every table and column name the report reads (src/report).
 *
 * `collector` and `report` share the schema (docs/schema.md) and nothing
 * else, so this file is the report's one copy of it: a schema change is an
 * edit here.  No other file of src/report spells a table or a fixed column;
 * synth.c writes databases of the same shape with the SCH_DDL / SCH_INS_*
 * statements below.  Schema version 1 (PRAGMA user_version), application
 * id "NTRC" (PRAGMA application_id), Nsight Systems names where they fit:
 *
 *   StringIds(id, value)                       names are ids into it
 *   NTRACE_RUN(commandLine, host, pid, ntraceVersion, startTime, endTime, ...)
 *   TARGET_INFO_GPU(id, name, totalMemory, clockRate [Hz], smCount,
 *                   computeMajor, computeMinor, ...)
 *   NTRACE_MODULES(id, contentHash, ...)
 *   NTRACE_KERNELS(id, moduleId, demangledName, mangledName, instrumented, reason, ...)
 *   CUPTI_ACTIVITY_KIND_KERNEL(launchId, start, end [ns], deviceId, streamId,
 *       correlationId, demangledName, gridX.., blockX.., kernelId, probeId,
 *       probeStatus ('probed' when its records are in), recordsSaved,
 *       recordsDropped, ...)
 *   CUPTI_ACTIVITY_KIND_MEMCPY(start, end, deviceId, streamId, bytes, copyKind)
 *   ENUM_CUDA_MEMCPY_OPER(id, name, label)
 *   NTRACE_PROBES(id, name), NTRACE_PROBE_MAPS(probeId, mapId, name,
 *       tableName, level, cap), NTRACE_PROBE_FIELDS(probeId, mapId,
 *       fieldIndex, name, type)                type: u32 u64 s32 s64 f32 f64
 *   <tableName>(launchId, blockId, [warpId,] [threadId,] seq, <fields>)
 *       warpId for warp and thread level maps, threadId for thread level;
 *       index <tableName>_launch on (launchId, blockId) made at run end
 *   NTRACE_STALL_REASONS(id, name)             CUPTI's stall-reason names
 *   NTRACE_PC_SAMPLES(correlationId, pcOffset, stallReason, samples, ...)
 *   NTRACE_PC_LINES(functionName, cubinCrc, pcOffset, fileName, line, column)
 */
#ifndef NT_REPORT_SCHEMA_H
#define NT_REPORT_SCHEMA_H

/* The schema version this report reads, and the mark of an ntrace file. */
#define SCH_VERSION 1
#define SCH_APPLICATION_ID 0x4e545243   /* "NTRC" */

#define SCH_Q_RUN \
    "SELECT commandLine, host, pid, startTime, endTime, ntraceVersion FROM NTRACE_RUN " \
    "ORDER BY id LIMIT 1"
#define SCH_Q_DEVICES \
    "SELECT id, name, smCount, clockRate, totalMemory, computeMajor, computeMinor " \
    "FROM TARGET_INFO_GPU ORDER BY id"
/* With the content hash of the kernel's module (NULL: no module row). */
#define SCH_Q_KERNELS \
    "SELECT k.id, coalesce(m.value, d.value, '?'), coalesce(d.value, m.value, '?'), " \
    "k.instrumented, coalesce(k.reason, ''), mo.contentHash FROM NTRACE_KERNELS k " \
    "LEFT JOIN StringIds m ON m.id = k.mangledName " \
    "LEFT JOIN StringIds d ON d.id = k.demangledName " \
    "LEFT JOIN NTRACE_MODULES mo ON mo.id = k.moduleId ORDER BY k.id"
/* Launches in time order: the order of every per-launch section.  A launch
 * whose activity record never came has no start: it sorts first, with 0. */
#define SCH_Q_LAUNCHES \
    "SELECT l.launchId, coalesce(l.kernelId, 0), l.deviceId, l.streamId, " \
    "coalesce(l.start, 0), coalesce(l.end, l.start, 0), l.gridX, l.gridY, l.gridZ, " \
    "l.blockX, l.blockY, l.blockZ, coalesce(l.probeStatus, '') = 'probed', " \
    "coalesce(l.probeStatus, ''), coalesce(d.value, '?'), l.recordsSaved, " \
    "l.recordsDropped FROM CUPTI_ACTIVITY_KIND_KERNEL l " \
    "LEFT JOIN StringIds d ON d.id = l.demangledName ORDER BY l.start, l.launchId"
#define SCH_T_MEMCPYS "CUPTI_ACTIVITY_KIND_MEMCPY"
#define SCH_Q_MEMCPYS \
    "SELECT m.rowid, m.deviceId, m.streamId, m.start, m.end, m.bytes, " \
    "coalesce(e.label, 'copy') FROM CUPTI_ACTIVITY_KIND_MEMCPY m " \
    "LEFT JOIN ENUM_CUDA_MEMCPY_OPER e ON e.id = m.copyKind " \
    "WHERE m.start IS NOT NULL ORDER BY m.start"
/* One row per map table: a merged database has a probe row per process,
 * all writing the same table, which is summarized once. */
#define SCH_Q_MAPS \
    "SELECT m.probeId * 65536 + m.mapId, p.name, m.name, m.tableName, m.level, m.cap " \
    "FROM NTRACE_PROBE_MAPS m JOIN NTRACE_PROBES p ON p.id = m.probeId " \
    "WHERE m.rowid IN (SELECT min(rowid) FROM NTRACE_PROBE_MAPS GROUP BY tableName) " \
    "ORDER BY m.probeId, m.mapId"
#define SCH_Q_MAP_COLUMNS \
    "SELECT name, type FROM NTRACE_PROBE_FIELDS WHERE probeId * 65536 + mapId = ?1 " \
    "ORDER BY fieldIndex"
/* Columns every map table has before the map's own. */
#define SCH_MAP_LAUNCH "launchId"
#define SCH_MAP_BLOCK  "blockId"
#define SCH_MAP_WARP   "warpId"      /* warp and thread level maps only */
#define SCH_LEVEL_BLOCK "block"
/* Strings a region name may be among (regions.c hashes them). */
#define SCH_Q_STRINGS "SELECT value FROM StringIds"
#define SCH_Q_PROBE_SOURCES "SELECT source FROM NTRACE_PROBES"
/* PC samples per launch and reason (summed over PCs). */
#define SCH_T_PC_SAMPLES "NTRACE_PC_SAMPLES"
#define SCH_Q_PC_STALLS \
    "SELECT k.launchId, r.name, sum(s.samples) FROM NTRACE_PC_SAMPLES s " \
    "JOIN NTRACE_STALL_REASONS r ON r.id = s.stallReason " \
    "JOIN CUPTI_ACTIVITY_KIND_KERNEL k ON k.correlationId = s.correlationId " \
    "GROUP BY k.launchId, r.name ORDER BY k.launchId, r.name"
/* PC samples no launch claims, per kernel (by function name = mangled name).
 * "Not claimed" is NOT IN an uncorrelated list, which SQLite builds once:
 * a correlated NOT EXISTS rescanned every launch for every sample (there
 * is no index on correlationId), minutes on 100 k launches.  A NULL
 * correlation id matches no launch, as it did under NOT EXISTS. */
#define SCH_Q_PC_STALLS_BY_KERNEL \
    "SELECT k.id, r.name, sum(s.samples) FROM NTRACE_PC_SAMPLES s " \
    "JOIN NTRACE_STALL_REASONS r ON r.id = s.stallReason " \
    "JOIN NTRACE_KERNELS k ON k.mangledName = s.functionName " \
    "WHERE s.correlationId IS NULL OR s.correlationId NOT IN " \
    "  (SELECT correlationId FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE correlationId IS NOT NULL) " \
    "GROUP BY k.id, r.name ORDER BY k.id, r.name"

/* PC samples per source line and reason (NTRACE_PC_LINES: cubins with line
 * info).  Joined by names, not string ids, so a merged database (ids per
 * input) counts each sample once; DISTINCT drops the same PC's line
 * stored by several processes. */
#define SCH_T_PC_LINES "NTRACE_PC_LINES"
#define SCH_Q_PC_LINES \
    "SELECT f.value, l.file, l.line, r.name, sum(s.samples) FROM NTRACE_PC_SAMPLES s " \
    "JOIN StringIds f ON f.id = s.functionName " \
    "JOIN (SELECT DISTINCT fn.value AS fn, p.cubinCrc AS crc, p.pcOffset AS pc, " \
    "      fi.value AS file, p.line AS line FROM NTRACE_PC_LINES p " \
    "      JOIN StringIds fn ON fn.id = p.functionName " \
    "      JOIN StringIds fi ON fi.id = p.fileName) l " \
    "  ON l.fn = f.value AND l.crc = s.cubinCrc AND l.pc = s.pcOffset " \
    "JOIN NTRACE_STALL_REASONS r ON r.id = s.stallReason " \
    "GROUP BY f.value, l.file, l.line, r.name ORDER BY f.value, l.file, l.line, r.name"
/* All samples per function name: the share's denominator. */
#define SCH_Q_PC_FN_TOTALS \
    "SELECT f.value, sum(s.samples) FROM NTRACE_PC_SAMPLES s " \
    "JOIN StringIds f ON f.id = s.functionName GROUP BY f.value"

/* ---- the writer's side, for synthetic databases (synth.c) ------------------ */
#define SCH_DDL \
    "CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT NOT NULL);" \
    "CREATE TABLE NTRACE_RUN (id INTEGER PRIMARY KEY, commandLine TEXT, host TEXT," \
    "  pid INTEGER, ntraceVersion TEXT, schemaVersion INTEGER, startTime INTEGER," \
    "  endTime INTEGER, config TEXT, launches INTEGER, buffers INTEGER," \
    "  buffersRejected INTEGER, recordsSaved INTEGER, recordsDropped INTEGER," \
    "  queueDropped INTEGER, queueDroppedBuffers INTEGER, recordsLost INTEGER," \
    "  rowsLost INTEGER, dbError TEXT);" \
    "CREATE TABLE TARGET_INFO_GPU (id INTEGER PRIMARY KEY, name TEXT, busLocation TEXT," \
    "  uuid TEXT, totalMemory INTEGER, clockRate INTEGER, smCount INTEGER," \
    "  computeMajor INTEGER, computeMinor INTEGER);" \
    "CREATE TABLE NTRACE_MODULES (id INTEGER PRIMARY KEY, deviceId INTEGER," \
    "  contextId INTEGER, name TEXT, contentHash INTEGER, ptxBytes INTEGER);" \
    "CREATE TABLE NTRACE_KERNELS (id INTEGER PRIMARY KEY, moduleId INTEGER," \
    "  mangledName INTEGER, demangledName INTEGER, shortName INTEGER," \
    "  instrumented INTEGER NOT NULL, reason TEXT);" \
    "CREATE TABLE NTRACE_PROBES (id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT," \
    "  source TEXT);" \
    "CREATE TABLE NTRACE_PROBE_MAPS (probeId INTEGER NOT NULL, mapId INTEGER NOT NULL," \
    "  name TEXT NOT NULL, tableName TEXT NOT NULL, level TEXT NOT NULL," \
    "  cap INTEGER NOT NULL, recordSize INTEGER NOT NULL, fieldCount INTEGER NOT NULL," \
    "  PRIMARY KEY (probeId, mapId));" \
    "CREATE TABLE NTRACE_PROBE_FIELDS (probeId INTEGER NOT NULL, mapId INTEGER NOT NULL," \
    "  fieldIndex INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL," \
    "  offset INTEGER NOT NULL, PRIMARY KEY (probeId, mapId, fieldIndex));" \
    "CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (launchId INTEGER PRIMARY KEY," \
    "  start INTEGER, end INTEGER, deviceId INTEGER, contextId INTEGER," \
    "  streamId INTEGER, correlationId INTEGER, globalPid INTEGER," \
    "  demangledName INTEGER, shortName INTEGER, mangledName INTEGER," \
    "  gridX INTEGER, gridY INTEGER, gridZ INTEGER," \
    "  blockX INTEGER, blockY INTEGER, blockZ INTEGER," \
    "  registersPerThread INTEGER, staticSharedMemory INTEGER," \
    "  dynamicSharedMemory INTEGER, kernelId INTEGER, probeId INTEGER," \
    "  probeStatus TEXT, recordsSaved INTEGER NOT NULL DEFAULT 0," \
    "  recordsDropped INTEGER NOT NULL DEFAULT 0, bufferBytes INTEGER);" \
    "CREATE TABLE CUPTI_ACTIVITY_KIND_MEMCPY (start INTEGER, end INTEGER," \
    "  deviceId INTEGER, contextId INTEGER, streamId INTEGER, correlationId INTEGER," \
    "  globalPid INTEGER, bytes INTEGER, copyKind INTEGER, srcKind INTEGER," \
    "  dstKind INTEGER);" \
    "CREATE TABLE ENUM_CUDA_MEMCPY_OPER (id INTEGER PRIMARY KEY, name TEXT, label TEXT);" \
    "INSERT INTO ENUM_CUDA_MEMCPY_OPER VALUES (1,'CUDA_MEMCPY_KIND_HTOD','Host-to-Device')," \
    "  (2,'CUDA_MEMCPY_KIND_DTOH','Device-to-Host');" \
    "CREATE TABLE NTRACE_STALL_REASONS (id INTEGER PRIMARY KEY, name TEXT NOT NULL);" \
    "CREATE TABLE NTRACE_PC_SAMPLES (correlationId INTEGER, functionName INTEGER," \
    "  cubinCrc INTEGER, pcOffset INTEGER, stallReason INTEGER, samples INTEGER);" \
    "CREATE TABLE NTRACE_PC_LINES (functionName INTEGER, cubinCrc INTEGER, pcOffset INTEGER," \
    "  fileName INTEGER, line INTEGER, \"column\" INTEGER);"
#define SCH_PRAGMAS_FMT  "PRAGMA application_id = %d; PRAGMA user_version = %d;"
#define SCH_INS_STRING   "INSERT INTO StringIds VALUES(?1, ?2)"
#define SCH_INS_RUN \
    "INSERT INTO NTRACE_RUN(id, commandLine, host, pid, ntraceVersion, schemaVersion, " \
    "startTime, endTime) VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define SCH_INS_DEVICE \
    "INSERT INTO TARGET_INFO_GPU(id, name, totalMemory, clockRate, smCount, computeMajor, " \
    "computeMinor) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define SCH_INS_KERNEL \
    "INSERT INTO NTRACE_KERNELS(id, moduleId, mangledName, demangledName, instrumented, " \
    "reason) VALUES(?1, 1, ?2, ?3, ?4, ?5)"
#define SCH_INS_LAUNCH \
    "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, streamId, start, " \
    "end, gridX, gridY, gridZ, blockX, blockY, blockZ, probeStatus, demangledName, " \
    "correlationId, probeId, recordsDropped, recordsSaved) " \
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
#define SCH_INS_MEMCPY \
    "INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY(correlationId, deviceId, streamId, start, end, " \
    "bytes, copyKind) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define SCH_INS_PROBE    "INSERT INTO NTRACE_PROBES(id, name) VALUES(?1, ?2)"
#define SCH_INS_MAP \
    "INSERT INTO NTRACE_PROBE_MAPS VALUES(?1, ?2, ?3, ?4, ?5, ?6, 8, 1)"
#define SCH_INS_MAPCOL   "INSERT INTO NTRACE_PROBE_FIELDS VALUES(?1, ?2, ?3, ?4, ?5, 0)"
#define SCH_INS_REASON   "INSERT INTO NTRACE_STALL_REASONS VALUES(?1, ?2)"
#define SCH_INS_PC \
    "INSERT INTO NTRACE_PC_SAMPLES(correlationId, pcOffset, stallReason, samples) " \
    "VALUES(?1, ?2, ?3, ?4)"
/* A warp-level map table: the fixed columns, then the map's own
 * (", name TYPE" each), and the index the collector makes at the end of a
 * run. */
#define SCH_DDL_MAP \
    "CREATE TABLE \"%s\" (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL, " \
    "warpId INTEGER NOT NULL, seq INTEGER NOT NULL%s);"
#define SCH_DDL_MAP_INDEX "CREATE INDEX \"%s_launch\" ON \"%s\"(launchId, blockId);"
/* 1 when an index (or a WITHOUT ROWID key) of table ?1 starts with launchId:
 * without one (a run that did not end normally) each launch's records are
 * found by a scan of the whole table. */
#define SCH_Q_MAP_INDEXED \
    "SELECT 1 FROM pragma_index_list(?1) il JOIN pragma_index_info(il.name) ii " \
    "WHERE ii.seqno = 0 AND ii.name = 'launchId' LIMIT 1"
#define SCH_MAP_TABLE_FMT "PROBE_%s_%s"

#endif
