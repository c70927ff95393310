// Named socket options (socket(7), ip(7), ipv6(7)): one function per option, throwing Error on failure.
#pragma once

#include "fd.hpp"

#include <chrono>

namespace netlab::sockopt {

void reuse_address(const Fd& fd, bool on = true); // SO_REUSEADDR
void reuse_port(const Fd& fd, bool on = true);    // SO_REUSEPORT
void broadcast(const Fd& fd, bool on = true);     // SO_BROADCAST
void ipv6_only(const Fd& fd, bool on = true);     // IPV6_V6ONLY

// SO_RCVBUF / SO_SNDBUF ask for a size; the kernel doubles it and caps it at net.core.rmem_max, so
// the *_size getters tell what was granted. As root the setters pass the cap (SO_RCVBUFFORCE).
void receive_buffer(const Fd& fd, int bytes);
void send_buffer(const Fd& fd, int bytes);
int receive_buffer_size(const Fd& fd);
int send_buffer_size(const Fd& fd);

// SO_RCVTIMEO / SO_SNDTIMEO; zero means wait forever.
void receive_timeout(const Fd& fd, std::chrono::milliseconds timeout);
void send_timeout(const Fd& fd, std::chrono::milliseconds timeout);

int socket_error(const Fd& fd); // SO_ERROR, cleared by reading

// TCP_INFO: whether a TCP socket is still waiting for the answer to its SYN (TCP_SYN_SENT), i.e. its
// connect has not completed.
bool still_connecting(const Fd& fd);

// SO_LINGER: with on and 0 seconds, close(2) drops the connection with a RST instead of a FIN.
void linger(const Fd& fd, bool on, int seconds);

} // namespace netlab::sockopt
