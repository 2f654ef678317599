// Parsers for sysfs attribute text. They take the text, never a path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

// "0x10de\n" -> 0x10de. nullopt on anything else (empty, garbage, overflow).
std::optional<std::uint32_t> parse_hex_attr(std::string_view text);
// "-1\n", "42" -> integer; nullopt on garbage.
std::optional<long long> parse_int_attr(std::string_view text);
// "flr bus\n" -> {"flr","bus"}; whitespace-separated words.
std::vector<std::string> split_words(std::string_view text);
// Lines of a text, without their '\n' (a last line without one counts; a final '\n' adds none).
// The views point into `text`.
std::vector<std::string_view> lines_of(std::string_view text);
// Trim ASCII whitespace from both ends.
std::string_view trim(std::string_view text);
// A symlink target's last component: "../../../bus/pci/drivers/i915/" -> "i915".
std::string link_target_name(std::string_view target);
// "(null)" or empty driver_override means none.
std::optional<std::string> parse_driver_override(std::string_view text);

}  // namespace ptagent
