#include "setup/unified_diff.hpp"

#include <algorithm>
#include <vector>

namespace ptagent {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(text.substr(start) + "\n\\ No newline at end of file");
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

struct Op {
  char kind;         // ' ', '-', '+'
  std::size_t a, b;  // line index in old / new (valid for ' ' and the side it belongs to)
};

// Longest common subsequence over lines: configuration files are small.
std::vector<Op> diff_ops(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<Op> ops;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      // diff -u order: a change shows its removed lines before the added ones.
      ops.push_back({'-', i++, j});
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  return ops;
}

std::string range(std::size_t start, std::size_t count) {
  // diff -u: "l,c"; an empty range names the line before it.
  std::string s = std::to_string(count == 0 ? start : start + 1);
  if (count != 1) s += "," + std::to_string(count);
  return s;
}

}  // namespace

std::string unified_diff(std::string_view path, const std::optional<std::string>& before,
                         const std::optional<std::string>& after) {
  if (before == after) return {};
  const auto a = split_lines(before.value_or(""));
  const auto b = split_lines(after.value_or(""));
  const auto ops = diff_ops(a, b);
  std::string out = "--- " + (before ? std::string(path) : std::string("/dev/null")) + "\n" +
                    "+++ " + (after ? std::string(path) : std::string("/dev/null")) + "\n";
  constexpr std::size_t kContext = 3;
  std::size_t k = 0;
  while (k < ops.size()) {
    // Next change.
    std::size_t first = k;
    while (first < ops.size() && ops[first].kind == ' ') ++first;
    if (first == ops.size()) break;
    std::size_t start = first >= kContext ? first - kContext : 0;
    if (start < k) start = k;
    // Extend the hunk while changes are within 2*context of each other.
    std::size_t end = first;
    for (std::size_t p = first; p < ops.size(); ++p) {
      if (ops[p].kind != ' ') {
        end = p + 1;
      } else if (p - end >= 2 * kContext) {
        break;
      }
    }
    std::size_t stop = std::min(ops.size(), end + kContext);
    std::size_t a_start = ops[start].a, b_start = ops[start].b, a_count = 0, b_count = 0;
    std::string body;
    for (std::size_t p = start; p < stop; ++p) {
      const Op& op = ops[p];
      if (op.kind == ' ') {
        body += " " + a[op.a] + "\n";
        ++a_count;
        ++b_count;
      } else if (op.kind == '-') {
        body += "-" + a[op.a] + "\n";
        ++a_count;
      } else {
        body += "+" + b[op.b] + "\n";
        ++b_count;
      }
    }
    out += "@@ -" + range(a_start, a_count) + " +" + range(b_start, b_count) + " @@\n" + body;
    k = stop;
  }
  return out;
}

}  // namespace ptagent
