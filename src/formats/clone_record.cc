#include "formats/clone_record.h"

#include "common/json_fields.h"
#include "core/gtid.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {

std::string CloneRecordPath(const std::string& data_dir) {
  return data_dir + "/.mysqlset-clone.json";
}

std::string ToJson(const CloneRecord& r) {
  // nlohmann::json sorts keys: the file has always been written in that order.
  const nlohmann::json j = {{"donor", r.donor},     {"donor_address", r.donor_address},
                            {"gtid", r.gtid},       {"bytes", r.bytes},
                            {"seconds", r.seconds}, {"completed_at_unix", r.completed_at_unix}};
  return j.dump() + "\n";
}

template <>
Result<CloneRecord> FromJson<CloneRecord>(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("gtid") || !j["gtid"].is_string()) {
    return InvalidArgument("expected a JSON object with a \"gtid\" string");
  }
  CloneRecord r;
  r.gtid = j["gtid"].get<std::string>();
  if (!GtidList::Parse(r.gtid).ok()) return InvalidArgument("\"gtid\" is not a GTID list");
  try {  // value() throws when a field has the wrong type: garbled, not a crash
    RequireIntegerFields(j, {"bytes", "completed_at_unix"});
    r.donor = j.value("donor", "");
    r.donor_address = j.value("donor_address", "");
    r.bytes = j.value("bytes", uint64_t{0});
    r.seconds = j.value("seconds", 0.0);
    r.completed_at_unix = j.value("completed_at_unix", int64_t{0});
  } catch (const std::exception& e) {
    return InvalidArgument("{}", e.what());
  }
  return r;
}

}  // namespace mysqlset::formats
