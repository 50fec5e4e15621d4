#pragma once
// How much room a clone needs on the data volume. Pure. The streamed backup is not all of
// it: mariadbd preallocates the redo log (ib_logfile0, innodb_log_file_size bytes) when it
// first starts from the clone, and mariabackup does not stream that file. A check that
// counted only the backup passed on a nearly full disk, and then mariadbd failed to
// preallocate ib_logfile0.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mysqlset {

// MariaDB 10.11's default innodb_log_file_size (96 MiB), used when no option file sets it.
inline constexpr uint64_t kDefaultInnodbLogFileSize = uint64_t{96} << 20;

// "100663296", "96M", "1g", "512K", "1T" -> bytes. kInvalidArgument otherwise.
Result<uint64_t> ParseByteSize(std::string_view text);

// innodb_log_file_size (or innodb-log-file-size) from option-file texts, read in order the
// way mariadbd does (a later setting wins), server groups only ([mariadbd], [mysqld],
// [server], [mariadb]). nullopt when none sets it; kInvalidArgument naming the value when
// one is garbled.
Result<std::optional<uint64_t>> InnodbLogFileSize(const std::vector<std::string>& cnf_texts);

// Bytes a clone needs free: the backup's estimated size plus the redo log.
uint64_t CloneSpaceNeeded(uint64_t estimated_backup_bytes, uint64_t redo_log_bytes);

// "512 B", "3.0 MiB", "1.5 GiB".
std::string HumanBytes(uint64_t bytes);

// A filesystem's space, as statvfs(2) gives it to writers without root's reserve.
struct VolumeSpace {
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
  bool operator==(const VolumeSpace&) const = default;
};

// Below this much free, status warns about the data volume: 5 % of it, at least 64 MiB and
// at most 1 GiB.
uint64_t DataVolumeLowBytes(uint64_t total_bytes);

// mariadbd does not fail on a full data volume: it waits for space, so writes hang and a
// replica stops replicating without an error, and from outside the member just looks
// unreachable. So status says it first: "" while there is room, else one line for
// `mysqlset status` (and its --json): "data volume nearly full: 40.0 MiB free of 1.0 GiB ..."
// (below DataVolumeLowBytes) or "data volume full: ..." (under 1 MiB free).
std::string DataVolumeWarning(const VolumeSpace& v);

}  // namespace mysqlset
