// The test lab of network namespaces and the helpers that run netlab inside it.
#include "netns_lab.hpp"

#include <catch2/catch.hpp>

namespace netlab::test {

namespace {
int clean_stale_labs() {
    return NetnsLab::remove_stale(lab_prefix);
}
} // namespace

int TestLab::cleaned_ = 0;

// The comma operator runs the stale-lab cleanup before the member is built.
TestLab::TestLab() : lab_((cleaned_ += clean_stale_labs(), lab_prefix)) {}

ChildProcess TestLab::start(std::string_view host, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{netlab_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess::spawn(lab_.exec_argv(host, argv));
}

RunResult TestLab::run(std::string_view host, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout) const {
    ChildProcess child = start(host, args);
    return finish(child, timeout);
}

ChildProcess start_receiver(const TestLab& lab, std::string_view host, std::vector<std::string> args) {
    args.push_back("-v");
    ChildProcess child = lab.start(host, args);
    wait_for_listening_port(child);
    return child;
}

} // namespace netlab::test
