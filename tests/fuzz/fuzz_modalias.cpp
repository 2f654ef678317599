// modules.alias matching: the first line of the input is a device's modalias, the rest an alias
// table ("alias PATTERN MODULE" lines with shell-style wildcards).
#include <set>

#include "fuzz_check.hpp"
#include "pci/modalias.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  const auto nl = text.find('\n');
  const std::string modalias(text.substr(0, nl == std::string_view::npos ? text.size() : nl));
  const std::string_view table =
      nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  ModuleAliases aliases = ModuleAliases::parse(table);
  const auto first = aliases.match(modalias);
  std::set<std::string> seen(first.begin(), first.end());
  FUZZ_CHECK(seen.size() == first.size(), "duplicate modules for " + modalias);
  FUZZ_CHECK(aliases.match(modalias) == first, "a cached match differs for " + modalias);
  aliases.add(table);  // the same lines twice: still no duplicates
  const auto twice = aliases.match(modalias);
  FUZZ_CHECK(std::set<std::string>(twice.begin(), twice.end()).size() == twice.size(),
             "duplicates after add() for " + modalias);
  return 0;
}
