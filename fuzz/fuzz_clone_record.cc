// Fuzzes the files a datadir carries from its clone: DATA/.mysqlset-clone.json
// (formats/clone_record FromJson, through the agent's ReadCloneRecord) and the backup's
// mariadb_backup_binlog_info / xtrabackup_binlog_info (clone_receiver ReadBackupGtid), plus --donor
// HOST:PORT parsing. A garbled file is an error with a path in it, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/agent.h"
#include "agent/clone_receiver.h"
#include "core/gtid.h"
#include "testing/fakes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mysqlset::MemFileSystem fs;
  CHECK(fs.MakeDirs("/data", 0755).ok());
  CHECK(fs.WriteFileAtomic("/data/.mysqlset-clone.json", text, 0644).ok());
  auto record = mysqlset::ReadCloneRecord(fs, "/data");
  if (record.ok()) {
    CHECK(record->has_value());
    CHECK(mysqlset::GtidList::Parse((*record)->gtid).ok());
  } else {
    CHECK(record.status().message().find("/data/.mysqlset-clone.json") != std::string::npos);
  }

  const char* name = (size % 2 == 0) ? "mariadb_backup_binlog_info" : "xtrabackup_binlog_info";
  CHECK(fs.MakeDirs("/backup", 0755).ok());
  CHECK(fs.WriteFileAtomic(std::string("/backup/") + name, text, 0644).ok());
  auto gtid = mysqlset::ReadBackupGtid(fs, "/backup");
  if (gtid.ok()) {
    auto parsed = mysqlset::GtidList::Parse(*gtid);
    CHECK(parsed.ok() && parsed->ToString() == *gtid);
  }

  auto donor = mysqlset::ParseDonorEndpoint(text);
  if (donor.ok()) {
    CHECK(donor->port >= 1);
    CHECK(donor->name == text);
  } else {
    CHECK(donor.status().code() == mysqlset::StatusCode::kInvalidArgument);
  }
  return 0;
}
