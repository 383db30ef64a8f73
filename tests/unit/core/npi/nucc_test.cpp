// The NUCC taxonomy CSV reader and the folding of names for search.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/npi/names.hpp"
#include "core/npi/nucc.hpp"

namespace wl::npi {
namespace {

TEST(FoldNameTest, IgnoresCaseAccentsAndPunctuation) {
  EXPECT_EQ(fold_name("WIEBE, DAVID A"), "wiebe david a");
  EXPECT_EQ(fold_name("O'Brien-Smith,  José"), "o brien smith jose");
  EXPECT_EQ(fold_name("  Ærø Straße Łódź  "), "aero strasse lodz");
  EXPECT_EQ(fold_name("ÇAĞLAR"), "caglar");
  EXPECT_EQ(fold_name("Dr. 2nd"), "dr 2nd");
  EXPECT_EQ(fold_name("St. Mary's Hospital, Inc."), "st mary s hospital inc");
  // Other scripts and invalid bytes separate words; nothing else survives.
  EXPECT_EQ(fold_name("ab\xE4\xB8\xAD"
                      "cd"),
            "ab cd");
  EXPECT_EQ(fold_name("ab\xFF"
                      "cd"),
            "ab cd");
  EXPECT_EQ(fold_name("!!"), "");
  EXPECT_EQ(fold_name(""), "");
}

TEST(NuccReaderTest, ReadsTheSampleByHeaderNameWithQuotedMultiLineValues) {
  std::ifstream in(std::string(WL_TEST_DATA_DIR) + "/npi/nucc_taxonomy_sample_madeup.csv",
                   std::ios::binary);
  ASSERT_TRUE(in);
  auto reader = NuccReader::open(in);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  std::vector<NuccCode> codes;
  while (true) {
    auto next = reader->next();
    ASSERT_TRUE(next.has_value()) << next.error().to_string();
    if (!*next) {
      break;
    }
    codes.push_back(**next);
  }
  ASSERT_EQ(codes.size(), 6u);
  EXPECT_EQ(codes[0].code, "207X00000X");
  EXPECT_EQ(codes[0].classification, "Orthopaedic Surgery");
  EXPECT_EQ(codes[0].display_name, "Orthopaedic Surgery Physician");
  EXPECT_EQ(codes[1].code, "207Q00000X") << "a value over two lines is one record";
  EXPECT_EQ(codes[1].section, "Individual");
  EXPECT_EQ(codes[2].specialization, "Cardiovascular Disease");
  EXPECT_EQ(codes[2].display_name, "Cardiovascular Disease Physician");
  EXPECT_EQ(codes[5].section, "Non-Individual");
}

TEST(NuccReaderTest, ReadsOlderFilesWithoutDisplayNameAndSection) {
  std::istringstream in(
      "\xEF\xBB\xBF\"Code\",\"Grouping\",\"Classification\",\"Specialization\",\"Definition\","
      "\"Notes\"\r\n\"207X00000X\",\"Allopathic\",\"Orthopaedic Surgery\",\"\",\"\",\"\"\r\n");
  auto reader = NuccReader::open(in);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  auto code = reader->next();
  ASSERT_TRUE(code.has_value() && code->has_value());
  EXPECT_EQ((*code)->code, "207X00000X");
  EXPECT_EQ((*code)->display_name, "");
  EXPECT_FALSE(reader->next()->has_value());
}

TEST(NuccReaderTest, RefusesOtherFilesAndBadRecords) {
  std::istringstream nppes("\"NPI\",\"Entity Type Code\"\r\n");
  const auto refused = NuccReader::open(nppes);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message(),
            "not a NUCC taxonomy file: the header lacks \"Code\", \"Grouping\", "
            "\"Classification\", \"Specialization\"");
  std::istringstream empty("");
  EXPECT_EQ(NuccReader::open(empty).error().code(), Code::kInvalidArgument);

  std::istringstream bad_code("Code,Grouping,Classification,Specialization\n207X0,G,C,S\n");
  auto reader = NuccReader::open(bad_code);
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ(reader->next().error().message(),
            "taxonomy file line 2: \"207X0\" is not a taxonomy code");

  std::istringstream open_quote("Code,Grouping,Classification,Specialization\n207X00000X,\"G\n");
  auto unterminated = NuccReader::open(open_quote);
  ASSERT_TRUE(unterminated.has_value());
  EXPECT_EQ(unterminated->next().error().message(), "taxonomy file line 2: a quote is left open");
}

TEST(NuccReaderTest, KnowsATaxonomyCode) {
  EXPECT_TRUE(is_taxonomy_code("207RC0000X"));
  EXPECT_FALSE(is_taxonomy_code("207rc0000x"));
  EXPECT_FALSE(is_taxonomy_code("207RC0000"));
  EXPECT_FALSE(is_taxonomy_code("207RC00000"));
}

}  // namespace
}  // namespace wl::npi
