#include "chima/tool.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "chima/error.hpp"
#include "chima/state_file.hpp"

namespace chima {

Tool::Tool(std::string name, const std::string& description)
    : app(description, name), name_(std::move(name)) {
    app.add_flag("-v,--verbose", verbose, "more log output on stderr (repeat for more)");
    app.add_flag("-q,--quiet", quiet, "only errors on stderr");
    app.set_version_flag("--version", std::string(CHIMA_VERSION));
}

void setup_logging(const std::string& tool, int verbose, bool quiet) {
    auto logger = spdlog::get(tool);
    if (!logger) logger = spdlog::stderr_color_mt(tool);
    logger->set_pattern("%n: %^%l%$: %v");
    spdlog::set_default_logger(logger);
    auto level = spdlog::level::info;
    if (quiet) level = spdlog::level::err;
    if (verbose == 1) level = spdlog::level::debug;
    if (verbose >= 2) level = spdlog::level::trace;
    spdlog::set_level(level);
}

int Tool::run(int argc, char** argv, const std::function<int()>& body) {
    try {
        try {
            app.parse(argc, argv);
        } catch (const CLI::CallForHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForAllHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForVersion& e) {
            return app.exit(e);
        }
        setup_logging(name_, verbose, quiet);
        return body();
    } catch (const CLI::ParseError& e) {
        std::cerr << name_ << ": error: " << e.what() << "\n"
                  << name_ << ": hint: see '" << name_ << " --help'\n";
        return static_cast<int>(ExitCode::BadInput);
    } catch (const Error& e) {
        std::cerr << name_ << ": error: " << e.what() << "\n";
        if (!e.hint().empty()) std::cerr << name_ << ": hint: " << e.hint() << "\n";
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        std::cerr << name_ << ": error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::Runtime);
    }
}

void emit_json(const nlohmann::json& doc, const std::optional<std::string>& out_file,
               bool pretty) {
    std::string text = pretty ? doc.dump(2) : doc.dump();
    text += "\n";
    if (out_file) {
        write_file_atomic(*out_file, text);
    } else {
        std::cout << text << std::flush;
    }
}

}  // namespace chima
