#pragma once
// The cached template datadir: what mariadb-install-db makes is the same for one MariaDB
// build and one set of install options, so the local bootstrap makes it once, keeps a copy
// under a cache dir, and later bootstraps copy it (about 0.1 s against 2-6 s of CPU on this
// kind of machine). Pure: the cache key and the manifest that lets a copy be verified file by
// file before it is used. The copy holds no accounts and no secrets: it is taken before the
// securing step, which every bootstrap still runs (agent/datadir_template.h does the I/O).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mysqlset {

// "10.11.19-MariaDB-0+deb12u1-8f3a1c2b9d0e4f57": the server version from `mariadbd
// --version` ("mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64
// (Debian 12)"), then a hash of that whole line and of the install options (another build,
// platform or option set gives another key). kInvalidArgument when the text names no
// version: then there is no cache.
Result<std::string> TemplateKey(std::string_view version_output,
                                const std::vector<std::string>& install_options);

struct TemplateFile {
  std::string path;  // relative to the datadir, '/'-separated, no "." or ".." parts
  uint64_t bytes = 0;
  std::string sha256;  // 64 lowercase hex digits
  bool operator==(const TemplateFile&) const = default;
};

struct TemplateManifest {
  std::string key;
  std::vector<TemplateFile> files;
};

// One line per field: "mysqlset-datadir-template 1", "key K", then "file SHA256 BYTES PATH".
std::string RenderManifest(const TemplateManifest& m);
// kDataLoss naming the line when the text is not one RenderManifest made: an unknown header,
// a missing key, a bad digest or size, a path that leaves the datadir, a path twice, no files.
Result<TemplateManifest> ParseManifest(std::string_view text);

// OK when `m` is the template for `key` and `found` (the files in the copy, any order) are
// exactly its files with their sizes and digests. kDataLoss naming the first difference.
Status VerifyTemplate(const TemplateManifest& m, const std::string& key,
                      std::vector<TemplateFile> found);

}  // namespace mysqlset
