// Whether a device's option ROM reads: the kernel exposes the ROM BAR as the `rom` attribute,
// readable only after writing 1 to it, and a read fails (EIO, "Invalid PCI ROM header signature"
// in the kernel log) unless the image starts with 0x55 0xAA. A GPU whose ROM does not read needs
// a ROM file for the guest (gen-xml --rom-file). The probe enables, reads two bytes, and
// disables again whatever happened: it leaves the attribute as it found it (disabled).
#pragma once

#include <optional>
#include <string>

#include "pci/address.hpp"

namespace ptagent {

class Root;
class SysfsWriter;

enum class RomResult {
  absent,         // no `rom` attribute: the device has no ROM BAR (or the kernel hides it)
  signature_ok,   // the first two bytes are 0x55 0xAA
  bad_signature,  // readable, but not a PCI ROM image (another first two bytes)
  unreadable,     // the read failed (EIO: the kernel found no valid image) or returned nothing
  not_enabled,    // writing 1 to `rom` failed
};

struct RomProbe {
  RomResult result = RomResult::absent;
  std::string evidence;       // what was done and read, naming the file
  int sys_errno = 0;          // the errno of the failed step, if any
  bool left_enabled = false;  // writing 0 back failed: the ROM BAR is still enabled
};

// "absent", "signature-ok", "bad-signature", "unreadable", "not-enabled": stable, for JSON.
std::string rom_result_name(RomResult result);

// What to do about a probe's result for a device, "" when nothing: a GPU whose ROM does not
// read gets its image from a file (gen-xml --rom-file); a ROM left enabled is disabled by hand.
std::string rom_advice(const PciAddress& address, bool gpu, const RomProbe& probe);

// Probes a device's ROM (it must exist: Error(not_found) otherwise).
RomProbe probe_rom(const Root& root, SysfsWriter& writer, const PciAddress& address);

}  // namespace ptagent
