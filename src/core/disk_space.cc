#include "core/disk_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace mysqlset {
namespace {

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  const std::string t = Trim(text);
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || p == t.data()) {
    return InvalidArgument("'{}' is not a size (want a number, optionally K, M, G or T)", t);
  }
  const std::string suffix = Lower(std::string(p, t.data() + t.size()));
  static const std::pair<const char*, int> kShifts[] = {
      {"", 0}, {"k", 10}, {"m", 20}, {"g", 30}, {"t", 40}};
  int shift = -1;
  for (const auto& [name, bits] : kShifts) {
    if (suffix == name) shift = bits;
  }
  if (shift < 0) {
    return InvalidArgument("'{}' is not a size (want a number, optionally K, M, G or T)", t);
  }
  if (value > (UINT64_MAX >> shift)) return InvalidArgument("size '{}' is too large", t);
  return value << shift;
}

Result<std::optional<uint64_t>> InnodbLogFileSize(const std::vector<std::string>& cnf_texts) {
  std::optional<uint64_t> size;
  for (const std::string& text : cnf_texts) {
    std::istringstream in(text);
    bool server_group = false;
    for (std::string raw; std::getline(in, raw);) {
      const std::string line = Trim(raw);
      if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '!') continue;
      if (line[0] == '[') {
        const std::string group = Lower(line.substr(1, line.find(']') - 1));
        server_group =
            group == "mariadbd" || group == "mysqld" || group == "server" || group == "mariadb";
        continue;
      }
      const size_t eq = line.find('=');
      if (!server_group || eq == std::string::npos) continue;
      std::string key = Lower(Trim(line.substr(0, eq)));
      for (char& c : key) c = c == '-' ? '_' : c;
      if (key != "innodb_log_file_size") continue;
      std::string value = Trim(line.substr(eq + 1));
      if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
        value = value.substr(1, value.size() - 2);
      }
      auto parsed = ParseByteSize(value);
      if (!parsed.ok()) return parsed.status().Annotate("innodb_log_file_size");
      size = *parsed;
    }
  }
  return size;
}

uint64_t CloneSpaceNeeded(uint64_t estimated_backup_bytes, uint64_t redo_log_bytes) {
  return estimated_backup_bytes + redo_log_bytes;
}

std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

uint64_t DataVolumeLowBytes(uint64_t total_bytes) {
  constexpr uint64_t kMin = uint64_t{64} << 20;
  constexpr uint64_t kMax = uint64_t{1} << 30;
  return std::clamp(total_bytes / 20, kMin, kMax);
}

std::string DataVolumeWarning(const VolumeSpace& v) {
  constexpr uint64_t kFull = uint64_t{1} << 20;  // InnoDB and the binlog write in pages and more
  if (v.total_bytes == 0 || v.free_bytes >= DataVolumeLowBytes(v.total_bytes)) return "";
  return fmt::format(
      "data volume {}: {} free of {} (mariadbd waits for space when it is full, and writes and "
      "replication hang; free some or grow the volume)",
      v.free_bytes < kFull ? "full" : "nearly full", HumanBytes(v.free_bytes),
      HumanBytes(v.total_bytes));
}

}  // namespace mysqlset
