#pragma once
// The data half of `mysqlset clone`: decide whether this member's datadir is usable, and
// if not, make it so. A primary with no data bootstraps a fresh, secured datadir; a replica
// clones from a donor (see clone_receiver.h). Every path is kill-safe: work happens in a
// staging dir, is renamed into place, and the completion marker is written last.

#include <string>

#include "core/accounts.h"
#include "core/data_state.h"
#include "env/clock.h"
#include "env/file_system.h"
#include "env/process_runner.h"

namespace mysqlset {

struct BootstrapOptions {
  std::string data_dir;  // the data volume
  std::string log_file;  // where mariadb-install-db's output goes; empty: captured
  bool run_as_root = false;  // add --user=root (mariadbd refuses root otherwise)
};

// Classifies DATA and, for kIncomplete, moves the datadir aside to DATA/mysql.discarded
// (replacing an older one) so it is never started. Returns the state found.
Result<DataState> InspectAndDiscardIncomplete(FileSystem& fs, const std::string& data_dir);

// REQUIRES: no datadir at DATA/mysql. Installs system tables into a staging dir, secures
// them (no anonymous users, no test db, every account with a password) and creates the
// mysqlset accounts, then renames into place and writes the marker.
Status BootstrapFreshDatadir(FileSystem& fs, ProcessRunner& runner, const Clock& clock,
                             const BootstrapOptions& options, const Secrets& secrets);

// OK unless DATA/mysql exists but is not a directory (a regular file, a dangling symlink, a
// symlink to a file): then kFailedPrecondition with one line naming it and what to do. Runs
// before anything else, so nothing is moved, written or bootstrapped over it.
Status CheckDatadirIsNotAFile(const FileSystem& fs, const std::string& data_dir);

// Writes the completion marker (JSON: source, detail, time). Last step of every install.
Status WriteCompletionMarker(FileSystem& fs, const Clock& clock, const std::string& data_dir,
                             const std::string& source, const std::string& detail);

}  // namespace mysqlset
