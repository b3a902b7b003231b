// The frame every tool's main() runs in: common flags, parsing, logging, and the one catch.
//
//   int main(int argc, char** argv) {
//       chima::Tool tool("chima-compose", "Compose a deployment from ...");
//       std::string topo;  tool.app.add_option("TOPOLOGY", topo)->required();
//       return tool.run(argc, argv, [&] { ...; return 0; });
//   }
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace chima {

class Tool {
public:
    Tool(std::string name, const std::string& description);

    // Parses argv, sets up logging, runs body. Maps CLI errors to exit 2 (with a hint to
    // --help), chima::Error to its own code, anything else to 1, printing
    // "tool: error: message" on stderr.
    int run(int argc, char** argv, const std::function<int()>& body);

    const std::string& name() const { return name_; }

    CLI::App app;
    int verbose = 0;
    bool quiet = false;

private:
    std::string name_;
};

// Sets up spdlog on stderr: "tool: level: message". verbose 1 = debug, 2 = trace.
void setup_logging(const std::string& tool, int verbose, bool quiet);

// Writes a JSON result: atomically to `out_file` when given, else to stdout (pretty when
// `pretty`), followed by a newline.
void emit_json(const nlohmann::json& doc, const std::optional<std::string>& out_file,
               bool pretty = true);

}  // namespace chima
