// The sending side shared by udp-send, bcast send and mcast send.
#include "score_sender.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "json.hpp"
#include "score_record.hpp"
#include "signals.hpp"
#include "udp.hpp"

#include <fmt/format.h>
#include <random>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

// splitmix64: a fast, well-mixed generator; std::mt19937 would cost more to seed than a run sends.
class Scores {
public:
    explicit Scores(std::uint64_t seed) : state_(seed) {}
    std::uint32_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return static_cast<std::uint32_t>((z ^ (z >> 31)) % 100);
    }

private:
    std::uint64_t state_;
};

} // namespace

void SenderOptions::add_to(CLI::App& app) {
    app.add_option("-n,--name", name, "Name in the record (at most 495 bytes)")->capture_default_str();
    app.add_option("--math", math, "Math score (default random 0-99)")
        ->transform(whole_number(UINT32_MAX))
        ->type_name("N");
    app.add_option("--chinese", chinese, "Chinese score (default random 0-99)")
        ->transform(whole_number(UINT32_MAX))
        ->type_name("N");
    app.add_option("-c,--count", count, "Records to send (0 = until interrupted)")
        ->transform(whole_number())
        ->type_name("N")
        ->capture_default_str();
    app.add_option("-r,--rate", rate, "Records per second (0 = as fast as possible)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--seed", seed, "Seed for the random scores, for repeatable runs")
        ->transform(whole_number())
        ->type_name("N");
    app.add_flag("-x,--hexdump", hexdump, "Print each datagram's bytes with its fields marked");
    app.add_flag("--no-gso", no_segmentation,
                 "One trip down the stack per record, not per 64 (packet captures on lo then show each "
                 "record as its own packet)");
}

void SenderOptions::check() const {
    if (auto why = score::check_name(name)) throw UsageError(*why);
}

int send_score_records(const Fd& sock, const SocketAddress& destination, const SenderOptions& opt,
                       const GlobalOptions& global) {
    SignalFd signals{SIGINT, SIGTERM};
    Scores scores(opt.seed ? *opt.seed : std::random_device{}());
    // Four segmentation-offload messages of 64 records per system call.
    constexpr std::size_t batch_size = 256;
    SendBatch batch(batch_size, score::max_datagram);
    std::size_t record_size = 0;
    for (std::size_t i = 0; i < batch_size; ++i) {
        record_size = score::encode({opt.name, 0, 0}, batch.slot(i));
        batch.set_length(i, record_size);
    }
    // A capture on the sending host sees an offloaded group as one large packet; --hexdump is for
    // looking at packets, so it sends them one by one as well.
    if (opt.no_segmentation || opt.hexdump) batch.disable_segmentation();

    auto start = Clock::now();
    Pacer pacer(opt.rate, start);
    std::uint64_t sent = 0, lost = 0; // lost: dropped before leaving (EPERM, ENOBUFS)
    bool refused = false, interrupted = false;
    bool forever = opt.count == 0;
    while ((forever || sent + lost < opt.count) && !interrupted) {
        std::uint64_t done = sent + lost;
        std::uint64_t left = forever ? batch_size : std::min<std::uint64_t>(opt.count - done, batch_size);
        std::uint64_t n = pacer.allowed(Clock::now(), done, left);
        if (n == 0) {
            sleep_until(pacer.due(done));
            interrupted = signals.read().has_value();
            continue;
        }
        for (std::size_t i = 0; i < n; ++i) {
            score::Record record{opt.name, opt.math ? *opt.math : scores.next(),
                                 opt.chinese ? *opt.chinese : scores.next()};
            score::encode(record, batch.slot(i));
            if (opt.hexdump) {
                fmt::print("datagram to {}, {} bytes:\n{}", destination.to_string(), record_size,
                           score::annotated_dump(batch.slot(i).first(record_size), record_size));
            }
        }
        auto result = batch.send(sock, n);
        if (sent == 0 && n > 1)
            spdlog::debug(batch.segmented() ? "sending with UDP segmentation offload (UDP_SEGMENT)"
                                            : "sending one datagram per message");
        sent += result.sent;
        lost += result.lost;
        refused = refused || result.refused;
        interrupted = signals.read().has_value();
    }
    double seconds = seconds_between(start, Clock::now());
    double rate = seconds > 0 ? static_cast<double>(sent) / seconds : 0;

    if (lost)
        spdlog::warn("{} datagrams to {} dropped before leaving (a firewall rule or a full device queue)",
                     lost, destination.to_string());
    if (refused)
        spdlog::warn("{} answered 'port unreachable': nothing is listening there", destination.to_string());
    if (global.quiet) return 0;
    if (global.json) {
        std::string line;
        json::Line(line)
            .field("type", "summary")
            .field("destination", destination.to_string())
            .field("sent", sent)
            .field("lost", lost)
            .field("bytes", sent * record_size)
            .field("seconds", json::Fixed{seconds, 6})
            .field("rate", json::Fixed{rate, 1})
            .field("refused", refused)
            .end();
        fmt::print("{}", line);
    } else if (opt.count == 1 && sent == 1) {
        fmt::print("OK\n"); // what the tutorial's client prints
    } else {
        fmt::print("sent {} records ({} bytes each) to {} in {:.3f} s: {:.0f} records/s\n", sent, record_size,
                   destination.to_string(), seconds, rate);
    }
    return 0;
}

} // namespace netlab::cmd
