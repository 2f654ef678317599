#include "setup/kernel_cmdline.hpp"

#include <algorithm>

namespace ptagent {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct Span {
  std::size_t begin, end;
};

std::vector<Span> word_spans(std::string_view text) {
  std::vector<Span> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size()) break;
    const std::size_t start = i;
    bool quoted = false;
    while (i < text.size() && (quoted || !is_space(text[i]))) {
      if (text[i] == '"') quoted = !quoted;
      ++i;
    }
    out.push_back({start, i});
  }
  return out;
}

std::vector<std::string> options_of(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    out.emplace_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> split_kernel_words(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& s : word_spans(text)) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

std::string kernel_param_name(std::string_view word) {
  std::string name(word.substr(0, word.find('=')));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string kernel_param_value(std::string_view word) {
  const auto eq = word.find('=');
  if (eq == std::string_view::npos) return {};
  std::string v(word.substr(eq + 1));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

std::vector<std::string> iommu_params_for(CpuVendor vendor) {
  if (vendor == CpuVendor::intel) return {"intel_iommu=on", "iommu=pt"};
  return {"iommu=pt"};
}

CmdlineEdit plan_cmdline_edit(const std::vector<std::string>& current,
                              const std::vector<std::string>& wanted, Conflicts conflicts) {
  CmdlineEdit edit;
  for (const auto& w : wanted) {
    const std::string name = kernel_param_name(w);
    const std::string value = kernel_param_value(w);
    bool present = false;
    std::vector<std::string> conflicting;
    for (const auto& c : current) {
      if (kernel_param_name(c) != name) continue;
      const auto opts = options_of(kernel_param_value(c));
      if (std::find(opts.begin(), opts.end(), value) != opts.end()) {
        present = true;
      } else {
        conflicting.push_back(c);
      }
    }
    if (conflicting.empty()) {
      (present ? edit.present : edit.add).push_back(w);
    } else if (conflicts == Conflicts::replace) {
      for (auto& c : conflicting) edit.remove.push_back(c);
      if (present) {
        edit.present.push_back(w);
      } else {
        edit.add.push_back(w);
      }
    } else {
      for (auto& c : conflicting) edit.blocked.push_back(c);
    }
  }
  return edit;
}

std::string edit_cmdline_text(std::string_view text, const std::vector<std::string>& add,
                              const std::vector<std::string>& remove) {
  std::string out(text);
  for (const auto& r : remove) {
    // The last occurrence: the kernel and ptagent both read the last one as the one in effect.
    const auto spans = word_spans(out);
    for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
      if (out.compare(it->begin, it->end - it->begin, r) != 0) continue;
      std::size_t b = it->begin, e = it->end;
      if (b > 0 && is_space(out[b - 1])) {
        --b;
      } else if (e < out.size() && out[e] == ' ') {
        ++e;
      }
      out.erase(b, e - b);
      break;
    }
  }
  if (!add.empty()) {
    // Before a trailing newline, after the last word.
    std::size_t end = out.size();
    while (end > 0 && is_space(out[end - 1])) --end;
    std::string words;
    for (const auto& a : add) words += (end == 0 && words.empty() ? "" : " ") + a;
    out.insert(end, words);
  }
  return out;
}

}  // namespace ptagent
