#pragma once
// `mysqlset restore`'s work on the data, before the new cluster starts:
// 1. FetchVerified: every object of the backup, fetched and its SHA-256 checked against
//    the manifest; a mismatch names the object and nothing else happens;
// 2. BuildRestoredDatadir: unpack (zstd -d | mbstream -x) into the new member 0's staging
//    dir, `mariabackup --prepare`, then a throwaway mariadbd on it (no port, no grant
//    tables, no replication) where `mariadb-check` opens every table, our accounts get the
//    new cluster's passwords, replication settings of the source are dropped, and the
//    binlog restarts at the backup's GTID, which must read back as the manifest's;
//    then the datadir is installed with its completion marker (data_step.h), so the
//    new cluster's member 0 starts on it as it would on a clone.
// Not thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "agent/clone_io.h"
#include "backup/repository.h"
#include "core/accounts.h"
#include "env/clock.h"
#include "env/file_system.h"
#include "env/process_runner.h"
#include "formats/backup_manifest.h"
#include "formats/binlog_segment.h"

namespace mysqlset::backup {

// The path of the backup's xbstream object, local and verified. kDataLoss naming the object
// when its SHA-256 or size differs from the manifest's.
Result<std::string> FetchVerified(Repository& repo, const formats::BackupManifest& manifest,
                                  const std::string& scratch_dir);

struct RestoreEnv {
  FileSystem& fs;
  Clock& clock;
  ProcessRunner& runner;
  PipedProcessStarter& pipes;  // the throwaway mariadbd
};

// Point-in-time restore: archived binlogs replayed on the restored data, each past the GTID
// state reached before it (core/pitr.h), up to the stop.
struct BinlogReplay {
  struct File {
    std::string path;         // local, verified (FetchSegmentsVerified)
    std::string start_after;  // mariadb-binlog --start-position ("" from the start)
  };
  std::vector<File> files;
  std::string stop_gtid;             // --stop-position: up to and including it
  std::optional<int64_t> stop_unix;  // --stop-datetime: only what committed before it
};

// The local paths of the segments' binlog files, in order, each fetched and its SHA-256
// checked against its record. kDataLoss naming the object when it differs; kNotFound naming
// it when it is missing.
Result<std::vector<std::string>> FetchSegmentsVerified(
    Repository& repo, const std::vector<formats::BinlogSegment>& segments,
    const std::string& scratch_dir);

struct RestoreDataOptions {
  std::string data_dir;  // member 0's data volume in the new cluster; no DATA/mysql yet
  std::string work_dir;  // logs and the throwaway server's socket (short path)
  std::string use_memory = "256M";
  bool run_as_root = false;
  std::chrono::seconds server_start_timeout{120};
  BinlogReplay replay;  // none: the backup's state
};

struct RestoredData {
  std::string gtid;           // the restored server's gtid_binlog_pos (after any replay)
  std::string tables_report;  // "mariadb-check: N tables OK"
};

// REQUIRES: FetchVerified accepted `object`. `secrets`: the new cluster's.
Result<RestoredData> BuildRestoredDatadir(RestoreEnv& env, const RestoreDataOptions& options,
                                          const formats::BackupManifest& manifest,
                                          const std::string& object, const Secrets& secrets);

}  // namespace mysqlset::backup
