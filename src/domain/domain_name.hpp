// A domain's name as ptagent shows it: the name comes from libvirt's argv or a status file and
// may hold anything, so messages and log lines get it escaped and capped.
#pragma once

#include <string>
#include <string_view>

namespace ptagent::domain {

// Control characters and quotes escaped (\xNN), capped at 200 bytes ("…" after): safe in one log
// line and between the quotes of a message.
std::string printable_name(std::string_view name);

}  // namespace ptagent::domain
