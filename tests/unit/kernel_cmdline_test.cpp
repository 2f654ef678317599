// kernel_cmdline: word splitting with quotes, parameter names as the kernel compares them ('-' is
// '_'), the edit plan for wanted words (present, missing, conflicting: keep or replace), and
// text edits that leave everything else byte for byte.
#include "setup/kernel_cmdline.hpp"

#include <gtest/gtest.h>

using namespace ptagent;
using V = std::vector<std::string>;

TEST(KernelCmdline, SplitKeepsQuotedSpacesAndSkipsAnyWhitespace) {
  EXPECT_EQ(split_kernel_words("  quiet\tsplash\n acpi_osi=\"Windows 2020\"  ro \n"),
            (V{"quiet", "splash", "acpi_osi=\"Windows 2020\"", "ro"}));
  EXPECT_TRUE(split_kernel_words("").empty());
  EXPECT_TRUE(split_kernel_words(" \t\n").empty());
  // An unterminated quote runs to the end of the text.
  EXPECT_EQ(split_kernel_words("a b=\"c d"), (V{"a", "b=\"c d"}));
}

TEST(KernelCmdline, ParamNameReadsDashAsUnderscoreOnlyInTheName) {
  EXPECT_EQ(kernel_param_name("vfio-pci.ids=10de:1b80"), "vfio_pci.ids");
  EXPECT_EQ(kernel_param_name("intel-iommu=on"), "intel_iommu");
  EXPECT_EQ(kernel_param_name("nosmt"), "nosmt");
  EXPECT_EQ(kernel_param_value("vfio-pci.ids=10de:1b80"), "10de:1b80");
  EXPECT_EQ(kernel_param_value("root=/dev/mapper/vg-root"), "/dev/mapper/vg-root")
      << "a '-' in the value stays";
  EXPECT_EQ(kernel_param_value("nosmt"), "");
  EXPECT_EQ(kernel_param_value("a=b=c"), "b=c");
  EXPECT_EQ(kernel_param_value("acpi_osi=\"Windows 2020\""), "Windows 2020");
  EXPECT_EQ(kernel_param_value("x=\""), "\"") << "a lone quote is not a quoted value";
}

TEST(KernelCmdline, IommuParamsPerVendor) {
  EXPECT_EQ(iommu_params_for(CpuVendor::intel), (V{"intel_iommu=on", "iommu=pt"}));
  EXPECT_EQ(iommu_params_for(CpuVendor::amd), (V{"iommu=pt"}));
  EXPECT_EQ(iommu_params_for(CpuVendor::other), (V{"iommu=pt"}));
}

TEST(KernelCmdline, PlanAddsOnlyWhatIsMissing) {
  const auto e =
      plan_cmdline_edit({"quiet", "iommu=pt"}, {"intel_iommu=on", "iommu=pt"}, Conflicts::keep);
  EXPECT_EQ(e.add, (V{"intel_iommu=on"}));
  EXPECT_EQ(e.present, (V{"iommu=pt"}));
  EXPECT_TRUE(e.remove.empty());
  EXPECT_TRUE(e.blocked.empty());
  EXPECT_FALSE(e.empty());
}

TEST(KernelCmdline, PlanSeesAnEquivalentWordAsPresent) {
  // intel_iommu=on,sm_on holds "on"; intel-iommu is the same parameter.
  const auto e = plan_cmdline_edit({"intel-iommu=sm_on,on", "iommu=pt"},
                                   {"intel_iommu=on", "iommu=pt"}, Conflicts::replace);
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.present, (V{"intel_iommu=on", "iommu=pt"}));
}

TEST(KernelCmdline, PlanKeepsConflictsAndBlocksTheWantedWord) {
  const auto e = plan_cmdline_edit({"intel_iommu=off", "quiet"}, {"intel_iommu=on", "iommu=pt"},
                                   Conflicts::keep);
  EXPECT_EQ(e.blocked, (V{"intel_iommu=off"}));
  EXPECT_EQ(e.add, (V{"iommu=pt"})) << "an unrelated wanted word is still added";
  EXPECT_TRUE(e.remove.empty());
}

TEST(KernelCmdline, PlanReplacesConflictsWhenAsked) {
  const auto e = plan_cmdline_edit({"intel_iommu=off", "iommu=nopt", "iommu=soft"},
                                   {"intel_iommu=on", "iommu=pt"}, Conflicts::replace);
  EXPECT_EQ(e.remove, (V{"intel_iommu=off", "iommu=nopt", "iommu=soft"}));
  EXPECT_EQ(e.add, (V{"intel_iommu=on", "iommu=pt"}));
  EXPECT_TRUE(e.blocked.empty());
}

TEST(KernelCmdline, PlanReplaceWithTheWordPresentToo) {
  // Both iommu=pt and iommu=nopt: pt is there, the conflicting one goes, nothing is duplicated.
  const auto e = plan_cmdline_edit({"iommu=pt", "iommu=nopt"}, {"iommu=pt"}, Conflicts::replace);
  EXPECT_EQ(e.present, (V{"iommu=pt"}));
  EXPECT_EQ(e.remove, (V{"iommu=nopt"}));
  EXPECT_TRUE(e.add.empty());
}

TEST(KernelCmdline, PlanDoesNotConfuseSimilarNames) {
  // intel_iommu is not iommu; a value substring is not an option.
  const auto e = plan_cmdline_edit({"intel_iommu=pt", "iommu=ptx"}, {"iommu=pt"}, Conflicts::keep);
  EXPECT_EQ(e.blocked, (V{"iommu=ptx"}));
  EXPECT_TRUE(e.present.empty());
  EXPECT_TRUE(e.add.empty());
}

TEST(KernelCmdline, EditAppendsBeforeTheTrailingNewline) {
  EXPECT_EQ(edit_cmdline_text("root=/dev/sda1 quiet\n", {"intel_iommu=on", "iommu=pt"}, {}),
            "root=/dev/sda1 quiet intel_iommu=on iommu=pt\n");
  EXPECT_EQ(edit_cmdline_text("", {"iommu=pt"}, {}), "iommu=pt");
  EXPECT_EQ(edit_cmdline_text("\n", {"a", "b"}, {}), "a b\n");
  EXPECT_EQ(edit_cmdline_text("x  \n\n", {"y"}, {}), "x y  \n\n");
}

TEST(KernelCmdline, EditRemovesOneWordAndOneSpaceOnly) {
  EXPECT_EQ(edit_cmdline_text("intel_iommu=off quiet\n", {}, {"intel_iommu=off"}), "quiet\n");
  EXPECT_EQ(edit_cmdline_text("quiet intel_iommu=off\n", {}, {"intel_iommu=off"}), "quiet\n");
  EXPECT_EQ(edit_cmdline_text("a\tintel_iommu=off  b", {}, {"intel_iommu=off"}), "a  b")
      << "the tab before it goes, the other spacing stays";
  EXPECT_EQ(edit_cmdline_text("a b", {}, {"c"}), "a b") << "absent word: unchanged";
  EXPECT_EQ(edit_cmdline_text("intel_iommu=pt", {}, {"iommu=pt"}), "intel_iommu=pt")
      << "a word, not a substring";
}

TEST(KernelCmdline, EditRemovesTheLastOccurrenceThenAdds) {
  EXPECT_EQ(edit_cmdline_text("iommu=nopt x iommu=nopt y\n", {"iommu=pt"}, {"iommu=nopt"}),
            "iommu=nopt x y iommu=pt\n");
  EXPECT_EQ(edit_cmdline_text("intel_iommu=off", {"intel_iommu=on"}, {"intel_iommu=off"}),
            "intel_iommu=on");
}

TEST(KernelCmdline, EditKeepsQuotedWordsIntact) {
  const std::string text = "acpi_osi=\"Windows 2020\" intel_iommu=off ro\n";
  EXPECT_EQ(edit_cmdline_text(text, {"intel_iommu=on"}, {"intel_iommu=off"}),
            "acpi_osi=\"Windows 2020\" ro intel_iommu=on\n");
  // A word inside a quoted value is not a word of the command line.
  EXPECT_EQ(edit_cmdline_text("x=\"a quiet b\" quiet", {}, {"quiet"}), "x=\"a quiet b\"");
}
