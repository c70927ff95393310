// recvfrom until EAGAIN, a reply per datagram within the rate limits, poll for the next.
#include "stamp_datagram.hpp"

#include "clock.hpp"
#include "datagram.hpp"
#include "error.hpp"
#include "rate_limit.hpp"
#include "sys.hpp"

#include <array>
#include <cerrno>
#include <ctime>
#include <poll.h>

namespace netlab::stamp {

DatagramCounters serve_datagrams(const Fd& sock, const Fd& stop, const DatagramConfig& config,
                                 const std::function<void(const SocketAddress&)>& on_served) {
    DatagramCounters counters;
    SourceRateLimit limit(config.per_source, config.burst, config.overall);
    std::array<std::uint8_t, 2048> buffer{}; // the request's bytes are never looked at
    std::time_t encoded_at = -1;
    std::string reply;
    for (;;) {
        pollfd fds[] = {{sock.get(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
        sys::poll(fds, -1);
        if (fds[1].revents & POLLIN) return counters;
        // A bounded batch, so that a flood cannot keep the stop signal from being seen.
        for (int i = 0; i < 256; ++i) {
            auto r = receive_from(sock, buffer);
            if (!r) break;
            ++counters.received;
            if (!limit.allow(r->from, Clock::now())) {
                ++counters.limited;
                continue;
            }
            std::time_t now = std::time(nullptr);
            if (now != encoded_at) {
                reply = encode(config.format, now);
                encoded_at = now;
            }
            try {
                send_to(sock, {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, r->from);
            } catch (const Error& e) {
                if (e.error_number() != EAGAIN) throw;
                continue; // the send buffer is full: this reply is lost, as UDP may lose it anyway
            }
            ++counters.served;
            if (on_served) on_served(r->from);
        }
    }
}

} // namespace netlab::stamp
