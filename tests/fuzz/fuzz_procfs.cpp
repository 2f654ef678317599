// The /proc text parsers: mountinfo, swaps, the route table, the kernel command line, cpuinfo,
// interrupts and meminfo. Total functions: any text gives a result, never a crash.
#include "fuzz_check.hpp"
#include "sysfs/procfs.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  for (const auto& m : parse_mountinfo(text))
    FUZZ_CHECK(m.mount_point.size() <= size, m.mount_point);
  for (const auto& s : parse_swaps(text)) FUZZ_CHECK(s.filename.size() <= size, s.filename);
  (void)parse_route(text);
  const auto params = parse_cmdline(text);
  std::size_t total = 0;
  for (const auto& p : params) total += p.size();
  FUZZ_CHECK(total <= size, "the command line grew");
  for (const char* name : {"intel_iommu", "amd_iommu", "iommu", "pcie_acs_override",
                           "vfio_iommu_type1.allow_unsafe_interrupts"}) {
    (void)has_cmdline_param(params, name);
    (void)cmdline_value(params, name);
  }
  const std::string vendor = parse_cpu_vendor(text);
  FUZZ_CHECK(vendor.size() <= size, vendor);
  (void)parse_cpu_flags(text);
  (void)interrupts_show_remapping(text);
  (void)meminfo_value(text, "HugePages_Total");
  (void)meminfo_value(text, "");
  return 0;
}
