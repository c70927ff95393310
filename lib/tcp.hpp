// TCP sockets for servers and clients: listeners, connects with a timeout or without blocking, and
// sends and receives whose errors are outcomes, not exceptions. tcp(7), socket(7), RFC 9293.
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <chrono>
#include <cstddef>

namespace netlab::tcp {

inline constexpr int default_backlog = 1024;

// socket + SO_REUSEADDR + bind + listen, optionally non-blocking (for an event loop's accept batches).
// SO_REUSEADDR lets a restarted server bind while connections of the last run sit in TIME_WAIT.
Fd listen(const SocketAddress& addr, int backlog = default_backlog, bool nonblocking = false);

// The result of one send or receive: bytes moved, or the errno that ended it. For a server every error
// of one connection (EAGAIN, EPIPE, ECONNRESET) is an expected outcome that must not stop the others.
struct IoResult {
    std::size_t bytes = 0;
    int error = 0;
    bool ok() const noexcept { return error == 0; }
};

// send(2) with MSG_NOSIGNAL, so a peer that has gone away gives EPIPE instead of killing us with
// SIGPIPE; `nonblocking` adds MSG_DONTWAIT. EINTR is retried.
IoResult send(const Fd& fd, const void* data, std::size_t size, bool nonblocking = false);
// recv(2); EINTR retried. bytes == 0 with ok() is the end of the stream (the peer closed).
IoResult receive(const Fd& fd, void* data, std::size_t size);

// Starts a connect on a non-blocking socket: 0 when it completed at once, EINPROGRESS when it goes on
// in the background (epoll reports it), or the errno it failed with (ECONNREFUSED, EADDRNOTAVAIL...).
int start_connect(const Fd& fd, const SocketAddress& addr);

// A blocking connect that gives up after `timeout` (SO_SNDTIMEO bounds connect(2) on Linux); throws
// Error{"connect", addr, ...} on failure or timeout.
void connect(const Fd& fd, const SocketAddress& addr, std::chrono::milliseconds timeout);

} // namespace netlab::tcp
