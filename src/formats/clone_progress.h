#pragma once
// DATA/.mysqlset-clone-progress.json: how far a running clone is. Rewritten about once a
// second by the clone receiver, removed when the clone ends; the local CLI draws a progress
// bar from it. Advisory. Fields may be added, none removed or renamed (DESIGN.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/from_json.h"

namespace mysqlset::formats {

struct CloneProgress {
  std::string donor;
  std::string phase;             // "stream", "prepare", "install"
  uint64_t bytes = 0;            // received so far
  uint64_t estimated_bytes = 0;  // 0: unknown
  double rate_bytes_per_s = 0;
  std::optional<double> eta_seconds;  // null: unknown
};

// DATA/.mysqlset-clone-progress.json for the data volume DATA.
std::string CloneProgressPath(const std::string& data_dir);

std::string ToJson(const CloneProgress& p);
// Every field is optional (defaults above).
template <>
Result<CloneProgress> FromJson<CloneProgress>(std::string_view text);

}  // namespace mysqlset::formats
