// netlab's wording for values CLI11's validators refuse: "--format: bogus is not one of daytime,
// rfc868, unix" instead of CLI11's "Check bogus value in {daytime->2,...} FAILED".
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace netlab::app {

// Rewraps the validators of every option of `app` and its subcommands (CLI::Range, NonNegativeNumber,
// CheckedTransformer, IsMember, AsSizeValue) so that a refused value reads "<what was typed> is not
// <what is accepted>". Their checks, their conversions and the help text are unchanged, except that a
// size refuses a negative number (CLI11 reads "-5" as 2^64 - 5). Validators of any other kind keep
// their own messages.
void explain_refused_values(CLI::App& app);

// The message of a parse error of `app`, with CLI11's type descriptions left out where it puts them
// in: "--port: needs a value" for "--port: 1 required PORT:INT in [0 - 65535] missing", and
// "--json: maybe is not true or false" for "Could not convert: --json = maybe".
std::string parse_error_message(const CLI::ParseError& error, const CLI::App& app);

// What a validator accepts, from its CLI11 name and description ("INT in [1 - 4096]" gives "a whole
// number from 1 to 4096"); empty for a kind it does not know. `size`: the value went through a size
// transform first, so a range is one of sizes.
std::string accepted_values(const std::string& name, const std::string& description, bool size);

} // namespace netlab::app
