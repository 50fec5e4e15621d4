// The fake coordination store passes the same contract as a real etcd
// (tests/integration/etcd_contract_test.cc), plus checks of what only the fake offers.

#include "testing/fake_coord_store.h"

#include <gtest/gtest.h>

#include "testing/coord_store_contract.h"
#include "testing/fakes.h"

namespace mysqlset::testing {
namespace {

class FakeBackend {
 public:
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}
  CoordStore& store() { return store_; }
  void Pass(std::chrono::milliseconds d) { clock_.Advance(d); }
  void Crash() { store_.SetUnavailable(true); }
  void Restart() {
    store_.SetUnavailable(false);
    store_.SimulateRestart();
  }

 private:
  FakeClock clock_;
  FakeCoordStore store_{&clock_};
};

INSTANTIATE_TYPED_TEST_SUITE_P(Fake, CoordStoreContract, FakeBackend);

TEST(FakeCoordStoreTest, LeaseExpiresExactlyAtItsTtlAndKeepAliveRenewsIt) {
  FakeClock clock;
  FakeCoordStore store(&clock);
  LeaseId lease = store.GrantLease(3).value();
  ASSERT_TRUE(store.Put("/k", "v", lease).ok());
  clock.Advance(std::chrono::milliseconds(2999));
  ASSERT_EQ(store.KeepAlive(lease).value(), 3);
  clock.Advance(std::chrono::milliseconds(2999));
  EXPECT_TRUE(store.Get("/k").value().has_value());
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(store.Get("/k").value().has_value());
  EXPECT_EQ(store.KeepAlive(lease).status().code(), StatusCode::kNotFound);
}

TEST(FakeCoordStoreTest, RevisionsCountWritesAsEtcdDoes) {
  FakeClock clock;
  FakeCoordStore store(&clock);
  EXPECT_EQ(store.revision(), 1);
  ASSERT_TRUE(store.Put("/a", "1").ok());
  EXPECT_EQ(store.revision(), 2);
  EXPECT_EQ(store.Get("/a").value()->create_revision, 2);
  ASSERT_TRUE(store.Delete("/none").ok());  // deleting nothing writes nothing
  ASSERT_TRUE(store.Txn({TxnCompare::Absent("/a")}, {TxnOp::Put("/b", "x")}).ok());
  EXPECT_EQ(store.revision(), 2);  // a failed txn neither
  ASSERT_TRUE(store.Txn({}, {TxnOp::Put("/a", "2"), TxnOp::Put("/b", "3")}).ok());
  EXPECT_EQ(store.revision(), 3);
  StoredValue a = store.Get("/a").value().value();
  EXPECT_EQ(a.create_revision, 2);
  EXPECT_EQ(a.mod_revision, 3);
}

TEST(FakeCoordStoreTest, UnavailableChangesNothingButLeasesStillExpire) {
  FakeClock clock;
  FakeCoordStore store(&clock);
  LeaseId lease = store.GrantLease(2).value();
  ASSERT_TRUE(store.Put("/leader", "me", lease).ok());
  ASSERT_TRUE(store.Put("/kept", "x").ok());
  store.SetUnavailable(true);
  EXPECT_EQ(store.Put("/kept", "y").code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.Txn({}, {}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store.RevokeLease(lease).code(), StatusCode::kUnavailable);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(store.KeepAlive(lease).status().code(), StatusCode::kUnavailable);
  store.SetUnavailable(false);
  EXPECT_EQ(store.KeepAlive(lease).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(store.Get("/leader").value().has_value());
  EXPECT_EQ(store.Get("/kept").value()->value, "x");
  EXPECT_EQ(store.calls(), 10);
}

}  // namespace
}  // namespace mysqlset::testing
