// A lab of hosts made from network namespaces, veth pairs and a bridge (ip-netns(8), veth(4)).
#include "netns.hpp"

#include "error.hpp"
#include "process.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
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

void delete_namespace(const std::string& name) noexcept {
    try {
        run_ip({"netns", "del", name});
    } catch (...) {
        // Already gone, or ip itself failed: nothing more a destructor can do.
    }
}

std::atomic<int> lab_counter{0};

} // namespace

std::string run_ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child = ChildProcess::spawn(argv);
    std::string out = child.read_all_stdout(10s);
    std::string err = child.read_all_stderr(2s);
    auto status = child.wait(2s);
    if (!status || *status != 0) {
        while (!err.empty() && err.back() == '\n') err.pop_back();
        throw Error("ip", joined(args), err.empty() ? "failed" : err);
    }
    return out;
}

NetnsLab::NetnsLab(const std::string& prefix, int hosts) {
    std::string base = prefix + std::to_string(::getpid()) + "-" + std::to_string(lab_counter++) + "-";
    switch_ = base + "switch";
    for (int i = 1; i <= hosts; ++i) hosts_.push_back(base + "h" + std::to_string(i));
    try {
        run_ip({"netns", "add", switch_});
        made_.push_back(switch_);
        run_ip({"-n", switch_, "link", "set", "lo", "up"});
        // Snooping off: the bridge floods every group to every port, so whether a host receives depends
        // on its own membership only, as on a hub.
        run_ip({"-n", switch_, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"});
        run_ip({"-n", switch_, "link", "set", "br0", "up"});
        for (int i = 1; i <= hosts; ++i) {
            const std::string& h = hosts_[i - 1];
            std::string n = std::to_string(i);
            run_ip({"netns", "add", h});
            made_.push_back(h);
            run_ip({"-n", h, "link", "set", "lo", "up"});
            // Both ends are created inside the lab's namespaces: nothing appears in the caller's.
            run_ip({"-n", switch_, "link", "add", "port" + n, "type", "veth", "peer", "name", "eth0", "netns",
                    h});
            run_ip({"-n", switch_, "link", "set", "port" + n, "master", "br0", "up"});
            // Fixed link-local addresses instead of ones derived from random MACs, all without DAD.
            run_ip({"-n", h, "link", "set", "eth0", "addrgenmode", "none"});
            run_ip({"-n", h, "addr", "add", ipv4(i) + "/24", "broadcast", broadcast_v4(), "dev", "eth0"});
            run_ip({"-n", h, "addr", "add", ipv6(i) + "/64", "dev", "eth0", "nodad"});
            run_ip({"-n", h, "addr", "add", "fe80::" + n + "/64", "dev", "eth0", "nodad"});
            run_ip({"-n", h, "link", "set", "eth0", "up"});
            run_ip({"-n", h, "route", "add", "default", "dev", "eth0"});
        }
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
