// A lab of hosts made from Linux network namespaces (ip-netns(8), veth(4), a bridge): three hosts on one
// Ethernet segment that leads nowhere else, so broadcast and multicast can be sent without leaving it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace netlab {

// Hosts h1..hN, each with eth0 (a veth) plugged into bridge br0 inside a fourth namespace, the switch.
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
    static std::string ipv4(int host) { return "198.18.0." + std::to_string(host); }
    static std::string ipv6(int host) { return "fd00:198:18::" + std::to_string(host); }
    static std::string broadcast_v4() { return "198.18.0.255"; }

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

} // namespace netlab
