// Integration tests of pool-server: the real binary on loopback, ephemeral ports, small pools.
#include "netlab_test.hpp"

#include "sys.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

using namespace netlab::test;
using netlab::ChildProcess;

namespace {

// Everything the server sends before it closes, or what came before `timeout`.
std::string fetch(std::uint16_t port, std::chrono::milliseconds timeout = 5s) {
    return netlab::tcp::fetch_reply(netlab::SocketAddress::loopback(netlab::Family::v4, port), timeout);
}

// `count` clients at once, each fetching one stamp; returns how many got a well-formed one.
int burst(std::uint16_t port, int count) {
    std::atomic<int> good{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < count; ++i)
        clients.emplace_back([&] {
            std::string reply = fetch(port, 10s);
            auto parsed =
                netlab::stamp::parse(netlab::stamp::Format::unix_seconds,
                                     {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()});
            if (parsed.ok()) ++good;
        });
    for (auto& t : clients) t.join();
    return good;
}

// The integer after "key": in a JSON line (the scoreboard lines have only numbers we ask for).
long long json_int(const std::string& line, const std::string& key) {
    auto at = line.find("\"" + key + "\":");
    if (at == std::string::npos) return -1;
    return std::stoll(line.substr(at + key.size() + 3));
}

std::set<pid_t> json_pids(const std::string& line) {
    std::set<pid_t> pids;
    for (auto at = line.find("\"pid\":"); at != std::string::npos; at = line.find("\"pid\":", at + 1))
        pids.insert(static_cast<pid_t>(std::stol(line.substr(at + 6))));
    return pids;
}

bool process_exists(pid_t pid) {
    return std::filesystem::exists("/proc/" + std::to_string(pid));
}

// Samples the server's children every 10 ms for as long as it lives. A zombie exists for the instant
// between a worker's exit and the parent's waitpid; one seen in samples 200 ms apart is a worker
// nobody reaps.
class ZombieWatch {
public:
    explicit ZombieWatch(pid_t server) : server_(server), thread_([this] { loop(); }) {}
    ~ZombieWatch() { stop(); }
    // Stops sampling; returns the zombies that lasted, and how many samples were taken.
    std::set<pid_t> lasting() {
        stop();
        return lasting_;
    }
    int samples() const { return samples_; }
    // How many lasting zombies were seen so far (while sampling goes on).
    int lasting_count() const { return lasting_count_; }

private:
    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    void loop() {
        std::map<pid_t, std::chrono::steady_clock::time_point> first_seen;
        while (!done_ && process_exists(server_)) {
            auto now = std::chrono::steady_clock::now();
            std::set<pid_t> zombies;
            for (pid_t child : child_pids(server_))
                if (is_zombie(child)) zombies.insert(child);
            for (auto it = first_seen.begin(); it != first_seen.end();)
                it = zombies.count(it->first) ? std::next(it) : first_seen.erase(it);
            for (pid_t z : zombies) {
                auto [it, fresh] = first_seen.emplace(z, now);
                if (!fresh && now - it->second > 200ms && lasting_.insert(z).second) ++lasting_count_;
            }
            ++samples_;
            std::this_thread::sleep_for(10ms);
        }
    }
    pid_t server_;
    std::atomic<bool> done_{false};
    std::atomic<int> samples_{0};
    std::atomic<int> lasting_count_{0};
    std::set<pid_t> lasting_;
    std::thread thread_;
};

struct Pool {
    ChildProcess server;
    std::uint16_t port;
};

Pool start_pool(std::vector<std::string> args) {
    args.insert(args.begin(), {"pool-server", "--bind", "127.0.0.1", "--port", "0", "--status-json"});
    ChildProcess server = start_netlab(args);
    std::uint16_t port = wait_for_listening_port(server);
    return Pool{std::move(server), port};
}

// Reads scoreboard lines until `done` holds for one, calling `each` on every line; false on timeout.
template <typename Done, typename Each>
bool watch(ChildProcess& server, std::chrono::milliseconds timeout, Done done, Each each) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        auto line = server.read_stdout_line(left);
        if (!line) return false;
        each(*line);
        if (done(*line)) return true;
    }
    return false;
}

// Waits for a scoreboard line with `idle` idle workers and returns their pids (empty on timeout).
std::set<pid_t> wait_idle(ChildProcess& server, long long idle) {
    std::set<pid_t> pids;
    bool ok = watch(
        server, 5s, [&](const std::string& l) { return json_int(l, "idle") == idle; },
        [&](const std::string& l) { pids = json_pids(l); });
    return ok ? pids : std::set<pid_t>{};
}

} // namespace

TEST_CASE("the zombie watch used below sees a child nobody reaps", "[pool][integration]") {
    // sh starts a child, then becomes sleep, which never calls wait: the child stays a zombie.
    ChildProcess parent = ChildProcess::spawn({"/bin/sh", "-c", "/bin/true & exec sleep 30"}, false, false);
    ZombieWatch zombies(parent.pid());
    CHECK(wait_until([&] { return zombies.lasting_count() == 1; }, 10s));
    CHECK(zombies.lasting().size() == 1);
}

TEST_CASE("pool-server refuses limits that do not make sense", "[pool][integration][pool-server]") {
    RunResult inverted = run_netlab({"pool-server", "--port", "0", "--min-spare", "6", "--max-spare", "5"});
    CHECK(inverted.status == 2);
    CHECK_THAT(inverted.err, Catch::Contains("--min-spare (6) is larger than --max-spare (5)"));
    RunResult small = run_netlab({"pool-server", "--port", "0", "--max-clients", "4"});
    CHECK(small.status == 2);
    CHECK_THAT(small.err, Catch::Contains("--max-clients (4) is smaller than --min-spare (5)"));
    CHECK(run_netlab({"pool-server", "--port", "0", "--start", "30"}).status == 2);
    CHECK(run_netlab({"pool-server", "--port", "0", "--format", "roman"}).status == 2);
    CHECK(run_netlab({"pool-server", "--port", "0", "--accept", "lottery"}).status == 2);
    CHECK(run_netlab({"pool-server", "--port", "0", "--min-spare", "-1"}).status == 2);
}

TEST_CASE("a client reading like the tutorial's (fdopen, fscanf %lld) gets the time",
          "[pool][integration][pool-server]") {
    Pool pool = start_pool({"--start", "2", "--min-spare", "1", "--max-spare", "3", "--max-clients", "4"});
    netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_STREAM);
    netlab::sys::connect(fd, netlab::SocketAddress::loopback(netlab::Family::v4, pool.port));
    std::FILE* fp = ::fdopen(fd.release(), "r+");
    REQUIRE(fp);
    long long stamp = 0;
    CHECK(std::fscanf(fp, "%lld\n", &stamp) == 1);
    std::fclose(fp);
    long long now = static_cast<long long>(std::time(nullptr));
    CHECK(stamp >= now - 5);
    CHECK(stamp <= now + 5);
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
}

TEST_CASE("pool-server serves every --format", "[pool][integration][pool-server]") {
    for (auto name : {"rfc868", "daytime"}) {
        Pool pool = start_pool(
            {"--start", "1", "--min-spare", "1", "--max-spare", "1", "--max-clients", "2", "--format", name});
        std::string reply = fetch(pool.port);
        auto parsed =
            netlab::stamp::parse(*netlab::stamp::parse_format_name(name),
                                 {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()});
        INFO(name);
        CHECK(parsed.ok());
        CHECK(std::abs(parsed.seconds - static_cast<std::int64_t>(std::time(nullptr))) <= 5);
        pool.server.send_signal(SIGINT);
        CHECK(pool.server.wait(5s) == 0);
    }
}

TEST_CASE("under a burst the pool grows to --max-clients, never beyond, then shrinks back",
          "[pool][integration][pool-server]") {
    Pool pool = start_pool({"--start", "2", "--min-spare", "2", "--max-spare", "3", "--max-clients", "6",
                            "--work-ms", "300", "--tick-ms", "50"});
    std::set<pid_t> seen;
    long long most = 0;
    auto each = [&](const std::string& line) {
        most = std::max(most, json_int(line, "workers"));
        auto pids = json_pids(line);
        seen.insert(pids.begin(), pids.end());
    };
    // The burst runs beside the watcher: 18 clients for 6 workers of 300 ms each.
    ZombieWatch zombies(pool.server.pid());
    std::atomic<int> good{-1};
    std::thread clients([&] { good = burst(pool.port, 18); });
    bool grew = watch(
        pool.server, 5s, [](const std::string& l) { return json_int(l, "workers") == 6; }, each);
    clients.join();
    CHECK(grew);
    CHECK(good == 18);
    // Back to idle: at most --max-spare idle workers, retired one per tick.
    bool shrank = watch(
        pool.server, 5s,
        [](const std::string& l) { return json_int(l, "busy") == 0 && json_int(l, "workers") <= 3; }, each);
    CHECK(shrank);
    CHECK(most == 6);
    for (pid_t p : seen) CHECK(p > 0);
    CHECK(zombies.lasting().empty());
    CHECK(zombies.samples() > 10);
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
}

TEST_CASE("a worker killed with SIGKILL is reaped and replaced within a second",
          "[pool][integration][pool-server]") {
    Pool pool = start_pool(
        {"--start", "3", "--min-spare", "3", "--max-spare", "4", "--max-clients", "5", "--tick-ms", "100"});
    std::set<pid_t> pids = wait_idle(pool.server, 3);
    REQUIRE(pids.size() == 3);
    pid_t victim = *pids.begin();
    ::kill(victim, SIGKILL);
    std::set<pid_t> after;
    bool replaced = watch(
        pool.server, 1s,
        [&](const std::string& l) {
            after = json_pids(l);
            return json_int(l, "idle") == 3 && !after.count(victim);
        },
        [](const std::string&) {});
    CHECK(replaced);
    CHECK(after.size() == 3);
    CHECK_FALSE(process_exists(victim)); // reaped: not even a zombie
    CHECK(fetch(pool.port).size() > 1);
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
    CHECK_THAT(
        pool.server.read_all_stderr(1s),
        Catch::Contains("(pid " + std::to_string(victim) + ") killed by signal 9 (SIGKILL): slot freed"));
}

TEST_CASE("SIGTERM during load lets busy workers finish, reaps all and exits 0",
          "[pool][integration][pool-server]") {
    Pool pool = start_pool({"--start", "4", "--min-spare", "2", "--max-spare", "4", "--max-clients", "4",
                            "--work-ms", "400", "--tick-ms", "50", "--grace-ms", "3000"});
    std::set<pid_t> workers;
    ZombieWatch zombies(pool.server.pid());
    std::atomic<int> good{-1};
    std::thread clients([&] { good = burst(pool.port, 4); });
    bool busy = watch(
        pool.server, 5s, [](const std::string& l) { return json_int(l, "busy") == 4; },
        [&](const std::string& l) {
            auto p = json_pids(l);
            workers.insert(p.begin(), p.end());
        });
    REQUIRE(busy);
    for (pid_t p : child_pids(pool.server.pid())) workers.insert(p);
    // Every client has been accepted (4 busy): none may be lost to the shutdown.
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
    clients.join();
    CHECK(good == 4);
    CHECK(zombies.lasting().empty());
    for (pid_t p : workers) {
        INFO("worker " << p);
        CHECK_FALSE(process_exists(p));
    }
}

TEST_CASE("grace-ms bounds the wait for busy workers on SIGTERM", "[pool][integration][pool-server]") {
    Pool pool = start_pool({"--start", "2", "--min-spare", "1", "--max-spare", "2", "--max-clients", "2",
                            "--work-ms", "20000", "--grace-ms", "200"});
    std::thread client([&] { fetch(pool.port); });
    REQUIRE(watch(
        pool.server, 5s, [](const std::string& l) { return json_int(l, "busy") == 1; },
        [](const std::string&) {}));
    auto workers = child_pids(pool.server.pid());
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0); // long before the 20 s of work
    client.join();
    for (pid_t p : workers) CHECK_FALSE(process_exists(p));
}

TEST_CASE("max-requests-per-child recycles workers", "[pool][integration][pool-server]") {
    Pool pool = start_pool({"--start", "2", "--min-spare", "2", "--max-spare", "2", "--max-clients", "4",
                            "--max-requests-per-child", "2", "--tick-ms", "50"});
    ZombieWatch zombies(pool.server.pid());
    for (int i = 0; i < 10; ++i) CHECK(fetch(pool.port).size() > 1);
    // Ten connections at two per worker: at least five different workers served them, and the pool is
    // back to two idle ones (the scoreboard lines since the start name every worker there was).
    std::set<pid_t> seen;
    bool settled = watch(
        pool.server, 10s,
        [&](const std::string& l) {
            return seen.size() >= 5 && json_int(l, "idle") == 2 && json_int(l, "retiring") == 0;
        },
        [&](const std::string& l) {
            for (pid_t p : json_pids(l)) seen.insert(p);
        });
    CHECK(settled);
    CHECK(seen.size() >= 5);
    CHECK(zombies.lasting().empty()); // every recycled worker was reaped
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
    // Recycling is planned: no warning about a worker that died.
    CHECK(pool.server.read_all_stderr(1s).find("slot freed") == std::string::npos);
}

TEST_CASE("SIGHUP restarts the workers and SIGUSR1 dumps the scoreboard",
          "[pool][integration][pool-server]") {
    Pool pool = start_pool(
        {"--start", "3", "--min-spare", "3", "--max-spare", "4", "--max-clients", "6", "--tick-ms", "50"});
    std::set<pid_t> before = wait_idle(pool.server, 3);
    REQUIRE(before.size() == 3);
    pool.server.send_signal(SIGHUP);
    std::set<pid_t> after;
    bool restarted = watch(
        pool.server, 5s,
        [&](const std::string& l) {
            after = json_pids(l);
            bool fresh = json_int(l, "idle") == 3 && json_int(l, "retiring") == 0;
            for (pid_t p : after) fresh = fresh && !before.count(p);
            return fresh;
        },
        [](const std::string&) {});
    CHECK(restarted);
    CHECK(fetch(pool.port).size() > 1);
    pool.server.send_signal(SIGUSR1);
    bool dumped = watch(
        pool.server, 5s,
        [](const std::string& l) { return l.find("\"type\":\"dump\"") != std::string::npos; },
        [](const std::string&) {});
    CHECK(dumped);
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
}

TEST_CASE("pool-server -q silences the JSON scoreboard as the view, unless --status-json asks for it",
          "[pool][integration][pool-server]") {
    ChildProcess quiet = start_netlab({"pool-server", "--bind", "127.0.0.1", "--port", "0", "--json", "-q",
                                       "--start", "2", "--min-spare", "2", "--max-spare", "2"});
    std::uint16_t port = wait_for_listening_port(quiet);
    for (int i = 0; i < 3; ++i) CHECK(fetch(port).size() > 1);
    quiet.send_signal(SIGUSR1); // a dump is asked for: it is the first line stdout carries
    auto first = quiet.read_stdout_line(5s);
    REQUIRE(first);
    CHECK_THAT(*first, Catch::Contains("\"type\":\"dump\""));
    quiet.send_signal(SIGTERM);
    CHECK(quiet.wait(5s) == 0);
    CHECK_THAT(quiet.read_all_stdout(1s), !Catch::Contains("\"type\":\"scoreboard\""));

    Pool asked = start_pool({"-q", "--start", "2", "--min-spare", "2", "--max-spare", "2"});
    CHECK(wait_idle(asked.server, 2).size() == 2);
    asked.server.send_signal(SIGTERM);
    CHECK(asked.server.wait(5s) == 0);
}

TEST_CASE("the live view prints one character per slot on stderr", "[pool][integration][pool-server]") {
    ChildProcess server = start_netlab({"pool-server", "--bind", "127.0.0.1", "--port", "0", "--start", "2",
                                        "--min-spare", "2", "--max-spare", "3", "--max-clients", "5"});
    wait_for_listening_port(server);
    auto line = server.read_stderr_line(5s);
    REQUIRE(line);
    CHECK(*line == "[..   ] 2 idle, 0 busy");
    server.send_signal(SIGTERM);
    CHECK(server.wait(5s) == 0);
}

TEST_CASE("every accept mode serves", "[pool][integration][pool-server]") {
    for (auto mode : {"exclusive", "herd", "reuseport"}) {
        INFO(mode);
        Pool pool = start_pool(
            {"--start", "3", "--min-spare", "2", "--max-spare", "3", "--max-clients", "4", "--accept", mode});
        // reuseport: the workers open their sockets after the parent printed its port.
        REQUIRE(wait_idle(pool.server, 3).size() == 3);
        if (std::string(mode) == "reuseport")
            REQUIRE(wait_until([&] { return tcp_listeners(pool.port) == 3; }, 5s));
        CHECK(burst(pool.port, 12) == 12);
        pool.server.send_signal(SIGTERM);
        CHECK(pool.server.wait(5s) == 0);
    }
}

TEST_CASE("a --status-json reader that stops reading does not stall the pool",
          "[pool][integration][pool-server]") {
    // Nobody reads the server's stdout here: its pipe fills after a few hundred scoreboard lines.
    // Workers retire after every request, so the parent must keep forking, reaping and answering
    // signals while its status output has nowhere to go.
    Pool pool = start_pool({"--start", "2", "--min-spare", "2", "--max-spare", "3", "--max-clients", "4",
                            "--max-requests-per-child", "1", "--tick-ms", "20"});
    int good = 0;
    for (int i = 0; i < 600; ++i) good += fetch(pool.port, 5s).size() > 1 ? 1 : 0;
    CHECK(good == 600);
    pool.server.send_signal(SIGTERM);
    CHECK(pool.server.wait(5s) == 0);
    std::string err = pool.server.read_all_stderr(1s);
    CHECK(err.find("stdout is not being read") != std::string::npos);
    CHECK(err.find("scoreboard lines dropped") != std::string::npos);
}
