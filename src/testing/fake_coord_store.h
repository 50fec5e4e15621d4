#pragma once
// A stateful in-memory CoordStore that behaves like etcd 3.4 for everything mysqlset uses:
// one revision counter (a write or a successful txn that writes bumps it once), leases that
// expire when the clock passes their TTL (deleting their keys), and txn compares with etcd's
// rules. tests/integration/etcd_contract_test.cc runs the same cases against it and a real
// etcd, so a unit test that passes against the fake means the same against etcd.
//
// etcd rules kept here (HA.md, checked by the contract tests):
// - a lease's TTL is at least 2 s (a smaller request is raised to 2);
// - KeepAlive or a put on a lease that is gone: kNotFound; revoking a gone lease: OK;
// - a compare on an absent key sees create_revision, mod_revision and lease 0, but a value
//   compare on an absent key always fails (even against "").
// Thread-safe (one mutex); the clock must outlive the store.

#include <map>
#include <mutex>

#include "env/clock.h"
#include "env/coord_store.h"

namespace mysqlset {

class FakeCoordStore : public CoordStore {
 public:
  explicit FakeCoordStore(const Clock* clock) : clock_(clock) {}

  Result<LeaseId> GrantLease(int64_t ttl_seconds) override;
  Result<int64_t> KeepAlive(LeaseId lease) override;
  Status RevokeLease(LeaseId lease) override;
  Result<std::optional<StoredValue>> Get(const std::string& key) override;
  Result<std::vector<StoredValue>> List(const std::string& prefix) override;
  Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) override;
  Status Delete(const std::string& key) override;
  Result<bool> Txn(const std::vector<TxnCompare>& compares, const std::vector<TxnOp>& ops) override;

  // While true every call fails with kUnavailable (a lost store) and nothing changes;
  // leases keep expiring with the clock, as they would in a store nobody can reach.
  void SetUnavailable(bool unavailable);
  // What an etcd restart does to leases (etcd#9395): each live one gets its full TTL back.
  void SimulateRestart();
  // The store's current revision (1 when nothing was ever written, as etcd).
  int64_t revision() const;
  // Calls made so far (including failed ones), for tests that check a loop's budget.
  int calls() const;

 private:
  struct Lease {
    int64_t ttl_seconds = 0;
    std::chrono::steady_clock::time_point expires;
  };
  // Everything below REQUIRES: mu_ held.
  Status Enter();       // counts the call, expires leases, reports unavailability
  void ExpireLeases();  // deletes expired leases and their keys (one revision each)
  void DeleteLeaseLocked(LeaseId id);
  bool Holds(const TxnCompare& c) const;
  Status CheckLeases(const std::vector<TxnOp>& ops) const;
  void Apply(const std::vector<TxnOp>& ops);  // at one new revision, if it writes anything

  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, StoredValue> kvs_;
  std::map<LeaseId, Lease> leases_;
  int64_t revision_ = 1;
  LeaseId next_lease_ = 0x694d2b3c5a1e0001;  // etcd's ids are large; keep them so
  bool unavailable_ = false;
  int calls_ = 0;
};

}  // namespace mysqlset
