#include "net/backup_client.h"

namespace mysqlset::net {

Result<BackupClient> BackupClient::Connect(const BackupClientOptions& o) {
  IgnoreSigpipe();
  ASSIGN_OR_RETURN(Fd fd, ConnectTcp(o.host, o.port, o.connect_timeout));
  ASSIGN_OR_RETURN(std::string greeting, ReadLine(fd.get(), kMaxLine, o.handshake_timeout));
  ASSIGN_OR_RETURN(std::string nonce, ParseGreeting(greeting));
  RETURN_IF_ERROR(SendAll(fd.get(), AuthLine(AuthProof(o.token, nonce)), o.handshake_timeout));
  ASSIGN_OR_RETURN(std::string reply, ReadLine(fd.get(), kMaxLine, o.handshake_timeout));
  ASSIGN_OR_RETURN(BackupHello hello, ParseServerReply(reply));
  return BackupClient(std::move(fd), std::move(hello), o.idle_timeout);
}

Status BackupClient::Receive(const std::function<Status(std::string_view)>& on_data) {
  FrameReader reader(on_data);
  while (true) {
    auto chunk = ReadSome(fd_.get(), 256 * 1024, idle_);
    if (!chunk.ok()) {
      return chunk.status().Annotate(
          fmt::format("stream interrupted after {} bytes", reader.payload_bytes()));
    }
    if (chunk->empty()) break;  // EOF
    RETURN_IF_ERROR(reader.Feed(*chunk));
    if (reader.complete()) break;  // the donor closes next; anything more is an error
  }
  if (reader.complete()) {
    // A well-behaved donor closes right after the trailer; extra bytes are a protocol error.
    auto more = ReadSome(fd_.get(), 1, std::chrono::milliseconds(2000));
    if (more.ok() && !more->empty()) RETURN_IF_ERROR(reader.Feed(*more));
  }
  return reader.Finish();
}

}  // namespace mysqlset::net
