// join: the items of a range with a separator between them (none before the first non-empty
// text).
#pragma once

#include <concepts>
#include <ranges>
#include <string>
#include <string_view>

namespace ptagent {

// Each item as format(item) renders it; the separator goes in once text has been written.
template <std::ranges::input_range Range, class Format>
std::string join(const Range& items, std::string_view sep, Format format) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += format(item);
  }
  return out;
}

// Items that are text (std::string, const char*, std::string_view).
template <std::ranges::input_range Range>
requires std::convertible_to<std::ranges::range_value_t<Range>, std::string_view> std::string join(
    const Range& items, std::string_view sep) {
  return join(items, sep, [](std::string_view s) { return s; });
}

// Items that render themselves (PciAddress, Uuid) through to_string().
template <std::ranges::input_range Range>
requires requires(const std::ranges::range_value_t<Range>& t) {
  { t.to_string() } -> std::convertible_to<std::string>;
}
std::string join(const Range& items, std::string_view sep) {
  return join(items, sep, [](const auto& t) { return t.to_string(); });
}

}  // namespace ptagent
