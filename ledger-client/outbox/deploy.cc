#include "ledger-client/outbox/deploy.h"

#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/contracts.h"
#include "ledger-client/consortium/record_token.h"
#include "ledger-client/consortium/transfer_log.h"

namespace gw::ledger {
namespace {

using consortium::ContractKind;

Result<Address> deploy_one(Submitter& submitter, OutboxStore& store, ContractKind kind,
                           std::vector<uint8_t> data, std::chrono::milliseconds timeout) {
  std::string name(consortium::contract_name(kind));
  std::string key = "deploy:" + name;
  auto seq = submitter.enqueue_call(std::nullopt, std::move(data),
                                    std::vector<uint8_t>(key.begin(), key.end()));
  if (!seq) return seq.error().with_context("deploying " + name);
  if (auto s = submitter.drain(timeout); !s.ok()) return s.with_context("deploying " + name);
  auto item = store.item(*seq);
  if (!item) return item.error();
  if (!item->has_value() || (*item)->state != ItemState::kDone || !(*item)->contract_address) {
    std::string why = item->has_value() ? (*item)->outcome : "item missing";
    return failed_precondition_error("deploying " + name + " failed: " + why);
  }
  return *(*item)->contract_address;
}

}  // namespace

Result<ContractAddresses> deploy_consortium(Submitter& submitter, OutboxStore& store,
                                            EthClient& eth, const DeployOptions& options) {
  ContractAddresses c;
  auto registry_code = consortium::deploy_provider_registry(options.founders, options.quorum,
                                                            options.proposal_ttl_seconds);
  if (!registry_code) return registry_code.error().with_context("ProviderRegistry");
  auto registry = deploy_one(submitter, store, ContractKind::kProviderRegistry,
                             std::move(*registry_code), options.timeout);
  if (!registry) return registry.error();
  c.registry = *registry;
  auto consents = deploy_one(submitter, store, ContractKind::kConsentRegistry,
                             consortium::deploy_consent_registry(c.registry), options.timeout);
  if (!consents) return consents.error();
  c.consents = *consents;
  auto transfers =
      deploy_one(submitter, store, ContractKind::kTransferLog,
                 consortium::deploy_transfer_log(c.registry, c.consents), options.timeout);
  if (!transfers) return transfers.error();
  c.transfers = *transfers;
  auto anchors = deploy_one(submitter, store, ContractKind::kAuditAnchor,
                            consortium::deploy_audit_anchor(c.registry), options.timeout);
  if (!anchors) return anchors.error();
  c.anchors = *anchors;
  auto tokens = deploy_one(submitter, store, ContractKind::kRecordToken,
                           consortium::deploy_record_token(c.registry, c.anchors), options.timeout);
  if (!tokens) return tokens.error();
  c.tokens = *tokens;
  GW_RETURN_IF_ERROR(verify_consortium(eth, c));
  return c;
}

Status verify_consortium(EthClient& eth, const ContractAddresses& c) {
  const std::pair<ContractKind, const Address*> all[] = {
      {ContractKind::kProviderRegistry, &c.registry},
      {ContractKind::kConsentRegistry, &c.consents},
      {ContractKind::kTransferLog, &c.transfers},
      {ContractKind::kAuditAnchor, &c.anchors},
      {ContractKind::kRecordToken, &c.tokens}};
  for (const auto& [kind, address] : all) {
    auto code = eth.get_code(*address, BlockRef{});
    std::string where =
        std::string(consortium::contract_name(kind)) + " at " + to_checksum_hex(*address);
    if (!code) return code.error().to_status().with_context(where);
    if (code->empty())
      return failed_precondition_error(where + ": no contract there (wrong address or chain?)");
    if (!consortium::runtime_code_matches(kind, *code)) {
      return failed_precondition_error(where + ": the code there is not the " +
                                       std::string(consortium::contract_name(kind)) +
                                       " this gateway was built with (source sha256 " +
                                       std::string(consortium::source_sha256(kind)) + ")");
    }
  }
  return ok_status();
}

}  // namespace gw::ledger
