// Labs of network namespaces that outlive their command, recorded in /run/netlab/labs.
#include "lab.hpp"

#include "confine.hpp"
#include "error.hpp"
#include "netns.hpp"
#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace netlab::lab {

namespace {

using namespace std::chrono_literals;

std::string state_file_name(const std::string& name) {
    return name + ".lab";
}

std::string object(const std::string& name) {
    return "lab " + name;
}

void check_name(const std::string& name) {
    if (auto problem = name_problem(name)) throw UsageError(fmt::format("lab name '{}': {}", name, *problem));
}

void save(const std::filesystem::path& dir, const State& state) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error("create", dir.string(), ec.value());
    Fd dir_fd = open_directory(dir.string());
    Refusal refusal{};
    int error = 0;
    auto file = AtomicFile::create(dir_fd, state_file_name(state.name), true, &refusal, &error);
    if (!file) throw Error("create", (dir / state_file_name(state.name)).string(), error ? error : EACCES);
    std::string text = encode_state(state);
    file->write(text.data(), text.size());
    file->commit();
}

// The namespaces of lab `name` that exist now, found by their names.
std::vector<std::string> namespaces_of(const std::string& name) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
        std::string ns = entry.path().filename().string();
        if (node_of_namespace(name, ns)) found.push_back(ns);
    }
    std::sort(found.begin(), found.end());
    return found;
}

bool namespace_exists(const std::string& ns) {
    std::error_code ec;
    return std::filesystem::exists("/run/netns/" + ns, ec);
}

// Sends `signo` to every process in `namespaces`; returns how many it signalled.
int signal_all(const std::vector<std::string>& namespaces, int signo) {
    int count = 0;
    for (const auto& ns : namespaces)
        for (pid_t pid : processes_in_namespace(ns))
            if (::kill(pid, signo) == 0) ++count;
    return count;
}

bool any_process_in(const std::vector<std::string>& namespaces) {
    return std::any_of(namespaces.begin(), namespaces.end(),
                       [](const auto& ns) { return !processes_in_namespace(ns).empty(); });
}

void wait_until_empty(const std::vector<std::string>& namespaces, std::chrono::milliseconds budget) {
    for (auto waited = 0ms; waited < budget && any_process_in(namespaces); waited += 20ms)
        std::this_thread::sleep_for(20ms);
}

void start_forwarder(const std::string& router_ns, const std::vector<std::string>& forwarder_argv) {
    std::vector<std::string> argv{"ip", "netns", "exec", router_ns};
    argv.insert(argv.end(), forwarder_argv.begin(), forwarder_argv.end());
    ChildProcess forwarder = ChildProcess::spawn(argv);
    auto line = forwarder.read_stdout_line(5s);
    if (!line || *line != "ready") {
        std::string err = forwarder.read_all_stderr(1s);
        while (!err.empty() && err.back() == '\n') err.pop_back();
        throw Error("start", "the multicast forwarder in " + router_ns,
                    err.empty() ? "it did not start" : err);
    }
    forwarder.release(); // it lives in the router until `down` stops it
}

std::string read_in_namespace(const std::string& ns, const std::string& path) {
    return in_namespace(ns, [&] {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    });
}

void require_host(const State& state, const std::string& host) {
    node_namespace(state, host);
    if (host == "router") throw UsageError("loss and delay apply to hosts (h1..hN), not to the router");
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && line.back() == ' ') line.pop_back(); // ip ends IPv4 routes with a space
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

} // namespace

std::filesystem::path default_state_dir() {
    return "/run/netlab/labs";
}

void require_root(const std::string& action, const std::string& name) {
    if (::geteuid() != 0)
        throw Error(action, object(name), "needs root: a lab is made of network namespaces (try sudo)");
}

State up(const std::filesystem::path& dir, const std::string& name, const Layout& layout,
         const std::vector<std::string>& forwarder_argv) {
    check_name(name);
    if (auto problem = layout_problem(layout)) throw UsageError(*problem);
    require_root("up", name);
    if (load(dir, name) || !namespaces_of(name).empty())
        throw Error("up", object(name), fmt::format("it exists already (netlab lab down --name {})", name));
    State state{name, layout, {}, {}};
    save(dir, state);
    try {
        std::vector<std::string> made;
        build_network(
            layout, [&](const std::string& node) { return namespace_of(name, node); }, made);
        if (layout.mroute) start_forwarder(namespace_of(name, "router"), forwarder_argv);
    } catch (...) {
        down(dir, name);
        throw;
    }
    return state;
}

std::optional<State> load(const std::filesystem::path& dir, const std::string& name) {
    check_name(name);
    std::filesystem::path path = dir / state_file_name(name);
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT) return std::nullopt;
        throw Error("read", path.string(), errno);
    }
    std::stringstream text;
    text << in.rdbuf();
    auto decoded = decode_state(text.str());
    if (!decoded.state) throw Error("read", path.string(), "not a lab's state: " + decoded.reason);
    if (decoded.state->name != name) throw Error("read", path.string(), "it records another lab's name");
    return decoded.state;
}

std::vector<std::string> recorded(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string file = entry.path().filename().string();
        if (file.size() <= 4 || file.compare(file.size() - 4, 4, ".lab") != 0) continue;
        std::string name = file.substr(0, file.size() - 4);
        if (!name_problem(name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

Removal down(const std::filesystem::path& dir, const std::string& name) {
    check_name(name);
    require_root("down", name);
    Removal removal;
    // A few passes: an `ip netns add` of a killed `up` may still finish after the first look.
    for (int pass = 0; pass < 3; ++pass) {
        auto namespaces = namespaces_of(name);
        if (namespaces.empty()) break;
        if (pass > 0) std::this_thread::sleep_for(50ms);
        int signalled = signal_all(namespaces, SIGTERM);
        removal.processes += signalled;
        if (signalled > 0) {
            wait_until_empty(namespaces, 1s);
            signal_all(namespaces, SIGKILL);
            wait_until_empty(namespaces, 2s);
        }
        for (const auto& ns : namespaces) {
            delete_namespace(ns);
            if (!namespace_exists(ns)) ++removal.namespaces;
        }
    }
    std::error_code ec;
    removal.recorded = std::filesystem::remove(dir / state_file_name(name), ec);
    if (ec) throw Error("remove", (dir / state_file_name(name)).string(), ec.value());
    if (auto left = namespaces_of(name); !left.empty())
        throw Error("delete", "namespace " + left.front(), "it is still there after ip netns del");
    return removal;
}

std::string node_namespace(const State& state, const std::string& host) {
    auto nodes = node_names(state.layout);
    bool found = std::find(nodes.begin(), nodes.end(), host) != nodes.end();
    if (!found || host.compare(0, 2, "sw") == 0) {
        std::string known =
            fmt::format("h1..h{}{}", state.layout.hosts, state.layout.segments == 2 ? ", router" : "");
        throw UsageError(fmt::format("lab {} has no host '{}' (it has {})", state.name, host, known));
    }
    return namespace_of(state.name, host);
}

namespace {

// Whether `program` would be found by execvp: a path is checked as it is, a name in each $PATH entry.
// The namespace shares the file system, so asking here gives netlab's own one-line error instead of
// ip's "exec of ... failed" after the namespace is entered.
bool executable(const std::string& program) {
    if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (!dirs.empty()) {
        std::size_t end = dirs.find(':');
        std::string_view dir = dirs.substr(0, end);
        std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, program);
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        dirs = end == std::string_view::npos ? std::string_view{} : dirs.substr(end + 1);
    }
    return false;
}

} // namespace

std::vector<std::string> exec_argv(const State& state, const std::string& host,
                                   const std::vector<std::string>& argv) {
    if (!argv.empty() && !executable(argv.front()))
        throw Error("exec", fmt::format("{} on {}", argv.front(), host), ENOENT);
    std::vector<std::string> full{"ip", "netns", "exec", node_namespace(state, host)};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
}

std::vector<NodeStatus> status(const State& state) {
    std::vector<NodeStatus> nodes;
    std::vector<std::pair<std::string, int>> wanted;
    for (const auto& host : hosts_of(state.layout)) wanted.emplace_back(host.name, host.segment);
    if (state.layout.segments == 2) wanted.emplace_back("router", 0);
    for (const auto& [name, segment] : wanted) {
        NodeStatus node;
        node.name = name;
        node.ns = namespace_of(state.name, name);
        node.segment = segment;
        node.present = namespace_exists(node.ns);
        if (auto it = state.loss_percent.find(name); it != state.loss_percent.end())
            node.loss_percent = it->second;
        if (auto it = state.delay_ms.find(name); it != state.delay_ms.end()) node.delay_ms = it->second;
        if (node.present) {
            for (auto& entry : parse_brief_addresses(run_ip({"-n", node.ns, "-br", "addr", "show"})))
                if (entry.name != "lo") node.interfaces.push_back(std::move(entry));
            node.routes = lines_of(run_ip({"-n", node.ns, "route", "show"}));
            for (auto& line : lines_of(run_ip({"-n", node.ns, "-6", "route", "show"})))
                node.routes.push_back(line);
            auto v4 = parse_igmp(read_in_namespace(node.ns, "/proc/thread-self/net/igmp"));
            auto v6 = parse_igmp6(read_in_namespace(node.ns, "/proc/thread-self/net/igmp6"));
            for (auto* family : {&v4, &v6})
                for (auto& [iface, groups] : *family)
                    if (iface != "lo")
                        for (auto& group : groups) node.groups[iface].push_back(group);
            node.processes = static_cast<int>(processes_in_namespace(node.ns).size());
        }
        nodes.push_back(std::move(node));
    }
    return nodes;
}

void set_loss(const std::filesystem::path& dir, State& state, const std::string& host, int percent) {
    require_host(state, host);
    if (percent < 0 || percent > 100) throw UsageError("the loss is a percentage, 0 to 100");
    require_root("change", state.name);
    // Replaced in one transaction: add (so that delete finds it), delete, then build it again.
    std::string script = "add table inet netlab; delete table inet netlab";
    if (percent > 0) {
        script += "; add table inet netlab";
        for (const char* hook : {"input", "output"})
            script += fmt::format(
                "; add chain inet netlab {0} {{ type filter hook {0} priority 0; policy accept; }}", hook);
        // Loopback stays whole: only the host's link is lossy.
        script += fmt::format(
            "; add rule inet netlab input iifname != \"lo\" numgen random mod 100 < {} drop", percent);
        script += fmt::format(
            "; add rule inet netlab output oifname != \"lo\" numgen random mod 100 < {} drop", percent);
    }
    run_program({"ip", "netns", "exec", node_namespace(state, host), "nft", script});
    if (percent > 0)
        state.loss_percent[host] = percent;
    else
        state.loss_percent.erase(host);
    save(dir, state);
}

void set_delay(const std::filesystem::path& dir, State& state, const std::string& host, int ms) {
    require_host(state, host);
    if (ms < 0 || ms > 60000) throw UsageError("the delay is 0 to 60000 ms");
    require_root("change", state.name);
    std::string ns = node_namespace(state, host);
    if (ms == 0) {
        try {
            run_ip({"-n", ns, "link", "show", "eth0"}); // the host is there
            run_program({"tc", "-n", ns, "qdisc", "del", "dev", "eth0", "root"});
        } catch (const Error& e) {
            // No qdisc of ours on eth0: nothing to remove, unless the host itself is missing.
            if (e.action() == "ip") throw;
        }
        state.delay_ms.erase(host);
    } else {
        try {
            run_program({"tc", "-n", ns, "qdisc", "replace", "dev", "eth0", "root", "netem", "delay",
                         std::to_string(ms) + "ms"});
        } catch (const Error& e) {
            // tc's own words, after "tc ARGS: ": "Error: Specified qdisc kind is unknown."
            std::string why = std::string(e.what()).substr(e.action().size() + e.object().size() + 1);
            if (why.find("kind is unknown") != std::string::npos)
                throw Error(
                    "delay", host,
                    "this kernel has no netem (CONFIG_NET_SCH_NETEM): packets cannot be delayed here");
            throw;
        }
        state.delay_ms[host] = ms;
    }
    save(dir, state);
}

} // namespace netlab::lab
