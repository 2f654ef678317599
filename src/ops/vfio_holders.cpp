#include "ops/vfio_holders.hpp"

#include <algorithm>

#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string VfioHolder::describe() const {
  std::string out = "pid " + std::to_string(pid);
  if (!command.empty()) out += " (" + command + ")";
  return out;
}

std::vector<std::vector<VfioHolder>> vfio_group_holders(const Root& root,
                                                        const std::vector<unsigned>& groups) {
  std::vector<std::vector<VfioHolder>> result(groups.size());
  if (groups.empty()) return result;
  std::vector<std::string> targets;
  for (unsigned g : groups) targets.push_back("/dev/vfio/" + std::to_string(g));
  std::vector<std::string> pids;
  for (auto& pid : root.list(kProcDir)) {
    if (all_digits(pid) && pid.size() <= 9) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;  // numeric order
  });
  for (const auto& pid : pids) {
    const std::string fd_dir = proc_fd_dir(pid);
    std::vector<bool> seen(groups.size(), false);
    for (const auto& fd : root.list(fd_dir)) {
      auto target = root.read_link(fd_dir + "/" + fd);
      if (!target) continue;
      for (std::size_t i = 0; i < targets.size(); ++i) {
        if (*target == targets[i]) seen[i] = true;
      }
    }
    std::string command;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      if (!seen[i]) continue;
      if (command.empty()) {
        command = std::string(trim(root.read(proc_comm(pid), 256).value_or("")));
      }
      result[i].push_back({static_cast<int>(parse_int_attr(pid).value_or(0)), command});
    }
  }
  return result;
}

std::vector<VfioHolder> vfio_group_holders(const Root& root, unsigned group) {
  return vfio_group_holders(root, std::vector<unsigned>{group}).front();
}

}  // namespace ptagent
