#include "core/data_source.h"

namespace mysqlset {

DataSource ChooseDataSource(DataState state, bool is_primary) {
  switch (state) {
    case DataState::kReady:
      return DataSource::kKeep;
    case DataState::kEmpty:
    case DataState::kIncomplete:
      return is_primary ? DataSource::kBootstrap : DataSource::kClone;
    case DataState::kInstallCut:
    case DataState::kUnmarked:
      return DataSource::kRefuse;
  }
  return DataSource::kRefuse;
}

}  // namespace mysqlset
