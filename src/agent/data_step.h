#pragma once
// The data half of `mysqlset clone`: decide whether this member's datadir is usable, and
// if not, make it so. A primary with no data bootstraps a fresh, secured datadir; a replica
// clones from a donor (see clone_receiver.h). Every path is kill-safe: work happens in a
// staging dir, is renamed into place, and the completion marker is written last. No datadir
// is ever deleted: the only trees mysqlset removes are its own unfinished staging dirs
// (DATA/mysql.staging and its .tmp), which no server has ever run on.

#include <cstdint>
#include <string>
#include <vector>

#include "core/accounts.h"
#include "core/data_state.h"
#include "env/clock.h"
#include "env/file_system.h"
#include "env/process_runner.h"

namespace mysqlset {

struct BootstrapOptions {
  std::string data_dir;      // the data volume
  std::string log_file;      // where mariadb-install-db's output goes; empty: captured
  bool run_as_root = false;  // add --user=root (mariadbd refuses root otherwise)
  // Where mariadb-install-db's output is cached and copied from (agent/datadir_template.h);
  // "": always run mariadb-install-db.
  std::string template_cache_dir;
};

// What DATA and DATA/mysql show (see DatadirEvidence).
DatadirEvidence GatherDatadirEvidence(const FileSystem& fs, const std::string& data_dir);

// A datadir set aside in the data volume (DATA/mysql.discarded*). mysqlset never deletes one.
struct KeptDatadir {
  std::string path;
  uint64_t bytes = 0;
  std::string kept_at;  // ISO 8601 UTC from the name; "" for an untimestamped one
};
// The kept datadirs in DATA, oldest first. None when DATA cannot be listed.
std::vector<KeptDatadir> ListKeptDatadirs(const FileSystem& fs, const std::string& data_dir);
// "kept datadirs: /d/mysql.discarded.20261129T214500Z (1.2 MiB, kept 2026-11-29T21:45:00Z)"
// naming each by its full path; "" when there are none.
std::string DescribeKeptDatadirs(const std::vector<KeptDatadir>& kept);

// A re-clone its agent asked for (RecloneRequestPathOf, core/reclone.h): renames DATA/mysql
// to DATA/mysql.discarded.<UTC time> (never deleted: its extra rows may matter to someone),
// then removes the completion marker and clone record that vouched for it, then the request,
// so a kill anywhere leaves the request to finish next time. Without a request: nothing.
Status SetAsideForReclone(FileSystem& fs, const Clock& clock, const std::string& data_dir);

// Classifies DATA (ClassifyData) and acts on the verdict; never deletes data:
// - kInstallCut: finishes the install (the pending marker becomes the marker): kReady;
// - kIncomplete: renames DATA/mysql to DATA/mysql.discarded.<UTC time> (a name not yet
//   taken; older copies stay), logs where, and returns kIncomplete (no datadir now);
// - kUnmarked: kFailedPrecondition, "data present but completion marker missing: ...; to
//   accept it, ...; refusing to discard it", naming the paths;
// - kEmpty: a stale pending marker (from an install cut before its rename) is removed.
Result<DataState> InspectDatadir(FileSystem& fs, const Clock& clock, const std::string& data_dir);

// REQUIRES: no datadir at DATA/mysql. Installs system tables into a staging dir (copied from
// a verified template when options.template_cache_dir holds one, else by mariadb-install-db,
// whose output then becomes the template), secures
// them (no anonymous users, no test db, every account with a password) and creates the
// mysqlset accounts, then renames into place and writes the marker.
Status BootstrapFreshDatadir(FileSystem& fs, ProcessRunner& runner, const Clock& clock,
                             const BootstrapOptions& options, const Secrets& secrets);

// Last steps of every install: writes the pending marker (JSON: source, detail, time),
// renames `staging` to DATA/mysql, then renames the pending marker to the completion marker.
// A kill anywhere leaves a state InspectDatadir recognises (kEmpty or kInstallCut).
// REQUIRES: no datadir at DATA/mysql.
Status InstallDatadir(FileSystem& fs, const Clock& clock, const std::string& staging,
                      const std::string& data_dir, const std::string& source,
                      const std::string& detail);

// OK unless DATA/mysql exists but is not a directory (a regular file, a dangling symlink, a
// symlink to a file): then kFailedPrecondition with one line naming it and what to do. Runs
// before anything else, so nothing is moved, written or bootstrapped over it.
Status CheckDatadirIsNotAFile(const FileSystem& fs, const std::string& data_dir);

}  // namespace mysqlset
