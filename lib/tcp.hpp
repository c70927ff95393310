// TCP sockets for servers and clients: listeners, connects with a timeout or without blocking, and
// sends and receives whose errors are outcomes, not exceptions. tcp(7), socket(7), RFC 9293.
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace netlab::tcp {

// The kernel caps a listen(2) backlog at net.core.somaxconn (4096 since Linux 5.4) without an error:
// asking for more means "as long a queue as the system allows". 10,000 clients connecting at once
// overflowed a queue of 1024 (SYNs dropped, retried after 1 s and 3 s, 1390 timed out at --timeout 5);
// 4096 took them all (bench/tcp_sweep.sh).
inline constexpr int default_backlog = 65535;

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
// The same for a server's last bytes: sent with MSG_MORE, then shutdown(SHUT_WR), so the bytes and
// the FIN leave together in one segment instead of two, with one ACK fewer from the peer (on loopback
// a stamp server's CPU per connection went from 19.8 to 14.2 us). The shutdown also sends them before
// close(2): closing with unread input from the peer resets the connection, and would throw away a
// reply still held back. Nothing can be sent on the socket afterwards.
IoResult send_last(const Fd& fd, const void* data, std::size_t size, bool nonblocking = false);
// A server's whole reply, then the FIN with its last bytes (send_last). The result's error is the errno
// that stopped it: EPIPE or ECONNRESET when the client has gone, an expected outcome for a server that
// the caller counts rather than throws. `nonblocking` never waits on a slow client: a reply of a few
// dozen bytes fits any socket buffer, so it goes out at once or the peer is gone (else EAGAIN).
IoResult send_reply(const Fd& fd, std::string_view reply, bool nonblocking = false);
// recv(2); EINTR retried. bytes == 0 with ok() is the end of the stream (the peer closed).
IoResult receive(const Fd& fd, void* data, std::size_t size);

// A client of a one-reply service (the stamp servers): connects, reads until the server closes or
// `timeout` passes without data, and returns what came.
std::string fetch_reply(const SocketAddress& server, std::chrono::milliseconds timeout);

// Starts a connect on a non-blocking socket: 0 when it completed at once, EINPROGRESS when it goes on
// in the background (epoll reports it), or the errno it failed with (ECONNREFUSED, EADDRNOTAVAIL...).
int start_connect(const Fd& fd, const SocketAddress& addr);

// A blocking connect that gives up after `timeout` (SO_SNDTIMEO bounds connect(2) on Linux); throws
// Error{"connect", addr, ...} on failure or timeout.
void connect(const Fd& fd, const SocketAddress& addr, std::chrono::milliseconds timeout);

// A descriptor held in reserve for a server that runs out of them (EMFILE, ENFILE). accept(2) then
// fails while the connection stays queued and the listener readable, so a level-triggered loop would
// spin and the client would wait for nothing. Closing the reserve makes room to accept a waiting
// connection and reset it at once: the client is refused, the queue drains, the loop goes quiet.
class AcceptReserve {
public:
    AcceptReserve(); // holds /dev/null open
    // Accepts and resets up to `limit` connections waiting on a non-blocking listener. Returns how many,
    // or nullopt when the reserve could not make room (it is gone, or another thread took the freed
    // descriptor): then the caller must stop accepting for a while instead.
    std::optional<std::size_t> refuse_waiting(const Fd& listener, std::size_t limit);
    // Closes the reserve (a forked child that never accepts does not need it).
    void release() noexcept { spare_.reset(); }

private:
    Fd spare_;
};

} // namespace netlab::tcp
