#include "net/backup_client.h"

#include "posix/pipe.h"

namespace mysqlset::net {

Result<BackupClient> BackupClient::Connect(const BackupClientOptions& options) {
  IgnoreSigpipe();
  ASSIGN_OR_RETURN(TlsPsk psk, BackupPsk(options.token));
  ASSIGN_OR_RETURN(auto context, TlsContext::NewPsk(TlsRole::kClient, std::move(psk)));
  ASSIGN_OR_RETURN(Fd fd, ConnectTcp(options.host, options.port, options.connect_timeout));
  ASSIGN_OR_RETURN(TlsSession session, TlsSession::New(std::move(context), std::move(fd)));
  const Status hs = session.Handshake(std::chrono::steady_clock::now() + options.handshake_timeout);
  if (hs.code() == StatusCode::kPermissionDenied) {
    // Either side may hold the wrong token; both mean the same fix.
    return PermissionDenied(
        "the donor did not prove the backup-token secret, or refused ours ({}): check that "
        "every member has the same backup-token secret and runs the same mysqlset version",
        hs.message());
  }
  RETURN_IF_ERROR(hs.Annotate("TLS handshake with the donor"));
  ASSIGN_OR_RETURN(std::string reply, session.ReadLine(kMaxLine, options.handshake_timeout));
  ASSIGN_OR_RETURN(BackupHello hello, ParseServerReply(reply));
  return BackupClient(std::move(session), std::move(hello), options.idle_timeout);
}

Status BackupClient::Receive(const std::function<Status(std::string_view)>& on_data) {
  FrameReader reader(on_data);
  // One buffer for the whole stream; the payload reaches on_data as views into it.
  std::string buf(kReceiveBuffer, '\0');
  while (true) {
    auto n = session_.ReadInto(buf.data(), buf.size(), idle_);
    if (!n.ok()) {
      return n.status().Annotate(
          fmt::format("stream interrupted after {} bytes", reader.payload_bytes()));
    }
    if (*n == 0) break;  // EOF
    RETURN_IF_ERROR(reader.Feed(std::string_view(buf.data(), *n)));
    if (reader.complete()) break;  // the donor closes next; anything more is an error
  }
  if (reader.complete()) {
    // A well-behaved donor closes right after the trailer; extra bytes are a protocol error.
    auto more = session_.ReadSome(1, std::chrono::milliseconds(2000));
    if (more.ok() && !more->empty()) RETURN_IF_ERROR(reader.Feed(*more));
  }
  return reader.Finish();
}

}  // namespace mysqlset::net
