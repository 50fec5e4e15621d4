#include "formats/clone_progress.h"

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {

std::string CloneProgressPath(const std::string& data_dir) {
  return data_dir + "/.mysqlset-clone-progress.json";
}

std::string ToJson(const CloneProgress& p) {
  // nlohmann::json sorts keys: the file has always been written in that order.
  const nlohmann::json j = {
      {"donor", p.donor},
      {"bytes", p.bytes},
      {"estimated_bytes", p.estimated_bytes},
      {"rate_bytes_per_s", p.rate_bytes_per_s},
      {"eta_seconds", p.eta_seconds ? nlohmann::json(*p.eta_seconds) : nlohmann::json(nullptr)},
      {"phase", p.phase}};
  return j.dump() + "\n";
}

template <>
Result<CloneProgress> FromJson<CloneProgress>(std::string_view text) {
  CloneProgress p;
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return InvalidArgument("clone progress is not a JSON object");
    RequireIntegerFields(j, {"bytes", "estimated_bytes"});
    p.donor = j.value("donor", "");
    p.phase = j.value("phase", "");
    p.bytes = j.value("bytes", uint64_t{0});
    p.estimated_bytes = j.value("estimated_bytes", uint64_t{0});
    p.rate_bytes_per_s = j.value("rate_bytes_per_s", 0.0);
    if (j.contains("eta_seconds") && !j["eta_seconds"].is_null()) {
      p.eta_seconds = j["eta_seconds"].get<double>();
    }
  } catch (const std::exception& e) {
    return InvalidArgument("clone progress is not valid: {}", e.what());
  }
  return p;
}

}  // namespace mysqlset::formats
