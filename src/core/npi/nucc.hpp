#pragma once

// The NUCC Health Care Provider Taxonomy code set as NUCC publishes it in CSV
// (nucc_taxonomy_NNN.csv; docs/npi.md, "Taxonomy"). Pure: no store, no I/O beyond the
// stream it is given.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace wl::npi {

// One code of the set. Definition and Notes are not kept.
struct NuccCode {
  std::string code;  // 10 characters: 9 letters or digits and a final "X".
  std::string grouping;
  std::string classification;
  std::string specialization;
  std::string display_name;  // Absent from files before 2019: "".
  std::string section;       // "Individual", "Non-Individual", or "" in older files.
};

// Whether `code` looks like a taxonomy code: 10 upper-case letters or digits, the last "X".
bool is_taxonomy_code(std::string_view code);

// Reads a NUCC taxonomy CSV record by record. Columns are found by header name
// (Code, Grouping, Classification, Specialization; Display Name and Section if there);
// a quoted value may span lines. Not thread-safe.
class NuccReader {
 public:
  // Reads the header. Errors: InvalidArgument for an empty stream or a header without
  // the needed columns.
  [[nodiscard]] static Result<NuccReader> open(std::istream& in);

  // The next code, or nullopt at the end. Errors: InvalidArgument naming the line of a
  // record that is not CSV, has a bad code or is over 64 KiB.
  [[nodiscard]] Result<std::optional<NuccCode>> next();

 private:
  explicit NuccReader(std::istream& in) : in_(&in) {}
  // The next record's fields (nullopt at the end).
  Result<std::optional<std::vector<std::string>>> read_record();

  std::istream* in_;
  std::size_t code_ = 0, grouping_ = 0, classification_ = 0, specialization_ = 0;
  std::optional<std::size_t> display_name_, section_;
  std::int64_t line_ = 0;
};

}  // namespace wl::npi
