#include "backup/xbstream_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "fmt/format.h"

namespace mysqlset::backup {
namespace {

// The chunk layout mariabackup writes and mbstream reads (extra/mariabackup/xbstream.h):
//   "XBSTCK01" flags:1 type:1 path_length:4 path  -- then, unless type is 'E' (a file's end):
//   payload_length:8 payload_offset:8 crc32:4 payload.  Integers little-endian.
constexpr std::string_view kMagic = "XBSTCK01";
constexpr size_t kConstHeader = 8 + 1 + 1 + 4;
constexpr size_t kPayloadHeader = 8 + 8 + 4;
constexpr uint32_t kMaxPath = 512;  // FN_REFLEN: mbstream refuses a path_length at or above it
constexpr uint8_t kIgnorable = 0x01;
constexpr size_t kMaxKept = 64 * 1024;

uint64_t LittleEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

XbstreamCheck::XbstreamCheck(std::vector<std::string> keep) : keep_(std::move(keep)) {}

Status XbstreamCheck::Fail(Status st) {
  error_ = st.Annotate(fmt::format("xbstream chunk at byte {}", chunk_start_));
  return error_;
}

Status XbstreamCheck::Feed(std::string_view data) {
  if (!error_.ok()) return error_;
  while (!data.empty()) {
    if (phase_ == Phase::kPayload) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
      crc_ = crc32_z(crc_, reinterpret_cast<const Bytef*>(data.data()), take);
      if (keeping_) {  // the first kMaxKept bytes, however the stream is sliced
        std::string& kept = kept_[path_];
        kept.append(data.data(), std::min(take, kMaxKept - std::min(kMaxKept, kept.size())));
      }
      remaining_ -= take;
      consumed_ += take;
      data.remove_prefix(take);
      if (remaining_ == 0) RETURN_IF_ERROR(EndPayload());
      continue;
    }
    const size_t take = std::min(need_ - header_.size(), data.size());
    header_.append(data.data(), take);
    consumed_ += take;
    data.remove_prefix(take);
    if (header_.size() == need_) RETURN_IF_ERROR(EndHeaderPart());
  }
  return Status::Ok();
}

Status XbstreamCheck::EndHeaderPart() {
  switch (phase_) {
    case Phase::kConst: {
      if (std::string_view(header_).substr(0, kMagic.size()) != kMagic)
        return Fail(DataLoss("wrong chunk magic (not an xbstream, or out of step)"));
      const uint8_t flags = static_cast<uint8_t>(header_[8]);
      type_ = header_[9];
      if (type_ != 'P' && type_ != 'E' && !(flags & kIgnorable))
        return Fail(DataLoss("unknown chunk type 0x{:02x}", static_cast<uint8_t>(type_)));
      const uint64_t path_length = LittleEndian(header_.data() + 10, 4);
      if (path_length >= kMaxPath) return Fail(DataLoss("path length {} too large", path_length));
      phase_ = Phase::kPath;
      need_ = static_cast<size_t>(path_length);
      header_.clear();
      if (need_ == 0) return EndHeaderPart();
      return Status::Ok();
    }
    case Phase::kPath:
      path_ = header_;
      header_.clear();
      if (type_ == 'E') {  // the file is complete: a later chunk of that path starts anew
        next_offset_.erase(path_);
        return StartChunk();
      }
      phase_ = Phase::kPayloadHeader;
      need_ = kPayloadHeader;
      return Status::Ok();
    case Phase::kPayloadHeader: {
      remaining_ = LittleEndian(header_.data(), 8);
      const uint64_t offset = LittleEndian(header_.data() + 8, 8);
      expected_crc_ = static_cast<uint32_t>(LittleEndian(header_.data() + 16, 4));
      header_.clear();
      if (type_ == 'P') {
        auto [it, opened] = next_offset_.try_emplace(path_, 0);
        if (opened) ++files_;
        if (offset != it->second) {
          return Fail(DataLoss("{}: chunk at offset {}, expected {} (a chunk missing)", path_,
                               offset, it->second));
        }
        it->second = offset + remaining_;
      }
      keeping_ = type_ == 'P' && std::find(keep_.begin(), keep_.end(), path_) != keep_.end();
      if (keeping_ && offset == 0) kept_[path_].clear();  // written anew after its 'E'
      crc_ = crc32_z(0, nullptr, 0);
      phase_ = Phase::kPayload;
      if (remaining_ == 0) return EndPayload();
      return Status::Ok();
    }
    case Phase::kPayload:
      break;
  }
  return Status::Ok();
}

Status XbstreamCheck::EndPayload() {
  // An unknown (ignorable) chunk is skipped whole, as mbstream does; only payloads are checked.
  if (type_ == 'P' && crc_ != expected_crc_) {
    return Fail(
        DataLoss("{}: payload CRC-32 {:08x}, the chunk says {:08x}", path_, crc_, expected_crc_));
  }
  return StartChunk();
}

Status XbstreamCheck::StartChunk() {
  ++chunks_;
  phase_ = Phase::kConst;
  need_ = kConstHeader;
  chunk_start_ = consumed_;
  return Status::Ok();
}

Status XbstreamCheck::Finish() {
  if (!error_.ok()) return error_;
  if (phase_ != Phase::kConst || !header_.empty())
    return Fail(DataLoss("the stream ends inside a chunk (truncated)"));
  if (chunks_ == 0) return Fail(DataLoss("the stream is empty"));
  return Status::Ok();
}

std::string XbstreamCheck::Contents(const std::string& path) const {
  auto it = kept_.find(path);
  return it == kept_.end() ? std::string() : it->second;
}

}  // namespace mysqlset::backup
