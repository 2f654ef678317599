// The journal's text format: a JSON object {"version": 1, "changes": [...]}, each change an
// object with every field of Change. Decoding is strict, so that a tampered or damaged file is
// refused as a whole rather than half-used.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ops/change.hpp"

namespace ptagent {

inline constexpr long long kJournalVersion = 1;
inline constexpr std::size_t kMaxJournalBytes = 16u << 20;

struct DecodedJournal {
  std::vector<Change> changes;
  std::string problem;         // non-empty: the text cannot be used (why, for a message)
  bool other_version = false;  // a format this ptagent does not write: not corrupt, not ours
};

DecodedJournal decode_journal(const std::string& text);
// Pretty-printed, with a final newline.
std::string encode_journal(const std::vector<Change>& changes);

}  // namespace ptagent
