#pragma once

// The National Provider Identifier and the NPPES monthly data file (docs/npi.md): the
// NPI check digit, and a reader that streams `npidata_pfile_*.csv` one provider at a
// time (the full file is about 9 million rows and over 10 GB: it is never held whole).
// Pure: no store, no I/O beyond the stream it is given.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace wl::npi {

// Whether `npi` is 10 digits whose last is the check digit: Luhn (ISO/IEC 7812) over
// "80840" followed by the first nine (CMS, "Requirements for NPI check digit").
bool is_valid_npi(std::string_view npi);

// One of a provider's up to 15 taxonomies (NUCC codes).
struct NppesTaxonomy {
  std::string code;  // "207X00000X".
  bool primary = false;
  std::string license;
  std::string license_state;
};

// What Wardline's directory keeps of one row (STANDARDS.md, "NPPES").
struct NppesProvider {
  std::string npi;
  enum class Entity : std::uint8_t { kIndividual = 1, kOrganization = 2 };
  Entity entity = Entity::kIndividual;
  std::string organization_name;                                               // Organizations.
  std::string last_name, first_name, middle_name, prefix, suffix, credential;  // Individuals.
  std::string sex;  // "M", "F", "X" or "" (column 42, Sex Code or, before 2025, Gender Code).
  std::string practice_city, practice_state, practice_postal_code, practice_phone;
  std::vector<NppesTaxonomy> taxonomies;
  // Deactivated and not reactivated since (column 40 without a column 41 on or after
  // it). A deactivated NPI's row has the NPI and the deactivation date, little else.
  bool deactivated = false;
};

// Why a row could not be used, as a kind the import report counts by.
enum class RejectionKind : std::uint8_t {
  kTooLong = 1,  // Longer than NppesLimits::max_line_bytes.
  kMalformed,    // Not CSV (a quote left open).
  kColumnCount,  // Not as many values as the header has columns.
  kNpiFormat,    // The NPI is not 10 digits.
  kCheckDigit,   // The NPI fails its check digit.
  kEntityType,   // No entity type (and not deactivated), or neither 1 nor 2.
  kMissingName,  // An individual without a last name, an organization without a name.
};

// A short, stable name of a kind, for reports: "check_digit", "column_count", ...
std::string_view rejection_kind_name(RejectionKind kind);

// A row that could not be used, and why ("NPI 1234567890 fails its check digit").
struct NppesRejection {
  std::int64_t line = 0;  // In the file, the header being line 1.
  std::string reason;
  RejectionKind kind = RejectionKind::kMalformed;
};

// One row read: a provider, or why it was rejected.
struct NppesRow {
  std::optional<NppesProvider> provider;
  std::optional<NppesRejection> rejection;
};

struct NppesLimits {
  // A row longer than this is rejected and skipped (a real row is under 4 KiB).
  std::size_t max_line_bytes = 64 * 1024;
};

// Reads an NPPES data file row by row. Columns are found by their header names, so the
// reader follows the file's order and tolerates added columns; the columns it needs
// must be there. Values are double-quoted (NPPES never escapes a quote inside one; ""
// is read as one quote all the same) and rows end in CRLF or LF. Not thread-safe.
class NppesReader {
 public:
  // Reads the header line. Errors: InvalidArgument naming the missing columns, or for an
  // empty stream or a header over the line limit.
  [[nodiscard]] static Result<NppesReader> open(std::istream& in, NppesLimits limits = {});

  // The next row, or nullopt at the end of the file. A row that cannot be used is a
  // rejection, never an error: the import goes on. Errors: Unavailable if the stream
  // fails while reading.
  [[nodiscard]] Result<std::optional<NppesRow>> next();

  // Bytes consumed so far, header included (for progress against the file's size).
  std::uint64_t bytes_read() const { return bytes_read_; }
  // The line number of the last row read (the header is line 1).
  std::int64_t line() const { return line_; }

 private:
  struct Columns {
    std::size_t npi, entity, organization, last, first, middle, prefix, suffix, credential;
    std::size_t sex, city, state, postal, phone, deactivation_date, reactivation_date;
    struct Taxonomy {
      std::size_t code, license, state, primary;
    };
    std::vector<Taxonomy> taxonomies;
    std::size_t count = 0;  // Columns in the header.
  };

  NppesReader(std::istream& in, NppesLimits limits) : in_(&in), limits_(limits) {}
  // Reads one line (without its end) into line_text_; false at the end of the stream.
  // Sets too_long_ when it passed the limit (the rest of the line is skipped).
  bool read_line();
  NppesRow to_row(const std::vector<std::string>& fields) const;

  std::istream* in_;
  NppesLimits limits_;
  Columns columns_{};
  static constexpr std::size_t kBlockBytes = 256 * 1024;
  std::string buffer_;         // A block read from the stream...
  std::size_t buffer_at_ = 0;  // ...and how much of it the lines before took.
  std::string line_text_;
  bool too_long_ = false;
  std::uint64_t bytes_read_ = 0;
  std::int64_t line_ = 0;
};

// Splits one CSV line into its fields: double-quoted values (with "" as a quote) or
// bare ones. Errors: InvalidArgument for a quote left open.
[[nodiscard]] Result<std::vector<std::string>> split_csv_line(std::string_view line);

}  // namespace wl::npi
