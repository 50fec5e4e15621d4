#pragma once
// The documents of a backup repository (docs/backup.md): one folder per backup,
// backups/<ID>/, holding its objects, then manifest.json, written LAST (a folder without one
// is an unfinished upload and is never listed), and verified.json once a restore of it
// started and was checked. The manifest is immutable; fields may be added, none removed or
// renamed. A run that failed after opening the repository leaves failures/<ID>/failure.json
// instead, outside every backup's folder (the backup-failure metrics read it). Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/from_json.h"

namespace mysqlset::formats {

inline constexpr int kBackupFormatVersion = 1;
inline constexpr const char* kBackupsPrefix = "backups";
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kVerifiedName = "verified.json";
// The one object of a physical backup: mariabackup's xbstream, zstd-compressed.
inline constexpr const char* kXbstreamObject = "data.xbstream.zst";
inline constexpr const char* kFailuresPrefix = "failures";
inline constexpr const char* kFailureName = "failure.json";

struct BackupObject {
  std::string name;    // relative to the backup's folder: "data.xbstream.zst"
  uint64_t bytes = 0;  // stored size
  std::string sha256;  // of the stored bytes, lowercase hex
};

struct BackupManifest {
  int format_version = kBackupFormatVersion;
  std::string id;             // "20261130T110500Z-mysql-1": also the folder name
  std::string cluster;        // the cluster's name
  std::string source_member;  // the member that streamed it, "mysql-1"
  std::string gtid;           // the backup's GTID position ("" when the source had none)
  int64_t started_at_unix = 0;
  int64_t finished_at_unix = 0;
  uint64_t stream_bytes = 0;  // uncompressed xbstream payload
  std::string compression = "zstd";
  std::vector<BackupObject> objects;
};

// The record that a restore of the backup started and was checked (mysqlset restore).
struct BackupVerification {
  std::string backup_id;
  int64_t verified_at_unix = 0;
  std::string gtid;  // the GTID the restored server reported; equals the manifest's
  std::string how;   // "restore into /path: mariadbd started, tables checked"
};

// The record a failed `mysqlset backup` leaves (docs/backup.md "Failure records"). Never a
// secret: the error line is the one the run printed.
struct BackupFailure {
  int format_version = kBackupFormatVersion;
  std::string id;  // FailureIdOf the run: also its folder, failures/<id>/
  std::string cluster;
  std::string source_member;
  int64_t started_at_unix_ms = 0;
  int64_t ended_at_unix_ms = 0;
  std::string error;  // one line
};

// "backups/<id>/<name>": keys in the repository.
std::string BackupKey(std::string_view id, std::string_view name);

// "failures/<id>/failure.json".
std::string FailureKey(std::string_view id);

// A backup id from its start time and source: "20261130T110500Z-mysql-1". Ids sort by time.
std::string BackupIdOf(int64_t started_at_unix, std::string_view source_member);

// A failure record's id: the run's backup id and the milliseconds of its start,
// "20261130T110500Z-mysql-1.042", so that runs failing within one second keep a record each.
// As text, ids sort by the start's second and then by member (mysql-0.900 before mysql-1.100);
// FailureIdsNewestFirst orders them by start time.
std::string FailureIdOf(int64_t started_at_unix_ms, std::string_view source_member);

// Failure ids by start time, the newest first (within a millisecond, by member). An id not
// of FailureIdOf's form sorts by its text after the others.
void FailureIdsNewestFirst(std::vector<std::string>& ids);

std::string ToJson(const BackupManifest& m);
// Requires format_version (this version or older), id, and objects each with a name and a
// 64-hex-digit sha256; a later format version is refused with a line saying to upgrade.
template <>
Result<BackupManifest> FromJson<BackupManifest>(std::string_view text);

std::string ToJson(const BackupVerification& v);
template <>
Result<BackupVerification> FromJson<BackupVerification>(std::string_view text);

// Requires format_version (this version or older) and a plain id.
std::string ToJson(const BackupFailure& f);
template <>
Result<BackupFailure> FromJson<BackupFailure>(std::string_view text);

}  // namespace mysqlset::formats
