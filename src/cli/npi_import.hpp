#pragma once

#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "cli/admin_target.hpp"
#include "core/status.hpp"
#include "services/providers/provider_service.hpp"

// `wardline admin npi import` (docs/npi.md, "Import"): streams an NPPES data file row by
// row into the provider directory, in chunks, through an AdminTarget (the running
// server's admin API or the stopped store), with progress and a final report.
namespace wl::cli {

struct NpiImportOptions {
  std::filesystem::path file;      // npidata_pfile_*.csv
  std::filesystem::path taxonomy;  // NUCC CSV; empty: none.
  std::size_t chunk = ProviderService::kMaxChunk;
  // Reads, checks and converts every row but writes nothing (no target needed): the
  // benchmark's baseline and an operator's check of a new file.
  bool dry_run = false;
  std::size_t examples = 3;  // Example lines kept per rejection kind.
};

// Imports the taxonomy file first (if any), then the NPPES file, telling `progress` at
// most once a second how far it is (rows, percent of bytes, rows per second), then
// records the import once (AdminTarget::record_npi_import; not for a dry run).
// `target` may be null only for a dry run. Returns the report, with example rejected
// lines in `examples` ("line 12: NPI 1234567890 fails its check digit"). Errors:
// NotFound or Unavailable for a file that cannot be opened or read; InvalidArgument for
// a file that is not NPPES or NUCC (its header), or a bad taxonomy record; the target's
// errors (the chunks before one stay written).
Result<NpiImportReport> import_npi(AdminTarget* target, const NpiImportOptions& options,
                                   std::ostream& progress,
                                   std::map<std::string, std::vector<std::string>>& examples);

// The report as `admin npi import` prints it.
std::string format_npi_report(const NpiImportReport& report,
                              const std::map<std::string, std::vector<std::string>>& examples,
                              bool dry_run);

}  // namespace wl::cli
