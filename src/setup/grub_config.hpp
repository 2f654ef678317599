// GRUB's defaults (/etc/default/grub and the drop-ins Debian's grub-mkconfig sources from
// /etc/default/grub.d/*.cfg): shell assignments read the way the shell would, and ptagent's own
// lines that add kernel parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

// One assignment line `NAME=VALUE`, with its 1-based line number.
struct ShellAssignment {
  std::size_t line = 0;
  std::string name;
  std::string value;  // quotes removed, $NAME / ${NAME} expanded from `vars`
};

// Reads the assignments of a shell file in order, updating `vars` as the shell would. Comments,
// blank lines and other commands are skipped; "…" expands variables, '…' does not, a trailing
// backslash continues the line.
std::vector<ShellAssignment> read_shell_assignments(std::string_view text,
                                                    std::map<std::string, std::string>& vars);

// The marker on ptagent's line in a file it does not own.
inline constexpr std::string_view kGrubMarker = "# added by ptagent setup iommu";

// `VAR="$VAR word word"` followed by the marker when `marked`.
std::string grub_append_line(std::string_view variable, const std::vector<std::string>& words,
                             bool marked);
// Removes ptagent's marked line(s) from a foreign file; the rest stays byte for byte.
std::string strip_marked_lines(std::string_view text, std::string_view marker);
// `text` with `line` appended (a newline added first when the file does not end with one).
std::string append_line(std::string_view text, std::string_view line);

// Removes `word` from the value of the assignment on line `line` (1-based) when it sits inside
// its quotes; nullopt when the line does not hold it that way.
std::optional<std::string> remove_word_from_assignment(std::string_view text, std::size_t line,
                                                       std::string_view word);

}  // namespace ptagent
