#pragma once
// Reading integer fields of JSON that comes from outside (files on a volume, peers).
// nlohmann's get<int>() and value(key, int) static_cast a floating-point number to the
// integer type, which is undefined behaviour when it is out of range: fuzz_clone_record
// found `"bytes": 7.7e43`. Integer fields must therefore hold integers.

#include <initializer_list>
#include <stdexcept>
#include <string>

#include "nlohmann/json.hpp"

namespace mysqlset {

// Throws std::invalid_argument naming the first of `keys` of object `j` that holds a
// number that is not an integer. Call before reading those keys as integers.
inline void RequireIntegerFields(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return;
  for (const char* key : keys) {
    const auto it = j.find(key);
    if (it != j.end() && it->is_number_float()) {
      throw std::invalid_argument(std::string("\"") + key + "\" must be an integer");
    }
  }
}

}  // namespace mysqlset
