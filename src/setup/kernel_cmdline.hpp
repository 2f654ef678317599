// Kernel command line words and edits: add only what is missing, never duplicate a parameter,
// never touch an unrelated one, remove a conflicting one only when asked.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/host_text.hpp"

namespace ptagent {

// Whitespace-separated words; a double-quoted part keeps its spaces (`acpi_osi="Windows 2020"`).
std::vector<std::string> split_kernel_words(std::string_view text);
// The name of a parameter word, with '-' read as '_' as the kernel does ("vfio-pci.ids=…" ->
// "vfio_pci.ids").
std::string kernel_param_name(std::string_view word);
// The value after '=' ("" when there is none).
std::string kernel_param_value(std::string_view word);

// What ptagent puts on the command line for this vendor: the same rule as `ptagent check`
// (AMD-Vi is on by default and has no "on" option: iommu=pt only).
std::vector<std::string> iommu_params_for(CpuVendor vendor);

enum class Conflicts { keep, replace };

struct CmdlineEdit {
  std::vector<std::string> add;      // wanted words that are missing
  std::vector<std::string> remove;   // conflicting words removed (Conflicts::replace)
  std::vector<std::string> present;  // wanted words already there (or an equivalent)
  std::vector<std::string> blocked;  // conflicting words kept: their wanted word is not added
  bool empty() const { return add.empty() && remove.empty(); }
};

// `current` are the words in effect at the next boot. A wanted word "name=value" is present when
// a word of that name has `value` among its comma-separated options ("intel_iommu=on,sm_on");
// another word of that name conflicts ("intel_iommu=off", "iommu=nopt").
CmdlineEdit plan_cmdline_edit(const std::vector<std::string>& current,
                              const std::vector<std::string>& wanted, Conflicts conflicts);

// `text` with the words in `remove` taken out (each with one space next to it) and the words in
// `add` appended after one space; everything else stays byte for byte.
std::string edit_cmdline_text(std::string_view text, const std::vector<std::string>& add,
                              const std::vector<std::string>& remove);

}  // namespace ptagent
