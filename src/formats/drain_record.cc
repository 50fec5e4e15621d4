#include "formats/drain_record.h"

#include "core/gtid.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {

std::string DrainRecordPath(const std::string& data_dir) {
  return data_dir + "/.mysqlset-drained.json";
}

std::string ToJson(const DrainRecord& r) {
  const nlohmann::json j = {{"leader", r.leader}, {"epoch", r.epoch}, {"gtid", r.gtid}};
  return j.dump() + "\n";
}

template <>
Result<DrainRecord> FromJson<DrainRecord>(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("leader") || !j["leader"].is_string() || !j.contains("gtid") ||
      !j["gtid"].is_string() || !j.contains("epoch") || !j["epoch"].is_number_unsigned()) {
    return InvalidArgument(
        "expected a JSON object with \"leader\" and \"gtid\" strings and an \"epoch\" count");
  }
  DrainRecord r;
  r.leader = j["leader"].get<std::string>();
  r.gtid = j["gtid"].get<std::string>();
  if (r.leader.empty()) return InvalidArgument("\"leader\" is empty");
  if (!GtidList::Parse(r.gtid).ok()) return InvalidArgument("\"gtid\" is not a GTID list");
  r.epoch = j["epoch"].get<uint64_t>();
  return r;
}

}  // namespace mysqlset::formats
