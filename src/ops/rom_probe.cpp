#include "ops/rom_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "error.hpp"
#include "ops/errno_text.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"
#include "util/fd.hpp"

namespace ptagent {

namespace {

std::string hex2(const unsigned char* b, std::size_t n) {
  std::string out;
  char buf[8];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", b[i]);
    out += buf;
  }
  return out;
}

}  // namespace

std::string rom_result_name(RomResult result) {
  switch (result) {
    case RomResult::absent:
      return "absent";
    case RomResult::signature_ok:
      return "signature-ok";
    case RomResult::bad_signature:
      return "bad-signature";
    case RomResult::unreadable:
      return "unreadable";
    case RomResult::not_enabled:
      return "not-enabled";
  }
  return "?";
}

std::string rom_advice(const PciAddress& address, bool gpu, const RomProbe& probe) {
  const std::string a = address.to_string();
  std::string out;
  if (probe.left_enabled) {
    out = "disable it again: echo 0 > " + pci_device_dir(a) + "/rom";
  }
  const bool bad = probe.result == RomResult::bad_signature ||
                   probe.result == RomResult::unreadable || probe.result == RomResult::absent;
  if (gpu && bad) {
    if (!out.empty()) out += "; ";
    out +=
        "the guest's firmware needs the GPU's ROM from a file: dump it where it reads (another "
        "slot or host, or the vendor's image), then 'ptagent gen-xml " +
        a + " --rom-file /usr/share/kvm/NAME.rom'";
  }
  return out;
}

RomProbe probe_rom(const Root& root, SysfsWriter& writer, const PciAddress& address) {
  const std::string a = address.to_string();
  const std::string dir = pci_device_dir(a);
  if (!root.exists(dir)) {
    throw_not_found(a, "no such PCI device", "list the host's devices with: ptagent list");
  }
  const std::string file = dir + "/rom";
  RomProbe p;
  if (!root.exists(file)) {
    p.evidence = file + " does not exist: the device has no option ROM BAR";
    return p;
  }
  if (int err = writer.write(file, "1"); err != 0) {
    p.result = RomResult::not_enabled;
    p.sys_errno = err;
    p.evidence = "writing 1 to " + file + " failed (" + errno_name(err) + ")";
    return p;
  }
  unsigned char head[2] = {0, 0};
  ssize_t got = -1;
  int read_errno = 0;
  {
    Fd fd(root.open_in_root(file, O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) {
      read_errno = -fd.get();
    } else {
      got = ::read(fd.get(), head, sizeof head);
      if (got < 0) read_errno = errno;
    }
  }
  // Disabled again whatever the read gave.
  if (int err = writer.write(file, "0"); err != 0) {
    p.left_enabled = true;
    p.sys_errno = err;
  }
  if (got < 0) {
    p.result = RomResult::unreadable;
    p.sys_errno = read_errno;
    p.evidence = "reading " + file + " failed (" + errno_name(read_errno) +
                 (read_errno == EIO ? ": the kernel found no valid ROM image" : "") + ")";
  } else if (got < 2) {
    p.result = RomResult::unreadable;
    p.evidence = "reading " + file + " gave " + std::to_string(got) + " bytes: an empty ROM";
  } else if (head[0] == 0x55 && head[1] == 0xaa) {
    p.result = RomResult::signature_ok;
    p.evidence = file + " starts with 55 aa: a PCI option ROM image";
  } else {
    p.result = RomResult::bad_signature;
    p.evidence = file + " starts with " + hex2(head, 2) + ", not the 55 aa of a ROM image";
  }
  if (p.left_enabled) p.evidence += "; writing 0 back failed: the ROM BAR is still enabled";
  return p;
}

}  // namespace ptagent
