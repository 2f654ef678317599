#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/cli.hpp"
#include "error.hpp"

namespace ptagent::test {

CliResult run_cli(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv{"ptagent"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  std::istringstream in(input);
  CliResult r;
  r.code = cli::run(argv, out, err, in);
  r.out = out.str();
  r.err = err.str();
  return r;
}

CliResult run_command(const std::string& root, const std::function<int(cli::Context&)>& command,
                      bool json, bool dry_run) {
  cli::GlobalOptions g;
  g.root = root;
  g.json = json;
  g.dry_run = dry_run;
  std::ostringstream out, err;
  std::istringstream in;
  CliResult r;
  try {
    cli::Context ctx(g, out, err, in);
    r.code = command(ctx);
  } catch (const Error& e) {
    cli::print_error(g, out, err, e);
    r.code = e.exit_code();
  }
  r.out = out.str();
  r.err = err.str();
  return r;
}

CliResult run_with_writer(const std::string& root, SysfsWriter& writer, Handler handler,
                          const std::vector<std::string>& args, bool json, bool dry_run) {
  return run_command(
      root,
      [&](cli::Context& ctx) {
        ctx.use_sysfs(writer);
        return handler(ctx, args);
      },
      json, dry_run);
}

void expect_cli_failures(const std::string& root, const std::vector<CliFailure>& cases,
                         bool stdout_empty) {
  for (const auto& c : cases) {
    std::vector<std::string> argv{"--root", root};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const CliResult r = run_cli(argv);
    EXPECT_EQ(r.code, c.code) << c.args.back() << ": " << r.err;
    if (std::find(c.args.begin(), c.args.end(), "--json") != c.args.end()) {
      // With --json the error is {"error": …} on stdout and stderr stays empty.
      EXPECT_NE(r.out.find("{\"error\":"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find(c.message), std::string::npos) << r.out;
      EXPECT_EQ(r.err, "") << c.args.back();
      continue;
    }
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    if (stdout_empty) {
      EXPECT_EQ(r.out, "") << c.args.back();
    }
  }
}

std::string fixture_host(const std::string& name) {
  return std::string(PTAGENT_FIXTURES_DIR) + "/hosts/" + name;
}

void expect_golden(const std::string& relpath, const std::string& actual) {
  const std::filesystem::path path = std::filesystem::path(PTAGENT_GOLDEN_DIR) / relpath;
  const char* update = std::getenv("PTAGENT_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream f(path, std::ios::binary);
  ASSERT_TRUE(f.good()) << "missing golden file " << path << " (run with PTAGENT_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "output differs from " << path
                              << " (if the change is intended: PTAGENT_UPDATE_GOLDEN=1)";
}

}  // namespace ptagent::test
