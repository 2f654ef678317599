#include "ops/change.hpp"

#include <utility>

namespace ptagent {

std::string change_kind_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::bind:
      return "bind";
    case ChangeKind::mdev:
      return "mdev";
    case ChangeKind::sriov:
      return "sriov";
  }
  return "?";
}

Change pending_change(std::string id, ChangeKind kind, std::string owner) {
  Change c;
  c.id = std::move(id);
  c.kind = kind;
  c.state = ChangeState::pending;
  c.owner = std::move(owner);
  return c;
}

}  // namespace ptagent
