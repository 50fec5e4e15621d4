#include "core/data_source.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(ChooseDataSourceTest, Table) {
  constexpr Initialized kNoStore = Initialized::kNoStore;
  constexpr Initialized kAbsent = Initialized::kAbsent;
  constexpr Initialized kPresent = Initialized::kPresent;
  constexpr Initialized kOwnUnfinished = Initialized::kOwnUnfinished;
  struct Case {
    DataState state;
    bool ordinal_zero;
    Initialized initialized;
    DataSource want;
  } cases[] = {
      {DataState::kReady, true, kNoStore, DataSource::kKeep},
      {DataState::kReady, false, kNoStore, DataSource::kKeep},
      {DataState::kReady, true, kPresent, DataSource::kKeep},
      {DataState::kReady, false, kAbsent, DataSource::kKeep},
      {DataState::kEmpty, true, kNoStore, DataSource::kBootstrap},
      {DataState::kEmpty, false, kNoStore, DataSource::kClone},
      {DataState::kEmpty, true, kAbsent, DataSource::kBootstrap},
      {DataState::kEmpty, false, kAbsent, DataSource::kClone},
      // Initialized: even ordinal 0 without data clones (its volume was lost).
      {DataState::kEmpty, true, kPresent, DataSource::kClone},
      {DataState::kEmpty, false, kPresent, DataSource::kClone},
      {DataState::kIncomplete, true, kNoStore, DataSource::kBootstrap},  // set aside: none now
      {DataState::kIncomplete, false, kNoStore, DataSource::kClone},
      {DataState::kIncomplete, true, kAbsent, DataSource::kBootstrap},
      {DataState::kIncomplete, true, kPresent, DataSource::kClone},
      // Its own claim from a bootstrap stopped before any data, nobody led since: again.
      {DataState::kEmpty, true, kOwnUnfinished, DataSource::kBootstrap},
      {DataState::kIncomplete, true, kOwnUnfinished, DataSource::kBootstrap},
      {DataState::kReady, true, kOwnUnfinished, DataSource::kKeep},
      {DataState::kInstallCut, true, kOwnUnfinished, DataSource::kRefuse},
      {DataState::kInstallCut, true, kNoStore, DataSource::kRefuse},
      {DataState::kInstallCut, false, kPresent, DataSource::kRefuse},
      {DataState::kUnmarked, true, kAbsent, DataSource::kRefuse},
      {DataState::kUnmarked, false, kNoStore, DataSource::kRefuse},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ChooseDataSource(c.state, c.ordinal_zero, c.initialized), c.want)
        << "state " << static_cast<int>(c.state) << (c.ordinal_zero ? ", ordinal 0" : ", other")
        << ", initialized " << static_cast<int>(c.initialized);
  }
}

}  // namespace
}  // namespace mysqlset
