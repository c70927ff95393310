// The receiving side shared by udp-recv, bcast recv and mcast recv: decode every datagram on a bound
// socket, print good records as the tutorial's receiver does (or as JSON), count and log bad ones.
#pragma once

#include "commands.hpp"

#include "fd.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string_view>

namespace netlab::cmd {

struct ReceiverOptions {
    std::uint64_t count = 0;  // stop after this many records (0 = never)
    double timeout = 0;       // stop after this many idle seconds (0 = never)
    std::uint64_t expect = 0; // report loss against this many records
    bool stats = false;       // print counts and rate at the end
    bool hexdump = false;     // show each datagram's bytes
    int receive_buffer = 4 << 20;

    void add_to(CLI::App& app);
};

// Announces `command` as listening on `sock` (announce_listening), then receives until --count,
// --timeout or SIGINT/SIGTERM. Returns the exit code: 0, or throws Error when --count records did not
// arrive before --timeout.
int receive_score_records(const Fd& sock, std::string_view command, std::uint16_t requested_port,
                          const ReceiverOptions& opt, const GlobalOptions& global);

} // namespace netlab::cmd
