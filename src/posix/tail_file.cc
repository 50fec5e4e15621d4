#include "posix/tail_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "posix/fd.h"

namespace mysqlset {

std::string TailFile(const std::string& path, size_t max_bytes) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  const auto size = static_cast<size_t>(st.st_size);
  // One byte before the window too: it tells whether the window starts on a line boundary.
  const bool cut = size > max_bytes;
  const size_t start = cut ? size - max_bytes - 1 : 0;
  std::string out(size - start, '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n =
        pread(fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(start + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // error, or the file shrank meanwhile
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  if (cut) {
    // Drop the line the window cuts, unless it is all there is (a line longer than the
    // window): some of it beats nothing in an error message.
    const size_t eol = out.find('\n');
    out.erase(0, eol != std::string::npos && eol + 1 < out.size() ? eol + 1 : 1);
  }
  return out;
}

}  // namespace mysqlset
