// Every side effect of the core in one place: the CLI builds it once from the real parts
// (agent/cli.cpp), a test builds it from doubles (the kernel double, the recording libvirt
// client, a manual clock). Core functions that change the host take it.
#pragma once

#include "domain/clock.hpp"
#include "domain/libvirt_client.hpp"
#include "ops/journal.hpp"
#include "ops/wait.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent {

struct Effects {
  SysfsWriter& sysfs;      // every write to /sys
  LibvirtClient& libvirt;  // every call to libvirtd
  Clock& clock;            // the waits for a guest
  // How long to wait for sysfs to catch up after a write (VFs appearing, an mdev going away).
  WaitLimits settle{};
  JournalFault journal_fault{};  // the journal's fault seam (tests only)
};

}  // namespace ptagent
