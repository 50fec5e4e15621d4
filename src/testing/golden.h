#pragma once
// Golden files for unit tests: testdata/ beside the test's sources, whose path the
// mysqlset_unit_test() CMake function compiles in as MYSQLSET_TESTDATA_DIR.

#include <fstream>
#include <sstream>
#include <string>

namespace mysqlset::testing {

inline std::string Golden(const std::string& name) {
  std::ifstream in(std::string(MYSQLSET_TESTDATA_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mysqlset::testing
