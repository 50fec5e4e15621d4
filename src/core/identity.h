#pragma once
// Member identity: which StatefulSet member this is, derived from its pod name.
// Pure: no I/O. The seed took `[[ $(hostname) =~ -([0-9]+)$ ]]` and trusted the rest;
// here every malformed name is refused with a message saying what to fix.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mysqlset {

inline constexpr uint32_t kDefaultServerIdOffset = 100;

struct MemberIdentity {
  std::string pod_name;    // "mysql-2"
  std::string set_name;    // "mysql"
  uint32_t ordinal = 0;    // 2
  uint32_t server_id = 0;  // offset + ordinal
};

// Parses "NAME-N". REQUIRES nothing; returns kInvalidArgument when the name is not a DNS
// label, has no trailing "-N", N has leading zeros or overflows, or offset+N falls outside
// MariaDB's server_id range 1..4294967295.
Result<MemberIdentity> ParseIdentity(std::string_view pod_name,
                                     uint64_t server_id_offset = kDefaultServerIdOffset);

// "mysql-3" for ("mysql", 3).
std::string PodName(std::string_view set_name, uint32_t ordinal);

// Text as shown in errors: printable ASCII, anything else as \xNN, so that a name or path
// with a newline or terminal escapes cannot split or forge a log line.
std::string Printable(std::string_view s);

}  // namespace mysqlset
