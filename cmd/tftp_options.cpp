// The options ftp-serve and ftp-get share: timing, and the loss and duplication they can simulate.
#include "tftp_options.hpp"

#include "commands.hpp"

namespace netlab::cmd {

void add_timing_options(CLI::App& app, tftp::Timing& timing) {
    app.add_option_function<double>(
           "--timeout", [&timing](double s) { timing.max_rto = tftp::Duration(s); },
           "Longest retransmission timeout in seconds (default 1)")
        ->check(CLI::Range(0.001, 255.0))
        ->type_name("S");
    app.add_option("--retries", timing.retries,
                   "Give up after retries x timeout without an answer (default 5)")
        ->check(CLI::Range(1, 1000));
    app.add_option_function<double>(
           "--busy-poll", [&timing](double us) { timing.busy_poll = tftp::Duration(us * 1e-6); },
           "Wait for a peer that answers within US microseconds by polling without sleeping,\n"
           "up to US each time (default 50; 0 = always sleep)")
        ->check(CLI::Range(0.0, 10000.0))
        ->type_name("US");
}

void add_impairment_options(CLI::App& app, tftp::Impairment& impairment) {
    app.add_option("--drop", impairment.drop, "Drop this fraction of packets sent (0..1)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--dup", impairment.dup, "Send this fraction of packets twice (0..1)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--seed", impairment.seed, "Seed of --drop and --dup (default 1)")
        ->transform(whole_number())
        ->type_name("N");
}

void add_counter_fields(json::Line& line, const tftp::Counters& counters) {
    line.field("retransmits", counters.retransmits)
        .field("timeouts", counters.timeouts)
        .field("duplicates", counters.duplicates)
        .field("malformed", counters.malformed)
        .field("unknown_tid", counters.unknown_tid)
        .field("dropped", counters.dropped)
        .field("window_cuts", counters.window_cuts);
}

} // namespace netlab::cmd
