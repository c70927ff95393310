// Man pages (man-pages(7) roff) and bash/zsh completion scripts generated from the command table and
// the same CLI11 parsers that print --help, so the documentation cannot drift from the options.
#pragma once

#include "commands.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace netlab::app {

// A command's parser with the options every command has; it stays where it was made because the
// options write into `global` and the runner refers to it.
struct Parser {
    Parser(std::string description, std::string name) : app(std::move(description), std::move(name)) {}
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;
    CLI::App app;
    cmd::GlobalOptions global;
    cmd::ManPage man;
    cmd::Runner runner;
};

// Makes the parser of `netlab <name>` as the command runs it; register_fn nullptr: the global options only.
using MakeParser = std::unique_ptr<Parser> (*)(std::string_view summary, const std::string& name,
                                               cmd::RegisterFn register_fn);

struct CommandEntry {
    std::string_view name;
    std::string_view summary;
    cmd::RegisterFn register_fn;
};

// The hidden options of netlab that write documentation to stdout.
bool is_documentation_option(std::string_view arg);

// `netlab --man` (netlab(1)), `netlab --man CMD` (netlab-CMD(1)), `netlab --completion bash|zsh`.
// args are those after the program name. Returns the exit code.
int print_documentation(std::span<const CommandEntry> commands, MakeParser make_parser,
                        std::span<char* const> args);

} // namespace netlab::app
