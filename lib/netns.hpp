// A lab of hosts made from Linux network namespaces (ip-netns(8), veth(4), a bridge): three hosts on one
// Ethernet segment that leads nowhere else, so broadcast and multicast can be sent without leaving it.
#pragma once

#include "lab_plan.hpp"

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace netlab {

// Hosts h1..hN, each with eth0 (a veth) plugged into bridge br0 inside a fourth namespace, the switch
// (build_network with one segment: what `netlab lab up` builds, but deleted with its owner).
// Host i has 198.18.0.i/24, fd00:198:18::i/64 and fe80::i/64 (no duplicate address detection, so the
// addresses work at once), and a default route on eth0 so that multicast and 255.255.255.255 have a
// way out. The switch floods multicast (snooping off), as a plain hub would. Nothing touches the
// namespace the lab was built from. The destructor deletes every namespace: no lab outlives its owner.
class NetnsLab {
public:
    // Builds the lab with namespaces named "<prefix><pid>-<n>-h1" etc. Throws Error (deleting what it
    // made) when a step fails, e.g. without CAP_SYS_ADMIN.
    explicit NetnsLab(const std::string& prefix, int hosts = 3);
    ~NetnsLab();
    NetnsLab(const NetnsLab&) = delete;
    NetnsLab& operator=(const NetnsLab&) = delete;

    int hosts() const { return static_cast<int>(hosts_.size()); }
    // The namespace of host "h1".."hN" or "switch".
    const std::string& ns(std::string_view host) const;
    static std::string ipv4(int host) { return lab::segment_ipv4(1, host); }
    static std::string ipv6(int host) { return lab::segment_ipv6(1, host); }
    static std::string broadcast_v4() { return lab::segment_broadcast_v4(1); }

    // argv that runs `argv` inside the namespace of `host` (ip netns exec).
    std::vector<std::string> exec_argv(std::string_view host, const std::vector<std::string>& argv) const;
    // Runs `ip -n NS args...` in the namespace of `host`; throws Error with ip's message on failure.
    void ip(std::string_view host, const std::vector<std::string>& args) const;
    // The same, returning ip's output.
    std::string ip_output(std::string_view host, const std::vector<std::string>& args) const;

    // Deletes namespaces named "<prefix><pid>-..." whose process is gone: labs left by killed runs.
    // Returns how many it deleted. Names without the prefix, and labs of live processes, are left alone.
    static int remove_stale(const std::string& prefix);

private:
    std::string switch_;
    std::vector<std::string> hosts_;
    std::vector<std::string> made_; // namespaces to delete, in creation order
};

// Runs `ip args...`; returns its stdout, throws Error("ip", args, stderr) when it fails.
std::string run_ip(const std::vector<std::string>& args);
// Runs argv (argv[0] searched in PATH); returns its stdout, throws Error(argv[0], args, stderr) when
// it fails or runs longer than 10 s.
std::string run_program(const std::vector<std::string>& argv);

// Builds the namespaces, bridges, veth cables and addresses of `layout` (lib/lab_plan.hpp), the
// namespace of each node named by ns_of(node); appends each namespace to `made` as soon as it exists,
// so that the caller can delete a half-built lab. Throws Error when a step fails.
void build_network(const lab::Layout& layout, const std::function<std::string(const std::string&)>& ns_of,
                   std::vector<std::string>& made);

// `ip netns del NAME`, ignoring failure (already gone).
void delete_namespace(const std::string& name) noexcept;
// The PIDs of the processes whose network namespace is the named one (as `ip netns pids`).
std::vector<pid_t> processes_in_namespace(const std::string& name);
// Writes `value` to /proc/sys/PATH as seen from inside namespace `ns` (a sysctl such as
// "net/ipv4/ip_forward").
void write_sysctl_in(const std::string& ns, const std::string& path, const std::string& value);

// Makes the calling thread enter namespace `ns` (setns(2) changes only the calling thread).
void enter_namespace(const std::string& ns);
// Runs f() on a thread that has entered namespace `ns`, so sockets f() opens belong to that namespace
// and stay there when used from the caller's thread.
template <class F> auto in_namespace(const std::string& ns, F f) -> decltype(f()) {
    std::optional<decltype(f())> result;
    std::exception_ptr error;
    std::thread worker([&] {
        try {
            enter_namespace(ns);
            result.emplace(f());
        } catch (...) {
            error = std::current_exception();
        }
    });
    worker.join();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

} // namespace netlab
