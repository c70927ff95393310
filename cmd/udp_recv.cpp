// udp-recv: the tutorial's UDP server. Binds a port and prints every score record it receives.
// RFC 768; the record layout is in lib/score_record.hpp.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "score_receiver.hpp"

#include "score_record.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

struct Options {
    EndpointOptions bind;
    ReceiverOptions receive;
};

int run_udp_recv(const Options& opt, const GlobalOptions& global) {
    SocketAddress local = opt.bind.resolve(score::default_port, true);
    Fd sock = sys::socket(local.family(), SOCK_DGRAM);
    sys::bind(sock, local);
    return receive_score_records(sock, "udp-recv", local.port(), opt.receive, global);
}

} // namespace

Runner register_udp_recv(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description("Receive score records over UDP and print each as the tutorial's server does:\n"
                    "'IP PORT' then 'name math chinese'. Malformed datagrams are counted and logged.\n"
                    "Default: bind 0.0.0.0:2333. -q --stats counts without printing records.");
    man.examples = {
        {"", "Bind 0.0.0.0:2333 and print 'IP PORT' and 'name math chinese' per record."},
        {"--json --count 10", "Print ten records as JSON lines, then exit."},
        {"-q --stats --count 1000000", "Count a million records without printing them."},
    };
    man.see_also = "netlab-udp-send(1), udp(7), socket(7)";
    opt->bind.add_to(app, "-b,--bind", "Local address to bind (default 0.0.0.0:2333)");
    opt->receive.add_to(app);
    return [opt, &global] { return run_udp_recv(*opt, global); };
}

} // namespace netlab::cmd
