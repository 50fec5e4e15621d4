#pragma once
// Is this member's data usable? Pure. The seed trusted `[[ -d mysql ]]`, so a
// half-extracted clone was started as if complete; here only the completion marker,
// written last, says a datadir is done.

#include <string>

namespace mysqlset {

enum class DataState {
  kReady,       // datadir and completion marker present: start it
  kEmpty,       // no datadir: bootstrap (primary) or clone (replica)
  kIncomplete,  // datadir without marker: interrupted; never start it, discard and redo
};

DataState ClassifyData(bool datadir_exists, bool marker_exists);
const char* DataStateName(DataState s);

// Paths inside the data volume (all on one filesystem so installs are renames).
std::string MarkerPathOf(const std::string& data_dir);    // DATA/.mysqlset-complete
std::string StagingPathOf(const std::string& data_dir);   // DATA/mysql.staging
std::string DiscardedPathOf(const std::string& data_dir); // DATA/mysql.discarded

}  // namespace mysqlset
