// Fuzzes the role-cnf check (agent/init_step ValidateCnfText) and `init` as a whole on an
// in-memory filesystem: a ConfigMap's mysqlset.cnf is outside input. A refused
// file must leave the conf dir untouched; an accepted one is copied byte for byte.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/init_step.h"
#include "testing/fakes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const mysqlset::Status valid = mysqlset::ValidateCnfText(text, "/cm/mysqlset.cnf");
  if (!valid.ok()) CHECK(valid.code() == mysqlset::StatusCode::kInvalidArgument);

  mysqlset::MemFileSystem fs;
  CHECK(fs.MakeDirs("/cm", 0755).ok());
  CHECK(fs.WriteFileAtomic("/cm/mysqlset.cnf", text, 0644).ok());
  const size_t writes_before = fs.writes();
  mysqlset::InitOptions o;
  o.pod_name = "mysql-1";
  o.config_map_dir = "/cm";
  o.paths.conf_dir = "/conf";
  o.paths.data_dir = "/data";
  auto id = mysqlset::RunInit(fs, o);
  CHECK(id.ok() == valid.ok());
  if (!id.ok()) {
    CHECK(fs.writes() == writes_before);
    CHECK(!fs.Exists("/conf/my.cnf"));
  } else {
    auto copied = fs.ReadFile("/conf/mysqlset.cnf");
    CHECK(copied.ok() && *copied == text);
  }
  return 0;
}
