// What ftp-serve and ftp-get share: the timing options (--timeout, --retries, --busy-poll), and the
// counters of a transfer as JSON fields.
#pragma once

#include "json.hpp"
#include "tftp_transfer.hpp"

#include <CLI/CLI.hpp>

namespace netlab::cmd {

// Adds the options; CLI11 writes them into `timing` when the command line is parsed.
void add_timing_options(CLI::App& app, tftp::Timing& timing);

// retransmits, timeouts, duplicates, malformed, unknown_tid, dropped, window_cuts, in this order.
void add_counter_fields(json::Line& line, const tftp::Counters& counters);

} // namespace netlab::cmd
