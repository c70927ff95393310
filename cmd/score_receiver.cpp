// The receiving side shared by udp-recv, bcast recv and mcast recv.
#include "score_receiver.hpp"

#include "clock.hpp"
#include "endpoint_options.hpp"
#include "error.hpp"
#include "json.hpp"
#include "output.hpp"
#include "score_record.hpp"
#include "signals.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "text.hpp"
#include "udp.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

void ReceiverOptions::add_to(CLI::App& app) {
    app.add_option("-c,--count", count, "Exit after N records (0 = never)")
        ->transform(whole_number())
        ->type_name("N");
    app.add_option("-t,--timeout", timeout, "Exit after S seconds without a datagram (0 = never)")
        ->check(CLI::NonNegativeNumber)
        ->type_name("S");
    app.add_option("--expect", expect, "Report records lost against N expected")
        ->transform(whole_number())
        ->type_name("N");
    app.add_flag("-s,--stats", stats, "Print received and malformed counts and the rate at the end");
    app.add_flag("-x,--hexdump", hexdump, "Print each datagram's bytes with its fields marked");
    app.add_option("--rcvbuf", receive_buffer, "Socket receive buffer in bytes")
        ->check(CLI::Range(4096, 1 << 30))
        ->capture_default_str();
}

namespace {

// 250 us holds about 50 datagrams at 200k/s, far below what the receive buffer takes.
constexpr auto flood_linger = std::chrono::microseconds(250);

struct Counters {
    std::uint64_t records = 0;
    std::uint64_t malformed = 0;
    std::uint64_t escaped = 0; // records whose name had to be escaped to be shown
    std::uint64_t bytes = 0;
};

// Logs the first malformed datagrams, then at most one line per second with the number held back,
// so a flood of garbage cannot flood stderr.
class MalformedLog {
public:
    void report(const SocketAddress& from, score::DecodeError error, std::size_t length) {
        auto now = Clock::now();
        if (burst_ < 10 || now - last_ >= std::chrono::seconds(1)) {
            std::string held = held_back_ ? fmt::format(" ({} more not shown)", held_back_) : "";
            spdlog::warn("malformed datagram from {}: {}{}", from.to_string(), score::describe(error, length),
                         held);
            ++burst_;
            held_back_ = 0;
            last_ = now;
        } else {
            ++held_back_;
        }
    }

private:
    int burst_ = 0;
    std::uint64_t held_back_ = 0;
    Clock::time_point last_{};
};

// Text output as the tutorial's receiver prints it ("IP PORT", then "name math chinese"), or JSON.
class RecordPrinter {
public:
    RecordPrinter(OutputBuffer& out, bool json) : out_(out), json_(json) {}

    void print(const SocketAddress& from, const score::Record& record) {
        if (!(from == last_source_)) {
            last_source_ = from;
            ip_ = from.ip();
            port_ = from.port();
            ip_port_line_ = ip_ + " " + std::to_string(port_) + "\n";
        }
        std::string& text = out_.text();
        if (json_) {
            json::Line(text)
                .field("type", "record")
                .field("ip", ip_)
                .field("port", port_)
                .field("name", record.name)
                .field("math", record.math)
                .field("chinese", record.chinese)
                .end();
        } else {
            // The port line is the same for every record from one sender: format it once.
            text += ip_port_line_;
            append_escaped(text, record.name);
            text += ' ';
            text += fmt::format_int(record.math).c_str();
            text += ' ';
            text += fmt::format_int(record.chinese).c_str();
            text += '\n';
        }
        out_.flush_if_full();
    }

private:
    OutputBuffer& out_;
    bool json_;
    SocketAddress last_source_;
    std::string ip_;
    std::uint16_t port_ = 0;
    std::string ip_port_line_;
};

void print_stats(const Counters& c, const ReceiverOptions& opt, double seconds, const GlobalOptions& global) {
    double rate = seconds > 0 ? static_cast<double>(c.records) / seconds : 0;
    std::uint64_t lost = opt.expect > c.records ? opt.expect - c.records : 0;
    double loss = opt.expect ? 100.0 * static_cast<double>(lost) / static_cast<double>(opt.expect) : 0;
    if (global.json) {
        std::string line;
        json::Line stats(line);
        stats.field("type", "stats")
            .field("received", c.records)
            .field("malformed", c.malformed)
            .field("escaped", c.escaped)
            .field("bytes", c.bytes)
            .field("seconds", json::Fixed{seconds, 6})
            .field("rate", json::Fixed{rate, 1});
        if (opt.expect)
            stats.field("expected", opt.expect)
                .field("lost", lost)
                .field("loss_percent", json::Fixed{loss, 3});
        stats.end();
        fmt::print("{}", line);
        return;
    }
    std::string expect =
        opt.expect ? fmt::format(", {} of {} expected, {} lost ({:.2f}%)", c.records, opt.expect, lost, loss)
                   : "";
    fmt::print(stderr,
               "received {} records, {} malformed, {} escaped, {} bytes in {:.3f} s: {:.0f} records/s{}\n",
               c.records, c.malformed, c.escaped, c.bytes, seconds, rate, expect);
}

} // namespace

int receive_score_records(const Fd& sock, std::string_view command, std::uint16_t requested_port,
                          const ReceiverOptions& opt, const GlobalOptions& global) {
    sockopt::receive_buffer(sock, opt.receive_buffer);
    // The handlers come before the announcement: a SIGTERM sent as soon as "listening on" appears
    // must end the receiver cleanly (exit 0, summary printed), not kill it.
    StopOnSignals stop{SIGINT, SIGTERM};
    announce_listening(command, requested_port, sys::local_address(sock));
    // 512-byte slots: a record is at most 504 bytes, and MSG_TRUNC tells the real size of larger ones.
    ReceiveBatch batch(256, 512);
    OutputBuffer out(STDOUT_FILENO);
    RecordPrinter printer(out, global.json);
    MalformedLog malformed_log;
    Counters counters;
    bool print_records = !global.quiet; // -q --stats: count only, the cheapest receiver

    auto start = Clock::now();
    auto last_datagram = start;
    auto last_flush = start;
    bool timed_out = false;
    auto idle_limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.timeout));
    bool done = false;
    // The loop blocks in recvmmsg itself, one system call per wake-up as in a bare receive loop.
    // SO_RCVTIMEO cuts the wait into slices: 50 ms of quiet flushes buffered output to a file or pipe
    // (a terminal is flushed after every batch), the idle --timeout is checked, and a signal that
    // lands just before the call blocks is seen within 100 ms.
    std::chrono::milliseconds current_slice{-1};
    while (!done) {
        if (int signo = stop.received()) {
            spdlog::info("stopping on signal {}", strsignal(signo));
            break;
        }
        std::chrono::milliseconds slice{out.empty() ? 100 : 50};
        if (opt.timeout > 0) {
            std::chrono::milliseconds left{timeout_ms_until(last_datagram + idle_limit)};
            slice = std::clamp(left, std::chrono::milliseconds{1}, slice);
        }
        if (slice != current_slice) {
            sockopt::receive_timeout(sock, slice);
            current_slice = slice;
        }
        std::size_t n = batch.receive(sock, true);
        if (n == 0) {
            if (stop.received()) continue;
            out.flush();
            if (opt.timeout > 0 && Clock::now() - last_datagram >= idle_limit) {
                timed_out = true;
                break;
            }
            continue;
        }
        last_datagram = Clock::now();
        // A flood with no quiet 50 ms would otherwise hold every record back until it ends: records
        // that came before the flood or between its datagrams are written at least every 100 ms.
        if (!out.empty() && last_datagram - last_flush >= std::chrono::milliseconds{100}) {
            out.flush();
            last_flush = last_datagram;
        }
        for (std::size_t i = 0; i < n && !done; ++i) {
            auto data = batch.data(i);
            std::size_t length = batch.length(i);
            SocketAddress from = batch.source(i);
            if (opt.hexdump) {
                out.text() += fmt::format("datagram from {}, {} bytes:\n", from.to_string(), length);
                out.text() += score::annotated_dump(data, length);
            }
            score::Decoded decoded = score::decode(data, length);
            if (!decoded.ok()) {
                ++counters.malformed;
                malformed_log.report(from, decoded.error, length);
                continue;
            }
            ++counters.records;
            counters.bytes += length;
            if (needs_escaping(decoded.record.name)) ++counters.escaped;
            if (print_records) printer.print(from, decoded.record);
            done = opt.count && counters.records >= opt.count;
        }
        if (out.is_terminal()) out.flush();
        // A short batch of several datagrams means a flood that the loop drains faster than it
        // arrives: waking up for every few datagrams then costs more than the datagrams themselves.
        // Lingering a moment lets the socket buffer gather a fuller batch (like interrupt coalescing
        // on a NIC); a lone datagram, the usual case by hand, is never delayed.
        if (n >= 2 && n < batch.capacity() && !done) sleep_until(Clock::now() + flood_linger);
    }
    out.flush();
    double seconds = seconds_between(start, Clock::now());
    if (opt.stats) print_stats(counters, opt, seconds, global);
    if (timed_out && opt.count && counters.records < opt.count)
        throw Error("receive", fmt::format("{} records", opt.count),
                    fmt::format("timed out after {} s idle with {} received", opt.timeout, counters.records));
    return 0;
}

} // namespace netlab::cmd
