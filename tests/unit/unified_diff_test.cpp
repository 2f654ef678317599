// unified_diff: `diff -u` output for added, removed, changed and unchanged files, hunks with 3
// lines of context (merged when close), and files without a trailing newline.
#include "setup/unified_diff.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

namespace {

std::string numbered(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += "line" + std::to_string(i) + "\n";
  return s;
}

}  // namespace

TEST(UnifiedDiff, UnchangedIsEmpty) {
  EXPECT_EQ(unified_diff("/etc/a", std::string("x\n"), std::string("x\n")), "");
  EXPECT_EQ(unified_diff("/etc/a", std::nullopt, std::nullopt), "");
  EXPECT_EQ(unified_diff("/etc/a", std::string(""), std::string("")), "");
}

TEST(UnifiedDiff, AddedFileComesFromDevNull) {
  EXPECT_EQ(unified_diff("/etc/modprobe.d/ptagent.conf", std::nullopt,
                         std::string("options vfio-pci ids=10de:1b80\nsoftdep x pre: vfio-pci\n")),
            "--- /dev/null\n"
            "+++ /etc/modprobe.d/ptagent.conf\n"
            "@@ -0,0 +1,2 @@\n"
            "+options vfio-pci ids=10de:1b80\n"
            "+softdep x pre: vfio-pci\n");
}

TEST(UnifiedDiff, RemovedFileGoesToDevNull) {
  EXPECT_EQ(unified_diff("/etc/x", std::string("only\n"), std::nullopt),
            "--- /etc/x\n"
            "+++ /dev/null\n"
            "@@ -1 +0,0 @@\n"
            "-only\n");
}

TEST(UnifiedDiff, ChangedLineWithContext) {
  const std::string before = numbered(1, 10);
  std::string after = before;
  after.replace(after.find("line5\n"), 6, "five\n");
  EXPECT_EQ(unified_diff("/f", before, after),
            "--- /f\n"
            "+++ /f\n"
            "@@ -2,7 +2,7 @@\n"
            " line2\n line3\n line4\n"
            "-line5\n"
            "+five\n"
            " line6\n line7\n line8\n");
}

TEST(UnifiedDiff, AppendedLineAtTheEnd) {
  EXPECT_EQ(unified_diff("/f", std::string("a\nb\n"), std::string("a\nb\nc\n")),
            "--- /f\n+++ /f\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
}

TEST(UnifiedDiff, DistantChangesAreSeparateHunks) {
  const std::string before = numbered(1, 20);
  std::string after = before;
  after.replace(after.find("line2\n"), 6, "two\n");
  after.replace(after.find("line18\n"), 7, "eighteen\n");
  EXPECT_EQ(unified_diff("/f", before, after),
            "--- /f\n+++ /f\n"
            "@@ -1,5 +1,5 @@\n line1\n-line2\n+two\n line3\n line4\n line5\n"
            "@@ -15,6 +15,6 @@\n line15\n line16\n line17\n-line18\n+eighteen\n line19\n"
            " line20\n");
}

TEST(UnifiedDiff, ChangesSixLinesApartShareOneHunk) {
  const std::string before = numbered(1, 12);
  std::string after = before;
  after.replace(after.find("line2\n"), 6, "two\n");
  after.replace(after.find("line9\n"), 6, "nine\n");
  EXPECT_EQ(unified_diff("/f", before, after),
            "--- /f\n+++ /f\n"
            "@@ -1,12 +1,12 @@\n line1\n-line2\n+two\n line3\n line4\n line5\n line6\n line7\n"
            " line8\n-line9\n+nine\n line10\n line11\n line12\n");
  // Seven unchanged lines between them: two hunks.
  std::string apart = before;
  apart.replace(apart.find("line2\n"), 6, "two\n");
  apart.replace(apart.find("line10\n"), 7, "ten\n");
  const std::string d = unified_diff("/f", before, apart);
  EXPECT_NE(d.find("@@ -1,5 +1,5 @@\n"), std::string::npos) << d;
  EXPECT_NE(d.find("@@ -7,6 +7,6 @@\n line7\n line8\n line9\n-line10\n+ten\n"), std::string::npos)
      << d;
}

TEST(UnifiedDiff, MissingTrailingNewlineIsMarked) {
  EXPECT_EQ(unified_diff("/f", std::string("a\nb"), std::string("a\nb\n")),
            "--- /f\n+++ /f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  EXPECT_EQ(unified_diff("/f", std::string("a\n"), std::string("a\nb")),
            "--- /f\n+++ /f\n@@ -1 +1,2 @@\n a\n+b\n\\ No newline at end of file\n");
}

TEST(UnifiedDiff, EmptiedFile) {
  EXPECT_EQ(unified_diff("/f", std::string("a\n"), std::string("")),
            "--- /f\n+++ /f\n@@ -1 +0,0 @@\n-a\n");
}

TEST(UnifiedDiff, AReplacedBlockShowsRemovedLinesFirst) {
  EXPECT_EQ(unified_diff("/f", std::string("keep\nold1\nold2\nend\n"),
                         std::string("keep\nnew1\nnew2\nnew3\nend\n")),
            "--- /f\n+++ /f\n@@ -1,4 +1,5 @@\n keep\n-old1\n-old2\n+new1\n+new2\n+new3\n end\n");
}
