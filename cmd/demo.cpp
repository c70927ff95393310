// demo: a classroom demo on loopback of what netlab does, narrated, finishing by itself in seconds.
// Every step runs the real subcommands as child processes, so what it shows is what users type.
#include "commands.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "netns.hpp"
#include "process.hpp"
#include "tcp.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <random>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>

namespace netlab::cmd {

namespace {

using namespace std::chrono_literals;

struct Options {
    int records = 3;
};

void say(const std::string& text) {
    fmt::print("{}\n", text);
    std::fflush(stdout);
}

void show_command(const std::vector<std::string>& argv) {
    std::string line = "$ netlab";
    for (std::size_t i = 1; i < argv.size(); ++i)
        line += argv[i].find(' ') == std::string::npos ? " " + argv[i] : " '" + argv[i] + "'";
    say(line);
}

// Starts a server given `--port 0` and returns it with the port it printed on stderr.
std::pair<ChildProcess, std::string> start_server(const std::vector<std::string>& argv,
                                                  const std::string& label) {
    show_command(argv);
    ChildProcess server = ChildProcess::spawn(argv);
    auto line = server.read_stderr_line(3s);
    auto colon = line ? line->rfind(':') : std::string::npos;
    if (colon == std::string::npos) throw Error("start", argv[1], "it did not report its port");
    say("  [" + label + "] " + line->substr(line->find("listening")));
    return {std::move(server), line->substr(colon + 1)};
}

// Starts `netlab udp-recv --port 0` and returns it with the port it printed.
std::pair<ChildProcess, std::string> start_receiver(const std::string& self, int records) {
    return start_server(
        {self, "udp-recv", "--port", "0", "--count", std::to_string(records), "--timeout", "5", "--stats"},
        "receiver");
}

// Runs a client to its end and shows each line it printed.
void run_client(const std::vector<std::string>& argv, const std::string& label = "sender") {
    show_command(argv);
    ChildProcess client = ChildProcess::spawn(argv, true, false);
    std::string output = client.read_all_stdout(3s);
    auto status = client.wait(3s);
    if (!status || *status != 0) throw Error("run", argv[1], "the demo step failed");
    for (std::size_t pos = 0; pos < output.size();) {
        auto nl = output.find('\n', pos);
        say("  [" + label + "] " + output.substr(pos, nl - pos));
        pos = nl == std::string::npos ? output.size() : nl + 1;
    }
}

// Starts `netlab tcp-stamp-server --port 0 extra...` and returns it with the port it printed.
std::pair<ChildProcess, std::string> start_stamp_server(const std::string& self,
                                                        std::vector<std::string> extra) {
    std::vector<std::string> argv = {self, "tcp-stamp-server", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return start_server(argv, "server");
}

void stop_stamp_server(ChildProcess& server) {
    server.send_signal(SIGTERM);
    auto status = server.wait(5s);
    while (auto line = server.read_stderr_line(1s)) say("  [server] " + *line);
    if (!status || *status != 0) throw Error("run", "tcp-stamp-server", "the server did not stop cleanly");
}

// The TCP part: the tutorial's exchange (connect, read "%lld\n", close), then a 1-second load burst.
void demo_tcp_stamp(const std::string& self) {
    say("");
    say("== TCP: the time-stamp server answers each connection with the time and closes it ==");
    {
        auto [server, port] = start_stamp_server(self, {});
        run_client({self, "tcp-stamp-client", "127.0.0.1:" + port, "--human"}, "client");
        if (auto line = server.read_stdout_line(3s)) say("  [server] " + *line);
        stop_stamp_server(server);
    }
    say("A 1-second load burst, 8 connections in flight (-q: a log line per connection would be the "
        "bottleneck):");
    auto [server, port] = start_stamp_server(self, {"-q", "--stats"});
    run_client({self, "tcp-stamp-client", "127.0.0.1:" + port, "--duration", "1", "--concurrency", "8"},
               "load");
    stop_stamp_server(server);
}

// The tutorial's reliable file transfer as TFTP: ftp-serve and ftp-get each drop 5% of what they send
// (seeded, so the run is repeatable), the timers recover, and the digests of both files agree.
void demo_file_transfer(const std::string& self) {
    say("");
    say("== TFTP: ftp-get fetches a file from ftp-serve; each drops 5% of the packets it sends ==");
    std::string dir_pattern = (std::filesystem::temp_directory_path() / "netlab-demo-XXXXXX").string();
    if (!::mkdtemp(dir_pattern.data())) throw Error("create", dir_pattern, errno);
    const std::filesystem::path dir = dir_pattern;
    struct Remove {
        std::filesystem::path dir;
        ~Remove() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    } remove{dir};
    const std::string served = (dir / "lecture.bin").string(), fetched = (dir / "copy.bin").string();
    {
        std::mt19937 random(2026);
        std::ofstream out(served, std::ios::binary);
        for (int i = 0; i < 200 * 1024 / 4; ++i) {
            auto word = static_cast<std::uint32_t>(random());
            out.write(reinterpret_cast<const char*>(&word), sizeof word);
        }
        if (!out.flush()) throw Error("write", served, "the demo file could not be written");
    }
    // Run as root, ftp-serve becomes nobody and serves only world-readable files: let it in.
    namespace fs = std::filesystem;
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(served, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read);
    auto [server, port] = start_server({self, "ftp-serve", "--root", dir.string(), "-b", "127.0.0.1",
                                        "--port", "0", "--count", "1", "--drop", "0.05", "--seed", "4"},
                                       "server");
    std::vector<std::string> get_argv = {self,           "ftp-get", "127.0.0.1:" + port,
                                         "lecture.bin",  "-o",      fetched,
                                         "--windowsize", "4",       "--drop",
                                         "0.05",         "--seed",  "4"};
    show_command(get_argv);
    ChildProcess client = ChildProcess::spawn(get_argv, true, true);
    std::string summary = client.read_all_stdout(5s);
    auto status = client.wait(5s);
    if (!status || *status != 0) {
        std::string error = client.read_all_stderr(1s);
        throw Error("run", "ftp-get", "the demo step failed: " + error.substr(0, error.find('\n')));
    }
    say("  [client] " + summary.substr(0, summary.find('\n')));
    if (auto line = server.read_stdout_line(5s)) say("  [server] " + *line);
    if (server.wait(5s) != 0) throw Error("run", "ftp-serve", "the server did not finish cleanly");
    // The check a student would type: the system's sha256sum (coreutils), shown with its output.
    say(fmt::format("$ sha256sum {} {}", served, fetched));
    ChildProcess sums = ChildProcess::spawn({"sha256sum", served, fetched}, true, false);
    std::string listing = sums.read_all_stdout(5s);
    if (sums.wait(5s) != 0) throw Error("run", "sha256sum", "it did not check the two files");
    auto second = listing.find('\n') + 1;
    std::string served_digest = listing.substr(0, 64), fetched_digest = listing.substr(second, 64);
    for (std::size_t pos = 0; pos < listing.size(); pos = listing.find('\n', pos) + 1)
        say("  " + listing.substr(pos, listing.find('\n', pos) - pos));
    bool same = served_digest.size() == 64 && served_digest == fetched_digest;
    say(same ? "  the digests are identical: every byte arrived" : "  the digests DIFFER");
    if (!same) throw Error("check", "ftp-get", "the fetched file differs from the served one");
    say("Each lost DATA or ACK was sent again when its timer ran out (the retransmits above); the "
        "timeout follows the measured round trip, so on loopback it is a few milliseconds.");
}

// Multicast across hosts made as network namespaces (lib/netns.hpp, built as `netlab lab up` builds
// them): one sender, two members, one host that did not join. Needs root; the lab is deleted when the
// demo ends, however it ends.
void demo_multicast(const std::string& self) {
    say("");
    say("== Multicast: one sender, receivers on two other hosts (network namespaces h1..h3 on a bridge) "
        "==");
    if (::geteuid() != 0) {
        say("This part needs root: it builds a lab of network namespaces (run: sudo netlab demo).");
        return;
    }
    NetnsLab::remove_stale("netlab-demo-");
    NetnsLab lab("netlab-demo-");
    say("$ netlab lab up          (the demo's own lab: the same hosts, deleted when the demo ends)");
    say(fmt::format("  [lab] h1 {}, h2 {}, h3 {}, each eth0 on bridge br0", NetnsLab::ipv4(1),
                    NetnsLab::ipv4(2), NetnsLab::ipv4(3)));
    std::vector<ChildProcess> receivers;
    for (const char* host : {"h2", "h3"}) {
        std::vector<std::string> argv = {self,      "mcast", "recv",      "--group", "239.0.0.1",
                                         "--count", "1",     "--timeout", "5",       "-v"};
        std::string line = fmt::format("$ netlab lab exec {} -- netlab", host);
        for (std::size_t i = 1; i < argv.size(); ++i) line += " " + argv[i];
        say(line);
        receivers.push_back(ChildProcess::spawn(lab.exec_argv(host, argv)));
        // -v makes it say when it has joined and listens; wait for that before sending.
        while (auto text = receivers.back().read_stderr_line(3s)) {
            say(fmt::format("  [{}] {}", host, text->substr(text->find(": info: ") + 8)));
            if (text->find("listening on") != std::string::npos) break;
        }
    }
    std::vector<std::string> send_argv = {self,     "mcast", "send",   "--group", "239.0.0.1", "--ttl", "1",
                                          "--name", "Lucy",  "--math", "91",      "--chinese", "88"};
    std::string line = "$ netlab lab exec h1 -- netlab";
    for (std::size_t i = 1; i < send_argv.size(); ++i) line += " " + send_argv[i];
    say(line);
    ChildProcess sender = ChildProcess::spawn(lab.exec_argv("h1", send_argv));
    std::string sent = sender.read_all_stdout(3s);
    if (sender.wait(3s) != 0) throw Error("run", "mcast send", "the demo step failed");
    say("  [h1] " + sent.substr(0, sent.find('\n')));
    const char* hosts[] = {"h2", "h3"};
    for (std::size_t i = 0; i < receivers.size(); ++i) {
        for (int n = 0; n < 2; ++n)
            if (auto text = receivers[i].read_stdout_line(3s)) say(fmt::format("  [{}] {}", hosts[i], *text));
        if (receivers[i].wait(5s) != 0) throw Error("run", "mcast recv", "a receiver did not finish cleanly");
    }
    say("One datagram, two copies: the bridge floods it, and each host keeps it because it joined "
        "239.0.0.1.");
    say("A host that had not joined would have dropped it; with --ttl 0 it would never have left h1.");
}

// pool-server under a short burst of slow clients: the view grows to --max-clients, then the idle
// workers above --max-spare retire one per tick.
void demo_process_pool(const std::string& self) {
    say("");
    say("== Process pool: pool-server grows under a burst of slow clients and shrinks back ==");
    std::vector<std::string> argv = {
        self,          "pool-server", "--bind",      "127.0.0.1", "--port",        "0", "--start",   "2",
        "--min-spare", "2",           "--max-spare", "3",         "--max-clients", "6", "--work-ms", "300",
        "--tick-ms",   "100"};
    auto [server, port] = start_server(argv, "pool");
    SocketAddress to = SocketAddress::loopback(Family::v4, parse_port(port));
    say("  ('.' idle, 'X' busy, 'G' retiring, ' ' free; 300 ms of work per client)");
    if (auto first = server.read_stderr_line(2s)) say("  [pool] " + *first);
    say("-- 15 clients at once --");
    std::vector<std::thread> clients;
    std::atomic<int> served{0};
    // A client the pool failed is something to show, not a reason to stop the demo: it is not counted
    // as served, and its error is logged once the clients are done (spdlog's sink here is not
    // thread-safe).
    std::vector<std::string> client_errors(15);
    for (int i = 0; i < 15; ++i)
        clients.emplace_back([&, i] {
            try {
                if (!tcp::fetch_reply(to, 5s).empty()) ++served;
            } catch (const Error& e) {
                client_errors[i] = e.what();
            }
        });
    auto deadline = Clock::now() + 5s;
    bool burst_over = false;
    while (Clock::now() < deadline) {
        auto view = server.read_stderr_line(1s);
        if (!view) continue;
        say("  [pool] " + *view);
        if (served == 15 && !burst_over) {
            burst_over = true;
            say("-- all 15 served; the spares above --max-spare now retire, one per tick --");
        }
        if (burst_over && view->find(" 3 idle, 0 busy") != std::string::npos &&
            view->find("retiring") == std::string::npos)
            break;
    }
    for (auto& t : clients) t.join();
    for (const std::string& e : client_errors)
        if (!e.empty()) spdlog::warn("a client of the pool failed: {}", e);
    server.send_signal(SIGTERM);
    auto status = server.wait(5s);
    if (!status || *status != 0) throw Error("run", "pool-server", "the pool did not stop cleanly");
    say("SIGTERM: the pool let busy workers finish, reaped every one and exited 0.");
}

// The tutorial's UDP exchange: one receiver, a few records from udp-send, the first one hexdumped.
void demo_udp(const std::string& self, int records) {
    say("== UDP: one receiver, a few score records (struct msg_st: math, chinese, name) ==");
    auto [receiver, port] = start_receiver(self, records);
    std::string to = "127.0.0.1:" + port;
    const char* names[] = {"Mike", "Lucy", "Wang Wei", "Ana"};
    for (int i = 0; i < records; ++i) {
        std::vector<std::string> argv = {self,
                                         "udp-send",
                                         to,
                                         "--name",
                                         names[i % 4],
                                         "--math",
                                         std::to_string(60 + 7 * i),
                                         "--chinese",
                                         std::to_string(95 - 5 * i)};
        if (i == 0) argv.push_back("--hexdump");
        run_client(argv);
        for (int line = 0; line < 2; ++line)
            if (auto text = receiver.read_stdout_line(3s)) say("  [receiver] " + *text);
    }
    auto status = receiver.wait(5s);
    if (auto stats = receiver.read_stderr_line(1s)) say("  [receiver] " + *stats);
    if (!status || *status != 0) throw Error("run", "udp-recv", "the receiver did not finish cleanly");
    say("The hexdump shows the numbers in network byte order (big-endian): the receiver must ntohl() "
        "them.");
}

int run_demo(const Options& opt) {
    std::string self = self_executable();
    demo_udp(self, opt.records);
    demo_tcp_stamp(self);
    demo_file_transfer(self);
    demo_multicast(self);
    demo_process_pool(self);
    return 0;
}

} // namespace

Runner register_demo(CLI::App& app, const GlobalOptions&, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description("A narrated demo on loopback: starts a receiver, sends records, shows both sides.");
    man.examples = {
        {"", "Run the narrated demo of every built subcommand on loopback."},
        {"--records 5", "The same with five records in the UDP part."},
    };
    man.see_also = "netlab-udp-send(1), netlab-udp-recv(1), netlab-tcp-stamp-server(1)";
    app.add_option("--records", opt->records, "Records to send in the UDP part")->check(CLI::Range(1, 20));
    return [opt] { return run_demo(*opt); };
}

} // namespace netlab::cmd
