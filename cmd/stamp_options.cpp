// The --format option shared by the time-stamp commands.
#include "stamp_options.hpp"

#include <map>

namespace netlab::cmd {

void add_format_option(CLI::App& app, stamp::Format& format) {
    static const std::map<std::string, stamp::Format> names = {{"unix", stamp::Format::unix_seconds},
                                                               {"rfc868", stamp::Format::rfc868},
                                                               {"daytime", stamp::Format::daytime}};
    app.add_option("-f,--format", format,
                   "Wire format: unix (the tutorial's \"%lld\\n\"), rfc868 (RFC 868: 4 bytes, seconds since "
                   "1900), daytime (RFC 867: an ISO 8601 line)")
        ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
        ->default_str("unix")
        ->type_name("FMT");
}

} // namespace netlab::cmd
