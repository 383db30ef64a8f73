#include "services/directory/text_fold.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

TEST(TextFoldTest, LowersAscii) { EXPECT_EQ(fold_text("Nina PATEL"), "nina patel"); }

TEST(TextFoldTest, FoldsLatinDiacritics) {
  EXPECT_EQ(fold_text("Lucía García"), "lucia garcia");
  EXPECT_EQ(fold_text("Jonas Müller"), "jonas muller");
  EXPECT_EQ(fold_text("ÉLODIE Çelik"), "elodie celik");
  EXPECT_EQ(fold_text("Søren Ærø"), "soren aero");
  EXPECT_EQ(fold_text("Łukasz Wałęsa"), "lukasz walesa");
  EXPECT_EQ(fold_text("Straße"), "strasse");
  EXPECT_EQ(fold_text("Þór Ðórr"), "thor dorr");
  EXPECT_EQ(fold_text("Œuvre Ĳssel"), "oeuvre ijssel");
  EXPECT_EQ(fold_text("Dvořák Šťastný"), "dvorak stastny");
}

TEST(TextFoldTest, DecomposedInputFoldsAsComposed) {
  // "García" with U+0301 COMBINING ACUTE ACCENT after the i.
  EXPECT_EQ(fold_text("Garci\xCC\x81"
                      "a"),
            "garcia");
}

TEST(TextFoldTest, ApostrophesJoinAndPunctuationSeparates) {
  EXPECT_EQ(fold_text("O'Brien"), "obrien");
  EXPECT_EQ(fold_text("O\xE2\x80\x99"
                      "Brien"),
            "obrien");  // U+2019.
  EXPECT_EQ(fold_text("Smith-Jones"), "smith jones");
  EXPECT_EQ(fold_text("  Brooks,   NP  "), "brooks np");
  EXPECT_EQ(fold_text("Dr. Nina Patel"), "dr nina patel");
  EXPECT_EQ(fold_text("RN\xC2\xA0\xE2\x80\x94 ICU"), "rn icu");  // NBSP, em dash.
  EXPECT_EQ(fold_text("2\xC3\x97"
                      "3"),
            "2 3");  // U+00D7 multiplication sign.
}

TEST(TextFoldTest, KeepsOtherScriptsAsWordCharacters) {
  EXPECT_EQ(fold_text("Анна Kim"), "Анна kim");
  EXPECT_EQ(fold_text("東京"), "東京");
}

TEST(TextFoldTest, InvalidBytesSeparateWords) {
  EXPECT_EQ(fold_text("ab\xFF"
                      "cd"),
            "ab cd");
  EXPECT_EQ(fold_text("ab\xC3"), "ab");
  EXPECT_EQ(fold_text("\xC0\xAF"), "");        // Overlong "/".
  EXPECT_EQ(fold_text("\xED\xA0\x80x"), "x");  // A surrogate.
}

TEST(TextFoldTest, EmptyAndSeparatorsOnly) {
  EXPECT_EQ(fold_text(""), "");
  EXPECT_EQ(fold_text(" -,.;"), "");
  EXPECT_TRUE(fold_words("  ").empty());
}

TEST(TextFoldTest, WordsSplitOnSpaces) {
  EXPECT_EQ(fold_words("Jordan Brooks, NP"), (std::vector<std::string>{"jordan", "brooks", "np"}));
}

}  // namespace
}  // namespace wl
