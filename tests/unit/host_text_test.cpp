// The pure parsers over the host's text files (tables).
#include "host/host_text.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

TEST(HostText, CpuVendor) {
  struct Case {
    const char* in;
    CpuVendor want;
  };
  for (const Case& c :
       {Case{"GenuineIntel", CpuVendor::intel}, Case{" GenuineIntel\n", CpuVendor::intel},
        Case{"AuthenticAMD", CpuVendor::amd}, Case{"HygonGenuine", CpuVendor::amd},
        Case{"CentaurHauls", CpuVendor::other}, Case{"", CpuVendor::other},
        Case{"genuineintel", CpuVendor::other}}) {
    EXPECT_EQ(cpu_vendor_of(c.in), c.want) << c.in;
  }
}

TEST(HostText, KernelRelease) {
  struct Case {
    const char* in;
    bool ok;
    int major, minor;
  };
  for (const Case& c :
       {Case{"6.1.0-13-amd64", true, 6, 1}, Case{"5.14.0-362.el9.x86_64", true, 5, 14},
        Case{"6.18.44-fc-v445", true, 6, 18}, Case{"6.2", true, 6, 2}, Case{"6.2-rc1", true, 6, 2},
        Case{"4.19.0+\n", true, 4, 19}, Case{"10.0.1", true, 10, 0}, Case{"", false, 0, 0},
        Case{"6", false, 0, 0}, Case{"six.one", false, 0, 0}, Case{"6.x", false, 0, 0},
        Case{"6.1abc", false, 0, 0}, Case{".1", false, 0, 0}, Case{"-6.1", false, 0, 0},
        Case{"99999999.1", false, 0, 0}}) {
    auto v = parse_kernel_release(c.in);
    ASSERT_EQ(v.has_value(), c.ok) << c.in;
    if (v) {
      EXPECT_EQ(v->major, c.major) << c.in;
      EXPECT_EQ(v->minor, c.minor) << c.in;
    }
  }
}

TEST(HostText, VirqfdBefore62Only) {
  struct Case {
    int major, minor;
    bool has;
  };
  for (const Case& c : {Case{4, 19, true}, Case{5, 14, true}, Case{5, 15, true}, Case{6, 1, true},
                        Case{6, 2, false}, Case{6, 18, false}, Case{7, 0, false}}) {
    EXPECT_EQ(kernel_has_vfio_virqfd({c.major, c.minor}), c.has) << c.major << "." << c.minor;
  }
}

TEST(HostText, ModuleNames) {
  struct Case {
    const char* in;
    const char* want;
  };
  for (const Case& c :
       {Case{"kernel/drivers/vfio/pci/vfio-pci.ko", "vfio_pci"},
        Case{"kernel/drivers/vfio/vfio.ko.xz", "vfio"},
        Case{"kernel/drivers/vfio/vfio_iommu_type1.ko.zst", "vfio_iommu_type1"},
        Case{"drivers/vfio/vfio_virqfd.o", "vfio_virqfd"}, Case{"  kvm-intel.ko \n", "kvm_intel"},
        Case{"vfio_pci", "vfio_pci"}, Case{"kernel/foo.kobj", "foo.kobj"}}) {
    EXPECT_EQ(module_name_of(c.in), c.want) << c.in;
  }
  auto list = parse_module_list(
      "kernel/drivers/vfio/vfio.ko\n# comment\n\n   \nkernel/drivers/vfio/pci/vfio-pci.ko\n"
      "kernel/drivers/pci/pci-stub.ko");
  EXPECT_EQ(list, (std::vector<std::string>{"vfio", "vfio_pci", "pci_stub"}));
  EXPECT_TRUE(parse_module_list("").empty());
}

TEST(HostText, KernelParamsStopAtDashes) {
  auto p =
      kernel_params("BOOT_IMAGE=/vmlinuz ro intel_iommu=on opt=\"a b\" -- iommu=pt init-arg\n");
  EXPECT_EQ(p,
            (std::vector<std::string>{"BOOT_IMAGE=/vmlinuz", "ro", "intel_iommu=on", "opt=a b"}));
  EXPECT_TRUE(kernel_params("").empty());
  EXPECT_TRUE(kernel_params("-- intel_iommu=on").empty());
}

TEST(HostText, OsRelease) {
  auto os = parse_os_release(
      "# comment\nNAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"
      "PRETTY_NAME='Rocky Linux 9.3 (Blue Onyx)'\nbroken line\n");
  EXPECT_EQ(os.id, "rocky");
  EXPECT_EQ(os.id_like, (std::vector<std::string>{"rhel", "centos", "fedora"}));
  EXPECT_EQ(os.pretty_name, "Rocky Linux 9.3 (Blue Onyx)");
  EXPECT_EQ(parse_os_release("").id, "");

  struct Case {
    const char* text;
    OsFamily want;
  };
  for (const Case& c :
       {Case{"ID=debian", OsFamily::debian}, Case{"ID=ubuntu\nID_LIKE=debian", OsFamily::debian},
        Case{"ID=linuxmint\nID_LIKE=\"ubuntu debian\"", OsFamily::debian},
        Case{"ID=\"rhel\"\nID_LIKE=\"fedora\"", OsFamily::rhel}, Case{"ID=fedora", OsFamily::rhel},
        Case{"ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"", OsFamily::rhel},
        Case{"ID=arch", OsFamily::other}, Case{"", OsFamily::other}}) {
    EXPECT_EQ(os_family(parse_os_release(c.text)), c.want) << c.text;
  }
}

TEST(HostText, GrubVariable) {
  const char* grub =
      "GRUB_DEFAULT=0\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=off\"\n"
      "GRUB_CMDLINE_LINUX=\"console=ttyS0 pcie_acs_override=downstream\"\n"
      "#GRUB_CMDLINE_LINUX=\"iommu=off\"\n";
  struct Case {
    const char* param;
    const char* want;
  };
  for (const Case& c : {Case{"intel_iommu=off", "GRUB_CMDLINE_LINUX_DEFAULT"},
                        Case{"pcie_acs_override=downstream", "GRUB_CMDLINE_LINUX"},
                        Case{"quiet", "GRUB_CMDLINE_LINUX_DEFAULT"}, Case{"iommu=off", ""},
                        Case{"intel_iommu", ""}, Case{"GRUB_DEFAULT=0", ""}}) {
    EXPECT_EQ(grub_variable_with(grub, c.param), c.want) << c.param;
  }
  EXPECT_EQ(grub_variable_with("", "quiet"), "");
}

TEST(HostText, IommuVendorFromItsUnitsElseTheCpu) {
  EXPECT_EQ(iommu_vendor_of({"dmar0", "dmar1"}, CpuVendor::amd), CpuVendor::intel);
  EXPECT_EQ(iommu_vendor_of({"ivhd0"}, CpuVendor::intel), CpuVendor::amd);
  EXPECT_EQ(iommu_vendor_of({}, CpuVendor::amd), CpuVendor::amd);
  EXPECT_EQ(iommu_vendor_of({"virtio-iommu"}, CpuVendor::other), CpuVendor::other);
}

TEST(HostText, EfiDirectoryOfADistribution) {
  EXPECT_EQ(efi_dir_for("rhel"), "redhat");
  EXPECT_EQ(efi_dir_for("debian"), "debian");
  EXPECT_EQ(efi_dir_for("rocky"), "rocky");
  EXPECT_EQ(efi_dir_for(""), "fedora");
}
