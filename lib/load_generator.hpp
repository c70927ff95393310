// A load generator for TCP services that answer a connection without a request and close it (the
// time stamp, RFC 867 Daytime, RFC 868 Time): like wrk or ab, C connections in flight at once from one
// epoll loop per thread, each reply read to the end and checked, latency percentiles and errors by kind.
#pragma once

#include "address.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::load {

// connect_timeout: the SYN was never answered (a full accept queue drops it: the network or the
// server's host is the limit); timeout: connected, but the reply did not end in time (the server).
enum class ErrorKind { refused, reset, connect_timeout, timeout, bad_reply, other };
inline constexpr std::size_t error_kind_count = 6;
// "refused", "reset", "connect_timeout", "timeout", "bad_format", "other": JSON keys and words in
// reports.
std::string_view error_kind_name(ErrorKind kind);

// Classifies the errno a connection failed with (ECONNREFUSED -> refused, ECONNRESET/EPIPE -> reset...).
ErrorKind classify_errno(int err);

struct Options {
    SocketAddress target;
    std::uint64_t count = 1000; // connections to make; 0 = no limit (then set duration)
    unsigned concurrency = 1;   // connections in flight at once, over all threads
    // Threads, each its own epoll loop with its share of count and concurrency (like wrk -t). One loop
    // saturates a core at about 27,000 connections/s on loopback, where the client's connect pays for
    // the whole handshake: a server that needs less than the client can only be told apart with more.
    unsigned threads = 1;
    std::chrono::duration<double> duration{0}; // stop starting connections after this; 0 = no limit
    std::chrono::milliseconds timeout{5000};   // per connection, from connect to the end of the reply
    std::size_t max_reply = 64;                // a longer reply counts as bad_reply
    // True when a whole reply is good; unset accepts any reply, even an empty one.
    std::function<bool(std::span<const std::uint8_t>)> check_reply;
    int stop_fd = -1; // when readable (e.g. a signalfd), start no more connections and finish
};

// Latencies of the successful connections, in seconds (all 0 when there were none).
struct Latency {
    double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct Report {
    unsigned threads = 1; // the loops that ran (fewer than asked when there were fewer connections)
    std::uint64_t started = 0;
    std::uint64_t succeeded = 0;
    std::array<std::uint64_t, error_kind_count> errors{};
    std::string first_other_error; // what the first "other" failure was, e.g. "connect: Too many open files"
    double seconds = 0;            // from the first connect to the end of the last reply
    Latency latency;

    std::uint64_t failed() const;
    std::uint64_t errors_of(ErrorKind kind) const { return errors[static_cast<std::size_t>(kind)]; }
    double rate() const { return seconds > 0 ? static_cast<double>(succeeded) / seconds : 0; }
};

// What caps a run of `concurrency` connections at once to `target` on this machine. raise_limits()
// first lifts RLIMIT_NOFILE's soft limit to the hard one; each line says what still caps the run
// (the descriptor limit, the ephemeral port range, and for a local target net.core.somaxconn, the
// server's longest accept queue) and what it causes. Empty: nothing does.
std::vector<std::string> raise_limits(const SocketAddress& target, unsigned concurrency);

// Runs the load and returns the report, merged over the threads (at most one per connection in
// flight). Throws Error only when a loop itself cannot run (epoll, thread); every failure of a
// connection is counted, never thrown.
Report run(const Options& options);

// Min, mean and nearest-rank percentiles of latency samples in nanoseconds (reorders the samples).
Latency summarize(std::vector<std::uint64_t>& samples_ns);

} // namespace netlab::load
