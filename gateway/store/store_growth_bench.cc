// Message store growth: does committing stay as fast, and the file as small
// per message, as the store fills? Submits synthetic messages straight to
// MessageStore::submit (no MLLP, no mapper), each with a realistic record set:
// distinct random (UUID-like) resource ids, mostly new patients, about 12 new
// record versions per message with one or two identifiers each. Prints one
// JSON line per `--report-every` messages (throughput of that slice, bytes of
// the database and WAL per message so far) and, at the end, the bytes of each
// table and index (SQLite's dbstat virtual table, when compiled in).
// wal_frames_per_msg: pages the commits appended to the WAL (4 KiB each, two
// pwrite calls); checkpointed_pages_per_msg: of those, the pages checkpoints
// then copied into the database file (a page rewritten by several commits
// between two checkpoints is copied once).
//
//   store_growth_bench [--messages N] [--report-every N] [--window N]
//                      [--submitters N] [--seed N] [--dir PATH] [--keep]
//                      [--mapper-shaped]
//
// --window: submissions in flight at once (MLLP connections each keep one).
// --mapper-shaped: records as the v2 mapper makes them from ORU traffic:
// the Observations carry only the identifier the mapper mints for a
// resource without one (system "urn:gateway:sender:<sender>:resource-id",
// value = the resource's own id), and every message also carries its
// sender's Organization and a Practitioner, the same in every message of a
// submitter (so written unchanged after the first: 14 records, still 12 new
// versions per message).
// Uses a database under $TMPDIR (or --dir), so the figures include that
// disk's fsync.
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/message_store.h"
#include "gateway/store/store_bench_util.h"

namespace gw::store {
namespace {

struct Options {
  uint64_t messages = 1'000'000;
  uint64_t report_every = 100'000;
  uint64_t window = 64;
  int submitters = 2;
  uint64_t seed = 19;
  std::string dir;
  bool keep = false;
  bool mapper_shaped = false;
};

std::string uuid_like(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    s[i] = kHex[rng() & 15];
  }
  return s;
}

std::string digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

// One message's records: a Patient (new, or a new version of one seen
// before), an Encounter, and 10 Observations (or other clinical resources)
// in that patient's compartment. Bodies are FHIR-shaped and of typical size.
InboundMessage make_message(std::mt19937_64& rng, int submitter, uint64_t seq,
                            std::vector<std::string>* known_patients, std::mutex* patients_mu,
                            bool mapper_shaped) {
  InboundMessage m = bench::bench_message(submitter, seq, 1800);
  const std::string minted_system =
      "urn:gateway:sender:LAB" + std::to_string(submitter) + ":resource-id";
  // The identifier the mapper mints (adapters/v2fhir/context.cc), as JSON.
  const auto minted = [&](const std::string& id) {
    return R"([{"system":")" + minted_system + R"(","value":")" + id + R"("}])";
  };
  std::string patient_id;
  {
    std::lock_guard<std::mutex> lock(*patients_mu);
    // 80% new patients; the rest update one seen before.
    if (!known_patients->empty() && rng() % 5 == 0) {
      patient_id = (*known_patients)[rng() % known_patients->size()];
    } else {
      patient_id = uuid_like(rng);
      known_patients->push_back(patient_id);
    }
  }
  const std::string mrn = digits(rng, 9);
  RecordWrite patient;
  patient.resource_type = "Patient";
  patient.resource_id = patient_id;
  patient.resource_json =
      R"({"birthDate":"19)" + digits(rng, 2) + R"(-0)" + digits(rng, 1) + R"(-1)" + digits(rng, 1) +
      R"(","gender":"female","id":")" + patient_id +
      R"(","identifier":[{"system":"urn:oid:2.16.840.1.113883.19.5","type":{"coding":[{"code":"MR","system":"http://terminology.hl7.org/CodeSystem/v2-0203"}]},"value":")" +
      mrn + R"("},{"system":"http://hl7.org/fhir/sid/us-ssn","value":")" + digits(rng, 9) +
      R"("}],"name":[{"family":"Family)" + digits(rng, 6) + R"(","given":["Given)" +
      digits(rng, 5) + R"("]}],"resourceType":"Patient"})";
  patient.identifiers = {{"urn:oid:2.16.840.1.113883.19.5", mrn},
                         {"http://hl7.org/fhir/sid/us-ssn", digits(rng, 9)}};
  patient.patient_tokens = {"tok-" + digits(rng, 40)};
  patient.patients = std::vector<std::string>{patient_id};
  m.records.push_back(std::move(patient));
  const std::string encounter_id = uuid_like(rng);
  RecordWrite encounter;
  encounter.resource_type = "Encounter";
  encounter.resource_id = encounter_id;
  const std::string visit = digits(rng, 8);
  encounter.resource_json =
      R"({"class":{"code":"IMP","system":"http://terminology.hl7.org/CodeSystem/v3-ActCode"},"id":")" +
      encounter_id + R"(","identifier":[{"system":"urn:visit","value":")" + visit +
      R"("}],"period":{"start":"2024-01-01T10:)" + digits(rng, 2) +
      R"(:00Z"},"resourceType":"Encounter","status":"in-progress","subject":{"reference":"Patient/)" +
      patient_id + R"("}})";
  encounter.identifiers = {{"urn:visit", visit}};
  encounter.patients = std::vector<std::string>{patient_id};
  m.records.push_back(std::move(encounter));
  for (int i = 0; i < 10; ++i) {
    RecordWrite obs;
    obs.resource_type = "Observation";
    obs.resource_id = uuid_like(rng);
    const std::string filler = digits(rng, 10);
    const std::string identifier = mapper_shaped
                                       ? minted(obs.resource_id)
                                       : R"([{"system":"urn:filler","value":")" + filler + R"("}])";
    obs.resource_json =
        R"({"code":{"coding":[{"code":")" + digits(rng, 4) + "-" + digits(rng, 1) +
        R"(","system":"http://loinc.org"}]},"encounter":{"reference":"Encounter/)" + encounter_id +
        R"("},"id":")" + obs.resource_id + R"(","identifier":)" + identifier +
        R"(,"resourceType":"Observation","status":"final","subject":{"reference":"Patient/)" +
        patient_id +
        R"("},"valueQuantity":{"code":"mg/dL","system":"http://unitsofmeasure.org","unit":"mg/dL","value":)" +
        digits(rng, 3) + "}}";
    if (mapper_shaped) {
      obs.identifiers = {{minted_system, obs.resource_id}};
    } else {
      obs.identifiers = {{"urn:filler", filler}};
    }
    obs.patients = std::vector<std::string>{patient_id};
    m.records.push_back(std::move(obs));
  }
  if (mapper_shaped) {
    // The same in every message of this submitter: outside any compartment.
    const std::string org_id = "00000000-0000-4000-8000-00000000000" + std::to_string(submitter);
    const std::string pract_id = "00000000-0000-4000-9000-00000000000" + std::to_string(submitter);
    RecordWrite org;
    org.resource_type = "Organization";
    org.resource_id = org_id;
    org.resource_json = R"({"id":")" + org_id + R"(","identifier":)" + minted(org_id) +
                        R"(,"name":"Laboratory )" + std::to_string(submitter) +
                        R"(","resourceType":"Organization"})";
    org.identifiers = {{minted_system, org_id}};
    org.patients = std::vector<std::string>{};
    m.records.push_back(std::move(org));
    RecordWrite pract;
    pract.resource_type = "Practitioner";
    pract.resource_id = pract_id;
    pract.resource_json = R"({"id":")" + pract_id + R"(","identifier":)" + minted(pract_id) +
                          R"(,"name":[{"family":"Pathologist"}],"resourceType":"Practitioner"})";
    pract.identifiers = {{minted_system, pract_id}};
    pract.patients = std::vector<std::string>{};
    m.records.push_back(std::move(pract));
  }
  return m;
}

uint64_t file_bytes(const std::filesystem::path& p) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Bytes per table and index, largest first, from a read-only connection.
void print_dbstat(const std::string& path, uint64_t messages) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::printf("{\"dbstat\": \"cannot open\"}\n");
    sqlite3_close(db);
    return;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT name, sum(pgsize), count(*) FROM dbstat GROUP BY name "
                         "ORDER BY sum(pgsize) DESC",
                         -1, &s, nullptr) != SQLITE_OK) {
    std::printf("{\"dbstat\": \"not compiled into this SQLite\"}\n");
    sqlite3_close(db);
    return;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    const double bytes = static_cast<double>(sqlite3_column_int64(s, 1));
    std::printf("{\"object\": \"%s\", \"bytes\": %.0f, \"pages\": %lld, \"bytes_per_msg\": %.1f}\n",
                reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), bytes,
                static_cast<long long>(sqlite3_column_int64(s, 2)),
                bytes / static_cast<double>(messages ? messages : 1));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
}

int run(const Options& o) {
  const std::filesystem::path base =
      o.dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(o.dir);
  const std::filesystem::path dir = bench::make_temp_dir(base, "gw-store-growth-");
  if (dir.empty()) {
    std::fprintf(stderr, "cannot create a directory under %s\n", base.c_str());
    return 1;
  }
  StoreOptions so;
  so.path = (dir / "store.db").string();
  so.keys = crypto::StoreKeys::random_for_tests();
  auto opened = MessageStore::open(so);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.error().message().c_str());
    return 1;
  }
  std::unique_ptr<MessageStore> store = std::move(opened).value();

  std::mutex mu;  // guards in_flight, failed
  std::condition_variable cv;
  uint64_t in_flight = 0, failed = 0;
  std::atomic<uint64_t> next{0}, done{0}, new_versions{0};
  std::vector<std::string> known_patients;
  std::mutex patients_mu;

  auto submitter = [&](int index) {
    std::mt19937_64 rng(o.seed * 1000 + static_cast<uint64_t>(index));
    for (;;) {
      const uint64_t seq = next.fetch_add(1);
      if (seq >= o.messages) return;
      InboundMessage m =
          make_message(rng, index, seq, &known_patients, &patients_mu, o.mapper_shaped);
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < o.window; });
        ++in_flight;
      }
      store->submit(std::move(m), [&](CommitResult r) {
        uint64_t made = 0;
        for (const RecordVersion& v : r.records) made += v.changed ? 1 : 0;
        new_versions.fetch_add(made, std::memory_order_relaxed);
        {
          std::lock_guard<std::mutex> lock(mu);
          --in_flight;
          if (r.kind != CommitResult::Kind::kStored) ++failed;
        }
        done.fetch_add(1, std::memory_order_release);
        cv.notify_all();
      });
    }
  };

  std::printf(
      "{\"benchmark\": \"store_growth\", \"messages\": %llu, \"window\": %llu, \"submitters\": "
      "%d, \"seed\": %llu}\n",
      static_cast<unsigned long long>(o.messages), static_cast<unsigned long long>(o.window),
      o.submitters, static_cast<unsigned long long>(o.seed));
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.submitters; ++i) threads.emplace_back(submitter, i);

  const auto start = std::chrono::steady_clock::now();
  auto slice_start = start;
  uint64_t slice_done = 0, slice_tx = 0, slice_versions = 0, slice_pages = 0, slice_frames = 0;
  rusage ru0{};
  getrusage(RUSAGE_SELF, &ru0);
  for (uint64_t mark = std::min(o.report_every, o.messages); slice_done < o.messages;
       mark = std::min(mark + o.report_every, o.messages)) {
    while (done.load(std::memory_order_acquire) < mark) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a progress poll, not a wait
    }
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - slice_start).count();
    const uint64_t n = mark - slice_done;
    const StoreStats st = store->stats();
    const uint64_t versions = new_versions.load();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu_us =
        (ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) *
            1e6 +
        (ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
    const uint64_t db = file_bytes(so.path), wal = file_bytes(so.path + "-wal");
    std::printf(
        "{\"stored\": %llu, \"msgs_per_s\": %.0f, \"versions_per_s\": %.0f, \"cpu_us_per_msg\": "
        "%.1f, \"mean_group\": %.1f, \"db_bytes\": %llu, \"wal_bytes\": %llu, "
        "\"db_bytes_per_msg\": %.0f, \"wal_frames_per_msg\": %.1f, \"checkpointed_pages_per_msg\": "
        "%.1f, "
        "\"peak_rss_kib\": %ld}\n",
        static_cast<unsigned long long>(mark), n / secs, (versions - slice_versions) / secs,
        cpu_us / static_cast<double>(n),
        static_cast<double>(n) /
            static_cast<double>(std::max<uint64_t>(st.transactions - slice_tx, 1)),
        static_cast<unsigned long long>(db), static_cast<unsigned long long>(wal),
        static_cast<double>(db) / static_cast<double>(mark),
        static_cast<double>(st.wal_frames_written - slice_frames) / static_cast<double>(n),
        static_cast<double>(st.checkpointed_pages - slice_pages) / static_cast<double>(n),
        peak_rss_kib());
    std::fflush(stdout);
    slice_start = now;
    slice_done = mark;
    slice_tx = st.transactions;
    slice_versions = versions;
    slice_pages = st.checkpointed_pages;
    slice_frames = st.wal_frames_written;
    ru0 = ru;
  }
  for (auto& t : threads) t.join();
  store->close();
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"total_seconds\": %.1f, \"msgs_per_s\": %.0f, \"failed\": %llu, \"db_bytes_per_msg\": "
      "%.0f}\n",
      total, o.messages / total, static_cast<unsigned long long>(failed),
      static_cast<double>(file_bytes(so.path)) / static_cast<double>(o.messages));
  print_dbstat(so.path, o.messages);
  store.reset();
  std::error_code ec;
  if (!o.keep)
    std::filesystem::remove_all(dir, ec);
  else
    std::printf("{\"kept\": \"%s\"}\n", dir.c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gw::store

int main(int argc, char** argv) {
  gw::store::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--messages" && has_value)
      o.messages = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--report-every" && has_value)
      o.report_every = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--window" && has_value)
      o.window = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--submitters" && has_value)
      o.submitters = std::atoi(argv[++i]);
    else if (a == "--seed" && has_value)
      o.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--dir" && has_value)
      o.dir = argv[++i];
    else if (a == "--keep")
      o.keep = true;
    else if (a == "--mapper-shaped")
      o.mapper_shaped = true;
    else {
      std::fprintf(stderr,
                   "usage: store_growth_bench [--messages N] [--report-every N] [--window N] "
                   "[--submitters N] [--seed N] [--dir PATH] [--keep] [--mapper-shaped]\n");
      return 2;
    }
  }
  if (o.messages == 0 || o.report_every == 0 || o.window == 0 || o.submitters < 1) {
    std::fprintf(stderr, "messages, report-every, window and submitters must be positive\n");
    return 2;
  }
  return gw::store::run(o);
}
