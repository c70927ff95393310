// Placeholder for the subcommands that later issues build: it parses and says what is missing.
#include "commands.hpp"

#include <stdexcept>

namespace netlab::cmd {

Runner register_not_built(CLI::App& app, const GlobalOptions&) {
    app.allow_extras();
    return []() -> int { throw std::runtime_error("not built yet in this version of netlab"); };
}

} // namespace netlab::cmd
