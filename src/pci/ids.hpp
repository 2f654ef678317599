// Vendor, device, subsystem and class names from the PCI ID database, through libpci.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ptagent {

class IdNames {
 public:
  IdNames();
  ~IdNames();
  IdNames(const IdNames&) = delete;
  IdNames& operator=(const IdNames&) = delete;

  // Reads the PCI ID database now rather than at the first lookup (so that another thread can
  // do it while the caller scans sysfs). Lookups work either way.
  void preload();

  // Empty string when the database has no name.
  std::string vendor(std::uint16_t vendor_id) const;
  std::string device(std::uint16_t vendor_id, std::uint16_t device_id) const;
  std::string subsystem(std::uint16_t vendor_id, std::uint16_t device_id, std::uint16_t sub_vendor,
                        std::uint16_t sub_device) const;
  // Subclass name from the 24-bit class code ("VGA compatible controller"); falls back to the
  // base class name.
  std::string class_name(std::uint32_t class_code) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ptagent
