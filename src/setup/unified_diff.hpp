// A unified diff of two versions of one file (`diff -u` format, 3 lines of context), for
// --dry-run: what setup would write, shown before it writes it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ptagent {

// nullopt on either side is an absent file (shown as /dev/null). "" when nothing differs.
std::string unified_diff(std::string_view path, const std::optional<std::string>& before,
                         const std::optional<std::string>& after);

}  // namespace ptagent
