// Throwing wrappers of the socket system calls (socket(2), bind(2), connect(2), listen(2), poll(2)).
// Each retries EINTR where that is safe and throws Error{call, address, errno} otherwise; calls whose
// failure is an expected outcome return std::optional or a count instead.
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <optional>
#include <span>
#include <string>

#include <chrono>
#include <poll.h>

namespace netlab::sys {

// A socket opened close-on-exec. family AF_INET or AF_INET6, type SOCK_DGRAM or SOCK_STREAM (| NONBLOCK).
Fd socket(int family, int type, int protocol = 0);
void bind(const Fd& fd, const SocketAddress& addr);
void connect(const Fd& fd, const SocketAddress& addr);
void listen(const Fd& fd, int backlog, const SocketAddress& addr);
// getsockname: the address the kernel chose, e.g. the port after binding port 0.
SocketAddress local_address(const Fd& fd);
void set_nonblocking(const Fd& fd, bool on = true);
// What an error names a descriptor by: a socket's local address ("0.0.0.0:2333"), else "descriptor 7".
std::string describe(int fd);
// "descriptor 7" for one, "descriptors 3, 7" for several.
std::string describe(std::span<const pollfd> fds);
// A second descriptor for the same open file or socket (fcntl F_DUPFD_CLOEXEC).
Fd duplicate(const Fd& fd);

// Accepts one connection (close-on-exec, plus SOCK_NONBLOCK if asked); nullopt when none is waiting
// (EAGAIN) or the peer already left (ECONNABORTED). Throws on other errors, including EMFILE.
std::optional<Fd> accept(const Fd& listener, SocketAddress* peer, bool nonblocking);

// poll(2); returns the number of ready descriptors, 0 on timeout or when a signal interrupted it.
int poll(std::span<pollfd> fds, int timeout_ms);
// The same with a timeout to the nanosecond (ppoll(2)); 0 returns at once.
int poll(std::span<pollfd> fds, std::chrono::nanoseconds timeout);
// poll(2) with no wait, again and again for up to `budget`: busy polling in user space (loopback has
// no NAPI, so SO_BUSY_POLL does nothing there). Returns the number of ready descriptors, 0 when the
// budget ran out. For a peer known to answer within the budget it saves the sleep and the wake-up.
int poll_spinning(std::span<pollfd> fds, std::chrono::nanoseconds budget);

// The CPUs the calling thread may run on (sched_getaffinity(2): taskset and cpusets), at least 1. A
// CPU quota (cgroup cpu.max, docker --cpus) does not show here.
unsigned usable_cpus();

// Writes all of data to fd (a pipe, file or terminal); throws Error{"write", what, errno}.
void write_all(int fd, const void* data, std::size_t size, const char* what);

} // namespace netlab::sys
