#include "formats/binlog_segment.h"

#include <ctime>
#include <map>

#include "common/json_fields.h"
#include "core/gtid.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {
namespace {

bool IsPlainName(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s != "." && s != "..";
}

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

uint64_t LittleEndian(std::string_view b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// MariaDB's binlog event layout: a 19-byte header (timestamp 4, type 1, server_id 4, size 4,
// next position 4, flags 2), then the body.
constexpr size_t kHeaderBytes = 19;
constexpr int kFormatDescriptionEvent = 15;
constexpr int kGtidEvent = 162;
constexpr int kGtidListEvent = 163;
constexpr int kMaxEventsBeforeGtidList = 8;
constexpr int kMaxEventsScanned = 64;

}  // namespace

std::string SegmentKey(std::string_view id, std::string_view name) {
  return fmt::format("{}/{}/{}", kBinlogsPrefix, id, name);
}

std::string SegmentIdOf(int64_t start_unix, std::string_view member, std::string_view file) {
  const time_t t = static_cast<time_t>(start_unix);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return fmt::format("{}-{}-{}", buf, member, file);
}

std::string ToJson(const BinlogSegment& s) {
  const nlohmann::json j = {{"format_version", s.format_version},
                            {"id", s.id},
                            {"cluster", s.cluster},
                            {"member", s.member},
                            {"file", s.file},
                            {"start_gtid", s.start_gtid},
                            {"end_gtid", s.end_gtid},
                            {"start_unix", s.start_unix},
                            {"end_unix", s.end_unix},
                            {"bytes", s.bytes},
                            {"sha256", s.sha256}};
  return j.dump(2) + "\n";
}

template <>
Result<BinlogSegment> FromJson<BinlogSegment>(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("binlog segment: expected a JSON object");
  BinlogSegment s;
  try {
    RequireIntegerFields(j, {"format_version", "start_unix", "end_unix", "bytes"});
    s.format_version = j.value("format_version", 0);
    if (s.format_version < 1 || s.format_version > kSegmentFormatVersion) {
      return InvalidArgument(
          "binlog segment: format_version {} is not one this mysqlset reads (up to {}): use "
          "the mysqlset release that wrote it, or a later one",
          s.format_version, kSegmentFormatVersion);
    }
    s.id = j.value("id", "");
    s.cluster = j.value("cluster", "");
    s.member = j.value("member", "");
    s.file = j.value("file", "");
    if (!IsPlainName(s.id) || !IsPlainName(s.file)) {
      return InvalidArgument("binlog segment: no valid \"id\" or \"file\"");
    }
    s.start_gtid = j.value("start_gtid", "");
    s.end_gtid = j.value("end_gtid", "");
    if (!GtidList::Parse(s.start_gtid).ok() || !GtidList::Parse(s.end_gtid).ok()) {
      return InvalidArgument("binlog segment {}: a GTID range is not a GTID list", s.id);
    }
    s.start_unix = j.value("start_unix", int64_t{0});
    s.end_unix = j.value("end_unix", int64_t{0});
    s.bytes = j.value("bytes", uint64_t{0});
    s.sha256 = j.value("sha256", "");
    if (!IsSha256Hex(s.sha256)) return InvalidArgument("binlog segment {}: no valid sha256", s.id);
  } catch (const std::exception& e) {
    return InvalidArgument("binlog segment: {}", e.what());
  }
  return s;
}

Result<BinlogHead> ParseBinlogHead(std::string_view b) {
  if (b.size() < 4 || b.substr(0, 4) != std::string_view("\xfe"
                                                         "bin",
                                                         4)) {
    return InvalidArgument("not a binlog file (no magic number)");
  }
  BinlogHead head;
  bool have_list = false;
  size_t at = 4;
  for (int n = 0; n < kMaxEventsScanned; ++n) {
    if (!have_list && n >= kMaxEventsBeforeGtidList) break;
    if (at + kHeaderBytes > b.size()) break;
    const int64_t when = static_cast<int64_t>(LittleEndian(b, at, 4));
    const int type = static_cast<unsigned char>(b[at + 4]);
    const uint64_t server_id = LittleEndian(b, at + 5, 4);
    const uint64_t size = LittleEndian(b, at + 9, 4);
    if (size < kHeaderBytes || at + size > b.size()) break;
    const size_t body = at + kHeaderBytes;
    if (n == 0) {
      if (type != kFormatDescriptionEvent) {
        return InvalidArgument("binlog file does not start with a format description event");
      }
      head.created_unix = when;
    }
    if (type == kGtidListEvent && !have_list) {
      // Body: count (low 28 bits of 4 bytes), then per GTID domain 4, server_id 4, seq 8.
      if (body + 4 > at + size) break;
      const uint64_t count = LittleEndian(b, body, 4) & 0x0fffffff;
      if (body + 4 + count * 16 > at + size) break;
      // The binlog state lists a domain once per server that wrote in it; its position is
      // the highest sequence number (as @@gtid_binlog_pos shows it).
      std::map<uint32_t, Gtid> by_domain;
      for (uint64_t i = 0; i < count; ++i) {
        const size_t g = body + 4 + i * 16;
        const Gtid gtid{static_cast<uint32_t>(LittleEndian(b, g, 4)),
                        static_cast<uint32_t>(LittleEndian(b, g + 4, 4)),
                        LittleEndian(b, g + 8, 8)};
        auto [it, added] = by_domain.emplace(gtid.domain, gtid);
        if (!added && gtid.seq > it->second.seq) it->second = gtid;
      }
      for (const auto& [domain, g] : by_domain) {
        if (!head.gtid_list.empty()) head.gtid_list += ",";
        head.gtid_list += fmt::format("{}-{}-{}", g.domain, g.server_id, g.seq);
      }
      have_list = true;
    } else if (type == kGtidEvent && have_list) {
      // Body: seq 8, domain 4, flags ...
      if (body + 12 > at + size) break;
      head.first_gtid = fmt::format("{}-{}-{}", LittleEndian(b, body + 8, 4), server_id,
                                    LittleEndian(b, body, 8));
      return head;
    }
    at += size;
  }
  if (!have_list) return InvalidArgument("binlog file ends before its Gtid_list event");
  return head;
}

}  // namespace mysqlset::formats
