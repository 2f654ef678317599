// The host's initramfs generator and how ptagent puts modules into the image: initramfs-tools
// (a marked block in /etc/initramfs-tools/modules) or dracut (its own
// /etc/dracut.conf.d/ptagent.conf); both copy /etc/modprobe.d into the image.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sysfs/host_paths.hpp"

namespace ptagent {

class Root;

enum class InitramfsTool { initramfs_tools, dracut, none };
const char* initramfs_tool_name(InitramfsTool tool);  // "initramfs-tools", "dracut", "none"

InitramfsTool detect_initramfs_tool(const Root& root);

inline constexpr std::string_view kBlockBegin = "# ptagent setup: begin";
inline constexpr std::string_view kBlockEnd = "# ptagent setup: end";

// `text` without ptagent's block (begin to end marker, inclusive), byte for byte otherwise.
std::string strip_block(std::string_view text);
// `text` with ptagent's block (one module per line) at the end, replacing an earlier one; no
// block at all when `modules` is empty.
std::string with_block(std::string_view text, const std::vector<std::string>& modules);
// The module names in ptagent's block of `text`.
std::vector<std::string> block_modules(std::string_view text);

// dracut.conf.d content that loads the modules early (force_drivers).
std::string dracut_conf(const std::vector<std::string>& modules);

// The command that rebuilds every installed kernel's image.
std::vector<std::string> initramfs_regenerate(InitramfsTool tool);

// Whether the host's configuration puts `module` into the initramfs (listed in
// /etc/initramfs-tools/modules, or in add_drivers / force_drivers of a dracut.conf(.d)).
bool initramfs_includes(const Root& root, InitramfsTool tool, std::string_view module);

}  // namespace ptagent
