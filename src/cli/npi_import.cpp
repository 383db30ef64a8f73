#include "cli/npi_import.hpp"

#include <chrono>
#include <fstream>
#include <ostream>
#include <utility>

#include <fmt/format.h>

#include "core/npi/nppes.hpp"
#include "core/npi/nucc.hpp"
#include "ports/clock.hpp"

namespace wl::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

Result<std::int64_t> import_taxonomy(AdminTarget* target, const NpiImportOptions& options) {
  std::ifstream in(options.taxonomy, std::ios::binary);
  if (!in) {
    return error(Code::kNotFound, fmt::format("cannot open the taxonomy file {}",
                                              options.taxonomy.filename().string()));
  }
  npi::NuccReader reader = WL_TRY(npi::NuccReader::open(in));
  std::vector<TaxonomyCode> chunk;
  std::int64_t written = 0;
  auto flush = [&]() -> Result<void> {
    const auto count = static_cast<std::int64_t>(chunk.size());
    if (!options.dry_run && count > 0) {
      WL_TRY(target->write_taxonomies(std::exchange(chunk, {})));
    }
    chunk.clear();
    written += count;
    return ok();
  };
  while (auto code = WL_TRY(reader.next())) {
    chunk.push_back(ProviderService::from_nucc(*code));
    if (chunk.size() >= options.chunk) {
      WL_TRY(flush());
    }
  }
  WL_TRY(flush());
  return written;
}

}  // namespace

Result<NpiImportReport> import_npi(AdminTarget* target, const NpiImportOptions& options,
                                   std::ostream& progress,
                                   std::map<std::string, std::vector<std::string>>& examples) {
  if (target == nullptr && !options.dry_run) {
    return error(Code::kInternal, "an import needs a target");
  }
  const auto started = SteadyClock::now();
  NpiImportReport report;
  if (!options.taxonomy.empty()) {
    report.taxonomy_codes = WL_TRY(import_taxonomy(target, options));
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    return error(Code::kNotFound,
                 fmt::format("cannot open the NPPES file {}", options.file.filename().string()));
  }
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(options.file, size_error);
  npi::NppesReader reader = WL_TRY(npi::NppesReader::open(in));
  const Timestamp now = SystemClock().now();
  std::vector<Provider> chunk;
  chunk.reserve(options.chunk);
  auto last_progress = started;
  auto write_chunk = [&]() -> Result<void> {
    if (chunk.empty()) {
      return ok();
    }
    if (!options.dry_run) {
      WL_TRY(target->write_providers(std::exchange(chunk, {})));
    }
    chunk.clear();
    chunk.reserve(options.chunk);
    const auto at = SteadyClock::now();
    if (at - last_progress >= std::chrono::seconds(1)) {
      last_progress = at;
      const double seconds = std::chrono::duration<double>(at - started).count();
      progress << fmt::format(
          "{} rows, {:.0f}%, {:.0f} rows/s\n", report.rows_read,
          size_error || size == 0
              ? 0.0
              : 100.0 * static_cast<double>(reader.bytes_read()) / static_cast<double>(size),
          static_cast<double>(report.rows_read) / seconds);
      progress.flush();
    }
    return ok();
  };
  while (auto row = WL_TRY(reader.next())) {
    ++report.rows_read;
    if (row->rejection) {
      ++report.rejected;
      const std::string kind(npi::rejection_kind_name(row->rejection->kind));
      ++report.rejected_by_kind[kind];
      auto& kept = examples[kind];
      if (kept.size() < options.examples) {
        kept.push_back(fmt::format("line {}: {}", row->rejection->line, row->rejection->reason));
      }
      continue;
    }
    ++report.used;
    report.deactivated += row->provider->deactivated ? 1 : 0;
    chunk.push_back(ProviderService::from_nppes(*row->provider, now));
    if (chunk.size() >= options.chunk) {
      WL_TRY(write_chunk());
    }
  }
  WL_TRY(write_chunk());
  report.seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  if (!options.dry_run) {
    WL_TRY(target->record_npi_import(report));
  }
  return report;
}

std::string format_npi_report(const NpiImportReport& report,
                              const std::map<std::string, std::vector<std::string>>& examples,
                              bool dry_run) {
  std::string text;
  if (report.taxonomy_codes > 0) {
    text += fmt::format("taxonomy codes: {}\n", report.taxonomy_codes);
  }
  text += fmt::format("rows read: {}\n{}: {} ({} deactivated)\nrejected: {}\n", report.rows_read,
                      dry_run ? "usable (dry run, nothing written)" : "used", report.used,
                      report.deactivated, report.rejected);
  for (const auto& [kind, count] : report.rejected_by_kind) {
    text += fmt::format("  {}: {}\n", kind, count);
    const auto kept = examples.find(kind);
    if (kept != examples.end()) {
      for (const std::string& line : kept->second) {
        text += fmt::format("    {}\n", line);
      }
    }
  }
  const double rate =
      report.seconds > 0 ? static_cast<double>(report.rows_read) / report.seconds : 0.0;
  text += fmt::format("time: {:.2f} s ({:.0f} rows/s)\n", report.seconds, rate);
  return text;
}

}  // namespace wl::cli
