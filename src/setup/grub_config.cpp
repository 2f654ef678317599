#include "setup/grub_config.hpp"

#include <algorithm>
#include <cctype>

#include "setup/kernel_cmdline.hpp"

namespace ptagent {

namespace {

bool name_char(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Expands $NAME and ${NAME} at text[i] (text[i] == '$'); returns characters consumed.
std::size_t expand(std::string_view text, std::size_t i,
                   const std::map<std::string, std::string>& vars, std::string& out) {
  std::size_t j = i + 1;
  std::string name;
  if (j < text.size() && text[j] == '{') {
    const auto close = text.find('}', j);
    if (close == std::string_view::npos) {
      out += '$';
      return 1;
    }
    name = std::string(text.substr(j + 1, close - j - 1));
    j = close + 1;
  } else {
    while (j < text.size() && name_char(text[j], name.empty())) name += text[j++];
    if (name.empty()) {
      out += '$';
      return 1;
    }
  }
  auto it = vars.find(name);
  if (it != vars.end()) out += it->second;
  return j - i;
}

// Logical lines: a trailing backslash joins the next physical line. Returns (first line number,
// text) pairs.
std::vector<std::pair<std::size_t, std::string>> logical_lines(std::string_view text) {
  std::vector<std::pair<std::size_t, std::string>> out;
  std::size_t number = 0, start = 0;
  std::string pending;
  std::size_t pending_line = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    ++number;
    if (pending.empty()) pending_line = number;
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1);
    } else {
      pending += line;
      out.emplace_back(pending_line, pending);
      pending.clear();
    }
    start = nl + 1;
  }
  if (!pending.empty()) out.emplace_back(pending_line, pending);
  return out;
}

}  // namespace

std::vector<ShellAssignment> read_shell_assignments(std::string_view text,
                                                    std::map<std::string, std::string>& vars) {
  std::vector<ShellAssignment> out;
  for (const auto& [number, line] : logical_lines(text)) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (line.compare(i, 7, "export ") == 0) i += 7;
    std::string name;
    while (i < line.size() && name_char(line[i], name.empty())) name += line[i++];
    if (name.empty() || i >= line.size() || line[i] != '=') continue;
    ++i;
    std::string value;
    bool ok = true;
    while (i < line.size()) {
      const char c = line[i];
      if (c == ' ' || c == '\t' || c == ';') break;
      if (c == '\'') {
        const auto close = line.find('\'', i + 1);
        if (close == std::string::npos) {
          ok = false;
          break;
        }
        value += line.substr(i + 1, close - i - 1);
        i = close + 1;
      } else if (c == '"') {
        ++i;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            // sh: inside "…" a backslash escapes only $ ` " and \; before anything else it stays.
            const char next = line[i + 1];
            if (next != '$' && next != '`' && next != '"' && next != '\\') value += '\\';
            value += next;
            i += 2;
          } else if (line[i] == '$') {
            i += expand(line, i, vars, value);
          } else {
            value += line[i++];
          }
        }
        if (i >= line.size()) {
          ok = false;
          break;
        }
        ++i;
      } else if (c == '$') {
        i += expand(line, i, vars, value);
      } else {
        value += c;
        ++i;
      }
    }
    if (!ok) continue;
    vars[name] = value;
    out.push_back({number, name, value});
  }
  return out;
}

std::string grub_append_line(std::string_view variable, const std::vector<std::string>& words,
                             bool marked) {
  std::string line = std::string(variable) + "=\"$" + std::string(variable);
  for (const auto& w : words) line += " " + w;
  line += "\"";
  if (marked) line += "  " + std::string(kGrubMarker);
  return line;
}

std::string strip_marked_lines(std::string_view text, std::string_view marker) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(start, end - start);
    if (line.find(marker) == std::string_view::npos) out += line;
    start = end;
  }
  return out;
}

std::string append_line(std::string_view text, std::string_view line) {
  std::string out(text);
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += line;
  out += '\n';
  return out;
}

std::optional<std::string> remove_word_from_assignment(std::string_view text, std::size_t line,
                                                       std::string_view word) {
  std::size_t start = 0;
  for (std::size_t n = 1; n < line; ++n) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) return std::nullopt;
    start = nl + 1;
  }
  auto nl = text.find('\n', start);
  const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
  const std::string physical(text.substr(start, end - start));
  const auto eq = physical.find('=');
  if (eq == std::string::npos) return std::nullopt;
  const char quote = eq + 1 < physical.size() ? physical[eq + 1] : '\0';
  if (quote != '"' && quote != '\'') return std::nullopt;
  const auto close = physical.find(quote, eq + 2);
  if (close == std::string::npos) return std::nullopt;
  const std::string inner = physical.substr(eq + 2, close - eq - 2);
  const auto words = split_kernel_words(inner);
  if (std::find(words.begin(), words.end(), word) == words.end()) return std::nullopt;
  const std::string edited = edit_cmdline_text(inner, {}, {std::string(word)});
  std::string out(text.substr(0, start));
  out += physical.substr(0, eq + 2) + edited + physical.substr(close);
  out += text.substr(end);
  return out;
}

}  // namespace ptagent
