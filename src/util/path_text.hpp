// Absolute paths taken apart as text (no file system access): "/etc/default/grub" is the entry
// "grub" of the directory "/etc/default".
#pragma once

#include <string>
#include <string_view>

namespace ptagent {

// The directory part: "/etc/default" for "/etc/default/grub", "/" for "/etc" and for a name
// without a slash.
std::string parent_dir(std::string_view path);
// The last component: "grub" for "/etc/default/grub", the whole text without a slash.
std::string base_name(std::string_view path);

}  // namespace ptagent
