// A lab of hosts made from network namespaces, veth pairs and a bridge (ip-netns(8), veth(4)).
#include "netns.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "process.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netlab {

namespace {

using namespace std::chrono_literals;

std::string joined(const std::vector<std::string>& args) {
    std::string text;
    for (const auto& a : args) text += (text.empty() ? "" : " ") + a;
    return text;
}

bool process_alive(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

std::atomic<int> lab_counter{0};

// One host: a namespace, a veth from its segment's switch (port<i>) to its eth0, fixed addresses.
void build_host(const lab::Layout& layout, const lab::Host& host, const std::string& ns,
                const std::string& sw) {
    std::string n = std::to_string(host.number);
    run_ip({"-n", ns, "link", "set", "lo", "up"});
    // Both ends are created inside the lab's namespaces: nothing appears in the caller's.
    run_ip({"-n", sw, "link", "add", "port" + n, "type", "veth", "peer", "name", "eth0", "netns", ns});
    run_ip({"-n", sw, "link", "set", "port" + n, "master", "br0", "up"});
    // Fixed link-local addresses instead of ones derived from random MACs, all without DAD.
    run_ip({"-n", ns, "link", "set", "eth0", "addrgenmode", "none"});
    run_ip({"-n", ns, "addr", "add", host.ipv4() + "/24", "broadcast",
            lab::segment_broadcast_v4(host.segment), "dev", "eth0"});
    run_ip({"-n", ns, "addr", "add", host.ipv6() + "/64", "dev", "eth0", "nodad"});
    run_ip({"-n", ns, "addr", "add", host.link_local() + "/64", "dev", "eth0", "nodad"});
    run_ip({"-n", ns, "link", "set", "eth0", "up"});
    if (layout.segments == 1) {
        // No router: the default route only gives multicast and 255.255.255.255 a way out.
        run_ip({"-n", ns, "route", "add", "default", "dev", "eth0"});
    } else {
        run_ip({"-n", ns, "route", "add", "default", "via",
                lab::segment_ipv4(host.segment, lab::router_number), "dev", "eth0"});
        run_ip({"-n", ns, "-6", "route", "add", "default", "via",
                lab::segment_ipv6(host.segment, lab::router_number), "dev", "eth0"});
    }
}

// The router: eth<s> on the switch of segment s, address .254 / ::254 there, forwarding on.
void build_router(const std::string& ns, const std::function<std::string(const std::string&)>& ns_of) {
    run_ip({"-n", ns, "link", "set", "lo", "up"});
    for (int s = 1; s <= 2; ++s) {
        std::string sw = ns_of("sw" + std::to_string(s)), eth = "eth" + std::to_string(s);
        run_ip({"-n", sw, "link", "add", "uplink", "type", "veth", "peer", "name", eth, "netns", ns});
        run_ip({"-n", sw, "link", "set", "uplink", "master", "br0", "up"});
        run_ip({"-n", ns, "link", "set", eth, "addrgenmode", "none"});
        run_ip({"-n", ns, "addr", "add", lab::segment_ipv4(s, lab::router_number) + "/24", "broadcast",
                lab::segment_broadcast_v4(s), "dev", eth});
        run_ip(
            {"-n", ns, "addr", "add", lab::segment_ipv6(s, lab::router_number) + "/64", "dev", eth, "nodad"});
        run_ip({"-n", ns, "addr", "add", "fe80::254/64", "dev", eth, "nodad"});
        // Every multicast frame reaches the router's sockets, joined or not: the multicast forwarder
        // (lib/multicast_forwarder.hpp) reads them all.
        run_ip({"-n", ns, "link", "set", eth, "allmulticast", "on", "up"});
    }
    write_sysctl_in(ns, "net/ipv4/ip_forward", "1");
    write_sysctl_in(ns, "net/ipv6/conf/all/forwarding", "1");
}

} // namespace

void delete_namespace(const std::string& name) noexcept {
    try {
        run_ip({"netns", "del", name});
    } catch (...) {
        // Already gone, or ip itself failed: nothing more a destructor can do.
    }
}

std::string run_program(const std::vector<std::string>& argv) {
    ChildProcess child = ChildProcess::spawn(argv);
    std::string out = child.read_all_stdout(10s);
    std::string err = child.read_all_stderr(2s);
    auto status = child.wait(2s);
    if (!status || *status != 0) {
        while (!err.empty() && err.back() == '\n') err.pop_back();
        if (auto nl = err.rfind('\n'); nl != std::string::npos) err = err.substr(nl + 1);
        std::vector<std::string> args(argv.begin() + 1, argv.end());
        throw Error(argv.front(), joined(args), err.empty() ? "failed" : err);
    }
    return out;
}

std::string run_ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
}

void build_network(const lab::Layout& layout, const std::function<std::string(const std::string&)>& ns_of,
                   std::vector<std::string>& made) {
    for (int s = 1; s <= layout.segments; ++s) {
        std::string sw = ns_of("sw" + std::to_string(s));
        run_ip({"netns", "add", sw});
        made.push_back(sw);
        run_ip({"-n", sw, "link", "set", "lo", "up"});
        // Snooping off: the bridge floods every group to every port, so whether a host receives depends
        // on its own membership only, as on a hub.
        run_ip({"-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"});
        run_ip({"-n", sw, "link", "set", "br0", "up"});
    }
    if (layout.segments == 2) {
        std::string router = ns_of("router");
        run_ip({"netns", "add", router});
        made.push_back(router);
        build_router(router, ns_of);
    }
    for (const auto& host : lab::hosts_of(layout)) {
        std::string ns = ns_of(host.name);
        run_ip({"netns", "add", ns});
        made.push_back(ns);
        build_host(layout, host, ns, ns_of("sw" + std::to_string(host.segment)));
    }
}

void enter_namespace(const std::string& ns) {
    Fd fd(::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw Error("open", "/run/netns/" + ns, errno);
    if (::setns(fd.get(), CLONE_NEWNET) < 0) throw Error("setns", ns, errno);
}

void write_sysctl_in(const std::string& ns, const std::string& path, const std::string& value) {
    in_namespace(ns, [&] {
        // /proc/sys/net shows the namespace of the thread that opens the file: this one.
        std::string file = "/proc/sys/" + path;
        Fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd.valid()) throw Error("open", file + " in " + ns, errno);
        if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
            throw Error("write", file + " in " + ns, errno);
        return 0;
    });
}

std::vector<pid_t> processes_in_namespace(const std::string& name) {
    struct stat target {};
    if (::stat(("/run/netns/" + name).c_str(), &target) < 0) return {};
    std::vector<pid_t> pids;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        std::string pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        struct stat ns {};
        if (::stat(("/proc/" + pid + "/ns/net").c_str(), &ns) < 0) continue; // exited meanwhile
        if (ns.st_ino == target.st_ino && ns.st_dev == target.st_dev) pids.push_back(std::stoi(pid));
    }
    return pids;
}

NetnsLab::NetnsLab(const std::string& prefix, int hosts) {
    std::string base = prefix + std::to_string(::getpid()) + "-" + std::to_string(lab_counter++) + "-";
    switch_ = base + "sw1";
    for (int i = 1; i <= hosts; ++i) hosts_.push_back(base + "h" + std::to_string(i));
    try {
        build_network(
            {hosts, 1, false}, [&](const std::string& node) { return base + node; }, made_);
    } catch (...) {
        for (auto it = made_.rbegin(); it != made_.rend(); ++it) delete_namespace(*it);
        throw;
    }
}

NetnsLab::~NetnsLab() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) delete_namespace(*it);
}

const std::string& NetnsLab::ns(std::string_view host) const {
    if (host == "switch") return switch_;
    if (host.size() >= 2 && host[0] == 'h') {
        int i = std::stoi(std::string(host.substr(1)));
        if (i >= 1 && i <= hosts()) return hosts_[i - 1];
    }
    throw Error("find", "lab host " + std::string(host), "no such host in the lab");
}

std::vector<std::string> NetnsLab::exec_argv(std::string_view host,
                                             const std::vector<std::string>& argv) const {
    std::vector<std::string> full{"ip", "netns", "exec", ns(host)};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
}

void NetnsLab::ip(std::string_view host, const std::vector<std::string>& args) const {
    ip_output(host, args);
}

std::string NetnsLab::ip_output(std::string_view host, const std::vector<std::string>& args) const {
    std::vector<std::string> full{"-n", ns(host)};
    full.insert(full.end(), args.begin(), args.end());
    return run_ip(full);
}

int NetnsLab::remove_stale(const std::string& prefix) {
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
        std::string name = entry.path().filename().string();
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        std::string rest = name.substr(prefix.size());
        auto dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash) continue;
        pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
        if (process_alive(pid)) continue;
        delete_namespace(name);
        ++removed;
    }
    return removed;
}

} // namespace netlab
