// udp-send: the tutorial's UDP client. Sends score records (lib/score_record.hpp) to a receiver,
// one by default, or a paced or unpaced flood batched with sendmmsg(2). RFC 768.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "score_sender.hpp"

#include "score_record.hpp"
#include "sys.hpp"

namespace netlab::cmd {

namespace {

struct Options {
    EndpointOptions to;
    SenderOptions send;
};

int run_udp_send(const Options& opt, const GlobalOptions& global) {
    opt.send.check();
    SocketAddress destination = opt.to.resolve(score::default_port, false);
    Fd sock = sys::socket(destination.family(), SOCK_DGRAM);
    // Connecting fixes the destination once instead of per datagram, and brings back ICMP errors.
    sys::connect(sock, destination);
    return send_score_records(sock, destination, opt.send, global);
}

} // namespace

Runner register_udp_send(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description("Send score records (math, chinese, name) over UDP, as the tutorial's client does.\n"
                    "Default: one record {name Mike, random scores 0-99} to 127.0.0.1:2333, then 'OK'.");
    man.examples = {
        {"", "Send {Mike, random scores} to 127.0.0.1:2333 and print OK."},
        {"127.0.0.1:2333 --name Lucy --math 90 --chinese 85 --hexdump",
         "Send one record and show its bytes."},
        {"--count 1000000 --rate 0", "Flood: batched with sendmmsg(2); prints records per second."},
    };
    man.see_also = "netlab-udp-recv(1), udp(7), socket(7)";
    opt->to.add_to(app, "--host", "Destination (default 127.0.0.1:2333)");
    opt->send.add_to(app);
    return [opt, &global] { return run_udp_send(*opt, global); };
}

} // namespace netlab::cmd
