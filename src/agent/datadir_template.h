#pragma once
// The cached template datadir's I/O (the key and the manifest are core/datadir_template.h):
// CACHE/KEY/data holds what mariadb-install-db made, CACHE/KEY/manifest lists its files with
// their sizes and SHA-256. Made once per MariaDB build and install options, by the first
// bootstrap that finds none; every copy is verified against the manifest before a byte of it
// is written. It holds no accounts and no secrets: it is taken before the securing step.
// Any failure here only costs the bootstrap its shortcut (it runs mariadb-install-db).

#include <string>
#include <vector>

#include "common/status.h"
#include "env/file_system.h"
#include "env/process_runner.h"

namespace mysqlset {

// The cache dir for templates: $MYSQLSET_TEMPLATE_CACHE if set ("off" or "": no cache), else
// $XDG_CACHE_HOME/mysqlset/datadir-templates, else $HOME/.cache/mysqlset/datadir-templates;
// "" when none of them is set.
std::string DefaultTemplateCacheDir();

// core's TemplateKey for the mariadbd on PATH (`mariadbd --version`) and `install_options`.
Result<std::string> CurrentTemplateKey(ProcessRunner& runner,
                                       const std::vector<std::string>& install_options);

// Copies the template for `key` under `cache_dir` into `staging` (an empty dir) once all of
// it has been read and verified. kNotFound: no template cached; kDataLoss: one that fails
// verification (it is removed, so the next bootstrap makes a new one); other errors: I/O.
// On error nothing was written into `staging`, or what was is the caller's to remove.
Status CopyTemplateInto(FileSystem& fs, const std::string& cache_dir, const std::string& key,
                        const std::string& staging);

// Saves `datadir` (mariadb-install-db's output, before anything else ran on it) as the
// template for `key`: written under a temporary name, then renamed into place, so a reader
// sees all of it or none. A template already there (another bootstrap was first) is kept.
Status SaveTemplate(FileSystem& fs, const std::string& datadir, const std::string& cache_dir,
                    const std::string& key);

}  // namespace mysqlset
