#include "gateway/anchoring/ledger_service.h"

#include <algorithm>
#include <chrono>

#include "gateway/base/clock.h"
#include "gateway/log/log.h"
#include "ledger-client/account/account.h"
#include "ledger-client/consortium/provider_registry.h"

namespace gw::anchoring {

gw::Result<std::unique_ptr<LedgerService>> LedgerService::start(
    const config::GatewayConfig& cfg, const crypto::SecretBytes& ledger_key,
    const std::string& messages_db, LedgerServiceOptions options) {
  const config::LedgerConfig& lc = cfg.ledger;
  std::unique_ptr<LedgerService> s(new LedgerService());
  auto deployment = read_deployment(lc.deployment);
  if (!deployment)
    return Status(deployment.error().code(),
                  "ledger: " + deployment.error().message() +
                      " (run `gatewayctl ledger deploy` on the founding gateway, or copy its "
                      "deployment file here and set [ledger] deployment)");
  s->deployment_ = *deployment;
  if (lc.chain_id != 0 && lc.chain_id != s->deployment_.chain_id)
    return failed_precondition_error("ledger: [ledger] chain_id = " + std::to_string(lc.chain_id) +
                                     " but the deployment file " + lc.deployment +
                                     " is for chain " + std::to_string(s->deployment_.chain_id));
  auto client = open_ledger_client(lc, ledger_key.view(), s->deployment_.contracts);
  if (!client) return client.error().with_context("ledger");
  s->client_ = std::move(*client);
  // Bind the outbox before talking to the node: an outbox of another chain or
  // key is a configuration mistake, whether or not the node answers.
  if (auto b = s->client_.outbox->bind(s->deployment_.chain_id, s->address()); !b.ok())
    return b.with_context("ledger");

  const std::string account = ledger::to_checksum_hex(s->address());
  auto verified = check_ledger_node(*s->client_.eth, s->deployment_, lc.chain_id);
  if (!verified) return verified.error().with_context("ledger");
  if (verified->verified) {
    ledger::CallRequest call;
    call.to = s->deployment_.contracts.registry;
    call.data = ledger::consortium::is_active(s->address());
    auto active = s->client_.eth->call(call, ledger::BlockRef{});
    auto is_member = active ? ledger::consortium::decode_bool(*active)
                            : gw::Result<bool>(active.error().to_status());
    if (!is_member || !*is_member)
      log::warn("ledger.not_member",
                {{"account", account},
                 {"detail", is_member ? "this gateway's ledger account is not an active member; "
                                        "its anchors will be refused until it is added"
                                      : is_member.error().message()}});
    log::info("ledger.verified",
              {{"chain_id", std::to_string(s->deployment_.chain_id)}, {"account", account}});
  } else {
    log::warn(
        "ledger.unreachable",
        {{"detail", verified->unreachable + "; the outbox queues until the node is reachable"}});
  }

  if (lc.anchor_record_batches) {
    auto batches = store::BatchStore::open(messages_db);
    if (!batches.ok()) return batches.error().with_context("ledger");
    s->anchorer_ = std::make_unique<LedgerAnchorer>(
        std::move(batches).value(), *s->client_.submitter, *s->client_.outbox, options.anchorer);
  }
  LedgerService* self = s.get();
  s->submitter_thread_ = std::thread([self, poll = options.submitter_poll] {
    self->client_.submitter->run(self->stop_, poll, [](const std::string& error) {
      // The ledger client's messages name methods, codes and hashes, never
      // item contents or the URL.
      log::warn("ledger.error", {{"component", "submitter"}, {"detail", error}});
    });
  });
  if (s->anchorer_) s->anchorer_->start();
  log::info("ledger.started", {{"account", account},
                               {"anchoring", lc.anchor_record_batches ? "record_batches" : "off"},
                               {"outbox", lc.outbox}});
  return s;
}

LedgerService::~LedgerService() { stop(); }

void LedgerService::stop() {
  if (anchorer_) anchorer_->stop();
  if (submitter_thread_.joinable()) {
    stop_.store(true);
    client_.submitter->notify();
    submitter_thread_.join();
    auto counts = client_.outbox->counts();
    if (counts)
      log::info("ledger.stopped", {{"queued", std::to_string(counts->queued)},
                                   {"submitted", std::to_string(counts->submitted)},
                                   {"done", std::to_string(counts->done)}});
  }
}

int64_t oldest_open_age_s(const ledger::OutboxCounts& counts) {
  if (counts.oldest_open_ms == 0) return 0;
  return std::max<int64_t>(0, now_ms() - counts.oldest_open_ms) / 1000;
}

gw::Result<ledger::OutboxCounts> LedgerService::outbox_counts() { return client_.outbox->counts(); }

void LedgerService::log_stats() {
  auto c = outbox_counts();
  if (!c) {
    log::warn("ledger.error", {{"component", "outbox"}, {"detail", c.error().message()}});
    return;
  }
  log::info("stats.ledger", {{"queued", std::to_string(c->queued)},
                             {"submitted", std::to_string(c->submitted)},
                             {"done", std::to_string(c->done)},
                             {"refused", std::to_string(c->refused)},
                             {"failed", std::to_string(c->failed)},
                             {"pending_txs", std::to_string(c->pending_txs)},
                             {"oldest_open_s", std::to_string(oldest_open_age_s(*c))}});
}

}  // namespace gw::anchoring
