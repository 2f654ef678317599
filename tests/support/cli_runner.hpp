// Drives the CLI in-process and compares output with golden files.
#pragma once

#include <string>
#include <vector>

namespace ptagent::test {

struct CliResult {
  int code = 0;
  std::string out;
  std::string err;
};

// Runs `ptagent ARGS…` (argv[0] is added) with `input` on stdin.
CliResult run_cli(const std::vector<std::string>& args, const std::string& input = {});

// Path of a committed simulated host: fixture_host("workstation").
std::string fixture_host(const std::string& name);

// Compares `actual` with tests/golden/RELPATH; with PTAGENT_UPDATE_GOLDEN=1 rewrites the file.
void expect_golden(const std::string& relpath, const std::string& actual);

}  // namespace ptagent::test
