// How untrusted text (a command-line value, a name from a domain's XML, a sysfs entry) is echoed
// in an error message: control bytes and bytes from 0x7f up as \xNN, and cut after max_chars
// with "..." so that a megabyte of input does not become a megabyte of message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ptagent {

std::string printable(std::string_view text, std::size_t max_chars = 80);

}  // namespace ptagent
