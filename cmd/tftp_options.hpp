// What ftp-serve and ftp-get share: the timing options (--timeout, --retries, --busy-poll), the
// impairment options (--drop, --dup, --seed), and the counters of a transfer as JSON fields.
#pragma once

#include "json.hpp"
#include "tftp_transfer.hpp"

#include <CLI/CLI.hpp>

namespace netlab::cmd {

// Adds the options; CLI11 writes them into `timing` when the command line is parsed.
void add_timing_options(CLI::App& app, tftp::Timing& timing);
// --drop, --dup and --seed: packets the command itself loses or repeats, to make recovery visible.
void add_impairment_options(CLI::App& app, tftp::Impairment& impairment);

// retransmits, timeouts, duplicates, malformed, unknown_tid, dropped, window_cuts, in this order.
void add_counter_fields(json::Line& line, const tftp::Counters& counters);

} // namespace netlab::cmd
