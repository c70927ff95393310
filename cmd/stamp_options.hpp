// The --format option shared by tcp-stamp-server and tcp-stamp-client (lib/time_stamp.hpp).
#pragma once

#include "time_stamp.hpp"

#include <CLI/CLI.hpp>

namespace netlab::cmd {

// Adds --format unix|rfc868|daytime; any other name is a usage error (exit 2).
void add_format_option(CLI::App& app, stamp::Format& format);

} // namespace netlab::cmd
