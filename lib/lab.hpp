// Labs that outlive the command that made them (`netlab lab`): hosts in network namespaces on one or two
// Ethernet segments (lib/netns.hpp builds them), recorded in a state file so that later commands find
// them by name, show them, change them and remove them, also after a crash.
#pragma once

#include "lab_plan.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace netlab::lab {

// Where labs are recorded: /run/netlab/labs (a tmpfs: a reboot forgets the labs with the namespaces).
std::filesystem::path default_state_dir();

// Throws Error(action, "lab NAME", "needs root ...") unless the process runs as root.
void require_root(const std::string& action, const std::string& name);

// Builds lab `name` and records it in `dir`/NAME.lab (written first, so that `down` finds a half-built
// lab). With layout.mroute, starts `forwarder_argv` (a command that runs mroute::Forwarder on eth1 and
// eth2 and prints "ready") inside the router, where it lives until `down`. Throws Error when the name
// is taken (a state file or a namespace of that lab exists) or a step fails, after removing what it made.
State up(const std::filesystem::path& dir, const std::string& name, const Layout& layout,
         const std::vector<std::string>& forwarder_argv);

// The recorded lab `name`; nullopt when there is none. Throws Error when the file cannot be read or
// is not a lab's state (decode_state's reason).
std::optional<State> load(const std::filesystem::path& dir, const std::string& name);
// The names of the labs recorded in `dir`, sorted.
std::vector<std::string> recorded(const std::filesystem::path& dir);

struct Removal {
    bool recorded = false; // a state file was there
    int namespaces = 0;    // namespaces deleted
    int processes = 0;     // processes stopped inside them
};
// Stops every process inside the namespaces of lab `name` (SIGTERM, then SIGKILL after 1 s), deletes
// the namespaces and the state file: whatever a crash left. Finds namespaces by name, so a lab whose
// state file is lost or damaged goes too.
Removal down(const std::filesystem::path& dir, const std::string& name);

// The namespace of `host` ("h1".."hN", "router") in the lab; throws UsageError when it has none.
std::string node_namespace(const State& state, const std::string& host);
// argv running `argv` on `host` (ip netns exec NS argv...: ip then execs it in its own place).
std::vector<std::string> exec_argv(const State& state, const std::string& host,
                                   const std::vector<std::string>& argv);

struct NodeStatus {
    std::string name;                                       // h1, router
    std::string ns;                                         // netlab-NAME-h1
    int segment = 0;                                        // 1 or 2; 0 for the router
    bool present = false;                                   // its namespace exists
    std::vector<InterfaceAddresses> interfaces;             // without lo
    std::vector<std::string> routes;                        // `ip route` and `ip -6 route` lines
    std::map<std::string, std::vector<std::string>> groups; // joined, per interface, without lo's
    int loss_percent = 0;
    int delay_ms = 0;
    int processes = 0;
};
// What each host and the router have now: read from their namespaces, not from the state file.
std::vector<NodeStatus> status(const State& state);

// Drops `percent` of the packets `host` sends or receives (nftables, numgen random: table inet
// netlab in its namespace); 0 removes the rule. Records the setting.
void set_loss(const std::filesystem::path& dir, State& state, const std::string& host, int percent);
// Delays every packet `host` sends by `ms` (tc netem); 0 removes it. Throws Error("delay", host,
// "this kernel has no netem ...") where the kernel lacks sch_netem.
void set_delay(const std::filesystem::path& dir, State& state, const std::string& host, int ms);

} // namespace netlab::lab
