#pragma once
// DATA/.mysqlset-clone.json: what a finished clone recorded beside the datadir. Written once
// by the clone receiver before the datadir is installed; read by the agent, which starts
// replication from "gtid". Fields may be added, none removed or renamed (DESIGN.md).

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/from_json.h"

namespace mysqlset::formats {

struct CloneRecord {
  std::string donor;          // the donor's pod name, "mysql-1"
  std::string donor_address;  // "HOST:PORT" of its backup port
  std::string gtid;           // the backup's GTID position; "" when the donor had none
  uint64_t bytes = 0;         // backup payload received
  double seconds = 0;         // stream, prepare and install
  int64_t completed_at_unix = 0;
};

// DATA/.mysqlset-clone.json for the data volume DATA.
std::string CloneRecordPath(const std::string& data_dir);

std::string ToJson(const CloneRecord& r);
// Requires a "gtid" string holding a GTID list (possibly empty); the other fields default.
template <>
Result<CloneRecord> FromJson<CloneRecord>(std::string_view text);

}  // namespace mysqlset::formats
