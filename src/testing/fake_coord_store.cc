#include "testing/fake_coord_store.h"

#include <algorithm>

namespace mysqlset {

Status FakeCoordStore::Enter() {
  ++calls_;
  ExpireLeases();
  if (unavailable_) return Unavailable("fake coordination store: unavailable");
  return Status::Ok();
}

void FakeCoordStore::ExpireLeases() {
  const auto now = clock_->Now();
  for (auto it = leases_.begin(); it != leases_.end();) {
    LeaseId id = it->first;
    bool expired = it->second.expires <= now;
    ++it;
    if (expired) DeleteLeaseLocked(id);
  }
}

void FakeCoordStore::DeleteLeaseLocked(LeaseId id) {
  leases_.erase(id);
  // etcd revokes a lease in one write: its keys go at one new revision.
  std::vector<TxnOp> deletes;
  for (const auto& [key, kv] : kvs_) {
    if (kv.lease == id) deletes.push_back(TxnOp::Delete(key));
  }
  Apply(deletes);
}

Result<LeaseId> FakeCoordStore::GrantLease(int64_t ttl_seconds) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  ttl_seconds = std::max<int64_t>(ttl_seconds, 2);  // etcd's minimum TTL
  LeaseId id = next_lease_++;
  leases_[id] = {ttl_seconds, clock_->Now() + std::chrono::seconds(ttl_seconds)};
  return id;
}

Result<int64_t> FakeCoordStore::KeepAlive(LeaseId lease) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  auto it = leases_.find(lease);
  if (it == leases_.end()) return NotFound("lease {:x} not found (expired or revoked)", lease);
  it->second.expires = clock_->Now() + std::chrono::seconds(it->second.ttl_seconds);
  return it->second.ttl_seconds;
}

Status FakeCoordStore::RevokeLease(LeaseId lease) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  if (leases_.count(lease)) DeleteLeaseLocked(lease);
  return Status::Ok();
}

Result<std::optional<StoredValue>> FakeCoordStore::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  auto it = kvs_.find(key);
  if (it == kvs_.end()) return std::optional<StoredValue>();
  return std::optional<StoredValue>(it->second);
}

Result<std::vector<StoredValue>> FakeCoordStore::List(const std::string& prefix) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  std::vector<StoredValue> out;
  for (auto it = kvs_.lower_bound(prefix); it != kvs_.end() && it->first.starts_with(prefix);
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

Status FakeCoordStore::Put(const std::string& key, const std::string& value, LeaseId lease) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  std::vector<TxnOp> ops = {TxnOp::Put(key, value, lease)};
  RETURN_IF_ERROR(CheckLeases(ops));
  Apply(ops);
  return Status::Ok();
}

Status FakeCoordStore::Delete(const std::string& key) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  Apply({TxnOp::Delete(key)});
  return Status::Ok();
}

Result<bool> FakeCoordStore::Txn(const std::vector<TxnCompare>& compares,
                                 const std::vector<TxnOp>& ops) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter());
  for (const TxnCompare& c : compares) {
    if (!Holds(c)) return false;
  }
  RETURN_IF_ERROR(CheckLeases(ops));
  Apply(ops);
  return true;
}

bool FakeCoordStore::Holds(const TxnCompare& c) const {
  auto it = kvs_.find(c.key);
  // etcd (apply.go applyCompare): a value compare on an absent key always fails; the other
  // fields of an absent key are 0.
  if (it == kvs_.end() && c.field == TxnCompare::Field::kValue) return false;
  StoredValue absent;
  const StoredValue& kv = it == kvs_.end() ? absent : it->second;
  switch (c.field) {
    case TxnCompare::Field::kCreateRevision:
      return kv.create_revision == c.number;
    case TxnCompare::Field::kModRevision:
      return kv.mod_revision == c.number;
    case TxnCompare::Field::kLease:
      return kv.lease == c.number;
    case TxnCompare::Field::kValue:
      return kv.value == c.value;
  }
  return false;
}

Status FakeCoordStore::CheckLeases(const std::vector<TxnOp>& ops) const {
  for (const TxnOp& op : ops) {
    if (op.kind == TxnOp::Kind::kPut && op.lease != 0 && !leases_.count(op.lease)) {
      return NotFound("put {}: lease {:x} not found", op.key, op.lease);
    }
  }
  return Status::Ok();
}

void FakeCoordStore::Apply(const std::vector<TxnOp>& ops) {
  const int64_t rev = revision_ + 1;
  bool changed = false;
  for (const TxnOp& op : ops) {
    auto it = kvs_.find(op.key);
    if (op.kind == TxnOp::Kind::kDelete) {
      if (it == kvs_.end()) continue;  // deleting nothing writes nothing, as in etcd
      kvs_.erase(it);
    } else {
      StoredValue& kv = kvs_[op.key];
      if (it == kvs_.end()) kv = {op.key, {}, 0, rev, 0};
      kv.value = op.value;
      kv.lease = op.lease;
      kv.mod_revision = rev;
    }
    changed = true;
  }
  if (changed) revision_ = rev;
}

void FakeCoordStore::SetUnavailable(bool unavailable) {
  std::lock_guard lock(mu_);
  unavailable_ = unavailable;
}

void FakeCoordStore::SimulateRestart() {
  std::lock_guard lock(mu_);
  ExpireLeases();
  for (auto& [id, lease] : leases_) {
    lease.expires = clock_->Now() + std::chrono::seconds(lease.ttl_seconds);
  }
}

int64_t FakeCoordStore::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

int FakeCoordStore::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

}  // namespace mysqlset
