#include "support/guest_domain.hpp"

namespace ptagent::testing {

std::string workstation_guest_xml() {
  const auto mdev_metadata = [](const char* uuid, const char* type) {
    return std::string("<ptagent:mdev uuid=\"") + uuid + "\" parent=\"0000:00:02.0\" type=\"" +
           type + "\"/>";
  };
  const auto mdev_hostdev = [](const char* uuid) {
    return std::string(
               "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='") +
           uuid + "'/></source></hostdev>";
  };
  return std::string("<domain type='qemu'><name>guest</name><uuid>") + kGuestUuid +
         "</uuid><metadata><ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" +
         mdev_metadata(kGuestMdev1, "i915-GVTg_V5_4") +
         mdev_metadata(kGuestMdev2, "i915-GVTg_V5_8") +
         "<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>"
         "</ptagent:passthrough></metadata><devices>" +
         mdev_hostdev(kGuestMdev1) + mdev_hostdev(kGuestMdev2) +
         "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' "
         "bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>";
}

}  // namespace ptagent::testing
