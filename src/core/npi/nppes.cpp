#include "core/npi/nppes.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

namespace wl::npi {
namespace {

constexpr int kMaxTaxonomies = 15;

bool all_digits(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

// The index of the column named `name` (or, if given, `other`), or npos.
std::size_t find_column(const std::vector<std::string>& header, std::string_view name,
                        std::string_view other = {}) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name || (!other.empty() && header[i] == other)) {
      return i;
    }
  }
  return std::string::npos;
}

const std::string& at(const std::vector<std::string>& fields, std::size_t index) {
  static const std::string kEmpty;
  return index < fields.size() ? fields[index] : kEmpty;
}

// An NPPES date, "MM/DD/YYYY", as YYYYMMDD for comparing; nullopt for anything else.
std::optional<int> nppes_date(std::string_view text) {
  if (text.size() != 10 || text[2] != '/' || text[5] != '/' || !all_digits(text.substr(0, 2)) ||
      !all_digits(text.substr(3, 2)) || !all_digits(text.substr(6, 4))) {
    return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t size) {
    int value = 0;
    for (char digit : text.substr(at, size)) {
      value = value * 10 + (digit - '0');
    }
    return value;
  };
  return number(6, 4) * 10000 + number(0, 2) * 100 + number(3, 2);
}

// NPPES keeps a reactivated NPI's deactivation date beside its reactivation date: the
// NPI is deactivated when it has a deactivation date and no reactivation on or after it
// (a date that cannot be read does not reactivate).
bool is_deactivated(std::string_view deactivated_on, std::string_view reactivated_on) {
  if (deactivated_on.empty()) {
    return false;
  }
  const auto deactivation = nppes_date(deactivated_on);
  const auto reactivation = nppes_date(reactivated_on);
  return !deactivation || !reactivation || *reactivation < *deactivation;
}

}  // namespace

std::string_view rejection_kind_name(RejectionKind kind) {
  switch (kind) {
    case RejectionKind::kTooLong:
      return "too_long";
    case RejectionKind::kMalformed:
      return "malformed";
    case RejectionKind::kColumnCount:
      return "column_count";
    case RejectionKind::kNpiFormat:
      return "npi_format";
    case RejectionKind::kCheckDigit:
      return "check_digit";
    case RejectionKind::kEntityType:
      return "entity_type";
    case RejectionKind::kMissingName:
      return "missing_name";
  }
  return "unknown";
}

bool is_valid_npi(std::string_view npi) {
  if (npi.size() != 10 || !all_digits(npi)) {
    return false;
  }
  // Luhn over "80840" + the nine digits: the prefix contributes 24, and the doubling
  // starts from the rightmost of the nine.
  int sum = 24;
  bool doubled = true;
  for (int i = 8; i >= 0; --i) {
    int digit = npi[static_cast<std::size_t>(i)] - '0';
    if (doubled) {
      digit *= 2;
      digit = digit > 9 ? digit - 9 : digit;
    }
    sum += digit;
    doubled = !doubled;
  }
  const int check = (10 - sum % 10) % 10;
  return npi[9] - '0' == check;
}

Result<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          return error(Code::kInvalidArgument, "a quoted value is not closed");
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        return error(Code::kInvalidArgument, "text after a quoted value");
      }
    } else {
      const std::size_t comma = line.find(',', i);
      const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
      field.assign(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) {
      return fields;
    }
    ++i;  // The comma.
  }
}

bool NppesReader::read_line() {
  line_text_.clear();
  too_long_ = false;
  bool any = false;
  while (true) {
    if (buffer_at_ == buffer_.size()) {
      // The stream is read in blocks rather than a character at a time: a monthly file
      // is over 10 GB. A failed read leaves the stream bad(), which next() reports.
      buffer_.resize(kBlockBytes);
      in_->read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
      buffer_.resize(static_cast<std::size_t>(in_->gcount()));
      buffer_at_ = 0;
      if (buffer_.empty()) {
        break;
      }
    }
    any = true;
    const char* start = buffer_.data() + buffer_at_;
    const std::size_t left = buffer_.size() - buffer_at_;
    const void* found = std::memchr(start, '\n', left);
    const std::size_t length =
        found == nullptr ? left : static_cast<std::size_t>(static_cast<const char*>(found) - start);
    const std::size_t room =
        limits_.max_line_bytes - std::min(line_text_.size(), limits_.max_line_bytes);
    line_text_.append(start, std::min(length, room));
    too_long_ = too_long_ || length > room;
    const std::size_t consumed = found == nullptr ? length : length + 1;
    buffer_at_ += consumed;
    bytes_read_ += consumed;
    if (found != nullptr) {
      break;
    }
  }
  if (!line_text_.empty() && line_text_.back() == '\r') {
    line_text_.pop_back();
  }
  if (any) {
    ++line_;
  }
  return any;
}

Result<NppesReader> NppesReader::open(std::istream& in, NppesLimits limits) {
  NppesReader reader(in, limits);
  if (!reader.read_line()) {
    return error(Code::kInvalidArgument, "the file is empty: no NPPES header");
  }
  if (reader.too_long_) {
    return error(Code::kInvalidArgument, "the first line is too long to be an NPPES header");
  }
  // A UTF-8 byte order mark before the header is not part of the first name.
  if (reader.line_text_.starts_with("\xEF\xBB\xBF")) {
    reader.line_text_.erase(0, 3);
  }
  const std::vector<std::string> header = WL_TRY(split_csv_line(reader.line_text_));
  Columns& columns = reader.columns_;
  columns.count = header.size();
  std::vector<std::string> missing;
  auto need = [&](std::string_view name, std::string_view other = {}) {
    const std::size_t index = find_column(header, name, other);
    if (index == std::string::npos) {
      missing.emplace_back(name);
    }
    return index;
  };
  columns.npi = need("NPI");
  columns.entity = need("Entity Type Code");
  columns.organization = need("Provider Organization Name (Legal Business Name)");
  columns.last = need("Provider Last Name (Legal Name)");
  columns.first = need("Provider First Name");
  columns.middle = need("Provider Middle Name");
  columns.prefix = need("Provider Name Prefix Text");
  columns.suffix = need("Provider Name Suffix Text");
  columns.credential = need("Provider Credential Text");
  columns.sex = need("Provider Sex Code", "Provider Gender Code");
  columns.city = need("Provider Business Practice Location Address City Name");
  columns.state = need("Provider Business Practice Location Address State Name");
  columns.postal = need("Provider Business Practice Location Address Postal Code");
  columns.phone = need("Provider Business Practice Location Address Telephone Number");
  columns.deactivation_date = need("NPI Deactivation Date");
  columns.reactivation_date = need("NPI Reactivation Date");
  for (int n = 1; n <= kMaxTaxonomies; ++n) {
    Columns::Taxonomy taxonomy{
        find_column(header, fmt::format("Healthcare Provider Taxonomy Code_{}", n)),
        find_column(header, fmt::format("Provider License Number_{}", n)),
        find_column(header, fmt::format("Provider License Number State Code_{}", n)),
        find_column(header, fmt::format("Healthcare Provider Primary Taxonomy Switch_{}", n))};
    if (taxonomy.code == std::string::npos) {
      if (n == 1) {
        missing.emplace_back("Healthcare Provider Taxonomy Code_1");
      }
      break;
    }
    columns.taxonomies.push_back(taxonomy);
  }
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing) {
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", name);
    }
    return error(Code::kInvalidArgument,
                 fmt::format("not an NPPES data file: the header lacks {}", names));
  }
  return reader;
}

Result<std::optional<NppesRow>> NppesReader::next() {
  while (true) {
    if (!read_line()) {
      if (in_->bad()) {
        return error(Code::kUnavailable, "the NPPES file could not be read to its end");
      }
      return std::optional<NppesRow>();
    }
    if (too_long_) {
      return std::optional<NppesRow>(NppesRow{
          {},
          NppesRejection{line_,
                         fmt::format("the row is longer than {} bytes", limits_.max_line_bytes),
                         RejectionKind::kTooLong}});
    }
    if (line_text_.empty()) {
      continue;  // A blank line, such as one at the very end.
    }
    auto fields = split_csv_line(line_text_);
    if (!fields) {
      return std::optional<NppesRow>(
          NppesRow{{}, NppesRejection{line_, fields.error().message(), RejectionKind::kMalformed}});
    }
    if (fields->size() != columns_.count) {
      return std::optional<NppesRow>(
          NppesRow{{},
                   NppesRejection{line_,
                                  fmt::format("{} values where the header has {} columns",
                                              fields->size(), columns_.count),
                                  RejectionKind::kColumnCount}});
    }
    return std::optional<NppesRow>(to_row(*fields));
  }
}

NppesRow NppesReader::to_row(const std::vector<std::string>& fields) const {
  auto reject = [this](RejectionKind kind, std::string reason) {
    return NppesRow{{}, NppesRejection{line_, std::move(reason), kind}};
  };
  NppesProvider provider;
  provider.npi = at(fields, columns_.npi);
  if (!is_valid_npi(provider.npi)) {
    if (provider.npi.size() == 10 && all_digits(provider.npi)) {
      return reject(RejectionKind::kCheckDigit,
                    fmt::format("NPI {} fails its check digit", provider.npi));
    }
    return reject(RejectionKind::kNpiFormat, "the NPI is not 10 digits");
  }
  const std::string& entity = at(fields, columns_.entity);
  if (entity.empty()) {
    // A deactivated NPI keeps only its number and dates.
    if (at(fields, columns_.deactivation_date).empty()) {
      return reject(
          RejectionKind::kEntityType,
          fmt::format("NPI {} has no entity type and no deactivation date", provider.npi));
    }
    provider.deactivated = true;
    return NppesRow{std::move(provider), {}};
  }
  if (entity != "1" && entity != "2") {
    return reject(RejectionKind::kEntityType,
                  fmt::format("NPI {}: entity type \"{}\" is neither 1 (individual) nor 2 "
                              "(organization)",
                              provider.npi, entity.substr(0, 8)));
  }
  provider.entity =
      entity == "1" ? NppesProvider::Entity::kIndividual : NppesProvider::Entity::kOrganization;
  provider.organization_name = at(fields, columns_.organization);
  provider.last_name = at(fields, columns_.last);
  provider.first_name = at(fields, columns_.first);
  provider.middle_name = at(fields, columns_.middle);
  provider.prefix = at(fields, columns_.prefix);
  provider.suffix = at(fields, columns_.suffix);
  provider.credential = at(fields, columns_.credential);
  provider.sex = at(fields, columns_.sex);
  provider.practice_city = at(fields, columns_.city);
  provider.practice_state = at(fields, columns_.state);
  provider.practice_postal_code = at(fields, columns_.postal);
  provider.practice_phone = at(fields, columns_.phone);
  provider.deactivated = is_deactivated(at(fields, columns_.deactivation_date),
                                        at(fields, columns_.reactivation_date));
  if (provider.entity == NppesProvider::Entity::kIndividual && provider.last_name.empty()) {
    return reject(RejectionKind::kMissingName,
                  fmt::format("NPI {}: an individual without a last name", provider.npi));
  }
  if (provider.entity == NppesProvider::Entity::kOrganization &&
      provider.organization_name.empty()) {
    return reject(RejectionKind::kMissingName,
                  fmt::format("NPI {}: an organization without a name", provider.npi));
  }
  for (const Columns::Taxonomy& column : columns_.taxonomies) {
    const std::string& code = at(fields, column.code);
    if (code.empty()) {
      continue;
    }
    provider.taxonomies.push_back(NppesTaxonomy{code, at(fields, column.primary) == "Y",
                                                at(fields, column.license),
                                                at(fields, column.state)});
  }
  return NppesRow{std::move(provider), {}};
}

}  // namespace wl::npi
