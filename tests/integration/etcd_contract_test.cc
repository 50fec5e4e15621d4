// The CoordStore contract (src/testing/coord_store_contract.h) against a real etcd, which
// this test starts on loopback: EtcdStore must behave as the fake the unit tests use. Plus
// what only a real server shows: a kill -9 and restart on the same data, and how fast a call
// gives up when etcd is dead or frozen.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "etcd/etcd_store.h"
#include "testing/coord_store_contract.h"
#include "tests/integration/etcd_harness.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// One etcd shared by every case (each works under its own prefix).
class RealEtcdBackend {
 public:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    etcd_ = StartEtcd(dir_->path() + "/etcd").release();
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() {
    ASSERT_NE(etcd_, nullptr) << "etcd did not start (is etcd-server installed? "
                                 "scripts/setup.sh):\n"
                              << EtcdLogTail(dir_->path() + "/etcd");
    if (!etcd_->running()) {
      ASSERT_TRUE(etcd_->Start()) << EtcdLogTail(dir_->path() + "/etcd");
    }
    store_ = etcd::OpenEtcdStore(etcd_->endpoint(), milliseconds(1000)).value();
  }
  CoordStore& store() { return *store_; }
  void Pass(milliseconds d) { std::this_thread::sleep_for(d); }
  void Crash() { etcd_->Kill(SIGKILL); }
  void Restart() { ASSERT_TRUE(etcd_->Start()) << EtcdLogTail(dir_->path() + "/etcd"); }

  static EtcdProcess* etcd() { return etcd_; }

 private:
  static inline TempDir* dir_ = nullptr;
  static inline EtcdProcess* etcd_ = nullptr;
  std::unique_ptr<CoordStore> store_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(RealEtcd, CoordStoreContract, RealEtcdBackend);

// The rest need an etcd of their own, which they stop or freeze.
class EtcdStoreRealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = StartEtcd(tmp_.path() + "/etcd");
    ASSERT_NE(etcd_, nullptr) << EtcdLogTail(tmp_.path() + "/etcd");
  }
  template <typename F>
  static double SecondsFor(F f) {
    const auto start = steady_clock::now();
    f();
    return std::chrono::duration<double>(steady_clock::now() - start).count();
  }

  TempDir tmp_;
  std::unique_ptr<EtcdProcess> etcd_;
};

TEST_F(EtcdStoreRealTest, DeadEtcdIsUnavailableAtOnceAndFrozenEtcdWithinTheTimeout) {
  auto store = etcd::OpenEtcdStore(etcd_->endpoint(), milliseconds(500)).value();
  ASSERT_TRUE(store->Put("/k", "v").ok());

  etcd_->Kill(SIGSTOP);  // accepts connections (the kernel does), answers nothing
  Status frozen_get, frozen_txn;
  EXPECT_LT(SecondsFor([&] { frozen_get = store->Get("/k").status(); }), 2.0);
  EXPECT_EQ(frozen_get.code(), StatusCode::kUnavailable) << frozen_get.ToString();
  EXPECT_LT(SecondsFor([&] { frozen_txn = store->Txn({}, {TxnOp::Put("/k", "w")}).status(); }),
            2.0);
  EXPECT_EQ(frozen_txn.code(), StatusCode::kUnavailable) << frozen_txn.ToString();
  EXPECT_NE(frozen_txn.message().find("outcome unknown"), std::string::npos);
  etcd_->Kill(SIGCONT);

  etcd_->Kill(SIGKILL);
  Status dead;
  EXPECT_LT(SecondsFor([&] { dead = store->Put("/k", "x"); }), 0.5);
  EXPECT_EQ(dead.code(), StatusCode::kUnavailable) << dead.ToString();
  EXPECT_NE(dead.message().find("no endpoint answered (" + etcd_->endpoint() + ")"),
            std::string::npos)
      << dead.message();
}

TEST_F(EtcdStoreRealTest, DeadEndpointsAreSkipped) {
  // Two endpoints where nothing listens, before and after the live one.
  const std::string dead1 = "http://127.0.0.1:" + std::to_string(FreePort());
  const std::string dead2 = "http://127.0.0.1:" + std::to_string(FreePort());
  auto store =
      etcd::OpenEtcdStore(dead1 + "," + etcd_->endpoint() + "," + dead2, milliseconds(1000))
          .value();
  double took = SecondsFor([&] {
    ASSERT_TRUE(store->Put("/k", "v").ok());
    auto won = store->Txn({TxnCompare::Value("/k", "v")}, {TxnOp::Put("/k", "w")});
    ASSERT_TRUE(won.ok()) << won.status().ToString();
    EXPECT_TRUE(*won);
    auto got = store->Get("/k");
    ASSERT_TRUE(got.ok() && got->has_value()) << got.status().ToString();
    EXPECT_EQ((*got)->value, "w");
  });
  EXPECT_LT(took, 1.0);
}

}  // namespace
}  // namespace mysqlset::testing
