#pragma once
// The CoordStore contract: one GoogleTest typed suite that every store must pass, run
// against the fake (src/testing/fake_coord_store_test.cc, unit) and against a real etcd
// (tests/integration/etcd_contract_test.cc, integration). What passes here is what the agent
// may rely on, from either.
//
// A Backend (the type parameter) provides:
//   static void SetUpTestSuite(); static void TearDownTestSuite();   (shared servers)
//   CoordStore& store();
//   void Pass(std::chrono::milliseconds d);  // lets store time pass (fake: clock; real: sleep)
//   void Crash();    // the store dies at once (kill -9): every call is kUnavailable
//   void Restart();  // it comes back on the same data
// Each case works under its own key prefix, so cases may share one server.
// Instantiate with INSTANTIATE_TYPED_TEST_SUITE_P(Name, CoordStoreContract, Backend).

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "env/coord_store.h"

namespace mysqlset::testing {

template <typename Backend>
class CoordStoreContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { Backend::SetUpTestSuite(); }
  static void TearDownTestSuite() { Backend::TearDownTestSuite(); }

  CoordStore& store() { return backend_.store(); }
  std::string Key(const std::string& name) const { return prefix_ + name; }
  // The value of `key`, "<absent>" when it does not exist, "<error: ...>" on failure.
  std::string ValueOf(const std::string& key) {
    auto got = store().Get(key);
    if (!got.ok()) return "<error: " + got.status().ToString() + ">";
    return got->has_value() ? (*got)->value : "<absent>";
  }
  // Lets store time pass in 100 ms steps until `key` is gone; false after `limit`.
  bool PassUntilGone(const std::string& key, std::chrono::milliseconds limit) {
    for (auto waited = std::chrono::milliseconds(0); waited <= limit;
         waited += std::chrono::milliseconds(100)) {
      if (ValueOf(key) == "<absent>") return true;
      backend_.Pass(std::chrono::milliseconds(100));
    }
    return false;
  }

  Backend backend_;
  const std::string prefix_ = std::string("/contract/") +
                              ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
};

TYPED_TEST_SUITE_P(CoordStoreContract);

TYPED_TEST_P(CoordStoreContract, PutGetListDelete) {
  CoordStore& s = this->store();
  ASSERT_TRUE(s.Put(this->Key("b"), "2").ok());
  ASSERT_TRUE(s.Put(this->Key("a/2"), "x").ok());
  ASSERT_TRUE(s.Put(this->Key("a/1"), "").ok());  // an empty value is still a key
  ASSERT_TRUE(s.Put(this->Key("a/1"), "one").ok());

  auto got = s.Get(this->Key("a/1"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  const StoredValue a1 = **got;
  EXPECT_EQ(a1.key, this->Key("a/1"));
  EXPECT_EQ(a1.value, "one");
  EXPECT_EQ(a1.lease, 0);
  EXPECT_GT(a1.create_revision, 0);
  EXPECT_GT(a1.mod_revision, a1.create_revision);  // written twice

  auto listed = s.List(this->Key("a/"));
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], a1);
  EXPECT_EQ((*listed)[1].key, this->Key("a/2"));
  EXPECT_EQ((*listed)[1].value, "x");
  auto all = s.List(this->prefix_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto none = s.List(this->Key("c"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(s.Delete(this->Key("a/1")).ok());
  EXPECT_EQ(this->ValueOf(this->Key("a/1")), "<absent>");
  EXPECT_TRUE(s.Delete(this->Key("a/1")).ok());  // deleting nothing is fine
  EXPECT_EQ(this->ValueOf(this->Key("a/2")), "x");
}

TYPED_TEST_P(CoordStoreContract, BinaryAndUnicodeValuesRoundTrip) {
  CoordStore& s = this->store();
  std::string value = "{\"name\":\"mysql-0\"}\n\xc3\xa9\x01";
  value += '\0';
  value += "end";
  ASSERT_TRUE(s.Put(this->Key("weird key é"), value).ok());
  EXPECT_EQ(this->ValueOf(this->Key("weird key é")), value);
}

TYPED_TEST_P(CoordStoreContract, CreateIfAbsentSucceedsOnceAndTheLoserWritesNothing) {
  CoordStore& s = this->store();
  const std::string init = this->Key("initialized"), other = this->Key("other");
  auto first = s.Txn({TxnCompare::Absent(init)}, {TxnOp::Put(init, "mysql-0")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  auto second =
      s.Txn({TxnCompare::Absent(init)}, {TxnOp::Put(init, "mysql-1"), TxnOp::Put(other, "x")});
  ASSERT_TRUE(second.ok()) << second.status().ToString();  // a failed txn is not an error
  EXPECT_FALSE(*second);
  EXPECT_EQ(this->ValueOf(init), "mysql-0");
  EXPECT_EQ(this->ValueOf(other), "<absent>");
}

TYPED_TEST_P(CoordStoreContract, ModRevisionCompareAndSwap) {
  CoordStore& s = this->store();
  const std::string k = this->Key("leader");
  ASSERT_TRUE(s.Put(k, "v1").ok());
  auto got = s.Get(k);
  ASSERT_TRUE(got.ok() && got->has_value());
  const int64_t rev = (*got)->mod_revision;

  auto swapped = s.Txn({TxnCompare::ModRevision(k, rev)}, {TxnOp::Put(k, "v2")});
  ASSERT_TRUE(swapped.ok()) << swapped.status().ToString();
  EXPECT_TRUE(*swapped);
  auto stale = s.Txn({TxnCompare::ModRevision(k, rev)}, {TxnOp::Put(k, "v3")});
  ASSERT_TRUE(stale.ok()) << stale.status().ToString();
  EXPECT_FALSE(*stale);
  EXPECT_EQ(this->ValueOf(k), "v2");
  // An absent key's mod revision is 0.
  auto absent = s.Txn({TxnCompare::ModRevision(this->Key("none"), 0)}, {});
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(*absent);
}

TYPED_TEST_P(CoordStoreContract, TxnWritesShareOneRevisionAndDeletes) {
  CoordStore& s = this->store();
  ASSERT_TRUE(s.Put(this->Key("gone"), "x").ok());
  auto ok = s.Txn({}, {TxnOp::Put(this->Key("x"), "1"), TxnOp::Put(this->Key("y"), "2"),
                       TxnOp::Delete(this->Key("gone"))});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(*ok);
  auto x = s.Get(this->Key("x")), y = s.Get(this->Key("y"));
  ASSERT_TRUE(x.ok() && x->has_value() && y.ok() && y->has_value());
  EXPECT_EQ((*x)->mod_revision, (*y)->mod_revision);
  EXPECT_EQ((*x)->create_revision, (*x)->mod_revision);
  EXPECT_EQ(this->ValueOf(this->Key("gone")), "<absent>");
}

TYPED_TEST_P(CoordStoreContract, ValueAndLeaseCompares) {
  CoordStore& s = this->store();
  const std::string k = this->Key("k");
  auto lease = s.GrantLease(10);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  ASSERT_TRUE(s.Put(k, "mine", *lease).ok());

  auto value_ok = s.Txn({TxnCompare::Value(k, "mine"), TxnCompare::Lease(k, *lease)},
                        {TxnOp::Put(k, "still mine", *lease)});
  ASSERT_TRUE(value_ok.ok()) << value_ok.status().ToString();
  EXPECT_TRUE(*value_ok);
  auto wrong_value = s.Txn({TxnCompare::Value(k, "mine")}, {TxnOp::Delete(k)});
  ASSERT_TRUE(wrong_value.ok());
  EXPECT_FALSE(*wrong_value);
  auto wrong_lease = s.Txn({TxnCompare::Lease(k, 0)}, {TxnOp::Delete(k)});
  ASSERT_TRUE(wrong_lease.ok());
  EXPECT_FALSE(*wrong_lease);
  EXPECT_EQ(this->ValueOf(k), "still mine");

  // An absent key has lease 0; a value compare on it fails even against "" (etcd).
  auto absent_lease = s.Txn({TxnCompare::Lease(this->Key("none"), 0)}, {});
  ASSERT_TRUE(absent_lease.ok());
  EXPECT_TRUE(*absent_lease);
  auto absent_value = s.Txn({TxnCompare::Value(this->Key("none"), "")}, {});
  ASSERT_TRUE(absent_value.ok());
  EXPECT_FALSE(*absent_value);
  EXPECT_TRUE(s.RevokeLease(*lease).ok());
}

TYPED_TEST_P(CoordStoreContract, KeyOnALeaseGoesWhenTheLeaseExpires) {
  CoordStore& s = this->store();
  const std::string k = this->Key("member");
  auto lease = s.GrantLease(2);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  ASSERT_TRUE(s.Put(k, "alive", *lease).ok());
  auto got = s.Get(k);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->lease, *lease);

  auto ttl = s.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(*ttl, 2);
  this->backend_.Pass(std::chrono::milliseconds(500));
  EXPECT_EQ(this->ValueOf(k), "alive");  // not before its TTL

  EXPECT_TRUE(this->PassUntilGone(k, std::chrono::milliseconds(4000)));
  auto after = s.KeepAlive(*lease);
  EXPECT_EQ(after.status().code(), StatusCode::kNotFound) << after.status().ToString();
  // A put on a lease that is gone fails and writes nothing.
  EXPECT_EQ(s.Put(k, "again", *lease).code(), StatusCode::kNotFound);
  EXPECT_EQ(this->ValueOf(k), "<absent>");
  EXPECT_TRUE(s.RevokeLease(*lease).ok());  // already gone: OK
}

TYPED_TEST_P(CoordStoreContract, RevokedLeaseIsDeadAndTakesItsKeys) {
  CoordStore& s = this->store();
  auto lease = s.GrantLease(1);  // raised to etcd's minimum, 2
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  auto ttl = s.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(*ttl, 2);
  ASSERT_TRUE(s.Put(this->Key("a"), "1", *lease).ok());
  ASSERT_TRUE(s.Put(this->Key("b"), "2").ok());

  ASSERT_TRUE(s.RevokeLease(*lease).ok());
  EXPECT_EQ(this->ValueOf(this->Key("a")), "<absent>");
  EXPECT_EQ(this->ValueOf(this->Key("b")), "2");
  auto after = s.KeepAlive(*lease);
  EXPECT_EQ(after.status().code(), StatusCode::kNotFound) << after.status().ToString();
  EXPECT_TRUE(s.RevokeLease(*lease).ok());
  auto txn = s.Txn({}, {TxnOp::Put(this->Key("c"), "3", *lease)});
  EXPECT_EQ(txn.status().code(), StatusCode::kNotFound) << txn.status().ToString();
  EXPECT_EQ(this->ValueOf(this->Key("c")), "<absent>");
}

TYPED_TEST_P(CoordStoreContract, UnavailableWhileDownThenKeysAndLeasesSurviveARestart) {
  CoordStore& s = this->store();
  auto lease = s.GrantLease(5);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  ASSERT_TRUE(s.Put(this->Key("leader"), "mysql-0", *lease).ok());
  ASSERT_TRUE(s.Put(this->Key("initialized"), "yes").ok());

  this->backend_.Crash();
  auto down = s.Get(this->Key("initialized"));
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable) << down.status().ToString();
  EXPECT_EQ(s.KeepAlive(*lease).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.Put(this->Key("x"), "y").code(), StatusCode::kUnavailable);

  this->backend_.Restart();
  EXPECT_EQ(this->ValueOf(this->Key("initialized")), "yes");
  EXPECT_EQ(this->ValueOf(this->Key("leader")), "mysql-0");
  // The lease came back with its full TTL (etcd#9395), so its holder keeps it.
  auto ttl = s.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(*ttl, 5);
  EXPECT_TRUE(s.RevokeLease(*lease).ok());
}

REGISTER_TYPED_TEST_SUITE_P(CoordStoreContract, PutGetListDelete, BinaryAndUnicodeValuesRoundTrip,
                            CreateIfAbsentSucceedsOnceAndTheLoserWritesNothing,
                            ModRevisionCompareAndSwap, TxnWritesShareOneRevisionAndDeletes,
                            ValueAndLeaseCompares, KeyOnALeaseGoesWhenTheLeaseExpires,
                            RevokedLeaseIsDeadAndTakesItsKeys,
                            UnavailableWhileDownThenKeysAndLeasesSurviveARestart);

}  // namespace mysqlset::testing
