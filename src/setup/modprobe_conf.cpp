#include "setup/modprobe_conf.hpp"

#include <algorithm>
#include <map>

#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

// (first line number, joined text) for every logical line.
template <typename Fn>
void for_each_logical_line(std::string_view text, bool continuation, Fn fn) {
  std::size_t number = 0, start = 0, first = 0;
  std::string pending;
  bool open = false;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    ++number;
    if (!open) first = number;
    if (continuation && !line.empty() && line.back() == '\\') {
      // kmod's getline_wrapped drops the backslash and the newline and adds no space.
      pending += line.substr(0, line.size() - 1);
      open = true;
    } else {
      pending += line;
      fn(first, std::string_view(pending));
      pending.clear();
      open = false;
    }
    start = nl + 1;
  }
  if (open) fn(first, std::string_view(pending));
}

}  // namespace

std::string normalize_module(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::vector<ModprobeDirective> parse_modprobe_conf(std::string_view text, std::string_view file) {
  std::vector<ModprobeDirective> out;
  for_each_logical_line(text, true, [&](std::size_t line, std::string_view s) {
    auto words = words_of(s);
    if (words.empty() || words[0][0] == '#') return;
    ModprobeDirective d;
    d.file = file;
    d.line = line;
    d.keyword = words[0];
    if (words.size() > 1) {
      // alias WILDCARD MODULE: the module is the last word.
      d.module = d.keyword == "alias" && words.size() > 2 ? normalize_module(words[2])
                                                          : normalize_module(words[1]);
      d.args.assign(words.begin() + 2, words.end());
    }
    out.push_back(std::move(d));
  });
  return out;
}

std::vector<ModuleListEntry> parse_module_list_file(std::string_view text, std::string_view file) {
  std::vector<ModuleListEntry> out;
  for_each_logical_line(text, false, [&](std::size_t line, std::string_view s) {
    auto words = words_of(s);
    if (words.empty() || words[0][0] == '#' || words[0][0] == ';') return;
    ModuleListEntry e;
    e.file = file;
    e.line = line;
    e.module = normalize_module(words[0]);
    e.args.assign(words.begin() + 1, words.end());
    out.push_back(std::move(e));
  });
  return out;
}

bool install_disables(const ModprobeDirective& d) {
  if (d.keyword != "install" || d.args.empty()) return false;
  static const char* const kNoops[] = {"/bin/true",      "/bin/false", "/usr/bin/true",
                                       "/usr/bin/false", "true",       "false"};
  return std::find_if(std::begin(kNoops), std::end(kNoops),
                      [&](const char* n) { return d.args[0] == n; }) != std::end(kNoops);
}

std::vector<std::string> dropin_files(const Root& root, const std::vector<std::string>& dirs,
                                      std::string_view suffix) {
  std::map<std::string, std::string> chosen;  // file name -> path (first directory wins)
  for (const auto& dir : dirs) {
    for (const auto& name : root.list(dir)) {
      if (name.size() <= suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      chosen.emplace(name, dir + "/" + name);
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, path] : chosen) {
    if (root.read_link(path) == std::optional<std::string>("/dev/null")) continue;  // masked
    out.push_back(path);
  }
  return out;
}

const std::vector<std::string>& modprobe_dirs() {
  static const std::vector<std::string> dirs = {kModprobeDir, kRunModprobeDir,
                                                "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
                                                "/lib/modprobe.d"};
  return dirs;
}

const std::vector<std::string>& modules_load_dirs() {
  static const std::vector<std::string> dirs = {kModulesLoadDir, kRunModulesLoadDir,
                                                "/usr/local/lib/modules-load.d",
                                                "/usr/lib/modules-load.d", "/lib/modules-load.d"};
  return dirs;
}

std::vector<ModprobeDirective> read_modprobe_config(const Root& root) {
  std::vector<ModprobeDirective> out;
  for (const auto& path : dropin_files(root, modprobe_dirs(), ".conf")) {
    if (auto text = root.read(path)) {
      auto part = parse_modprobe_conf(*text, path);
      out.insert(out.end(), part.begin(), part.end());
    }
  }
  return out;
}

std::vector<ModuleListEntry> read_boot_modules(const Root& root) {
  std::vector<ModuleListEntry> out;
  for (const auto& path : dropin_files(root, modules_load_dirs(), ".conf")) {
    if (auto text = root.read(path)) {
      auto part = parse_module_list_file(*text, path);
      out.insert(out.end(), part.begin(), part.end());
    }
  }
  if (auto text = root.read(kEtcModules)) {
    auto part = parse_module_list_file(*text, kEtcModules);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace ptagent
