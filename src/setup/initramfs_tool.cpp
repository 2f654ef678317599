#include "setup/initramfs_tool.hpp"

#include <algorithm>

#include "setup/grub_config.hpp"
#include "setup/modprobe_conf.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

const char* initramfs_tool_name(InitramfsTool tool) {
  switch (tool) {
    case InitramfsTool::initramfs_tools:
      return "initramfs-tools";
    case InitramfsTool::dracut:
      return "dracut";
    case InitramfsTool::none:
      break;
  }
  return "none";
}

InitramfsTool detect_initramfs_tool(const Root& root) {
  const bool tools = root.is_dir(kInitramfsToolsDir);
  const bool dracut = root.exists(kDracutMainConf) || root.is_dir(kDracutConfDir);
  if (tools) return InitramfsTool::initramfs_tools;
  if (dracut) return InitramfsTool::dracut;
  return InitramfsTool::none;
}

std::string strip_block(std::string_view text) {
  std::string out;
  bool inside = false;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(start, end - start);
    if (!inside && line.substr(0, kBlockBegin.size()) == kBlockBegin) {
      inside = true;
    } else if (inside && line.substr(0, kBlockEnd.size()) == kBlockEnd) {
      inside = false;
    } else if (!inside) {
      out += line;
    }
    start = end;
  }
  return out;
}

std::string with_block(std::string_view text, const std::vector<std::string>& modules) {
  std::string out = strip_block(text);
  if (modules.empty()) return out;
  std::string block =
      std::string(kBlockBegin) + " (written by ptagent; 'ptagent setup revert' removes this block)";
  for (const auto& m : modules) block += "\n" + m;
  block += "\n" + std::string(kBlockEnd);
  return append_line(out, block);
}

std::vector<std::string> block_modules(std::string_view text) {
  std::vector<std::string> out;
  bool inside = false;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view line = text.substr(start, end - start);
    if (line.substr(0, kBlockBegin.size()) == kBlockBegin) {
      inside = true;
    } else if (line.substr(0, kBlockEnd.size()) == kBlockEnd) {
      inside = false;
    } else if (inside) {
      for (const auto& e : parse_module_list_file(line, "")) out.push_back(e.module);
    }
    start = end;
  }
  return out;
}

std::string dracut_conf(const std::vector<std::string>& modules) {
  std::string list;
  for (const auto& m : modules) list += m + " ";
  return "# Written by ptagent setup; 'ptagent setup revert' removes this file.\n"
         "# vfio-pci must be in the initramfs to claim devices (options vfio-pci ids=) before\n"
         "# their host drivers do.\n"
         "force_drivers+=\" " +
         list + "\"\n";
}

std::vector<std::string> initramfs_regenerate(InitramfsTool tool) {
  switch (tool) {
    case InitramfsTool::initramfs_tools:
      return {"update-initramfs", "-u", "-k", "all"};
    case InitramfsTool::dracut:
      return {"dracut", "-f", "--regenerate-all"};
    case InitramfsTool::none:
      break;
  }
  return {};
}

bool initramfs_includes(const Root& root, InitramfsTool tool, std::string_view module) {
  const std::string wanted = normalize_module(module);
  if (tool == InitramfsTool::initramfs_tools) {
    const auto text = root.read(kInitramfsModules);
    if (!text) return false;
    for (const auto& e : parse_module_list_file(*text, kInitramfsModules)) {
      if (e.module == wanted) return true;
    }
    return false;
  }
  if (tool == InitramfsTool::dracut) {
    std::vector<std::string> files;
    if (root.exists(kDracutMainConf)) files.push_back(kDracutMainConf);
    for (auto& f : dropin_files(root, {kDracutConfDir, kDracutVendorConfDir}, ".conf")) {
      files.push_back(f);
    }
    for (const auto& f : files) {
      auto text = root.read(f);
      if (!text) continue;
      // `add_drivers+=" a b "` is an assignment with +=: read the words after the operator.
      std::size_t start = 0;
      while (start < text->size()) {
        auto nl = text->find('\n', start);
        if (nl == std::string::npos) nl = text->size();
        std::string line = text->substr(start, nl - start);
        start = nl + 1;
        for (const char* key : {"add_drivers", "force_drivers", "drivers"}) {
          const std::string k(key);
          auto pos = line.find(k);
          if (pos != 0) continue;
          auto eq = line.find('=', k.size());
          if (eq == std::string::npos || line.find_first_not_of("+ ", k.size()) != eq) continue;
          std::string value = line.substr(eq + 1);
          for (char& c : value) {
            if (c == '"' || c == '\'') c = ' ';
          }
          for (const auto& e : parse_module_list_file(
                   [&] {
                     std::string v;
                     for (char c : value) v += c == ' ' ? '\n' : c;
                     return v;
                   }(),
                   f)) {
            if (e.module == wanted) return true;
          }
        }
      }
    }
  }
  return false;
}

}  // namespace ptagent
