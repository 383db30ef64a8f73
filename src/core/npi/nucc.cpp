#include "core/npi/nucc.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/npi/nppes.hpp"

namespace wl::npi {
namespace {

constexpr std::size_t kMaxRecordBytes = 64 * 1024;

std::optional<std::size_t> find_column(const std::vector<std::string>& header,
                                       std::string_view name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) {
      return i;
    }
  }
  return std::nullopt;
}

const std::string& at(const std::vector<std::string>& fields, std::size_t index) {
  static const std::string kEmpty;
  return index < fields.size() ? fields[index] : kEmpty;
}

// Whether a quote is left open at the end of `text` (an odd count of quotes: "" inside
// a quoted value counts two).
bool quote_open(std::string_view text) { return std::ranges::count(text, '"') % 2 == 1; }

}  // namespace

bool is_taxonomy_code(std::string_view code) {
  if (code.size() != 10 || code.back() != 'X') {
    return false;
  }
  return std::ranges::all_of(
      code, [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
}

Result<std::optional<std::vector<std::string>>> NuccReader::read_record() {
  std::string record;
  std::string line;
  const std::int64_t first_line = line_ + 1;
  while (true) {
    if (!std::getline(*in_, line)) {
      if (in_->bad()) {
        return error(Code::kUnavailable, "the taxonomy file could not be read to its end");
      }
      if (record.empty()) {
        return std::optional<std::vector<std::string>>();
      }
      return error(Code::kInvalidArgument,
                   fmt::format("taxonomy file line {}: a quote is left open", first_line));
    }
    ++line_;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!record.empty()) {
      record.push_back('\n');
    }
    record += line;
    if (record.size() > kMaxRecordBytes) {
      return error(Code::kInvalidArgument,
                   fmt::format("taxonomy file line {}: the record is over 64 KiB", first_line));
    }
    if (record.empty()) {
      continue;  // A blank line between records.
    }
    if (!quote_open(record)) {
      break;
    }
  }
  // Windows tools write a byte order mark before the header.
  if (first_line == 1 && record.starts_with("\xEF\xBB\xBF")) {
    record.erase(0, 3);
  }
  auto fields = split_csv_line(record);
  if (!fields) {
    return error(Code::kInvalidArgument,
                 fmt::format("taxonomy file line {}: {}", first_line, fields.error().message()));
  }
  return std::optional<std::vector<std::string>>(std::move(*fields));
}

Result<NuccReader> NuccReader::open(std::istream& in) {
  NuccReader reader(in);
  const auto header = WL_TRY(reader.read_record());
  if (!header) {
    return error(Code::kInvalidArgument, "the taxonomy file is empty");
  }
  std::vector<std::string> missing;
  auto need = [&](std::string_view name) -> std::size_t {
    const auto index = find_column(*header, name);
    if (!index) {
      missing.emplace_back(name);
      return 0;
    }
    return *index;
  };
  reader.code_ = need("Code");
  reader.grouping_ = need("Grouping");
  reader.classification_ = need("Classification");
  reader.specialization_ = need("Specialization");
  reader.display_name_ = find_column(*header, "Display Name");
  reader.section_ = find_column(*header, "Section");
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing) {
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", name);
    }
    return error(Code::kInvalidArgument,
                 fmt::format("not a NUCC taxonomy file: the header lacks {}", names));
  }
  return reader;
}

Result<std::optional<NuccCode>> NuccReader::next() {
  const auto fields = WL_TRY(read_record());
  if (!fields) {
    return std::optional<NuccCode>();
  }
  NuccCode code;
  code.code = at(*fields, code_);
  // Some releases pad values with spaces.
  while (!code.code.empty() && code.code.back() == ' ') {
    code.code.pop_back();
  }
  if (!is_taxonomy_code(code.code)) {
    return error(Code::kInvalidArgument,
                 fmt::format("taxonomy file line {}: \"{}\" is not a taxonomy code", line_,
                             code.code.substr(0, 16)));
  }
  code.grouping = at(*fields, grouping_);
  code.classification = at(*fields, classification_);
  code.specialization = at(*fields, specialization_);
  if (display_name_) {
    code.display_name = at(*fields, *display_name_);
  }
  if (section_) {
    code.section = at(*fields, *section_);
  }
  return std::optional<NuccCode>(std::move(code));
}

}  // namespace wl::npi
