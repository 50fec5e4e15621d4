#pragma once
// `mysqlset clone` for a replica: copy a live peer's data into this member's data volume,
// safely. Each attempt streams an authenticated backup from one donor straight into
// `mbstream -x` in DATA/mysql.staging (never buffered whole, never written twice), accepts
// it only when the stream's trailer, byte count and SHA-256 verify and mbstream exits 0,
// prepares it, rolls back what the backup left prepared (a throwaway mariadbd pass, see
// tools::RollbackPreparedArgv), records the GTID in DATA/.mysqlset-clone.json, renames
// staging to DATA/mysql and writes the completion marker LAST. Any failure removes staging and
// retries with backoff, on the next candidate donor. Killing the process at any point leaves either
// no datadir or one beside the pending marker, whose install the next run finishes.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/clone_io.h"
#include "core/accounts.h"
#include "core/backoff.h"
#include "core/disk_space.h"
#include "core/donor.h"
#include "core/identity.h"
#include "core/topology.h"
#include "env/clock.h"
#include "env/coord_store.h"
#include "env/file_system.h"
#include "env/process_runner.h"
#include "formats/agent_status.h"
#include "formats/clone_record.h"

namespace mysqlset {

// DATA/.mysqlset-clone.log, beside the datadir. The clone record and progress files are
// formats/clone_record.h and formats/clone_progress.h.
std::string CloneLogPathOf(const std::string& data_dir);

struct DonorEndpoint {
  std::string name;  // "mysql-1", or "HOST:PORT" when given by flag
  std::string host;
  uint16_t port = 0;  // backup port
};

// "HOST:PORT" or "[V6]:PORT" -> endpoint named after the text.
Result<DonorEndpoint> ParseDonorEndpoint(const std::string& text);

// The parts of a peer's /v1/status (formats/agent_status.h) donor choice needs.
PeerStatus PeerStatusOf(const formats::AgentStatus& status);

// Asks one peer for its status; nullopt when it cannot be reached or answers nonsense.
class PeerStatusReader {
 public:
  virtual ~PeerStatusReader() = default;
  virtual std::optional<PeerStatus> Read(const MemberAddress& peer) = 0;
};

// GET http://HOST:AGENT_PORT/v1/status with a short timeout.
class HttpPeerStatusReader : public PeerStatusReader {
 public:
  std::optional<PeerStatus> Read(const MemberAddress& peer) override;
};

struct CloneReceiverOptions {
  std::string data_dir;  // the data volume
  MemberIdentity self;
  PeerLayout layout;
  std::vector<DonorEndpoint> donors;  // non-empty: use these in turn, skip discovery
  // Discovery asks the lower ordinals; ordinal 0 (cloning once the cluster was initialized)
  // asks ordinals 1..peers_to_ask instead.
  uint32_t peers_to_ask = 8;
  int max_attempts = 5;
  Backoff backoff;
  // After an attempt that found no ready donor, ask the peers again this often during the
  // backoff's wait and start as soon as one is ready (a fresh cluster's replicas start the
  // moment the primary answers, a few hundred ms before it is a donor). 0: just sleep.
  std::chrono::milliseconds donor_poll{0};
  std::string use_memory = "256M";  // mariabackup --prepare buffer pool
  bool run_as_root = false;         // the rollback pass's mariadbd must be told (--user=root)
  std::chrono::milliseconds progress_interval{1000};
  std::chrono::milliseconds log_interval{2000};
  std::chrono::milliseconds idle_timeout{120000};  // donor silent this long: give up on it
  // ib_logfile0, which mariadbd preallocates at first start and the backup does not hold:
  // needed free on top of the backup (the member's innodb_log_file_size).
  uint64_t redo_log_bytes = kDefaultInnodbLogFileSize;
};

// Everything a clone does I/O through (the real ones: `mysqlset clone`; fakes: unit tests).
struct CloneEnv {
  FileSystem& fs;
  Clock& clock;                // backoff between attempts, progress, record times
  PeerStatusReader& peers;     // donor discovery
  BackupDialer& dialer;        // the backup stream
  PipedProcessStarter& pipes;  // mbstream -x, fed as the stream arrives
  ProcessRunner& runner;       // mariabackup --prepare, the rollback pass
  const DiskSpace& disk;
  // The coordination store, for the bootstrap guard's `initialized` key (clone_step.h);
  // nullptr when none was given (--etcd unset): the ordinal alone decides, as before.
  CoordStore* store = nullptr;
};

// Up to max_attempts attempts, the delays between them from options.backoff; each retry
// asks the peers again and takes the next candidate donor. kPermissionDenied (the backup
// token) ends it at once: every peer shares the token.
// REQUIRES: no datadir at DATA/mysql (InspectDatadir ran).
Result<formats::CloneRecord> CloneReplica(CloneEnv& env, const CloneReceiverOptions& options,
                                          const Secrets& secrets);

// The GTID position in a binlog-position file's text, "FILE\tPOS[\tGTID]" ("" when the
// donor had none); `what` names the file in errors.
Result<std::string> GtidOfBinlogInfo(const std::string& text, const std::string& what);
// The files mariabackup records the backup's binlog position in, newest name first.
inline constexpr const char* kBinlogInfoFiles[] = {"mariadb_backup_binlog_info",
                                                   "xtrabackup_binlog_info"};
// The GTID position in a prepared backup dir, from the first of kBinlogInfoFiles it holds.
// "" when the donor had written no GTID yet.
Result<std::string> ReadBackupGtid(const FileSystem& fs, const std::string& backup_dir);

}  // namespace mysqlset
