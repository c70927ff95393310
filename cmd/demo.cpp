// demo: a classroom demo on loopback of what netlab does, narrated, finishing by itself in seconds.
// Every step runs the real subcommands as child processes, so what it shows is what users type.
#include "commands.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "prefork_pool.hpp"
#include "process.hpp"

#include <atomic>
#include <csignal>
#include <fmt/format.h>
#include <thread>

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

// Starts `netlab udp-recv --port 0` and returns it with the port it printed.
std::pair<ChildProcess, std::string> start_receiver(const std::string& self, int records) {
    std::vector<std::string> argv = {
        self, "udp-recv", "--port", "0", "--count", std::to_string(records), "--timeout", "5", "--stats"};
    show_command(argv);
    ChildProcess receiver = ChildProcess::spawn(argv);
    auto line = receiver.read_stderr_line(3s);
    auto colon = line ? line->rfind(':') : std::string::npos;
    if (colon == std::string::npos) throw Error("start", "udp-recv", "it did not report its port");
    say("  [receiver] " + line->substr(line->find("listening")));
    return {std::move(receiver), line->substr(colon + 1)};
}

void run_step(const std::vector<std::string>& argv) {
    show_command(argv);
    ChildProcess sender = ChildProcess::spawn(argv, true, false);
    std::string output = sender.read_all_stdout(3s);
    auto status = sender.wait(3s);
    if (!status || *status != 0) throw Error("run", argv[1], "the demo step failed");
    for (std::size_t pos = 0; pos < output.size();) {
        auto nl = output.find('\n', pos);
        say("  [sender] " + output.substr(pos, nl - pos));
        pos = nl == std::string::npos ? output.size() : nl + 1;
    }
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
    show_command(argv);
    ChildProcess server = ChildProcess::spawn(argv);
    auto line = server.read_stderr_line(3s);
    auto colon = line ? line->rfind(':') : std::string::npos;
    if (colon == std::string::npos) throw Error("start", "pool-server", "it did not report its port");
    say("  [pool] " + line->substr(line->find("listening")));
    SocketAddress to = SocketAddress::loopback(Family::v4, parse_port(line->substr(colon + 1)));
    say("  ('.' idle, 'X' busy, 'G' retiring, ' ' free; 300 ms of work per client)");
    if (auto first = server.read_stderr_line(2s)) say("  [pool] " + *first);
    say("-- 15 clients at once --");
    std::vector<std::thread> clients;
    std::atomic<int> served{0};
    for (int i = 0; i < 15; ++i)
        clients.emplace_back([&] {
            try {
                if (!pool::fetch_reply(to, 5s).empty()) ++served;
            } catch (const Error&) {
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
    server.send_signal(SIGTERM);
    auto status = server.wait(5s);
    if (!status || *status != 0) throw Error("run", "pool-server", "the pool did not stop cleanly");
    say("SIGTERM: the pool let busy workers finish, reaped every one and exited 0.");
}

int run_demo(const Options& opt) {
    std::string self = self_executable();
    say("== UDP: one receiver, a few score records (struct msg_st: math, chinese, name) ==");
    auto [receiver, port] = start_receiver(self, opt.records);
    std::string to = "127.0.0.1:" + port;
    const char* names[] = {"Mike", "Lucy", "Wang Wei", "Ana"};
    for (int i = 0; i < opt.records; ++i) {
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
        run_step(argv);
        for (int line = 0; line < 2; ++line)
            if (auto text = receiver.read_stdout_line(3s)) say("  [receiver] " + *text);
    }
    auto status = receiver.wait(5s);
    if (auto stats = receiver.read_stderr_line(1s)) say("  [receiver] " + *stats);
    if (!status || *status != 0) throw Error("run", "udp-recv", "the receiver did not finish cleanly");
    say("The hexdump shows the numbers in network byte order (big-endian): the receiver must ntohl() them.");
    demo_process_pool(self);
    return 0;
}

} // namespace

Runner register_demo(CLI::App& app, const GlobalOptions&) {
    auto opt = std::make_shared<Options>();
    app.description("A narrated demo on loopback: starts a receiver, sends records, shows both sides.");
    app.add_option("--records", opt->records, "Records to send in the UDP part")->check(CLI::Range(1, 20));
    return [opt] { return run_demo(*opt); };
}

} // namespace netlab::cmd
