#pragma once
// The coordination store: keys with leases and compare-and-swap transactions (etcd v3's
// model). Who leads, which members are alive and which switchover was asked for live here;
// mysqlset never runs a consensus of its own (HA.md). Real: etcd/etcd_store.h over etcd's
// v3 JSON gateway; fake: testing/fake_coord_store.h (stateful, with a controllable clock).
//
// Errors: kUnavailable when no endpoint answered (the caller treats the store as lost for
// this tick); kNotFound from KeepAlive when the lease is gone. Reads are linearizable.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mysqlset {

using LeaseId = int64_t;  // 0: no lease

struct StoredValue {
  std::string key;
  std::string value;
  LeaseId lease = 0;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  bool operator==(const StoredValue&) const = default;
};

// One comparison of a transaction (always "equal"). A key that does not exist has
// create_revision, mod_revision and lease 0; a value compare on it always fails, even
// against "" (etcd's rule, checked by the contract tests).
struct TxnCompare {
  enum class Field { kCreateRevision, kModRevision, kValue, kLease };
  std::string key;
  Field field = Field::kCreateRevision;
  int64_t number = 0;  // kCreateRevision, kModRevision, kLease
  std::string value;   // kValue

  static TxnCompare Absent(std::string key) { return {std::move(key), Field::kCreateRevision, 0, {}}; }
  static TxnCompare ModRevision(std::string key, int64_t revision) {
    return {std::move(key), Field::kModRevision, revision, {}};
  }
  static TxnCompare Lease(std::string key, LeaseId lease) {
    return {std::move(key), Field::kLease, lease, {}};
  }
  static TxnCompare Value(std::string key, std::string value) {
    return {std::move(key), Field::kValue, 0, std::move(value)};
  }
};

struct TxnOp {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;  // kPut
  LeaseId lease = 0;  // kPut: the key lives as long as this lease (0: for ever)

  static TxnOp Put(std::string key, std::string value, LeaseId lease = 0) {
    return {Kind::kPut, std::move(key), std::move(value), lease};
  }
  static TxnOp Delete(std::string key) { return {Kind::kDelete, std::move(key), {}, 0}; }
};

class CoordStore {
 public:
  virtual ~CoordStore() = default;

  // A new lease of `ttl_seconds` (etcd's minimum is 2).
  virtual Result<LeaseId> GrantLease(int64_t ttl_seconds) = 0;
  // Renews `lease`; returns the TTL it now has, in seconds. kNotFound when the lease is gone
  // (expired or revoked): every key attached to it is gone too.
  virtual Result<int64_t> KeepAlive(LeaseId lease) = 0;
  // Revokes `lease` and deletes its keys. Revoking a lease that is already gone is OK.
  virtual Status RevokeLease(LeaseId lease) = 0;

  // nullopt when `key` does not exist.
  virtual Result<std::optional<StoredValue>> Get(const std::string& key) = 0;
  // Every key starting with `prefix`, sorted by key.
  virtual Result<std::vector<StoredValue>> List(const std::string& prefix) = 0;
  virtual Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) = 0;
  virtual Status Delete(const std::string& key) = 0;
  // Runs `ops` atomically if every one of `compares` holds. false (and nothing written) when
  // one does not: someone else got there first.
  virtual Result<bool> Txn(const std::vector<TxnCompare>& compares,
                           const std::vector<TxnOp>& ops) = 0;
};

}  // namespace mysqlset
