#include "agent/backup_service.h"

namespace mysqlset {

BackupService::BackupService(BackupServiceOptions options, Secrets secrets)
    : options_(std::move(options)) {
  BackupSourceOptions so;
  so.datadir = options_.datadir;
  so.mysql_port = options_.mysql_port;
  so.tmp_dir = options_.tmp_dir;
  so.backup_password = secrets.backup_password;
  so.secret_values = SecretValues(secrets);
  source_ = std::make_unique<BackupSource>(std::move(so));
  net::BackupServerOptions no;
  no.bind_address = options_.bind_address;
  no.port = options_.port;
  no.max_concurrent = options_.max_concurrent;
  no.pod_name = options_.pod_name;
  no.token = secrets.backup_token;
  server_ = std::make_unique<net::BackupServer>(std::move(no), source_.get());
}

BackupService::~BackupService() { Stop(); }

Status BackupService::Start() {
  return server_->Start().Annotate(
      fmt::format("backup service on {}:{}", options_.bind_address, options_.port));
}

void BackupService::Stop() { server_->Stop(); }

BackupStats BackupService::Stats() const { return server_->Stats(); }

uint16_t BackupService::port() const { return server_->port(); }

}  // namespace mysqlset
