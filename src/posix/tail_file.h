#pragma once
// The end of a log file, for error messages ("mbstream failed: <last lines of its log>").
// Reads only the tail, so a log of gigabytes costs no more than a small one.

#include <cstddef>
#include <string>

namespace mysqlset {

// The last `max_bytes` bytes of the file at `path`; "" when it cannot be read (missing,
// unreadable: an error message loses its detail, never its point). When the file is longer
// than `max_bytes`, the line cut at the start of the window is dropped, so callers see whole
// lines, unless that line is all the window holds.
std::string TailFile(const std::string& path, size_t max_bytes);

}  // namespace mysqlset
