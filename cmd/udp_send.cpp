// udp-send: the tutorial's UDP client. Sends score records (lib/score_record.hpp) to a receiver,
// one by default, or a paced or unpaced flood batched with sendmmsg(2). RFC 768.
#include "commands.hpp"
#include "endpoint_options.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "score_record.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "udp.hpp"

#include <fmt/format.h>
#include <optional>
#include <random>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

struct Options {
    EndpointOptions to;
    std::string name = "Mike";
    std::optional<std::uint32_t> math, chinese;
    std::uint64_t count = 1;
    double rate = 0;
    std::optional<std::uint64_t> seed;
    bool hexdump = false;
};

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

int run_udp_send(const Options& opt, const GlobalOptions& global) {
    if (auto why = score::check_name(opt.name)) throw UsageError(*why);
    SocketAddress destination = opt.to.resolve(score::default_port, false);
    Fd sock = sys::socket(destination.family(), SOCK_DGRAM);
    // Connecting fixes the destination once instead of per datagram, and brings back ICMP errors.
    sys::connect(sock, destination);

    SignalFd signals{SIGINT, SIGTERM};
    Scores scores(opt.seed ? *opt.seed : std::random_device{}());
    constexpr std::size_t batch_size = 64;
    SendBatch batch(batch_size, score::max_datagram);
    std::size_t record_size = 0;
    for (std::size_t i = 0; i < batch_size; ++i) {
        record_size = score::encode({opt.name, 0, 0}, batch.slot(i));
        batch.set_length(i, record_size);
    }

    auto start = Clock::now();
    Pacer pacer(opt.rate, start);
    std::uint64_t sent = 0;
    bool refused = false, interrupted = false;
    bool forever = opt.count == 0;
    while ((forever || sent < opt.count) && !interrupted) {
        std::uint64_t left = forever ? batch_size : std::min<std::uint64_t>(opt.count - sent, batch_size);
        std::uint64_t n = pacer.allowed(Clock::now(), sent, left);
        if (n == 0) {
            sleep_until(pacer.due(sent));
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
        sent += result.sent;
        refused = refused || result.refused;
        interrupted = signals.read().has_value();
    }
    double seconds = seconds_between(start, Clock::now());
    double rate = seconds > 0 ? static_cast<double>(sent) / seconds : 0;

    if (refused)
        spdlog::warn("{} answered 'port unreachable': nothing is listening there", destination.to_string());
    if (global.quiet) return 0;
    if (global.json) {
        fmt::print(
            "{{\"type\":\"summary\",\"destination\":\"{}\",\"sent\":{},\"bytes\":{},\"seconds\":{:.6f},"
            "\"rate\":{:.1f},\"refused\":{}}}\n",
            destination.to_string(), sent, sent * record_size, seconds, rate, refused);
    } else if (opt.count == 1 && sent == 1) {
        fmt::print("OK\n"); // what the tutorial's client prints
    } else {
        fmt::print("sent {} records ({} bytes each) to {} in {:.3f} s: {:.0f} records/s\n", sent, record_size,
                   destination.to_string(), seconds, rate);
    }
    return 0;
}

} // namespace

Runner register_udp_send(CLI::App& app, const GlobalOptions& global) {
    auto opt = std::make_shared<Options>();
    app.description("Send score records (math, chinese, name) over UDP, as the tutorial's client does.\n"
                    "Default: one record {name Mike, random scores 0-99} to 127.0.0.1:2333, then 'OK'.");
    opt->to.add_to(app, "--host", "Destination (default 127.0.0.1:2333)");
    app.add_option("-n,--name", opt->name, "Name in the record (at most 495 bytes)")->capture_default_str();
    app.add_option("--math", opt->math, "Math score (default random 0-99)")->type_name("N");
    app.add_option("--chinese", opt->chinese, "Chinese score (default random 0-99)")->type_name("N");
    app.add_option("-c,--count", opt->count, "Records to send (0 = until interrupted)")
        ->capture_default_str();
    app.add_option("-r,--rate", opt->rate, "Records per second (0 = as fast as possible)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--seed", opt->seed, "Seed for the random scores, for repeatable runs")->type_name("N");
    app.add_flag("-x,--hexdump", opt->hexdump, "Print each datagram's bytes with its fields marked");
    return [opt, &global] { return run_udp_send(*opt, global); };
}

} // namespace netlab::cmd
