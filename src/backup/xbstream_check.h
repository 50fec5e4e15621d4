#pragma once
// Checks a mariabackup xbstream as it goes by, without unpacking it: every chunk whole, its
// magic, type and path length as mbstream reads them, each payload's CRC-32 (the checksum
// mbstream verifies) and each file's chunks in order, and the stream ending between chunks.
// Keeps the payload of the few small files asked for (the binlog position). So `mysqlset
// backup` proves the stream it compresses would unpack, at the cost of one CRC pass in
// memory instead of writing the backup out to disk once more. Not thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace mysqlset::backup {

class XbstreamCheck {
 public:
  // `keep`: paths (as the stream names them) whose contents Contents() returns.
  explicit XbstreamCheck(std::vector<std::string> keep = {});

  // The next bytes of the stream, in any slicing. The first error is sticky.
  Status Feed(std::string_view data);
  // The stream ended: OK only between chunks.
  Status Finish();

  // The contents of a kept path; empty if the stream had none.
  std::string Contents(const std::string& path) const;
  uint64_t chunks() const { return chunks_; }
  uint64_t files() const { return files_; }

 private:
  enum class Phase { kConst, kPath, kPayloadHeader, kPayload };
  Status Fail(Status st);
  Status EndHeaderPart();  // header_ holds the part `phase_` reads: act on it
  Status EndPayload();
  Status StartChunk();

  std::vector<std::string> keep_;
  std::map<std::string, std::string> kept_;
  std::unordered_map<std::string, uint64_t> next_offset_;  // per open file
  Phase phase_ = Phase::kConst;
  size_t need_ = 14;    // bytes of the current header part
  std::string header_;  // the current header part, as far as it came
  char type_ = 0;
  std::string path_;
  uint64_t remaining_ = 0;  // payload bytes still to come
  uint32_t crc_ = 0;
  uint32_t expected_crc_ = 0;
  bool keeping_ = false;
  uint64_t consumed_ = 0;
  uint64_t chunk_start_ = 0;
  uint64_t chunks_ = 0;
  uint64_t files_ = 0;
  Status error_;
};

}  // namespace mysqlset::backup
