// libFuzzer entry point of one target, chosen at build time by NETLAB_FUZZ_TARGET (see fuzz/CMakeLists.txt).
#include "checks.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace {

const netlab::fuzz::Target& target() {
    static const netlab::fuzz::Target* t = netlab::fuzz::find_target(NETLAB_FUZZ_TARGET);
    if (!t) {
        std::fprintf(stderr, "no fuzz target named %s\n", NETLAB_FUZZ_TARGET);
        std::abort();
    }
    return *t;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        target().check({data, size});
    } catch (const std::exception& e) {
        // A broken property or an exception a decoder must not throw: a finding, like a crash.
        std::fprintf(stderr, "%s: %s\n", NETLAB_FUZZ_TARGET, e.what());
        std::abort();
    }
    return 0;
}
