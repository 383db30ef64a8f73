// How patient words are normalised for the blind-token search.

#include "services/patients/patient_fields.hpp"

#include <gtest/gtest.h>

namespace wl::patient_fields {
namespace {

using Words = std::vector<std::string>;

TEST(PatientFieldsTest, WordsAreLowerCaseWithoutAccentsSplitAtPunctuation) {
  EXPECT_EQ(normalised_words("Testpatient, Alma"), (Words{"testpatient", "alma"}));
  EXPECT_EQ(normalised_words("ZOË Núñez-García"), (Words{"zoe", "nunez", "garcia"}));
  EXPECT_EQ(normalised_words("4 West, room 412, bed A"),
            (Words{"4", "west", "room", "412", "bed", "a"}));
  EXPECT_EQ(normalised_words("Straße Œuvre Łukasz"), (Words{"strasse", "oeuvre", "lukasz"}));
  EXPECT_EQ(normalised_words(""), Words{});
  EXPECT_EQ(normalised_words("--"), Words{});
}

TEST(PatientFieldsTest, OtherScriptsAreKeptWhole) {
  EXPECT_EQ(normalised_words("Иван Петров"), (Words{"Иван", "Петров"}));
  // A truncated sequence reads as its bytes, never past the end.
  EXPECT_EQ(normalised_words(std::string("a\xC3", 2)).size(), 1u);
}

}  // namespace
}  // namespace wl::patient_fields
