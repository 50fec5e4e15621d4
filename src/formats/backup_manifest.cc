#include "formats/backup_manifest.h"

#include <algorithm>
#include <ctime>
#include <tuple>

#include "common/json_fields.h"
#include "core/gtid.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {
namespace {

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A name that stays inside the backup's folder.
bool IsPlainName(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s != "." && s != "..";
}

}  // namespace

std::string BackupKey(std::string_view id, std::string_view name) {
  return fmt::format("{}/{}/{}", kBackupsPrefix, id, name);
}

std::string FailureKey(std::string_view id) {
  return fmt::format("{}/{}/{}", kFailuresPrefix, id, kFailureName);
}

std::string BackupIdOf(int64_t started_at_unix, std::string_view source_member) {
  const time_t t = static_cast<time_t>(started_at_unix);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return fmt::format("{}-{}", buf, source_member);
}

std::string FailureIdOf(int64_t started_at_unix_ms, std::string_view source_member) {
  return fmt::format("{}.{:03}", BackupIdOf(started_at_unix_ms / 1000, source_member),
                     started_at_unix_ms % 1000);
}

void FailureIdsNewestFirst(std::vector<std::string>& ids) {
  // "20261130T110500Z-mysql-1.042": the second is the first 16 characters, the milliseconds
  // the 3 digits after the last '.'.
  auto key = [](const std::string& id) {
    const size_t dot = id.rfind('.');
    const bool ours = id.size() > 17 && id[15] == 'Z' && id[16] == '-' &&
                      dot != std::string::npos && id.size() - dot == 4;
    return std::make_tuple(ours, ours ? id.substr(0, 16) + id.substr(dot) : std::string(), id);
  };
  std::sort(ids.begin(), ids.end(),
            [&key](const std::string& a, const std::string& b) { return key(a) > key(b); });
}

std::string ToJson(const BackupManifest& m) {
  nlohmann::json objects = nlohmann::json::array();
  for (const auto& o : m.objects) {
    objects.push_back({{"name", o.name}, {"bytes", o.bytes}, {"sha256", o.sha256}});
  }
  const nlohmann::json j = {{"format_version", m.format_version},
                            {"id", m.id},
                            {"cluster", m.cluster},
                            {"source_member", m.source_member},
                            {"gtid", m.gtid},
                            {"started_at_unix", m.started_at_unix},
                            {"finished_at_unix", m.finished_at_unix},
                            {"stream_bytes", m.stream_bytes},
                            {"compression", m.compression},
                            {"objects", objects}};
  return j.dump(2) + "\n";
}

template <>
Result<BackupManifest> FromJson<BackupManifest>(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("backup manifest: expected a JSON object");
  BackupManifest m;
  try {
    RequireIntegerFields(j,
                         {"format_version", "started_at_unix", "finished_at_unix", "stream_bytes"});
    if (!j.contains("format_version")) {
      return InvalidArgument("backup manifest: no \"format_version\"");
    }
    m.format_version = j["format_version"].get<int>();
    if (m.format_version < 1 || m.format_version > kBackupFormatVersion) {
      return InvalidArgument(
          "backup manifest: format_version {} is not one this mysqlset reads (up to {}): use "
          "the mysqlset release that wrote it, or a later one",
          m.format_version, kBackupFormatVersion);
    }
    m.id = j.value("id", "");
    if (!IsPlainName(m.id)) return InvalidArgument("backup manifest: no valid \"id\"");
    m.cluster = j.value("cluster", "");
    m.source_member = j.value("source_member", "");
    m.gtid = j.value("gtid", "");
    if (!GtidList::Parse(m.gtid).ok()) {
      return InvalidArgument("backup manifest: \"gtid\" is not a GTID list");
    }
    m.started_at_unix = j.value("started_at_unix", int64_t{0});
    m.finished_at_unix = j.value("finished_at_unix", int64_t{0});
    m.stream_bytes = j.value("stream_bytes", uint64_t{0});
    m.compression = j.value("compression", "zstd");
    if (!j.contains("objects") || !j["objects"].is_array() || j["objects"].empty()) {
      return InvalidArgument("backup manifest: no \"objects\"");
    }
    for (const auto& o : j["objects"]) {
      if (!o.is_object()) return InvalidArgument("backup manifest: an object is not a JSON object");
      RequireIntegerFields(o, {"bytes"});
      BackupObject b{o.value("name", ""), o.value("bytes", uint64_t{0}), o.value("sha256", "")};
      if (!IsPlainName(b.name)) return InvalidArgument("backup manifest: an object has no name");
      if (!IsSha256Hex(b.sha256)) {
        return InvalidArgument("backup manifest: object {} has no valid sha256", b.name);
      }
      m.objects.push_back(std::move(b));
    }
  } catch (const std::exception& e) {
    return InvalidArgument("backup manifest: {}", e.what());
  }
  return m;
}

std::string ToJson(const BackupVerification& v) {
  const nlohmann::json j = {{"backup_id", v.backup_id},
                            {"verified_at_unix", v.verified_at_unix},
                            {"gtid", v.gtid},
                            {"how", v.how}};
  return j.dump(2) + "\n";
}

template <>
Result<BackupVerification> FromJson<BackupVerification>(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("backup verification: expected a JSON object");
  BackupVerification v;
  try {
    RequireIntegerFields(j, {"verified_at_unix"});
    v.backup_id = j.value("backup_id", "");
    v.verified_at_unix = j.value("verified_at_unix", int64_t{0});
    v.gtid = j.value("gtid", "");
    v.how = j.value("how", "");
  } catch (const std::exception& e) {
    return InvalidArgument("backup verification: {}", e.what());
  }
  if (v.backup_id.empty()) return InvalidArgument("backup verification: no \"backup_id\"");
  return v;
}

std::string ToJson(const BackupFailure& f) {
  const nlohmann::json j = {{"format_version", f.format_version},
                            {"id", f.id},
                            {"cluster", f.cluster},
                            {"source_member", f.source_member},
                            {"started_at_unix_ms", f.started_at_unix_ms},
                            {"ended_at_unix_ms", f.ended_at_unix_ms},
                            {"error", f.error}};
  return j.dump(2) + "\n";
}

template <>
Result<BackupFailure> FromJson<BackupFailure>(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("backup failure record: expected a JSON object");
  BackupFailure f;
  try {
    RequireIntegerFields(j, {"format_version", "started_at_unix_ms", "ended_at_unix_ms"});
    f.format_version = j.value("format_version", 0);
    if (f.format_version < 1 || f.format_version > kBackupFormatVersion) {
      return InvalidArgument(
          "backup failure record: format_version {} is not one this mysqlset reads (up to {}): "
          "use the mysqlset release that wrote it, or a later one",
          f.format_version, kBackupFormatVersion);
    }
    f.id = j.value("id", "");
    if (!IsPlainName(f.id)) return InvalidArgument("backup failure record: no valid \"id\"");
    f.cluster = j.value("cluster", "");
    f.source_member = j.value("source_member", "");
    f.started_at_unix_ms = j.value("started_at_unix_ms", int64_t{0});
    f.ended_at_unix_ms = j.value("ended_at_unix_ms", int64_t{0});
    f.error = j.value("error", "");
  } catch (const std::exception& e) {
    return InvalidArgument("backup failure record: {}", e.what());
  }
  return f;
}

}  // namespace mysqlset::formats
