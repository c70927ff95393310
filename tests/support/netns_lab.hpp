// The test lab: three hosts in network namespaces on one bridge (lib/netns.hpp), with helpers that
// run the real netlab binary on a host. Broadcast and multicast tests run only there, never in the
// machine's own namespace.
#pragma once

#include "netlab_test.hpp"
#include "netns.hpp"

namespace netlab::test {

// Namespaces of test labs are named "netlab-test-<pid>-<n>-<host>".
inline constexpr const char* lab_prefix = "netlab-test-";

// Building a lab needs root; a test without it warns and returns:
//     NETLAB_NEEDS_ROOT("a lab of network namespaces");
#define NETLAB_NEEDS_ROOT(why)                                                                               \
    do {                                                                                                     \
        if (!::netlab::test::running_as_root()) {                                                            \
            WARN("needs root: " why);                                                                        \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

// A lab for one test: deletes the labs killed runs left behind, then builds its own; its destructor
// deletes it again when the test passes, fails or throws.
class TestLab {
public:
    TestLab();

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

// Starts a receiver on a host with -v and waits until it reports that it is listening (so it has
// joined its groups); fails the test otherwise.
ChildProcess start_receiver(const TestLab& lab, std::string_view host, std::vector<std::string> args);

} // namespace netlab::test
