// The time stamp over UDP, as inetd's `time dgram` and `daytime dgram` serve RFC 868 and RFC 867: any
// datagram, whatever it holds, gets one reply, within a rate per source.
#pragma once

#include "address.hpp"
#include "fd.hpp"
#include "time_stamp.hpp"

#include <cstdint>
#include <functional>

namespace netlab::stamp {

struct DatagramConfig {
    Format format = Format::unix_seconds;
    double per_source = 10; // replies a second to one source address
    double burst = 20;      // replies at once to one source address
    double overall = 10000; // replies a second to all sources together
};

struct DatagramCounters {
    std::uint64_t received = 0;
    std::uint64_t served = 0;
    std::uint64_t limited = 0; // datagrams left unanswered by the rate limits
};

// Serves on the bound, non-blocking UDP socket `sock` until `stop` (a signalfd) is readable;
// on_served(source) after each reply. Throws Error when the socket fails.
DatagramCounters serve_datagrams(const Fd& sock, const Fd& stop, const DatagramConfig& config,
                                 const std::function<void(const SocketAddress&)>& on_served);

} // namespace netlab::stamp
