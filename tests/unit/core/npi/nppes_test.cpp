// The NPI check digit and the NPPES data file reader, on the real header (330 columns)
// and on rows reconstructed from real NPPES records (tests/data/npi/SOURCES.md).

#include "core/npi/nppes.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

namespace wl::npi {
namespace {

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(WL_TEST_DATA_DIR) + "/npi/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(NpiTest, TheCheckDigitIsLuhnOverThePrefix80840) {
  for (const char* valid : {"1234567893", "1245319599", "1679576722", "1588667638"}) {
    EXPECT_TRUE(is_valid_npi(valid)) << valid;
  }
  for (const char* invalid :
       {"1234567890", "123456789", "12345678930", "123456789X", "", "2234567893"}) {
    EXPECT_FALSE(is_valid_npi(invalid)) << invalid;
  }
}

TEST(NpiTest, EveryRealNpiOfTheSamplePassesAndAChangedLastDigitFails) {
  std::istringstream list(read_file("npi_luhn_valid_999.txt"));
  int count = 0;
  for (std::string npi; std::getline(list, npi);) {
    if (!npi.empty() && npi.back() == '\r') {
      npi.pop_back();
    }
    ASSERT_TRUE(is_valid_npi(npi)) << npi;
    npi.back() = static_cast<char>('0' + (npi.back() - '0' + 1) % 10);
    EXPECT_FALSE(is_valid_npi(npi)) << npi;
    ++count;
  }
  EXPECT_EQ(count, 999);
}

TEST(CsvLineTest, QuotedAndBareValues) {
  EXPECT_EQ(*split_csv_line(R"("a","b,c","",d,"say ""hi""")"),
            (std::vector<std::string>{"a", "b,c", "", "d", "say \"hi\""}));
  EXPECT_EQ(*split_csv_line(""), std::vector<std::string>{""});
  EXPECT_FALSE(split_csv_line(R"("open,"b")").has_value());
  EXPECT_FALSE(split_csv_line(R"("a"x,"b")").has_value());
}

// Builds NPPES rows on the real header: each row names only the columns it sets.
class NppesFile {
 public:
  NppesFile() : header_(read_file("npidata_pfile_header_reconstructed.csv")) {
    std::string first_line = header_.substr(0, header_.find('\n'));
    if (!first_line.empty() && first_line.back() == '\r') {
      first_line.pop_back();
    }
    names_ = *split_csv_line(first_line);
  }

  std::size_t columns() const { return names_.size(); }

  NppesFile& row(const std::map<std::string, std::string>& values) {
    std::string line;
    for (std::size_t i = 0; i < names_.size(); ++i) {
      const auto found = values.find(names_[i]);
      line += (i == 0 ? "\"" : ",\"") + (found == values.end() ? "" : found->second) + "\"";
    }
    rows_ += line + "\r\n";
    return *this;
  }
  NppesFile& raw(std::string line) {
    rows_ += line + "\r\n";
    return *this;
  }

  std::string text() const { return header_ + rows_; }

 private:
  std::string header_;
  std::vector<std::string> names_;
  std::string rows_;
};

// Reconstructed from the first record of the sample (NPI 1679576722).
std::map<std::string, std::string> wiebe() {
  return {{"NPI", "1679576722"},
          {"Entity Type Code", "1"},
          {"Provider Last Name (Legal Name)", "WIEBE"},
          {"Provider First Name", "DAVID"},
          {"Provider Middle Name", "A"},
          {"Provider Credential Text", "M.D."},
          {"Provider Sex Code", "M"},
          {"Provider First Line Business Practice Location Address", "3500 CENTRAL AVE"},
          {"Provider Business Practice Location Address City Name", "KEARNEY"},
          {"Provider Business Practice Location Address State Name", "NE"},
          {"Provider Business Practice Location Address Postal Code", "688472944"},
          {"Provider Business Practice Location Address Telephone Number", "3088652512"},
          {"Healthcare Provider Taxonomy Code_1", "207X00000X"},
          {"Provider License Number_1", "12637"},
          {"Provider License Number State Code_1", "NE"},
          {"Healthcare Provider Primary Taxonomy Switch_1", "Y"}};
}

TEST(NppesReaderTest, ReadsProvidersFromTheRealHeaderAndReportsEveryRowItCannotUse) {
  NppesFile file;
  ASSERT_EQ(file.columns(), 330u);
  auto bad_check = wiebe();
  bad_check["NPI"] = "1679576723";
  auto no_name = wiebe();
  no_name["NPI"] = "1588667638";
  no_name["Provider Last Name (Legal Name)"] = "";
  auto third_kind = wiebe();
  third_kind["NPI"] = "1245319599";
  third_kind["Entity Type Code"] = "3";
  file.row(wiebe())                 // line 2
      .row({{"NPI", "1234567893"},  // line 3
            {"Entity Type Code", "2"},
            {"Provider Organization Name (Legal Business Name)", "KEARNEY REGIONAL MEDICAL CENTER"},
            {"Provider Business Practice Location Address State Name", "NE"},
            {"Healthcare Provider Taxonomy Code_1", "282N00000X"},
            {"Healthcare Provider Taxonomy Code_2", "261QE0002X"},
            {"Healthcare Provider Primary Taxonomy Switch_2", "Y"}})
      .row({{"NPI", "1497758544"}, {"NPI Deactivation Date", "05/01/2019"}})  // line 4
      .row(bad_check)                                                         // line 5
      .raw("\"1306849450\",\"1\"")                                            // line 6
      .row(no_name)                                                           // line 7
      .row(third_kind)                                                        // line 8
      .raw("\"1215930367\",\"1")                                              // line 9
      .raw("")                                                                // blank
      .row(wiebe());                                                          // line 11
  const std::string text = file.text();
  std::istringstream in(text);
  auto reader = NppesReader::open(in);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();

  std::vector<NppesProvider> providers;
  std::vector<NppesRejection> rejected;
  while (true) {
    auto row = reader->next();
    ASSERT_TRUE(row.has_value()) << row.error().to_string();
    if (!*row) {
      break;
    }
    if ((*row)->provider) {
      providers.push_back(*(*row)->provider);
    } else {
      rejected.push_back(*(*row)->rejection);
    }
  }
  EXPECT_EQ(reader->bytes_read(), text.size());

  ASSERT_EQ(providers.size(), 4u);
  const NppesProvider& doctor = providers[0];
  EXPECT_EQ(doctor.npi, "1679576722");
  EXPECT_EQ(doctor.entity, NppesProvider::Entity::kIndividual);
  EXPECT_EQ(doctor.last_name, "WIEBE");
  EXPECT_EQ(doctor.first_name, "DAVID");
  EXPECT_EQ(doctor.middle_name, "A");
  EXPECT_EQ(doctor.credential, "M.D.");
  EXPECT_EQ(doctor.sex, "M");
  EXPECT_EQ(doctor.practice_city, "KEARNEY");
  EXPECT_EQ(doctor.practice_state, "NE");
  EXPECT_EQ(doctor.practice_phone, "3088652512");
  ASSERT_EQ(doctor.taxonomies.size(), 1u);
  EXPECT_EQ(doctor.taxonomies[0].code, "207X00000X");
  EXPECT_TRUE(doctor.taxonomies[0].primary);
  EXPECT_EQ(doctor.taxonomies[0].license, "12637");
  EXPECT_EQ(doctor.taxonomies[0].license_state, "NE");
  EXPECT_FALSE(doctor.deactivated);

  const NppesProvider& hospital = providers[1];
  EXPECT_EQ(hospital.entity, NppesProvider::Entity::kOrganization);
  EXPECT_EQ(hospital.organization_name, "KEARNEY REGIONAL MEDICAL CENTER");
  ASSERT_EQ(hospital.taxonomies.size(), 2u);
  EXPECT_FALSE(hospital.taxonomies[0].primary);
  EXPECT_TRUE(hospital.taxonomies[1].primary);

  EXPECT_TRUE(providers[2].deactivated) << "a deactivated NPI keeps its number only";
  EXPECT_EQ(providers[2].npi, "1497758544");
  EXPECT_EQ(providers[3].npi, "1679576722") << "reading goes on after rejected rows";

  ASSERT_EQ(rejected.size(), 5u);
  EXPECT_EQ(rejected[0].line, 5);
  EXPECT_EQ(rejected[0].reason, "NPI 1679576723 fails its check digit");
  EXPECT_EQ(rejected[0].kind, RejectionKind::kCheckDigit);
  EXPECT_EQ(rejection_kind_name(rejected[0].kind), "check_digit");
  EXPECT_EQ(rejected[1].line, 6);
  EXPECT_EQ(rejected[1].reason, "2 values where the header has 330 columns");
  EXPECT_EQ(rejected[1].kind, RejectionKind::kColumnCount);
  EXPECT_EQ(rejected[2].line, 7);
  EXPECT_EQ(rejected[2].reason, "NPI 1588667638: an individual without a last name");
  EXPECT_EQ(rejected[2].kind, RejectionKind::kMissingName);
  EXPECT_EQ(rejected[3].line, 8);
  EXPECT_NE(rejected[3].reason.find("entity type \"3\""), std::string::npos);
  EXPECT_EQ(rejected[3].kind, RejectionKind::kEntityType);
  EXPECT_EQ(rejected[4].line, 9);
  EXPECT_EQ(rejected[4].reason, "a quoted value is not closed");
  EXPECT_EQ(rejected[4].kind, RejectionKind::kMalformed);
}

// NPPES keeps a reactivated NPI's deactivation date and adds its reactivation date:
// the provider is active again unless deactivated after that.
TEST(NppesReaderTest, AReactivatedNpiIsActiveUnlessDeactivatedAgainLater) {
  NppesFile file;
  auto reactivated = wiebe();
  reactivated["NPI Deactivation Date"] = "05/01/2019";
  reactivated["NPI Reactivation Date"] = "02/14/2021";
  auto deactivated_again = wiebe();
  deactivated_again["NPI"] = "1234567893";
  deactivated_again["NPI Deactivation Date"] = "11/30/2022";
  deactivated_again["NPI Reactivation Date"] = "02/14/2021";
  auto same_day = wiebe();
  same_day["NPI"] = "1497758544";
  same_day["NPI Deactivation Date"] = "02/14/2021";
  same_day["NPI Reactivation Date"] = "02/14/2021";
  file.row(reactivated).row(deactivated_again).row(same_day);
  const std::string text = file.text();
  std::istringstream in(text);
  auto reader = NppesReader::open(in);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  std::vector<NppesProvider> providers;
  while (true) {
    auto row = reader->next();
    ASSERT_TRUE(row.has_value()) << row.error().to_string();
    if (!*row) {
      break;
    }
    ASSERT_TRUE((*row)->provider) << (*row)->rejection->reason;
    providers.push_back(*(*row)->provider);
  }
  ASSERT_EQ(providers.size(), 3u);
  EXPECT_FALSE(providers[0].deactivated) << "reactivated after its deactivation";
  EXPECT_EQ(providers[0].last_name, "WIEBE");
  EXPECT_TRUE(providers[1].deactivated) << "deactivated again after its reactivation";
  EXPECT_FALSE(providers[2].deactivated) << "reactivated on the day of its deactivation";
}

TEST(NppesReaderTest, FilesBefore2025NameColumn42GenderCode) {
  std::string text = NppesFile().row(wiebe()).text();
  const std::string renamed = "\"Provider Gender Code\"";
  text.replace(text.find("\"Provider Sex Code\""), std::string("\"Provider Sex Code\"").size(),
               renamed);
  std::istringstream in(text);
  auto reader = NppesReader::open(in);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  auto row = reader->next();
  ASSERT_TRUE(row.has_value() && *row && (*row)->provider);
  EXPECT_EQ((*row)->provider->sex, "M");
}

TEST(NppesReaderTest, AFileWithoutTheColumnsItNeedsIsRefusedByName) {
  std::istringstream wrong("\"NPI\",\"Provider First Name\"\r\n\"1679576722\",\"DAVID\"\r\n");
  auto reader = NppesReader::open(wrong);
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code(), Code::kInvalidArgument);
  EXPECT_NE(reader.error().message().find("\"Entity Type Code\""), std::string::npos)
      << reader.error().message();
  std::istringstream empty("");
  EXPECT_FALSE(NppesReader::open(empty).has_value());
}

TEST(NppesReaderTest, ARowOverTheLimitIsRejectedAndSkipped) {
  NppesFile file;
  auto long_name = wiebe();
  long_name["Provider Other Organization Name"] = std::string(20000, 'x');
  file.row(long_name).row(wiebe());
  std::istringstream in(file.text());
  auto reader = NppesReader::open(in, NppesLimits{16384});
  ASSERT_TRUE(reader.has_value());
  auto first = reader->next();
  ASSERT_TRUE(first.has_value() && *first && (*first)->rejection);
  EXPECT_EQ((*first)->rejection->reason, "the row is longer than 16384 bytes");
  auto second = reader->next();
  ASSERT_TRUE(second.has_value() && *second && (*second)->provider);
  EXPECT_EQ((*second)->provider->npi, "1679576722");
}

}  // namespace
}  // namespace wl::npi
