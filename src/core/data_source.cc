#include "core/data_source.h"

namespace mysqlset {

DataSource ChooseDataSource(DataState state, bool ordinal_zero, Initialized initialized) {
  switch (state) {
    case DataState::kReady:
      return DataSource::kKeep;
    case DataState::kEmpty:
    case DataState::kIncomplete:
      // Once initialized, the cluster's data lives on some member: an empty one, even
      // ordinal 0 after losing its volume, must copy it rather than start a second history.
      if (initialized == Initialized::kPresent) return DataSource::kClone;
      // kOwnUnfinished: the claim of an interrupted bootstrap, which made no data.
      return ordinal_zero ? DataSource::kBootstrap : DataSource::kClone;
    case DataState::kInstallCut:
    case DataState::kUnmarked:
      return DataSource::kRefuse;
  }
  return DataSource::kRefuse;
}

}  // namespace mysqlset
