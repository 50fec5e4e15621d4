#pragma once
// Small blocking-socket helpers for the backup stream: connect/listen on TCP, write all
// bytes without SIGPIPE, read a bounded line or a chunk with a deadline. Every call that
// can wait takes a timeout, so a silent or slow peer cannot hold a thread forever.
// Thread-compatible: each fd is used by one thread at a time.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "posix/fd.h"

namespace mysqlset::net {

// Connects to host:port (name or address) within `timeout`. kUnavailable on refusal/timeout.
Result<Fd> ConnectTcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

// Binds and listens (SO_REUSEADDR). port 0 picks a free port; `bound_port` gets the real one.
// kUnavailable when the port is in use.
Result<Fd> ListenTcp(const std::string& bind_address, uint16_t port, uint16_t* bound_port);

// Writes every byte (MSG_NOSIGNAL: a closed peer gives kUnavailable, never SIGPIPE). Waits
// at most `timeout` for the peer to accept more bytes each time the buffer is full.
Status SendAll(int fd, std::string_view data, std::chrono::milliseconds timeout);

// Reads one '\n'-terminated line (returned without the newline) of at most `max_bytes`
// within `timeout` overall. Reads byte-wise so nothing after the line is consumed.
// kInvalidArgument when longer, kDeadlineExceeded on timeout, kUnavailable on EOF.
Result<std::string> ReadLine(int fd, size_t max_bytes, std::chrono::milliseconds timeout);

// Reads up to `cap` bytes, waiting at most `timeout` for the first. Returns "" at EOF.
Result<std::string> ReadSome(int fd, size_t cap, std::chrono::milliseconds timeout);

// Reads exactly n bytes or fails (kDataLoss at EOF, kDeadlineExceeded when idle too long).
Status ReadExact(int fd, char* buf, size_t n, std::chrono::milliseconds idle_timeout);

// Waits for `events` (poll(2) flags) on fd until `deadline`, retrying on EINTR. Returns the
// revents, 0 on timeout, -1 on error.
int WaitForFd(int fd, short events, std::chrono::steady_clock::time_point deadline);

}  // namespace mysqlset::net
