// The timing options shared by ftp-serve and ftp-get: --timeout, --retries, --busy-poll.
#pragma once

#include "tftp_transfer.hpp"

#include <CLI/CLI.hpp>

namespace netlab::cmd {

// Adds the options; CLI11 writes them into `timing` when the command line is parsed.
void add_timing_options(CLI::App& app, tftp::Timing& timing);

} // namespace netlab::cmd
