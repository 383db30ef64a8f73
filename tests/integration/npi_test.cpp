// The provider directory end to end (docs/npi.md): `wardline admin npi import` of the
// sample NPPES file (with its bad rows) into a stopped store and through the running
// server, search, and inviting a provider to a conversation.

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "integration/fixture.hpp"

namespace wl::testing {
namespace {
namespace json = boost::json;

const std::string kSample =
    std::string(WL_SOURCE_DIR) + "/tests/data/npi/npidata_pfile_sample_reconstructed.csv";
const std::string kTaxonomy =
    std::string(WL_SOURCE_DIR) + "/tests/data/npi/nucc_taxonomy_sample_madeup.csv";

class NpiTest : public ServerTest {
 protected:
  // Runs `admin npi import` of the sample on the data directory; expects exit 0.
  std::string import_sample() {
    std::string output;
    const int exit_code = run_wardline({"admin", "--data-dir", server_->data_dir().string(), "npi",
                                        "import", kSample, "--taxonomy", kTaxonomy},
                                       &output);
    EXPECT_EQ(exit_code, 0) << output;
    return output;
  }

  static void expect_report(const std::string& output) {
    // 126 data rows: 120 providers, five bad rows (one per kind) and a deactivation.
    for (const char* line :
         {"taxonomy codes: 6\n", "rows read: 126\n", "used: 121 (4 deactivated)\n", "rejected: 5\n",
          "  check_digit: 1\n", "    line 122: NPI 1234567890 fails its check digit\n",
          "  column_count: 1\n", "    line 123: 3 values where the header has 330 columns\n",
          "  missing_name: 1\n",
          "    line 124: NPI 1245319599: an individual without a last name\n", "  entity_type: 1\n",
          "  npi_format: 1\n", "    line 126: the NPI is not 10 digits\n"}) {
      EXPECT_NE(output.find(line), std::string::npos) << "missing \"" << line << "\" in\n"
                                                      << output;
    }
  }

  static std::vector<std::string> npis(const json::value& answer) {
    std::vector<std::string> all;
    for (const json::value& provider : answer.at("providers").as_array()) {
      all.emplace_back(provider.at("npi").as_string());
    }
    return all;
  }

  int import_audits() {
    int found = 0;
    for (const AuditEntry& entry : audit_entries()) {
      if (entry.draft.action == "admin.npi.import") {
        EXPECT_EQ(entry.draft.outcome, "ok");
        EXPECT_NE(entry.draft.detail.find("rows=126 used=121 rejected=5 deactivated=4"),
                  std::string::npos)
            << entry.draft.detail;
        ++found;
      }
    }
    return found;
  }
};

TEST_F(NpiTest, ImportsTheSampleIntoAStoppedStoreAndReportsItsBadRows) {
  server_->stop();
  const std::string output = import_sample();
  expect_report(output);
  EXPECT_EQ(import_audits(), 1) << "one audit entry with the counts";

  server_->start();
  auto harper = login("rn.harper");
  const json::value found = harper->get("/api/v1/providers?q=wiebe");
  ASSERT_EQ(found.at("providers").as_array().size(), 1u) << json::serialize(found);
  const json::value& wiebe = found.at("providers").at(0);
  EXPECT_EQ(wiebe.at("npi").as_string(), "1679576722");
  EXPECT_EQ(wiebe.at("name").as_string(), "WIEBE, DAVID A");
  EXPECT_EQ(wiebe.at("entity").as_string(), "individual");
  EXPECT_EQ(wiebe.at("credential").as_string(), "M.D.");
  EXPECT_EQ(wiebe.at("taxonomy").at("code").as_string(), "207X00000X");
  EXPECT_EQ(wiebe.at("taxonomy").at("name").as_string(), "Orthopaedic Surgery Physician");
  EXPECT_EQ(wiebe.at("city").as_string(), "KEARNEY");
  EXPECT_EQ(wiebe.at("state").as_string(), "NE");
  EXPECT_EQ(wiebe.at("phone").as_string(), "3088652512");
  // The deactivated NPI is kept but not found.
  EXPECT_TRUE(harper->get("/api/v1/providers?q=pilcher").at("providers").as_array().empty());
  EXPECT_TRUE(harper->get("/api/v1/providers?npi=1588667638").at("providers").as_array().empty());
  // The same search by NPI, by place, and by specialty words or code.
  EXPECT_EQ(npis(harper->get("/api/v1/providers?npi=1679576722")),
            std::vector<std::string>{"1679576722"});
  EXPECT_EQ(
      npis(harper->get("/api/v1/providers?q=WIEBE&city=kearney&state=ne&taxonomy=orthopaedic")),
      std::vector<std::string>{"1679576722"});
  EXPECT_EQ(npis(harper->get("/api/v1/providers?q=wiebe&taxonomy=207x00000x")),
            std::vector<std::string>{"1679576722"});
  EXPECT_TRUE(harper->get("/api/v1/providers?q=wiebe&taxonomy=207Q00000X")
                  .at("providers")
                  .as_array()
                  .empty());
  const json::value in_florida = harper->get("/api/v1/providers?state=FL&limit=100");
  EXPECT_FALSE(in_florida.at("providers").as_array().empty());
  for (const json::value& provider : in_florida.at("providers").as_array()) {
    EXPECT_EQ(provider.at("state").as_string(), "FL");
  }
  // A second import of the same file changes nothing it found and is audited again.
  server_->stop();
  expect_report(import_sample());
  EXPECT_EQ(import_audits(), 2);
}

TEST_F(NpiTest, ImportsThroughTheRunningServerWithTheSameResult) {
  const std::string output = import_sample();
  expect_report(output);
  auto harper = login("rn.harper");
  EXPECT_EQ(npis(harper->get("/api/v1/providers?q=wiebe")), std::vector<std::string>{"1679576722"});
  EXPECT_TRUE(harper->get("/api/v1/providers?q=pilcher").at("providers").as_array().empty());
  server_->stop();
  EXPECT_EQ(import_audits(), 1);
}

TEST_F(NpiTest, ADryRunReadsEveryRowAndWritesNothing) {
  std::string output;
  ASSERT_EQ(run_wardline({"admin", "npi", "import", "--dry-run", kSample}, &output), 0) << output;
  EXPECT_NE(output.find("usable (dry run, nothing written): 121 (4 deactivated)"),
            std::string::npos)
      << output;
  // SMITSON is in the file, not among the demo's few providers: nothing was written.
  auto harper = login("rn.harper");
  EXPECT_TRUE(harper->get("/api/v1/providers?q=smitson").at("providers").as_array().empty());
}

TEST_F(NpiTest, RefusesAFileThatIsNotNppes) {
  std::string output;
  EXPECT_EQ(run_wardline(
                {"admin", "--data-dir", server_->data_dir().string(), "npi", "import", kTaxonomy},
                &output),
            1);
  EXPECT_NE(output.find("not an NPPES data file: the header lacks \"NPI\""), std::string::npos)
      << output;
}

TEST_F(NpiTest, SearchChecksEveryParameter) {
  server_->stop();
  import_sample();
  server_->start();
  auto harper = login("rn.harper");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"/api/v1/providers", "give at least one of q, npi, taxonomy, state"},
      {"/api/v1/providers?q=" + std::string(101, 'a'), "q must be at most 100 bytes of UTF-8"},
      {"/api/v1/providers?q=%21%21", "q must have letters or digits"},
      {"/api/v1/providers?npi=1234567890", "npi must be 10 digits with a valid check digit"},
      {"/api/v1/providers?state=N", "state must be two letters"},
      {"/api/v1/providers?city=kearney", "city needs state"},
      {"/api/v1/providers?q=a&limit=0", "limit must be 1 to 100"},
      {"/api/v1/providers?q=a&limit=101", "limit must be 1 to 100"},
      {"/api/v1/providers?q=a&sort=name", "unknown query parameter \"sort\""},
      {"/api/v1/providers?q=a&q=b", "query parameter \"q\" is given twice"},
  };
  for (const auto& [target, message] : refused) {
    const HttpAnswer answer = harper->call("GET", target);
    EXPECT_EQ(answer.status, 400) << target;
    EXPECT_EQ(answer.body.at("error").at("message").as_string(), message) << target;
  }
  // A specialty nobody has is an empty list, not an error.
  EXPECT_TRUE(
      harper->get("/api/v1/providers?taxonomy=nosuchspecialty").at("providers").as_array().empty());
}

TEST_F(NpiTest, AMemberInvitesAProviderAndTheThreadSeesIt) {
  server_->stop();
  import_sample();
  server_->start();
  auto harper = login("rn.harper");
  auto patel = login("dr.patel");
  const std::int64_t thread = direct_thread(*harper, "dr.patel");
  const std::string invitations = "/api/v1/threads/" + std::to_string(thread) + "/invitations";
  patel->connect();

  const json::value invited = harper->post(invitations, json::object{{"npi", "1679576722"}});
  EXPECT_EQ(invited.at("npi").as_string(), "1679576722");
  EXPECT_EQ(invited.at("thread_id").as_int64(), thread);
  EXPECT_EQ(invited.at("invited_by").as_int64(), harper->user_id());
  EXPECT_EQ(invited.at("state").as_string(), "pending");
  EXPECT_EQ(invited.at("provider").at("name").as_string(), "WIEBE, DAVID A");
  const json::value event = patel->next_matching(
      [](const json::value& frame) { return is_event(frame, "provider_invited"); });
  EXPECT_EQ(event.at("event").at("npi").as_string(), "1679576722");
  EXPECT_EQ(event.at("event").at("by_user_id").as_int64(), harper->user_id());
  EXPECT_EQ(event.at("event").at("thread_id").as_int64(), thread);
  EXPECT_EQ(event.at("event").at("invitation_id").as_int64(), invited.at("id").as_int64());

  const std::vector<std::tuple<std::string, int, std::string>> refused = {
      {R"({"npi":"1679576722"})", 409,
       "the provider already has a pending invitation to this conversation"},
      {R"({"npi":"1588667638"})", 412, "the provider's NPI is deactivated"},
      {R"({"npi":"1234567893"})", 404, "provider not found"},
      {R"({"npi":"1234567890"})", 400, "npi must be 10 digits with a valid check digit"},
      {R"({"npi":1679576722})", 400, "field 'npi' must be a string"},
      {R"({"npi":"1679576722","note":"x"})", 400, "unknown field 'note'"},
  };
  for (const auto& [body, status, message] : refused) {
    const HttpAnswer answer = harper->call("POST", invitations, body);
    EXPECT_EQ(answer.status, status) << body;
    EXPECT_EQ(answer.body.at("error").at("message").as_string(), message) << body;
  }
  const json::value listed = patel->get(invitations);
  ASSERT_EQ(listed.at("invitations").as_array().size(), 1u);
  EXPECT_EQ(listed.at("invitations").at(0).at("provider").at("taxonomy").at("name").as_string(),
            "Orthopaedic Surgery Physician");
  // Someone outside the thread can neither invite nor list.
  auto chen = login("rn.chen");
  EXPECT_EQ(chen->call("POST", invitations, R"({"npi":"1679576722"})").status, 403);
  EXPECT_EQ(chen->call("GET", invitations).status, 403);
  server_->stop();
  int audited = 0;
  for (const AuditEntry& entry : audit_entries()) {
    if (entry.draft.action == "provider.invite" && entry.draft.outcome == "ok") {
      EXPECT_EQ(entry.draft.detail, "npi=1679576722");
      ++audited;
    }
  }
  EXPECT_EQ(audited, 1);
}

}  // namespace
}  // namespace wl::testing
