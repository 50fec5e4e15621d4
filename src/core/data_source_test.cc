#include "core/data_source.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(ChooseDataSourceTest, Table) {
  struct Case {
    DataState state;
    bool is_primary;
    DataSource want;
  } cases[] = {
      {DataState::kReady, true, DataSource::kKeep},
      {DataState::kReady, false, DataSource::kKeep},
      {DataState::kEmpty, true, DataSource::kBootstrap},
      {DataState::kEmpty, false, DataSource::kClone},
      {DataState::kIncomplete, true, DataSource::kBootstrap},  // set aside: no datadir now
      {DataState::kIncomplete, false, DataSource::kClone},
      {DataState::kInstallCut, true, DataSource::kRefuse},
      {DataState::kInstallCut, false, DataSource::kRefuse},
      {DataState::kUnmarked, true, DataSource::kRefuse},
      {DataState::kUnmarked, false, DataSource::kRefuse},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ChooseDataSource(c.state, c.is_primary), c.want)
        << "state " << static_cast<int>(c.state) << (c.is_primary ? ", primary" : ", replica");
  }
}

}  // namespace
}  // namespace mysqlset
