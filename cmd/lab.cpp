// lab: the classroom's network of hosts, made of network namespaces (ip-netns(8), veth(4), a bridge),
// one segment or two joined by a router that also routes multicast; it lives until `netlab lab down`.
#include "commands.hpp"

#include "error.hpp"
#include "json.hpp"
#include "lab.hpp"
#include "multicast_forwarder.hpp"
#include "process.hpp"
#include "signals.hpp"

#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <unistd.h>

namespace netlab::cmd {

namespace {

struct Options {
    std::string name = "default";
    lab::Layout layout;
    std::string host;
    std::vector<std::string> command;
    int value = 0; // loss percent, delay ms
};

// Appends `key: [items...]` to a JSON line.
void string_array(json::Line& line, std::string_view key, const std::vector<std::string>& items) {
    line.open_array(key);
    for (const auto& item : items) line.element(item);
    line.close_array();
}

// The members up and status begin with, then the array of hosts opened.
void begin_lab_json(json::Line& line, const lab::State& state) {
    line.field("lab", state.name)
        .field("segments", state.layout.segments)
        .field("mroute", state.layout.mroute);
    line.open_array("hosts");
}

std::string describe(const lab::Layout& layout) {
    if (layout.segments == 1) return fmt::format("{} hosts on one segment", layout.hosts);
    return fmt::format("{} hosts on two segments, a router between them{}", layout.hosts,
                       layout.mroute ? " that also routes multicast" : "");
}

lab::State find_lab(const std::string& action, const std::string& name) {
    if (auto problem = lab::name_problem(name))
        throw UsageError(fmt::format("lab name '{}': {}", name, *problem));
    lab::require_root(action, name);
    if (auto state = lab::load(lab::default_state_dir(), name)) return *state;
    auto labs = lab::recorded(lab::default_state_dir());
    std::string known;
    for (const auto& l : labs) known += (known.empty() ? "" : ", ") + l;
    throw Error(action, "lab " + name,
                labs.empty() ? "there is no such lab (netlab lab up)"
                             : "there is no such lab; labs: " + known);
}

int run_up(const Options& opt, const GlobalOptions& global) {
    lab::State state = lab::up(lab::default_state_dir(), opt.name, opt.layout,
                               {self_executable(), "lab", "--name", opt.name, "mrouted"});
    if (global.quiet) return 0;
    if (global.json) {
        std::string out;
        json::Line line(out);
        begin_lab_json(line, state);
        for (const auto& h : lab::hosts_of(state.layout))
            line.open_object()
                .field("name", h.name)
                .field("segment", h.segment)
                .field("ipv4", h.ipv4())
                .field("ipv6", h.ipv6())
                .close_object();
        line.close_array().end();
        fmt::print("{}", out);
        return 0;
    }
    fmt::print("lab {}: {}\n", state.name, describe(state.layout));
    for (const auto& h : lab::hosts_of(state.layout))
        fmt::print("  {:<7} segment {}  {:<15} {}\n", h.name, h.segment, h.ipv4(), h.ipv6());
    if (state.layout.segments == 2)
        fmt::print("  {:<7} segment 1  {:<15} {}\n  {:<7} segment 2  {:<15} {}\n", "router",
                   lab::segment_ipv4(1, lab::router_number), lab::segment_ipv6(1, lab::router_number), "",
                   lab::segment_ipv4(2, lab::router_number), lab::segment_ipv6(2, lab::router_number));
    fmt::print("run a command on a host: netlab lab{} exec h1 -- COMMAND\n",
               opt.name == "default" ? "" : " --name " + opt.name);
    return 0;
}

int run_down(const Options& opt, const GlobalOptions& global) {
    auto removal = lab::down(lab::default_state_dir(), opt.name);
    if (!removal.recorded && removal.namespaces == 0)
        throw Error("down", "lab " + opt.name, "there is no such lab");
    if (global.json) {
        std::string out;
        json::Line(out)
            .field("lab", opt.name)
            .field("namespaces", removal.namespaces)
            .field("processes", removal.processes)
            .end();
        fmt::print("{}", out);
    } else if (!global.quiet)
        fmt::print("lab {}: removed {} namespaces, stopped {} process{}\n", opt.name, removal.namespaces,
                   removal.processes, removal.processes == 1 ? "" : "es");
    return 0;
}

int run_exec(const Options& opt) {
    lab::State state = find_lab("exec", opt.name);
    std::vector<std::string> command = opt.command;
    if (!command.empty() && command.front() == "--") command.erase(command.begin());
    if (command.empty()) throw UsageError("name the command to run: netlab lab exec HOST -- COMMAND...");
    // ip netns exec runs the command in its own place: a shell's $! is the command's PID.
    replace_process(lab::exec_argv(state, opt.host, command));
}

int run_shell(const Options& opt) {
    lab::State state = find_lab("shell", opt.name);
    const char* shell = std::getenv("SHELL");
    std::vector<std::string> argv = lab::exec_argv(state, opt.host, {shell && *shell ? shell : "/bin/sh"});
    ::setenv("NETLAB_LAB", opt.name.c_str(), 1);
    ::setenv("NETLAB_HOST", opt.host.c_str(), 1);
    ::setenv("PS1", fmt::format("[{} {}] \\w\\$ ", opt.name, opt.host).c_str(), 1);
    replace_process(argv);
}

// Groups the kernel joins by itself (all-hosts; for IPv6 all-nodes, solicited-node and, on the router,
// all-routers): left out of the table so that the ones a program joined stand out.
bool automatic_group(const std::string& group) {
    for (const char* automatic : {"224.0.0.1", "ff01::1", "ff02::1", "ff01::2", "ff02::2", "ff05::2"})
        if (group == automatic) return true;
    return group.rfind("ff02::1:ff", 0) == 0;
}

int run_status(const Options& opt, const GlobalOptions& global) {
    lab::State state = find_lab("status", opt.name);
    auto nodes = lab::status(state);
    if (global.json) {
        std::string out;
        json::Line line(out);
        begin_lab_json(line, state);
        for (const auto& n : nodes) {
            line.open_object().field("name", n.name).field("namespace", n.ns).field("segment", n.segment);
            line.field("present", n.present).open_array("interfaces");
            for (const auto& i : n.interfaces) {
                line.open_object().field("name", i.name).field("state", i.state);
                string_array(line, "addresses", i.addresses);
                line.close_object();
            }
            line.close_array();
            string_array(line, "routes", n.routes);
            // Interface names are the lab's, but a student may add any: values, never keys.
            line.open_array("groups");
            for (const auto& [iface, list] : n.groups) {
                line.open_object().field("interface", iface);
                string_array(line, "joined", list);
                line.close_object();
            }
            line.close_array();
            line.field("loss_percent", n.loss_percent)
                .field("delay_ms", n.delay_ms)
                .field("processes", n.processes);
            line.close_object();
        }
        line.close_array().end();
        fmt::print("{}", out);
        return 0;
    }
    fmt::print("lab {}: {}\n", state.name, describe(state.layout));
    fmt::print("{:<7} {:<4} {:<18} {:<20} {:<5} {:<6} {:<5} {}\n", "HOST", "SEG", "IPV4", "IPV6", "LOSS",
               "DELAY", "PROCS", "GROUPS JOINED");
    for (const auto& n : nodes) {
        std::vector<std::string> v4, v6, joined;
        for (const auto& i : n.interfaces)
            for (const auto& a : i.addresses)
                if (a.rfind("fe80:", 0) != 0) (a.find(':') == std::string::npos ? v4 : v6).push_back(a);
        for (const auto& [iface, list] : n.groups)
            for (const auto& g : list)
                if (!automatic_group(g))
                    joined.push_back(g + (n.groups.size() > 1 ? " (" + iface + ")" : ""));
        auto first = [](const std::vector<std::string>& list) { return list.empty() ? "-" : list.front(); };
        std::string seg = n.segment ? std::to_string(n.segment) : "1,2";
        if (!n.present) {
            fmt::print("{:<7} {:<4} (missing: its namespace {} is gone)\n", n.name, seg, n.ns);
            continue;
        }
        std::string joined_text;
        for (const auto& g : joined) joined_text += (joined_text.empty() ? "" : " ") + g;
        fmt::print("{:<7} {:<4} {:<18} {:<20} {:<5} {:<6} {:<5} {}\n", n.name, seg, first(v4), first(v6),
                   n.loss_percent ? std::to_string(n.loss_percent) + "%" : "-",
                   n.delay_ms ? std::to_string(n.delay_ms) + "ms" : "-", n.processes,
                   joined_text.empty() ? "-" : joined_text);
        for (std::size_t i = 1; i < std::max(v4.size(), v6.size()); ++i)
            fmt::print("{:<7} {:<4} {:<18} {}\n", "", "", i < v4.size() ? v4[i] : "",
                       i < v6.size() ? v6[i] : "");
    }
    fmt::print("routes:\n");
    for (const auto& n : nodes)
        for (const auto& r : n.routes)
            if (r.rfind("fe80::", 0) != 0 && r.rfind("multicast", 0) != 0)
                fmt::print("  {:<7} {}\n", n.name, r);
    return 0;
}

// `loss HOST PERCENT` or `delay HOST MS`: one setting of a host's link, 0 to remove it.
int run_link_setting(const Options& opt, const GlobalOptions& global, bool loss) {
    lab::State state = find_lab(loss ? "loss" : "delay", opt.name);
    (loss ? lab::set_loss : lab::set_delay)(lab::default_state_dir(), state, opt.host, opt.value);
    if (global.quiet || global.json) return 0;
    if (opt.value == 0)
        fmt::print("{}: no {}\n", opt.host, loss ? "loss" : "delay");
    else if (loss)
        fmt::print("{}: drops {}% of the packets it sends and of those it receives\n", opt.host, opt.value);
    else
        fmt::print("{}: delays what it sends by {} ms\n", opt.host, opt.value);
    return 0;
}

// Inside the router, started by `up --mroute`: forwards multicast until `down` stops it.
int run_mrouted(const Options&) {
    ::setsid(); // no terminal: the lab outlives the shell that made it
    SignalFd stop({SIGTERM, SIGINT, SIGHUP});
    mroute::Forwarder forwarder({"eth1", "eth2"});
    fmt::print("ready\n");
    std::fflush(stdout);
    // Whoever started us reads no further: nothing more goes to its pipes.
    if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr))
        throw Error("open", "/dev/null", errno);
    forwarder.run(stop.fd());
    return 0;
}

CLI::App* add_host(CLI::App* sub, Options& opt) {
    sub->add_option("host", opt.host, "h1..hN, or router")->required();
    return sub;
}

} // namespace

Runner register_lab(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    app.description("Build a network of hosts in namespaces, one segment or two with a router between "
                    "them; it stays until 'netlab lab down'. Needs root.");
    man.examples = {
        {"up", "Build hosts h1, h2, h3 on one bridge: 198.18.0.1-3 and fd00:198:18::1-3."},
        {"up --name ttl --hosts 4 --segments 2 --mroute",
         "Two segments, a router between them that routes multicast."},
        {"exec h2 -- netlab mcast recv --count 1", "Run a command on host h2."},
        {"status --json", "Hosts, addresses, groups joined and routes, as JSON."},
        {"loss h1 10", "Drop 10% of what h1 sends and of what it receives (nftables); 0 removes it."},
        {"down --name ttl", "Stop what runs in lab ttl and delete its namespaces."},
    };
    man.see_also = "netlab-mcast(1), netlab-bcast(1), ip-netns(8), nft(8)";
    app.require_subcommand(1);
    auto opt = std::make_shared<Options>();
    app.add_option("-n,--name", opt->name, "Which lab (several can coexist)")
        ->envname("NETLAB_LAB")
        ->capture_default_str();

    CLI::App* up =
        app.add_subcommand("up", "Build the lab: hosts h1..hN on bridges, a router with --segments 2");
    up->add_option("--hosts", opt->layout.hosts, "Hosts")
        ->check(CLI::Range(1, lab::max_hosts))
        ->capture_default_str();
    up->add_option("--segments", opt->layout.segments, "1: one bridge; 2: two, and a router between them")
        ->check(CLI::Range(1, 2))
        ->capture_default_str();
    up->add_flag("--mroute", opt->layout.mroute, "The router also forwards multicast, TTL lowered by one");
    CLI::App* down = app.add_subcommand("down", "Remove the lab: stop its processes, delete its namespaces");
    CLI::App* exec =
        add_host(app.add_subcommand("exec", "Run a command on a host: exec HOST -- COMMAND..."), *opt);
    exec->add_option("command", opt->command, "The command and its arguments")->required();
    exec->footer("Put -- before the command when it has options of its own: exec h1 -- ip -br addr");
    CLI::App* shell = add_host(app.add_subcommand("shell", "Start $SHELL on a host"), *opt);
    CLI::App* status = app.add_subcommand("status", "Show hosts, addresses, groups joined and routes");
    CLI::App* loss =
        add_host(app.add_subcommand("loss", "Drop PERCENT of what a host sends and receives"), *opt);
    loss->add_option("percent", opt->value, "0-100; 0 removes the loss")
        ->check(CLI::Range(0, 100))
        ->required();
    CLI::App* delay = add_host(app.add_subcommand("delay", "Delay what a host sends (needs netem)"), *opt);
    delay->add_option("ms", opt->value, "Milliseconds; 0 removes the delay")
        ->check(CLI::Range(0, 60000))
        ->required();
    CLI::App* mrouted = app.add_subcommand("mrouted", "The router's multicast forwarder (started by up)");
    mrouted->group(""); // internal: not listed
    for (CLI::App* sub : {up, down, exec, shell, status, loss, delay, mrouted}) sub->fallthrough();

    return [=, &global]() -> int {
        if (up->parsed()) return run_up(*opt, global);
        if (down->parsed()) return run_down(*opt, global);
        if (exec->parsed()) return run_exec(*opt);
        if (shell->parsed()) return run_shell(*opt);
        if (status->parsed()) return run_status(*opt, global);
        if (loss->parsed() || delay->parsed()) return run_link_setting(*opt, global, loss->parsed());
        return run_mrouted(*opt);
    };
}

} // namespace netlab::cmd
