// The TFTP client: one transfer on a socket of its own, until it ends, fails or is cancelled.
#include "tftp_client.hpp"

#include <algorithm>

namespace netlab::tftp {

ClientResult run_client(const ClientConfig& config, std::unique_ptr<BlockSource> source, BlockSink sink,
                        const std::function<void(const Counters&, const Settings&)>& progress) {
    Settings sizing;
    for (const auto& o : config.options) {
        auto v = parse_number(o.value);
        if (!v) continue;
        if (same_name(o.name, "blksize")) sizing.block_size = std::min<std::uint64_t>(*v, max_block_size);
        if (same_name(o.name, "windowsize"))
            sizing.window_size = static_cast<unsigned>(std::min<std::uint64_t>(*v, 1024));
    }
    Family family = config.server.is_v6() ? Family::v6 : Family::v4;
    Fd sock = open_transfer_socket(SocketAddress::wildcard(family, 0), sizing);

    Transfer::Setup setup;
    setup.role = config.put ? Transfer::Role::sender : Transfer::Role::receiver;
    setup.mode = config.mode;
    setup.timing = config.timing;
    setup.impairment = config.impairment;
    setup.peer = config.server;
    setup.peer_known = false;
    setup.asked = config.options;
    setup.max_bytes = config.max_size;
    Request request;
    request.opcode = config.put ? Opcode::wrq : Opcode::rrq;
    request.filename = config.path;
    request.mode = config.mode;
    request.options = config.options;
    setup.first = encode(request);

    Transfer t(std::move(sock), std::move(setup), std::move(source), std::move(sink));
    auto start = Clock::now();
    t.start(start);
    auto next_progress = start;
    std::optional<Clock::time_point> ended; // the dally after the last ACK is not transfer time
    for (;;) {
        auto now = Clock::now();
        if (!ended && t.status() != Status::running) ended = now;
        if (!t.active(now)) break;
        auto wake = t.deadline();
        if (progress) wake = std::min(wake, next_progress);
        pollfd fds[] = {{t.socket().get(), POLLIN, 0}, {config.stop_fd, POLLIN, 0}}; // poll skips fd -1
        wait_readable(fds, t.busy_poll(), wake);
        now = Clock::now();
        if (fds[1].revents & POLLIN) {
            t.abort("interrupted", "cancelled");
            if (!ended) ended = now;
            break;
        }
        if (fds[0].revents & POLLIN) t.on_readable(now);
        t.on_timer(now);
        if (progress && now >= next_progress) {
            progress(t.counters(), t.settings());
            next_progress = now + std::chrono::milliseconds(100);
        }
    }
    ClientResult result;
    result.ok = t.status() == Status::complete;
    result.error = t.error();
    result.settings = t.settings();
    result.counters = t.counters();
    result.options_ignored = t.options_ignored();
    result.seconds = seconds_between(start, ended.value_or(Clock::now()));
    return result;
}

} // namespace netlab::tftp
