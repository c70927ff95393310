// The load generator: per thread one epoll loop with its share of the non-blocking connections.
#include "load_generator.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "tcp.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <sys/resource.h>
#include <system_error>
#include <thread>

namespace netlab::load {

std::string_view error_kind_name(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::refused:
        return "refused";
    case ErrorKind::reset:
        return "reset";
    case ErrorKind::connect_timeout:
        return "connect_timeout";
    case ErrorKind::timeout:
        return "timeout";
    case ErrorKind::bad_reply:
        return "bad_format";
    case ErrorKind::other:
        return "other";
    }
    return "other";
}

ErrorKind classify_errno(int err) {
    switch (err) {
    case ECONNREFUSED:
        return ErrorKind::refused;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
        return ErrorKind::reset;
    case ETIMEDOUT:
        return ErrorKind::timeout;
    default:
        return ErrorKind::other;
    }
}

namespace {

// The first number in a /proc/sys file, or 0 when it cannot be read.
long sysctl_number(const char* path, int field = 0) {
    std::ifstream in(path);
    long v = 0;
    for (int i = 0; i <= field && in >> v; ++i) {
    }
    return in || in.eof() ? v : 0;
}

} // namespace

std::vector<std::string> raise_limits(const SocketAddress& target, unsigned concurrency) {
    std::vector<std::string> caps;
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
        if (nofile.rlim_cur < nofile.rlim_max) {
            nofile.rlim_cur = nofile.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &nofile);
            ::getrlimit(RLIMIT_NOFILE, &nofile);
        }
        // A few descriptors for stdio, epoll and the signalfd.
        constexpr rlim_t spare = 16;
        if (nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur < concurrency + spare)
            caps.push_back(fmt::format(
                "RLIMIT_NOFILE is {}: at most {} of the {} connections can be in flight; the "
                "rest fail with 'Too many open files' (raise the hard limit: prlimit --nofile)",
                nofile.rlim_cur, nofile.rlim_cur > spare ? nofile.rlim_cur - spare : 0, concurrency));
    }
    long low = sysctl_number("/proc/sys/net/ipv4/ip_local_port_range", 0),
         high = sysctl_number("/proc/sys/net/ipv4/ip_local_port_range", 1);
    if (high > low && static_cast<unsigned long>(high - low + 1) < concurrency)
        caps.push_back(
            fmt::format("the ephemeral port range {}-{} holds {} ports: at most that many connections to "
                        "one server at once (net.ipv4.ip_local_port_range)",
                        low, high, high - low + 1));
    if (target.is_loopback()) {
        long somaxconn = sysctl_number("/proc/sys/net/core/somaxconn");
        if (somaxconn > 0 && static_cast<unsigned long>(somaxconn) < concurrency)
            caps.push_back(
                fmt::format("net.core.somaxconn is {}: the server's accept queue holds at most that many "
                            "of the {} connections arriving at once; SYNs beyond it are dropped and sent "
                            "again after 1 s, 3 s, 7 s (latency, and connect timeouts)",
                            somaxconn, concurrency));
    }
    return caps;
}

std::uint64_t Report::failed() const {
    return std::accumulate(errors.begin(), errors.end(), std::uint64_t{0});
}

Latency summarize(std::vector<std::uint64_t>& samples) {
    Latency l;
    if (samples.empty()) return l;
    std::sort(samples.begin(), samples.end());
    auto seconds = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e9; };
    // Nearest rank: the smallest sample with at least p% of the samples at or below it.
    auto rank = [&](double p) {
        auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
        return seconds(samples[std::clamp<std::size_t>(k, 1, samples.size()) - 1]);
    };
    long double sum = 0;
    for (auto s : samples) sum += s;
    l.min = seconds(samples.front());
    l.max = seconds(samples.back());
    l.mean = static_cast<double>(sum / samples.size()) / 1e9;
    l.p50 = rank(50);
    l.p90 = rank(90);
    l.p99 = rank(99);
    return l;
}

namespace {

constexpr std::uint64_t stop_tag = ~std::uint64_t{0};

// What one loop measured; the threads' outcomes merge into one Report.
struct Outcome {
    Report report; // seconds and latency still unset
    std::vector<std::uint64_t> samples;
    Clock::time_point start, last_end;
};

struct Slot {
    Fd fd;
    Clock::time_point start;
    std::size_t length = 0; // reply bytes so far
};

class Engine {
public:
    explicit Engine(const Options& opt)
        : opt_(opt), slots_(std::max(1u, opt.concurrency)), buffer_(slots_.size() * (opt.max_reply + 1)),
          loop_(std::min<std::size_t>(slots_.size() + 1, 1024)) {
        if (opt_.count > 0) samples_.reserve(std::min<std::uint64_t>(opt_.count, 1u << 22));
        free_.reserve(slots_.size());
        for (std::size_t i = slots_.size(); i-- > 0;) free_.push_back(i);
        if (opt_.stop_fd >= 0) loop_.add(opt_.stop_fd, EPOLLIN, stop_tag);
    }

    Outcome run() {
        start_ = Clock::now();
        if (opt_.duration.count() > 0)
            end_ = start_ + std::chrono::duration_cast<Clock::duration>(opt_.duration);
        auto next_scan = start_ + scan_interval;
        refill();
        while (active_ > 0) {
            int wait = timeout_ms_until(std::min(next_scan, end_));
            for (const epoll_event& ev : loop_.wait(wait)) {
                if (ev.data.u64 == stop_tag) {
                    // Nobody reads the signal: left in the set it would wake every wait until the
                    // connections in flight finish.
                    if (!stopping_) loop_.remove(opt_.stop_fd);
                    stopping_ = true;
                } else
                    on_ready(static_cast<std::size_t>(ev.data.u64));
            }
            auto now = Clock::now();
            if (now >= next_scan) {
                expire(now);
                next_scan = now + scan_interval;
            }
            refill();
        }
        return {report_, std::move(samples_), start_, last_end_ > start_ ? last_end_ : Clock::now()};
    }

private:
    static constexpr auto scan_interval = std::chrono::milliseconds(10);

    bool may_start(Clock::time_point now) const {
        if (stopping_) return false;
        if (opt_.count > 0 && report_.started >= opt_.count) return false;
        return now < end_;
    }

    void refill() {
        auto now = Clock::now();
        while (!free_.empty() && may_start(now)) {
            std::size_t i = free_.back();
            free_.pop_back();
            start(i, now);
            now = Clock::now();
        }
    }

    void start(std::size_t i, Clock::time_point now) {
        Slot& s = slots_[i];
        ++report_.started;
        ++active_;
        s.start = now;
        s.length = 0;
        try {
            s.fd = sys::socket(opt_.target.family(), SOCK_STREAM | SOCK_NONBLOCK);
        } catch (const Error& e) {
            fail(i, ErrorKind::other, e.what());
            return;
        }
        int rc = tcp::start_connect(s.fd, opt_.target);
        if (rc != 0 && rc != EINPROGRESS) {
            fail(i, classify_errno(rc), "connect", rc);
            return;
        }
        // Only EPOLLIN: the reply arriving says the connect succeeded, and a failed connect shows as
        // EPOLLERR, which epoll always reports. That saves switching from EPOLLOUT to EPOLLIN.
        loop_.add(s.fd.get(), EPOLLIN, i);
    }

    void on_ready(std::size_t i) {
        Slot& s = slots_[i];
        if (!s.fd.valid()) return;
        std::uint8_t* buf = buffer_.data() + i * (opt_.max_reply + 1);
        for (;;) {
            tcp::IoResult r = tcp::receive(s.fd, buf + s.length, opt_.max_reply + 1 - s.length);
            if (!r.ok()) {
                if (r.error == EAGAIN) return;
                fail(i, classify_errno(r.error), "receive", r.error);
                return;
            }
            if (r.bytes == 0) {
                std::span<const std::uint8_t> reply(buf, s.length);
                if (opt_.check_reply && !opt_.check_reply(reply))
                    fail(i, ErrorKind::bad_reply, "");
                else
                    succeed(i);
                return;
            }
            s.length += r.bytes;
            if (s.length > opt_.max_reply) {
                fail(i, ErrorKind::bad_reply, "");
                return;
            }
        }
    }

    void expire(Clock::time_point now) {
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (slots_[i].fd.valid() && now - slots_[i].start >= opt_.timeout)
                fail(i, connecting(slots_[i].fd) ? ErrorKind::connect_timeout : ErrorKind::timeout, "");
    }

    static bool connecting(const Fd& fd) {
        try {
            return sockopt::still_connecting(fd);
        } catch (const Error&) {
            return false; // not a TCP socket any more to ask: count it against the server
        }
    }

    void succeed(std::size_t i) {
        Slot& s = slots_[i];
        last_end_ = Clock::now();
        samples_.push_back(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(last_end_ - s.start).count()));
        ++report_.succeeded;
        release(i);
    }

    void fail(std::size_t i, ErrorKind kind, const char* what, int err) {
        fail(i, kind, kind == ErrorKind::other ? std::string(what) + ": " + std::strerror(err) : "");
    }

    void fail(std::size_t i, ErrorKind kind, const std::string& what) {
        ++report_.errors[static_cast<std::size_t>(kind)];
        if (kind == ErrorKind::other && report_.first_other_error.empty()) report_.first_other_error = what;
        last_end_ = Clock::now();
        release(i);
    }

    void release(std::size_t i) {
        slots_[i].fd.reset(); // closing also takes it out of the epoll set
        free_.push_back(i);
        --active_;
    }

    const Options& opt_;
    std::vector<Slot> slots_;
    std::vector<std::uint8_t> buffer_;
    std::vector<std::size_t> free_;
    Epoll loop_;
    std::vector<std::uint64_t> samples_;
    Report report_;
    std::size_t active_ = 0;
    bool stopping_ = false;
    Clock::time_point start_, last_end_{}, end_ = Clock::time_point::max();
};

Report merge(std::vector<Outcome>& outcomes) {
    Report total;
    std::vector<std::uint64_t> samples;
    auto start = Clock::time_point::max(), end = Clock::time_point::min();
    for (Outcome& o : outcomes) {
        total.started += o.report.started;
        total.succeeded += o.report.succeeded;
        for (std::size_t k = 0; k < error_kind_count; ++k) total.errors[k] += o.report.errors[k];
        if (total.first_other_error.empty()) total.first_other_error = o.report.first_other_error;
        samples.insert(samples.end(), o.samples.begin(), o.samples.end());
        start = std::min(start, o.start);
        end = std::max(end, o.last_end);
    }
    total.threads = static_cast<unsigned>(outcomes.size());
    total.seconds = seconds_between(start, end);
    total.latency = summarize(samples);
    return total;
}

} // namespace

Report run(const Options& options) {
    if (options.count == 0 && options.duration.count() <= 0)
        throw Error("load", options.target.to_string(), "neither a count nor a duration bounds the run");
    unsigned threads = std::clamp(options.threads, 1u, std::max(1u, options.concurrency));
    if (options.count > 0) threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, options.count));
    // Each thread's share: count and concurrency split as evenly as they go.
    std::vector<Options> shares(threads, options);
    for (unsigned t = 0; t < threads; ++t) {
        shares[t].threads = 1;
        shares[t].concurrency = options.concurrency / threads + (t < options.concurrency % threads ? 1 : 0);
        if (options.count > 0)
            shares[t].count = options.count / threads + (t < options.count % threads ? 1 : 0);
    }
    std::vector<Outcome> outcomes(threads);
    std::vector<std::exception_ptr> failures(threads);
    auto work = [&](unsigned t) {
        try {
            Engine engine(shares[t]);
            outcomes[t] = engine.run();
        } catch (...) {
            failures[t] = std::current_exception();
        }
    };
    {
        std::vector<std::jthread> helpers;
        for (unsigned t = 1; t < threads; ++t) {
            try {
                helpers.emplace_back(work, t);
            } catch (const std::system_error& e) {
                failures[t] = std::make_exception_ptr(Error("start", "load thread", e.code().value()));
            }
        }
        work(0); // the calling thread is the first loop
    }
    for (auto& f : failures)
        if (f) std::rethrow_exception(f);
    return merge(outcomes);
}

} // namespace netlab::load
