#include <unistd.h>

#include <memory>

#include "agent/data_step.h"
#include "agent/secrets.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "core/topology.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {

Action AddCloneCommand(CLI::App& app) {
  auto f = std::make_shared<MemberFlags>();
  AddPodNameFlag(app, *f);
  AddDirFlags(app, *f, /*secrets=*/true);
  AddPeerFlags(app, *f);
  return [f]() {
    SetUpLogging("clone", f->log_level);
    auto id = ParseIdentity(ResolvePodName(*f), f->server_id_offset);
    if (!id.ok()) return ReportError("clone", id.status());
    PosixFileSystem fs;
    PosixProcessRunner runner;
    RealClock clock;
    auto secrets = LoadSecrets(fs, f->secrets_dir);
    if (!secrets.ok()) return ReportError("clone", secrets.status());
    auto state = InspectAndDiscardIncomplete(fs, f->data_dir);
    if (!state.ok()) return ReportError("clone", state.status());
    if (*state == DataState::kReady) {
      spdlog::info("{}: datadir is complete; nothing to do", id->pod_name);
      return 0;
    }
    if (IsPrimary(*id)) {
      BootstrapOptions b;
      b.data_dir = f->data_dir;
      b.run_as_root = geteuid() == 0;
      spdlog::info("{}: no data; bootstrapping a fresh datadir", id->pod_name);
      Status st = BootstrapFreshDatadir(fs, runner, clock, b, *secrets);
      if (!st.ok()) return ReportError("clone", st.Annotate("bootstrap " + id->pod_name));
      spdlog::info("{}: fresh datadir ready", id->pod_name);
      return 0;
    }
    return ReportError("clone", FailedPrecondition("{}: replica cloning is not built yet",
                                                   id->pod_name));
  };
}

}  // namespace mysqlset::cmd
