// grub_config: shell assignments read the way sh reads them (quotes, expansion, continuation
// lines), ptagent's marked GRUB line, and edits that leave the rest of a foreign file byte for
// byte.
#include "setup/grub_config.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

namespace {

std::map<std::string, std::string> vars_after(std::string_view text) {
  std::map<std::string, std::string> vars;
  read_shell_assignments(text, vars);
  return vars;
}

}  // namespace

TEST(GrubConfig, ReadsAssignmentsWithLineNumbers) {
  std::map<std::string, std::string> vars;
  const auto a = read_shell_assignments(
      "# GRUB defaults\n"
      "GRUB_DEFAULT=0\n"
      "\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n"
      "  export GRUB_CMDLINE_LINUX=''\n"
      "echo not=an assignment\n",
      vars);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].line, 2u);
  EXPECT_EQ(a[0].name, "GRUB_DEFAULT");
  EXPECT_EQ(a[0].value, "0");
  EXPECT_EQ(a[1].line, 4u);
  EXPECT_EQ(a[1].value, "quiet splash");
  EXPECT_EQ(a[2].line, 5u);
  EXPECT_EQ(a[2].name, "GRUB_CMDLINE_LINUX");
  EXPECT_EQ(a[2].value, "");
  EXPECT_EQ(vars.count("echo"), 0u);
  EXPECT_EQ(vars.size(), 3u);
}

TEST(GrubConfig, CommentsAndNonAssignmentsAreSkipped) {
  const auto vars = vars_after(
      "#GRUB_CMDLINE_LINUX=\"intel_iommu=off\"\n"
      "  # A=1\n"
      "if [ -x x ]; then\n"
      "1A=2\n"
      "A B=3\n"
      "fi\n");
  EXPECT_TRUE(vars.empty());
}

TEST(GrubConfig, DoubleQuotesExpandSingleQuotesDoNot) {
  std::map<std::string, std::string> vars = {{"BASE", "quiet"}};
  read_shell_assignments(
      "A=\"$BASE splash\"\n"
      "B='$BASE splash'\n"
      "C=\"${BASE}x\"\n"
      "D=$BASE\n"
      "E=\"$UNSET end\"\n"
      "F=\"cost $ 5\"\n"
      "G=\"${unterminated\"\n",
      vars);
  EXPECT_EQ(vars["A"], "quiet splash");
  EXPECT_EQ(vars["B"], "$BASE splash");
  EXPECT_EQ(vars["C"], "quietx");
  EXPECT_EQ(vars["D"], "quiet");
  EXPECT_EQ(vars["E"], " end");
  EXPECT_EQ(vars["F"], "cost $ 5");
  EXPECT_EQ(vars["G"], "${unterminated");
}

TEST(GrubConfig, LaterAssignmentsSeeEarlierOnes) {
  const auto vars = vars_after(
      "GRUB_CMDLINE_LINUX=\"quiet\"\n"
      "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX iommu=pt\"\n"
      "GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} intel_iommu=on\"\n");
  EXPECT_EQ(vars.at("GRUB_CMDLINE_LINUX"), "quiet iommu=pt intel_iommu=on");
}

TEST(GrubConfig, EscapesInDoubleQuotesAreReadAsTheShellDoes) {
  const auto vars = vars_after(
      "A=\"acpi_osi=\\\"Windows 2020\\\"\"\n"
      "B=\"a\\\\b\"\n"
      "C=\"\\$HOME\"\n"
      "D=\"a\\b\"\n");
  EXPECT_EQ(vars.at("A"), "acpi_osi=\"Windows 2020\"");
  EXPECT_EQ(vars.at("B"), "a\\b");
  EXPECT_EQ(vars.at("C"), "$HOME");
  // sh keeps a backslash before any other character inside double quotes.
  EXPECT_EQ(vars.at("D"), "a\\b");
}

TEST(GrubConfig, ContinuationLinesJoinAndKeepTheFirstLineNumber) {
  std::map<std::string, std::string> vars;
  const auto a = read_shell_assignments(
      "X=1\n"
      "GRUB_CMDLINE_LINUX=\"quiet \\\n"
      "iommu=pt\"\n"
      "Y=2\n",
      vars);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].line, 2u);
  EXPECT_EQ(a[1].value, "quiet iommu=pt");
  EXPECT_EQ(a[2].line, 4u);
  EXPECT_EQ(a[2].name, "Y");
}

TEST(GrubConfig, UnterminatedQuotesAndTrailingWordsAreHandled) {
  const auto vars = vars_after(
      "A=\"never closed\n"
      "B='never closed\n"
      "C=value # comment\n"
      "D=one;E=two\n"
      "F=a'b c'd\n");
  EXPECT_EQ(vars.count("A"), 0u) << "an unterminated quote is not an assignment";
  EXPECT_EQ(vars.count("B"), 0u);
  EXPECT_EQ(vars.at("C"), "value");
  EXPECT_EQ(vars.at("D"), "one");
  EXPECT_EQ(vars.at("F"), "ab cd") << "quoted parts join the unquoted ones";
}

TEST(GrubConfig, AppendLineRoundTripsThroughTheReader) {
  const std::string line =
      grub_append_line("GRUB_CMDLINE_LINUX_DEFAULT", {"intel_iommu=on", "iommu=pt"}, true);
  EXPECT_EQ(line,
            "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT intel_iommu=on iommu=pt\""
            "  # added by ptagent setup iommu");
  EXPECT_EQ(grub_append_line("GRUB_CMDLINE_LINUX", {"iommu=pt"}, false),
            "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX iommu=pt\"");
  const auto vars = vars_after(append_line("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"", line));
  EXPECT_EQ(vars.at("GRUB_CMDLINE_LINUX_DEFAULT"), "quiet splash intel_iommu=on iommu=pt");
}

TEST(GrubConfig, AppendLineAddsAMissingNewlineFirst) {
  EXPECT_EQ(append_line("A=1", "B=2"), "A=1\nB=2\n");
  EXPECT_EQ(append_line("A=1\n", "B=2"), "A=1\nB=2\n");
  EXPECT_EQ(append_line("", "B=2"), "B=2\n");
}

TEST(GrubConfig, StripMarkedLinesLeavesTheRestByteForByte) {
  const std::string marked = grub_append_line("GRUB_CMDLINE_LINUX", {"iommu=pt"}, true);
  const std::string original = "# comment\r\nGRUB_DEFAULT=0\n\n\tGRUB_TIMEOUT=5  \nlast";
  EXPECT_EQ(strip_marked_lines(original, kGrubMarker), original) << "nothing marked";
  const std::string with =
      "# comment\r\n" + marked + "\nGRUB_DEFAULT=0\n\n\tGRUB_TIMEOUT=5  \n" + marked + "\nlast";
  EXPECT_EQ(strip_marked_lines(with, kGrubMarker), original);
  // A marked last line without a newline goes too.
  EXPECT_EQ(strip_marked_lines("A=1\n" + marked, kGrubMarker), "A=1\n");
  EXPECT_EQ(strip_marked_lines(append_line(original, marked), kGrubMarker), original + "\n")
      << "append_line's added newline is part of the original's last line now";
  EXPECT_EQ(strip_marked_lines("", kGrubMarker), "");
}

TEST(GrubConfig, RemoveWordFromAssignmentInsideItsQuotes) {
  const std::string text =
      "GRUB_DEFAULT=0\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=off splash\"  # keep\n"
      "GRUB_CMDLINE_LINUX='iommu=nopt'\n";
  EXPECT_EQ(remove_word_from_assignment(text, 2, "intel_iommu=off"),
            "GRUB_DEFAULT=0\n"
            "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"  # keep\n"
            "GRUB_CMDLINE_LINUX='iommu=nopt'\n");
  EXPECT_EQ(remove_word_from_assignment(text, 3, "iommu=nopt"),
            "GRUB_DEFAULT=0\n"
            "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=off splash\"  # keep\n"
            "GRUB_CMDLINE_LINUX=''\n");
}

TEST(GrubConfig, RemoveWordRefusesWhatItCannotEditSafely) {
  const std::string text =
      "A=\"quiet\" intel_iommu=off\n"
      "B=intel_iommu=off\n"
      "C=\"intel_iommu=offx\"\n"
      "D=\"unterminated intel_iommu=off\n";
  EXPECT_EQ(remove_word_from_assignment(text, 1, "intel_iommu=off"), std::nullopt)
      << "outside the quotes";
  EXPECT_EQ(remove_word_from_assignment(text, 2, "intel_iommu=off"), std::nullopt) << "not quoted";
  EXPECT_EQ(remove_word_from_assignment(text, 3, "intel_iommu=off"), std::nullopt)
      << "only a prefix of a word";
  EXPECT_EQ(remove_word_from_assignment(text, 4, "intel_iommu=off"), std::nullopt);
  EXPECT_EQ(remove_word_from_assignment(text, 9, "intel_iommu=off"), std::nullopt)
      << "no such line";
  EXPECT_EQ(remove_word_from_assignment("# no = here\n", 1, "x"), std::nullopt);
}

TEST(GrubConfig, RemoveWordOnALastLineWithoutNewline) {
  EXPECT_EQ(remove_word_from_assignment("X=1\nA=\"iommu=nopt quiet\"", 2, "iommu=nopt"),
            "X=1\nA=\"quiet\"");
}
