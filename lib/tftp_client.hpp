// The TFTP client: one download (RRQ) or upload (WRQ) with options (RFC 2347-2349, RFC 7440), run to
// its end in the calling thread.
#pragma once

#include "address.hpp"
#include "tftp.hpp"
#include "tftp_transfer.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netlab::tftp {

struct ClientConfig {
    SocketAddress server;
    std::string path; // on the server
    bool put = false;
    Mode mode = Mode::octet;
    std::vector<Option> options;
    Timing timing;
    Impairment impairment;
    int stop_fd = -1; // when readable (a signalfd for SIGINT/SIGTERM), the transfer is cancelled
    std::optional<std::uint64_t> max_size; // a download's limit (Transfer::Setup::max_bytes)
};

struct ClientResult {
    bool ok = false;
    std::string error;
    Settings settings;
    Counters counters;
    bool options_ignored = false;
    double seconds = 0;
};

// Runs one download (sink) or upload (source) to the end. progress, when set, is called about ten times
// a second with the counters so far.
ClientResult run_client(const ClientConfig& config, std::unique_ptr<BlockSource> source, BlockSink sink,
                        const std::function<void(const Counters&, const Settings&)>& progress);

} // namespace netlab::tftp
