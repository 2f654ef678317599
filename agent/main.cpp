// ptagent: thin main; everything happens in the CLI library.
#include <iostream>

#include "agent/cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv, argv + argc);
  int rc = ptagent::cli::run(args, std::cout, std::cerr, std::cin);
  std::cout.flush();
  return rc;
}
