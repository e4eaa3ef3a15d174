#include "gateway/consortium/consortium_view.h"

#include <algorithm>

#include "gateway/anchoring/ledger_client.h"
#include "gateway/log/log.h"

namespace gw::consortium {

using Clock = std::chrono::steady_clock;

Result<std::unique_ptr<ConsortiumView>> ConsortiumView::open(ConsortiumViewOptions options) {
  if (options.max_blocks_per_query == 0) options.max_blocks_per_query = 1;
  std::unique_ptr<ConsortiumView> v(new ConsortiumView(std::move(options)));
  auto rpc = ledger::JsonRpcClient::create(v->options_.rpc);
  if (!rpc) return rpc.error().with_context("consortium view");
  v->rpc_ = std::move(*rpc);
  v->eth_ = std::make_unique<ledger::EthClient>(*v->rpc_);
  bool reset = false;
  auto store = ViewStore::open(v->options_.path, v->options_.identity, &reset);
  if (!store) return store.error();
  v->store_ = std::move(*store);
  if (reset)
    log::warn("consortium_view.rebuild",
              {{"detail",
                "the view file was built for another deployment or account; rebuilding "
                "from the deployment block"}});
  GW_RETURN_IF_ERROR(v->store_->load(v->state_, v->cursor_));
  v->chunk_ = v->options_.max_blocks_per_query;
  v->status_.started = v->cursor_.started;
  v->status_.applied_block = v->cursor_.block;
  return v;
}

Result<std::unique_ptr<ConsortiumView>> ConsortiumView::start(
    const config::GatewayConfig& cfg, const anchoring::LedgerDeployment& deployment,
    const ledger::Address& self) {
  const std::string dir = cfg.state_dir + "/ledger";
  GW_RETURN_IF_ERROR(anchoring::make_private_dirs(dir));
  ConsortiumViewOptions o;
  o.path = dir + "/consortium_view.sqlite";
  o.rpc = anchoring::ledger_rpc_options(cfg.ledger);
  o.identity.chain_id = deployment.chain_id;
  o.identity.scope = ViewScope{deployment.contracts.registry, deployment.contracts.consents,
                               deployment.contracts.transfers, self};
  o.identity.deployment_block = deployment.block;
  o.confirmations = cfg.ledger.confirmations;
  o.poll = cfg.ledger.view_poll;
  GW_ASSIGN_OR_RETURN(auto view, open(std::move(o)));
  view->start_follower();
  log::info(
      "consortium_view.started",
      {{"applied_block", view->cursor_.started ? std::to_string(view->cursor_.block) : "none"},
       {"deployment_block", std::to_string(deployment.block)}});
  return view;
}

ConsortiumView::~ConsortiumView() { stop(); }

void ConsortiumView::start_follower() {
  if (follower_.joinable()) return;
  {
    std::lock_guard<std::mutex> g(wake_mu_);
    following_ = true;
  }
  follower_ = std::thread([this] { follow(); });
}

void ConsortiumView::stop() {
  {
    std::lock_guard<std::mutex> g(wake_mu_);
    stop_ = true;
    following_ = false;
  }
  wake_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
}

void ConsortiumView::follow() {
  std::unique_lock<std::mutex> lock(wake_mu_);
  while (!stop_) {
    const uint64_t generation = requested_;
    lock.unlock();
    Status s = poll_once();
    lock.lock();
    completed_ = generation;
    last_pass_ = s;
    wake_cv_.notify_all();
    wake_cv_.wait_for(lock, options_.poll, [&] { return stop_ || requested_ > generation; });
  }
}

Status ConsortiumView::refresh(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(wake_mu_);
  if (!following_ || stop_) {
    lock.unlock();
    return poll_once();
  }
  // A pass that had started before this request may have missed what the
  // caller waits for: wait for one that starts after it.
  const uint64_t wanted = ++requested_;
  wake_cv_.notify_all();
  if (!wake_cv_.wait_until(lock, deadline, [&] { return stop_ || completed_ >= wanted; }))
    return deadline_exceeded_error("consortium view: no pass completed before the deadline");
  if (stop_ && completed_ < wanted) return unavailable_error("consortium view: stopped");
  return last_pass_;
}

Status ConsortiumView::wait_for_block(uint64_t block, Clock::time_point deadline) {
  for (;;) {
    ViewStatus s = status();
    if (s.started && s.applied_block >= block) return ok_status();
    if (Clock::now() >= deadline)
      return deadline_exceeded_error(
          "consortium view: block " + std::to_string(block) + " not applied before the deadline (" +
          (s.started ? "applied up to " + std::to_string(s.applied_block) : "nothing applied") +
          ", node head " + std::to_string(s.head) + ")");
    Status pass = refresh(deadline);
    if (pass.ok() && status().applied_block < block) {
      // Not final yet: give the chain a moment rather than ask again at once.
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_cv_.wait_until(
          lock, std::min(deadline,
                         Clock::now() + std::min(options_.poll, std::chrono::milliseconds(200))));
    }
  }
}

Result<TransferEntry> ConsortiumView::wait_for_recorded_transfer(const Address& from,
                                                                 const Uint256& transfer_id,
                                                                 Clock::time_point deadline) {
  for (;;) {
    if (auto t = recorded_transfer(from, transfer_id)) return *t;
    if (Clock::now() >= deadline)
      return not_found_error("consortium view: the transfer is not recorded in a final block");
    Status pass = refresh(deadline);
    if (auto t = recorded_transfer(from, transfer_id)) return *t;
    if (pass.ok()) {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_cv_.wait_until(
          lock, std::min(deadline,
                         Clock::now() + std::min(options_.poll, std::chrono::milliseconds(200))));
    }
  }
}

CheckResult ConsortiumView::check(const Hash256& patient_token, const Address& grantee,
                                  uint8_t purpose, uint64_t now_s) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return check_consent(state_, patient_token, grantee, purpose, now_s);
}

std::optional<MemberEntry> ConsortiumView::member(const Address& account) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.members.find(account);
  if (it == state_.members.end()) return std::nullopt;
  return it->second;
}

std::optional<MemberEntry> ConsortiumView::member_by_org_id(const std::string& org_id) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.by_org_id.find(org_id);
  if (it == state_.by_org_id.end()) return std::nullopt;
  return state_.members.at(it->second);
}

std::optional<MemberEntry> ConsortiumView::member_by_tls_fingerprint(
    const Hash256& fingerprint) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.by_tls_fingerprint.find(fingerprint);
  if (it == state_.by_tls_fingerprint.end()) return std::nullopt;
  return state_.members.at(it->second);
}

std::vector<MemberEntry> ConsortiumView::members() const {
  std::vector<MemberEntry> out;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const auto& [account, m] : state_.members) out.push_back(m);
  }
  std::sort(out.begin(), out.end(), [](const MemberEntry& a, const MemberEntry& b) {
    return a.info.account < b.info.account;
  });
  return out;
}

bool ConsortiumView::is_active(const Address& account) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.members.find(account);
  return it != state_.members.end() &&
         it->second.status == ledger::consortium::MemberStatus::kActive;
}

bool ConsortiumView::emergency_access_enabled() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return consortium::emergency_access_enabled(state_);
}

uint8_t ConsortiumView::quorum() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return state_.quorum;
}

std::optional<Address> ConsortiumView::custodian(const Hash256& patient_token) const {
  auto p = patient(patient_token);
  if (!p || p->custodian == Address{}) return std::nullopt;
  return p->custodian;
}

std::optional<PatientEntry> ConsortiumView::patient(const Hash256& patient_token) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.patients.find(patient_token);
  if (it == state_.patients.end()) return std::nullopt;
  return it->second;
}

std::optional<TransferEntry> ConsortiumView::recorded_transfer(const Address& from,
                                                               const Uint256& transfer_id) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.recorded.find(TransferKey{from, transfer_id});
  if (it == state_.recorded.end()) return std::nullopt;
  return it->second;
}

std::optional<TransferEntry> ConsortiumView::refused_transfer(const Address& from,
                                                              const Uint256& transfer_id) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = state_.refused.find(TransferKey{from, transfer_id});
  if (it == state_.refused.end()) return std::nullopt;
  return it->second;
}

ViewStatus ConsortiumView::status() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return status_;
}

void ConsortiumView::log_stats() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  log::info("stats.consortium_view",
            {{"applied_block", status_.started ? std::to_string(status_.applied_block) : "none"},
             {"head", std::to_string(status_.head)},
             {"lag_blocks", std::to_string(status_.lag_blocks)},
             {"reachable", status_.node_reachable ? "true" : "false"},
             {"members", std::to_string(state_.members.size())},
             {"patients", std::to_string(state_.patients.size())},
             {"grants", std::to_string(state_.grants.size())}});
}

}  // namespace gw::consortium
