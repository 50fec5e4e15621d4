#pragma once
// The binlog archive of a backup repository (docs/backup.md "Binlog archive"): one folder per
// archived binlog file, binlogs/<ID>/, holding the file itself and then segment.json, written
// LAST (a folder without one is an unfinished upload and is never read). A segment is indexed
// by its GTID range (the binlog state before its first and after its last transaction) and
// its time range (when the file was opened and closed, by the server's clock). Also the few
// bytes of a binlog file's head that give those ranges. Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "formats/from_json.h"

namespace mysqlset::formats {

inline constexpr int kSegmentFormatVersion = 1;
inline constexpr const char* kBinlogsPrefix = "binlogs";
inline constexpr const char* kSegmentName = "segment.json";

struct BinlogSegment {
  int format_version = kSegmentFormatVersion;
  std::string id;  // "20261130T110500Z-mysql-1-mysql-bin.000003": the folder name
  std::string cluster;
  std::string member;      // the primary that archived it
  std::string file;        // "mysql-bin.000003": also the object's name in the folder
  std::string start_gtid;  // binlog state before its first transaction (its Gtid_list event)
  std::string end_gtid;    // ... after its last (the next file's Gtid_list event)
  int64_t start_unix = 0;  // the file was opened (its format description event)
  int64_t end_unix = 0;    // ... and closed (the next file's format description event)
  uint64_t bytes = 0;
  std::string sha256;  // of the stored bytes, lowercase hex
};

// "binlogs/<id>/<name>".
std::string SegmentKey(std::string_view id, std::string_view name);
// "<start time>-<member>-<file>": ids sort by time, and a file name reused after a re-clone
// or by another member never collides.
std::string SegmentIdOf(int64_t start_unix, std::string_view member, std::string_view file);

std::string ToJson(const BinlogSegment& s);
// Requires format_version (this version or older), id, file (plain names), GTID lists and a
// 64-hex-digit sha256.
template <>
Result<BinlogSegment> FromJson<BinlogSegment>(std::string_view text);

// What the head of a binlog file says: when the server opened it, and the binlog state
// before its first transaction.
struct BinlogHead {
  int64_t created_unix = 0;  // the format description event's timestamp
  std::string gtid_list;     // the Gtid_list event's GTIDs, "0-1-42,1-2-7" ("" when none)
  // The first transaction's GTID when the bytes given hold it ("" none seen). A replica's
  // first file after a clone lists an empty state, yet starts past the clone's position:
  // this says where it really starts.
  std::string first_gtid;
};
// Parses the magic, the format description event, the events up to the Gtid_list event,
// and on to the first GTID event if `bytes` hold it. kInvalidArgument when `bytes` is not a binlog
// or ends before the Gtid_list event.
Result<BinlogHead> ParseBinlogHead(std::string_view bytes);

}  // namespace mysqlset::formats
