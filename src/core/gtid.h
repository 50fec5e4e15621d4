#pragma once
// MariaDB GTID positions ("0-100-7,1-101-3"). Pure parsing and comparison.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mysqlset {

struct Gtid {
  uint32_t domain = 0;
  uint32_t server_id = 0;
  uint64_t seq = 0;
  bool operator==(const Gtid&) const = default;
};

// The items of a GTID list in any order, a domain possibly more than once, as in
// @@gtid_binlog_state ("0-100-7,0-101-3"). Rejects malformed items.
Result<std::vector<Gtid>> ParseGtidItems(std::string_view text);

// One GTID per domain, sorted by domain.
class GtidList {
 public:
  GtidList() = default;
  // Accepts "", "0-100-7", "0-100-7,1-101-3" with optional spaces/newlines. Rejects
  // malformed items and a domain listed twice.
  static Result<GtidList> Parse(std::string_view text);

  const std::vector<Gtid>& gtids() const { return gtids_; }
  bool empty() const { return gtids_.empty(); }
  // Sequence number reached in `domain`, 0 if absent.
  uint64_t SeqOf(uint32_t domain) const;
  // True when every domain of `other` is reached here with at least its seq.
  bool Covers(const GtidList& other) const;
  // Sum over domains of how far `other` is ahead of this list.
  uint64_t TransactionsBehind(const GtidList& other) const;
  std::string ToString() const;
  bool operator==(const GtidList&) const = default;

 private:
  std::vector<Gtid> gtids_;
};

}  // namespace mysqlset
