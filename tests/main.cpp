// The Catch2 test runner of netlab. A filter that matches no test case fails (exit 2) instead of
// passing with "No tests ran": `netlab_tests "[udp-snd]"` is a typo, not a success.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
    Catch::Session session;
    session.configData().warnings = Catch::WarnAbout::NoTests; // -w on the command line adds to it
    if (int error = session.applyCommandLine(argc, argv)) return error;
    return session.run();
}
