#include "error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "agent/cli.hpp"

using namespace ptagent;

namespace {

std::optional<std::string> xml_names(Input input) {
  if (input == Input::mdev_uuid) return "uuid= of <ptagent:mdev>";
  return std::nullopt;
}

TEST(Error, ReasonFollowsTheKindUnlessGiven) {
  EXPECT_EQ(Error(ErrorKind::usage, "x", "y").reason(), Reason::invalid_input);
  EXPECT_EQ(Error(ErrorKind::not_found, "x", "y").reason(), Reason::not_found);
  EXPECT_EQ(Error(ErrorKind::refused, "x", "y").reason(), Reason::refused);
  EXPECT_EQ(Error(ErrorKind::failed, "x", "y").reason(), Reason::failed);
  EXPECT_EQ(Error(ErrorKind::failed, "x", "y", "", EBUSY).reason(), Reason::busy);
  EXPECT_EQ(Error(ErrorKind::failed, "x", "y", "", ETIMEDOUT).reason(), Reason::timeout);
  EXPECT_EQ(Error(ErrorKind::failed, Reason::wedged, "x", "y").reason(), Reason::wedged);
  try {
    throw_busy("mdev u", "is in use", "stop the guest");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::refused);
    EXPECT_EQ(e.reason(), Reason::busy);
  }
}

TEST(Error, ReasonNamesAreStable) {
  EXPECT_EQ(reason_name(Reason::invalid_input), "invalid_input");
  EXPECT_EQ(reason_name(Reason::not_found), "not_found");
  EXPECT_EQ(reason_name(Reason::refused), "refused");
  EXPECT_EQ(reason_name(Reason::busy), "busy");
  EXPECT_EQ(reason_name(Reason::wedged), "wedged");
  EXPECT_EQ(reason_name(Reason::unsupported), "unsupported");
  EXPECT_EQ(reason_name(Reason::timeout), "timeout");
  EXPECT_EQ(reason_name(Reason::io_failed), "io_failed");
  EXPECT_EQ(reason_name(Reason::failed), "failed");
}

TEST(Error, WhatSpellsInputsByTheCoresNames) {
  const Error e(ErrorKind::usage, mention(Input::vf_count) + " x", "is not a number of VFs");
  EXPECT_STREQ(e.what(), "VF count x: is not a number of VFs");
}

TEST(Error, EachFrontEndSpellsInputsItsWay) {
  const Error e(
      ErrorKind::refused, "mdev 1", "already exists",
      "give another " + mention(Input::mdev_uuid) +
          where_spelled(Input::new_uuid, ", or leave " + mention(Input::new_uuid) + " out") +
          where_spelled(Input::force, ", or pass " + mention(Input::force)));
  EXPECT_EQ(report(e, "ptagent: error: ", cli::flag_of),
            "ptagent: error: mdev 1: already exists\n"
            "  fix: give another --uuid, or leave --uuid out, or pass --force\n");
  EXPECT_EQ(cli::report_error(e), report(e, "ptagent: error: ", cli::flag_of));
  // The hook has neither a way to ask for a new UUID nor an override: those parts are left out.
  EXPECT_EQ(report(e, "ptagent: domain 'w' cannot start: ", xml_names),
            "ptagent: domain 'w' cannot start: mdev 1: already exists\n"
            "  fix: give another uuid= of <ptagent:mdev>\n");
  // Without names: the core's, and no front end's options.
  EXPECT_EQ(spell(e.hint()), "give another mdev UUID");
}

TEST(Error, ReportOmitsAnEmptyFix) {
  EXPECT_EQ(report(Error(ErrorKind::failed, "", "it broke"), "lead: "), "lead: it broke\n");
  // A hint that is only a front end's option is empty where that option does not exist.
  const Error e(ErrorKind::refused, "pf", "is critical",
                where_spelled(Input::force, "add " + mention(Input::force)));
  EXPECT_EQ(report(e, "", xml_names), "pf: is critical\n");
  EXPECT_EQ(report(e, "", cli::flag_of), "pf: is critical\n  fix: add --force\n");
}

}  // namespace
