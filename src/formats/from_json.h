#pragma once
// The one parser entry point shared by every document in formats/: FromJson<T>(text), with
// one explicit specialisation per document beside its struct. Never throws: garbled text
// (not JSON, a field of the wrong type, a float where an integer belongs) is an
// InvalidArgument error naming the document and the field.

#include <string_view>

#include "common/status.h"

namespace mysqlset::formats {

template <typename T>
Result<T> FromJson(std::string_view text);

}  // namespace mysqlset::formats
