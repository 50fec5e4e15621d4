#pragma once
// DATA/.mysqlset-drained.json: what a replica's agent recorded when it was stopped cleanly
// after applying everything it had received from the leader (agent/agent.h DrainOnStop).
// A restart purges the relay log, so without it a restarted sync replica is never promoted
// (core/failover.cc); with it, a cold restart of a cleanly stopped cluster can still fail
// over to the sync replica when the last leader's data is gone. Read and removed by the
// next agent at its server's first answer. Fields may be added, none removed or renamed.

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/from_json.h"

namespace mysqlset::formats {

struct DrainRecord {
  std::string leader;  // the member it streamed from
  uint64_t epoch = 0;  // that leader's epoch
  std::string gtid;    // its IO position when the IO thread stopped, all of it applied
};

// DATA/.mysqlset-drained.json for the data volume DATA.
std::string DrainRecordPath(const std::string& data_dir);

std::string ToJson(const DrainRecord& r);
// Requires "leader" (non-empty), an unsigned "epoch" and a "gtid" string holding a GTID list.
template <>
Result<DrainRecord> FromJson<DrainRecord>(std::string_view text);

}  // namespace mysqlset::formats
