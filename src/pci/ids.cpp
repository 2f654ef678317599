#include "pci/ids.hpp"

#include <cstdlib>

extern "C" {
#include <pci/pci.h>
}

namespace ptagent {

namespace {
void quiet_warning(char*, ...) {}
// libpci calls its error hook only when it cannot go on (out of memory) and declares it noreturn:
// a hook that returned would be undefined behaviour (clang refuses to compile that).
__attribute__((noreturn)) void fatal_error(char*, ...) {
  std::abort();
}
}  // namespace

struct IdNames::Impl {
  pci_access* access = nullptr;
};

IdNames::IdNames() : impl_(std::make_unique<Impl>()) {
  impl_->access = pci_alloc();
  if (impl_->access) {
    // pci_alloc leaves the message hooks empty (pci_init would fill them); name lookups use them.
    impl_->access->warning = quiet_warning;
    impl_->access->debug = quiet_warning;
    impl_->access->error = fatal_error;
  }
}

void IdNames::preload() {
  if (impl_->access) pci_load_name_list(impl_->access);
}

IdNames::~IdNames() {
  if (impl_->access) pci_cleanup(impl_->access);
}

std::string IdNames::vendor(std::uint16_t vendor_id) const {
  if (!impl_->access) return {};
  char buf[256];
  const char* r = pci_lookup_name(impl_->access, buf, sizeof buf,
                                  PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, vendor_id);
  return r ? r : "";
}

std::string IdNames::device(std::uint16_t vendor_id, std::uint16_t device_id) const {
  if (!impl_->access) return {};
  char buf[256];
  const char* r = pci_lookup_name(impl_->access, buf, sizeof buf,
                                  PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, vendor_id, device_id);
  return r ? r : "";
}

std::string IdNames::subsystem(std::uint16_t vendor_id, std::uint16_t device_id,
                               std::uint16_t sub_vendor, std::uint16_t sub_device) const {
  if (!impl_->access) return {};
  char buf[256];
  const char* r = pci_lookup_name(impl_->access, buf, sizeof buf,
                                  PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                                  vendor_id, device_id, sub_vendor, sub_device);
  std::string name = r ? r : "";
  // Like lspci: the subsystem vendor, then the subsystem's own name when the database has one.
  char vbuf[256];
  const char* v =
      pci_lookup_name(impl_->access, vbuf, sizeof vbuf,
                      PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, sub_vendor);
  std::string vendor_name = v ? v : "";
  if (vendor_name.empty()) return name;
  return name.empty() ? vendor_name : vendor_name + " " + name;
}

std::string IdNames::class_name(std::uint32_t class_code) const {
  if (!impl_->access) return {};
  char buf[256];
  const char* r =
      pci_lookup_name(impl_->access, buf, sizeof buf, PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS,
                      (class_code >> 8) & 0xffff);
  if (r) return r;
  r = pci_lookup_name(impl_->access, buf, sizeof buf, PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS,
                      (class_code >> 16) << 8);
  return r ? r : "";
}

}  // namespace ptagent
