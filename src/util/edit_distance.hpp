// How far apart two names are, for "did you mean" hints.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

// Levenshtein distance: insertions, deletions and substitutions of one character.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest to input when it is a near miss (a few typos, more for long names), or
// "" if none is.
std::string closest_name(std::string_view input, const std::vector<std::string>& candidates);

}  // namespace ptagent
