#include "core/data_state.h"

namespace mysqlset {

DataState ClassifyData(bool datadir_exists, bool marker_exists) {
  if (!datadir_exists) return DataState::kEmpty;
  return marker_exists ? DataState::kReady : DataState::kIncomplete;
}

const char* DataStateName(DataState s) {
  switch (s) {
    case DataState::kReady: return "ready";
    case DataState::kEmpty: return "empty";
    case DataState::kIncomplete: return "incomplete";
  }
  return "unknown";
}

std::string MarkerPathOf(const std::string& data_dir) { return data_dir + "/.mysqlset-complete"; }
std::string StagingPathOf(const std::string& data_dir) { return data_dir + "/mysql.staging"; }
std::string DiscardedPathOf(const std::string& data_dir) { return data_dir + "/mysql.discarded"; }

}  // namespace mysqlset
