// ptagent groups --tree and --format dot|svg: golden trees and DOT text on every simulated host,
// the SVG drawn by Graphviz and rendered to PNG by rsvg-convert, and the bad input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "setup/command_runner.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"

using ptagent::CommandResult;
using ptagent::ProcessRunner;
using ptagent::test::expect_cli_failures;
using ptagent::test::expect_golden;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ptagent::testing::TempHost;

namespace {

const char* kSystemPath = "/usr/local/bin:/usr/bin:/bin";

class GroupsPicture : public ::testing::TestWithParam<std::string> {};

TEST_P(GroupsPicture, TreeAndDotGoldens) {
  const std::string host = GetParam();
  const std::string root = fixture_host(host);
  auto tree = run_cli({"--root", root, "groups", "--tree"});
  EXPECT_EQ(tree.code, 0) << tree.err;
  EXPECT_EQ(tree.err, "");
  EXPECT_EQ(tree.out.find('\033'), std::string::npos);  // not a terminal: no colour
  expect_golden(host + "/groups-tree.txt", tree.out);
  EXPECT_EQ(run_cli({"--root", root, "groups", "--format", "tree"}).out, tree.out);
  auto dot = run_cli({"--root", root, "groups", "--format", "dot"});
  EXPECT_EQ(dot.code, 0) << dot.err;
  expect_golden(host + "/groups.dot", dot.out);
}

INSTANTIATE_TEST_SUITE_P(Hosts, GroupsPicture,
                         ::testing::Values("workstation", "server", "noiommu"));

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// Graphviz draws the DOT; librsvg renders the SVG to a PNG that is a real picture.
TEST(GroupsPicture, SvgRendersToAPng) {
  auto svg = run_cli({"--root", fixture_host("workstation"), "groups", "--format", "svg"});
  ASSERT_EQ(svg.code, 0) << svg.err;
  EXPECT_NE(svg.out.find("<svg"), std::string::npos);
  EXPECT_NE(svg.out.find("IOMMU group 1"), std::string::npos);
  EXPECT_NE(svg.out.find("HOST&#45;CRITICAL"), std::string::npos);  // Graphviz writes '-' so
  EXPECT_NE(svg.out.find("Legend"), std::string::npos);
  TempHost h = TempHost::empty();
  const std::string svg_path = h.dir() + "/host.svg", png_path = h.dir() + "/host.png";
  std::ofstream(svg_path, std::ios::binary) << svg.out;
  const CommandResult r =
      ProcessRunner(kSystemPath).run({"rsvg-convert", "-o", png_path, svg_path});
  ASSERT_EQ(r.exit_code, 0) << r.output << " (rsvg-convert is in librsvg2-bin)";
  std::ifstream f(png_path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string png = ss.str();
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_GT(big_endian(png, 16), 600u);  // width
  EXPECT_GT(big_endian(png, 20), 400u);  // height
  EXPECT_GT(png.size(), 30000u);         // not a blank page
}

TEST(GroupsPicture, SvgWithoutGraphvizSaysSo) {
  TempHost h = TempHost::empty();
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (h.dir() + "/no-such-bin").c_str(), 1);
  auto r = run_cli({"--root", fixture_host("server"), "groups", "--format", "svg"});
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Graphviz's 'dot' is not installed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("apt-get install graphviz"), std::string::npos) << r.err;
}

TEST(GroupsPicture, BadInput) {
  expect_cli_failures(
      fixture_host("workstation"),
      {
          {{"groups", "--format", "png"}, 2, "--format png: is not a format of groups"},
          {{"groups", "--format", ""}, 2, "is not a format of groups"},
          {{"groups", "--format"}, 2, "ptagent groups"},
          {{"groups", "--tree", "--format", "dot"}, 2, "asks for two formats"},
          {{"groups", "--format", "dot", "--json"}, 2, "--json with --format dot"},
          {{"groups", "--tree", "--json"}, 2, "--json with --format tree"},
          {{"groups", "--tree", "extra"}, 2, "ptagent groups"},
      },
      true);
}

TEST(GroupsPicture, HelpNamesTheFormats) {
  auto h = run_cli({"groups", "--help"});
  EXPECT_EQ(h.code, 0);
  for (const char* word : {"--tree", "--format", "dot -Tsvg", "NO_COLOR", "graphviz"})
    EXPECT_NE(h.out.find(word), std::string::npos) << word;
}

}  // namespace
