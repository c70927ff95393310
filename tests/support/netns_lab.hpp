// The test lab: three hosts in network namespaces on one bridge (lib/netns.hpp), with helpers that
// run the real netlab binary on a host. Broadcast and multicast tests run only there, never in the
// machine's own namespace.
#pragma once

#include "netlab_test.hpp"
#include "netns.hpp"

#include <exception>
#include <optional>
#include <thread>

namespace netlab::test {

// Namespaces of test labs are named "netlab-test-<pid>-<n>-<host>".
inline constexpr const char* lab_prefix = "netlab-test-";

// Building a lab needs root; without it the test is skipped (a failure under CI, see NETLAB_SKIP):
//     NETLAB_NEEDS_ROOT("a lab of network namespaces");
#define NETLAB_NEEDS_ROOT(why)                                                                               \
    do {                                                                                                     \
        if (!::netlab::test::running_as_root()) NETLAB_SKIP("needs root: " why);                             \
    } while (0)

// A lab for one test: deletes the labs killed runs left behind, then builds its own; its destructor
// deletes it again when the test passes, fails or throws.
class TestLab {
public:
    explicit TestLab(int hosts = 3);

    const NetnsLab& lab() const { return lab_; }
    const std::string& ns(std::string_view host) const { return lab_.ns(host); }
    void ip(std::string_view host, const std::vector<std::string>& args) const { lab_.ip(host, args); }
    std::string ip_output(std::string_view host, const std::vector<std::string>& args) const {
        return lab_.ip_output(host, args);
    }

    // `ip netns exec NS netlab args...`, in the background or to completion.
    ChildProcess start(std::string_view host, const std::vector<std::string>& args) const;
    RunResult run(std::string_view host, const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = 10s) const;

private:
    static int cleaned_;
    NetnsLab lab_;
};

// Sockets opened inside a host of the lab (lib/netns.hpp), for tests that say `using namespace netlab::test`.
using netlab::enter_namespace;
using netlab::in_namespace;

// The tutorial's client datagram: math 83, chinese 86 (glibc's first two rand() % 100), "Mike" + NUL.
inline const std::vector<std::uint8_t> tutorial_datagram = {0, 0, 0, 83, 0, 0, 0, 86, 'M', 'i', 'k', 'e', 0};
// Sends bytes on a connected socket, as a foreign program would; receives one datagram (5 s at most).
void send_datagram(const Fd& sock, const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> receive_datagram(const Fd& sock);
// Everything a background netlab prints on stdout, once it has exited with status 0.
std::string output_of(ChildProcess& child);

// Starts a receiver on a host with -v and waits until it reports that it is listening (so it has
// joined its groups); fails the test otherwise.
ChildProcess start_receiver(const TestLab& lab, std::string_view host, std::vector<std::string> args);

} // namespace netlab::test
