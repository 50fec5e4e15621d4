#include "core/datadir_template.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "fmt/format.h"

namespace mysqlset {
namespace {

constexpr std::string_view kHeader = "mysqlset-datadir-template 1";

// FNV-1a, 64 bits: stable across builds and platforms (std::hash is not).
uint64_t Fnv1a(std::string_view text, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool SafeRelativePath(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t slash = p.find('/', start);
    const std::string_view part =
        p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::none_of(p.begin(), p.end(), [](char c) { return c == '\n' || c == '\0'; });
}

}  // namespace

Result<std::string> TemplateKey(std::string_view version_output,
                                const std::vector<std::string>& install_options) {
  const std::string_view line = version_output.substr(0, version_output.find('\n'));
  const size_t ver = line.find(" Ver ");
  if (ver == std::string_view::npos) {
    return InvalidArgument("no version in `mariadbd --version` output '{}'", line);
  }
  std::string_view version = line.substr(ver + 5);
  version = version.substr(0, version.find(' '));
  const bool printable = std::all_of(version.begin(), version.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '+' || c == '_' || c == '~';
  });
  if (version.empty() || !printable) {
    return InvalidArgument("no usable version in `mariadbd --version` output '{}'", line);
  }
  uint64_t h = Fnv1a(line);
  for (const std::string& o : install_options) h = Fnv1a(o + '\0', h);
  return fmt::format("{}-{:016x}", version, h);
}

std::string RenderManifest(const TemplateManifest& m) {
  std::string out = fmt::format("{}\nkey {}\n", kHeader, m.key);
  for (const TemplateFile& f : m.files) {
    out += fmt::format("file {} {} {}\n", f.sha256, f.bytes, f.path);
  }
  return out;
}

Result<TemplateManifest> ParseManifest(std::string_view text) {
  TemplateManifest m;
  std::set<std::string> seen;
  int n = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t eol = text.find('\n', start);
    if (eol == std::string_view::npos) return DataLoss("manifest: line {} is unterminated", n + 1);
    const std::string_view line = text.substr(start, eol - start);
    start = eol + 1;
    ++n;
    if (n == 1) {
      if (line != kHeader) return DataLoss("manifest: line 1 is not '{}'", kHeader);
      continue;
    }
    if (n == 2) {
      if (!line.starts_with("key ") || line.size() == 4) {
        return DataLoss("manifest: line 2 is not 'key K'");
      }
      m.key = std::string(line.substr(4));
      continue;
    }
    // "file SHA256 BYTES PATH"
    if (!line.starts_with("file ") || line.size() < 5 + 64 + 1) {
      return DataLoss("manifest: line {} is not 'file SHA256 BYTES PATH'", n);
    }
    TemplateFile f;
    f.sha256 = std::string(line.substr(5, 64));
    const std::string_view rest = line.substr(5 + 64);
    const size_t space = rest.find(' ', 1);
    if (!IsHex64(f.sha256) || rest.front() != ' ' || space == std::string_view::npos) {
      return DataLoss("manifest: line {} is not 'file SHA256 BYTES PATH'", n);
    }
    const std::string_view bytes = rest.substr(1, space - 1);
    auto [p, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), f.bytes);
    if (ec != std::errc() || p != bytes.data() + bytes.size()) {
      return DataLoss("manifest: line {}: bad size '{}'", n, bytes);
    }
    f.path = std::string(rest.substr(space + 1));
    if (!SafeRelativePath(f.path)) {
      return DataLoss("manifest: line {}: path '{}' leaves the datadir", n, f.path);
    }
    if (!seen.insert(f.path).second) return DataLoss("manifest: line {}: {} twice", n, f.path);
    m.files.push_back(std::move(f));
  }
  if (n < 2) return DataLoss("manifest: no key");
  if (m.files.empty()) return DataLoss("manifest: no files");
  return m;
}

Status VerifyTemplate(const TemplateManifest& m, const std::string& key,
                      std::vector<TemplateFile> found) {
  if (m.key != key) return DataLoss("template is for {}, not {}", m.key, key);
  std::vector<TemplateFile> want = m.files;
  auto by_path = [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; };
  std::sort(want.begin(), want.end(), by_path);
  std::sort(found.begin(), found.end(), by_path);
  size_t i = 0, j = 0;
  while (i < want.size() || j < found.size()) {
    if (j == found.size() || (i < want.size() && want[i].path < found[j].path)) {
      return DataLoss("template lacks {}", want[i].path);
    }
    if (i == want.size() || found[j].path < want[i].path) {
      return DataLoss("template has {}, which its manifest does not list", found[j].path);
    }
    if (want[i].bytes != found[j].bytes) {
      return DataLoss("template's {} has {} bytes, not {}", want[i].path, found[j].bytes,
                      want[i].bytes);
    }
    if (want[i].sha256 != found[j].sha256) {
      return DataLoss("template's {} does not match its checksum", want[i].path);
    }
    ++i;
    ++j;
  }
  return Status::Ok();
}

}  // namespace mysqlset
