// The sending side shared by udp-send, bcast send and mcast send: score records, one or a paced or
// unpaced flood batched with sendmmsg(2), and the summary line. RFC 768.
#pragma once

#include "commands.hpp"

#include "address.hpp"
#include "fd.hpp"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace netlab::cmd {

struct SenderOptions {
    std::string name = "Mike";
    std::optional<std::uint32_t> math, chinese;
    std::uint64_t count = 1;
    double rate = 0;
    std::optional<std::uint64_t> seed;
    bool hexdump = false;
    bool no_segmentation = false;

    // --name, --math, --chinese, --count, --rate, --seed, --hexdump, --no-gso.
    void add_to(CLI::App& app);
    // Throws UsageError when the name cannot be sent.
    void check() const;
};

// Sends the records on `sock`, already connected to `destination`, until --count or SIGINT/SIGTERM,
// then prints "OK" (one record, as the tutorial's client does) or the summary. Returns the exit code.
int send_score_records(const Fd& sock, const SocketAddress& destination, const SenderOptions& opt,
                       const GlobalOptions& global);

} // namespace netlab::cmd
