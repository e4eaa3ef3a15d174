// TransferLog on anvil: transfers recorded only with consent, refused without it or after
// revocation, emergency transfers under policy (flagged), idempotent retries, and batches (gas per
// transfer in a batch of 100 and transfers per second against anvil).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Anvil, b32, deployConsortium, govern } from './harness.mjs';

const TREAT = 0;
const ETREAT = 1;
const NO_CONSENT = 1n;
const DENIED = 2n;
const REVOKED = 5n;
const RECIPIENT_NOT_ACTIVE = 16n;
const SELF_TRANSFER = 17n;
const INVALID_FLAGS = 18n;
const FLAG_BATCH_ROOT = 1;
const FLAG_EMERGENCY = 2n;
const CAT_LABS = 1n << 3n;
const LABEL_PSY = 1n << 2n;
const FOREVER = 2n ** 40n - 1n;
const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;

describe('TransferLog', () => {
  let anvil;
  let c;
  let A;
  let sender;
  let recipient;
  const token = b32('transfer-patient:1');

  const transfer = (id, overrides = {}) => ({
    id,
    to: recipient,
    patientToken: token,
    commitment: b32(`commitment:${id}`),
    purpose: TREAT,
    flags: 0,
    ...overrides,
  });

  const grant = (patientToken, purpose = TREAT) => ({
    patientToken,
    grantee: recipient,
    purpose,
    categories: CAT_LABS,
    exclusions: LABEL_PSY,
    validFrom: 0,
    validUntil: FOREVER,
    consentHash: b32(`Consent/${patientToken}/${purpose}`),
  });

  async function refusal(t) {
    const error = 'TransferNotPermitted';
    const [id, reason] = await c.transfers.expectRevert('recordTransfer', [t], sender, error);
    assert.equal(id, BigInt(t.id));
    assert.equal(await c.transfers.call('isRecorded', [sender, t.id]), false);
    return reason;
  }

  before(async () => {
    anvil = await Anvil.start();
    c = await deployConsortium(anvil, { founders: 3, quorum: 2 });
    A = c.accounts;
    [sender, recipient] = A;
    await c.consents.send('registerPatient', [token, ZERO_ADDRESS], sender);
    await c.consents.send('grant', [grant(token)], sender);
  });
  after(async () => anvil?.stop());

  it('records a transfer the consent permits, citing the consent', async () => {
    const t = transfer(1, { flags: FLAG_BATCH_ROOT });
    assert.equal(await c.transfers.call('recordTransfer', [t], sender), true);
    const { events } = await c.transfers.send('recordTransfer', [t], sender);
    assert.equal(events.length, 1);
    const ev = events[0];
    assert.equal(ev.name, 'TransferRecorded');
    assert.equal(ev.args.from, sender.toLowerCase());
    assert.equal(ev.args.to, recipient.toLowerCase());
    assert.equal(ev.args.patientToken, token);
    assert.equal(ev.args.transferId, 1n);
    assert.equal(ev.args.commitment, t.commitment);
    assert.equal(ev.args.flags, BigInt(FLAG_BATCH_ROOT));
    const key = await c.consents.call('consentKey', [token, recipient, TREAT]);
    assert.equal(ev.args.consentKey, key);
    assert.equal(ev.args.consentVersion, 1n);
    assert.equal(await c.transfers.call('isRecorded', [sender, 1]), true);
    assert.equal(await c.transfers.call('isRecorded', [recipient, 1]), false); // ids are per sender
  });

  it('treats a repeated transfer id as a no-op', async () => {
    assert.equal(await c.transfers.call('recordTransfer', [transfer(1)], sender), false);
    const changed = transfer(1, { commitment: b32('other') });
    const again = await c.transfers.send('recordTransfer', [changed], sender);
    assert.equal(again.events.length, 0);
    const list = [transfer(1), transfer(2), transfer(2)];
    const batch = await c.transfers.send('recordTransfers', [list], sender);
    const outcome = batch.events.map((e) => [e.name, e.args.transferId]);
    assert.deepEqual(outcome, [['TransferRecorded', 2n]]);
  });

  it('refuses a transfer without consent, in the contract', async () => {
    const unknown = b32('transfer-patient:no-consent');
    assert.equal(await refusal(transfer(3, { patientToken: unknown })), NO_CONSENT);
    // In a batch the refused transfer is skipped with an event; the others are recorded.
    const list = [transfer(3, { patientToken: unknown }), transfer(4)];
    const { events } = await c.transfers.send('recordTransfers', [list], sender);
    assert.deepEqual(events.map((e) => e.name), ['TransferRefused', 'TransferRecorded']);
    assert.equal(events[0].args.reason, NO_CONSENT);
    assert.equal(events[0].args.transferId, 3n);
    assert.equal(await c.transfers.call('isRecorded', [sender, 3]), false);
    assert.equal(await c.transfers.call('isRecorded', [sender, 4]), true);
  });

  it('refuses other recipients, outsiders and malformed transfers', async () => {
    assert.equal(await refusal(transfer(5, { to: A[2] })), NO_CONSENT);
    assert.equal(await refusal(transfer(5, { to: A[5] })), RECIPIENT_NOT_ACTIVE);
    assert.equal(await refusal(transfer(5, { to: sender })), SELF_TRANSFER);
    assert.equal(await refusal(transfer(5, { flags: 4 })), INVALID_FLAGS);
    await c.transfers.expectRevert('recordTransfer', [transfer(5)], A[5], 'NotActiveMember');
    await c.transfers.expectRevert('recordTransfers', [[transfer(5)]], A[5], 'NotActiveMember');
  });

  it('refuses after the consent is revoked', async () => {
    const t2 = b32('transfer-patient:2');
    await c.consents.send('registerPatient', [t2, ZERO_ADDRESS], sender);
    await c.consents.send('grant', [grant(t2)], sender);
    await c.transfers.send('recordTransfer', [transfer(6, { patientToken: t2 })], sender);
    await c.consents.send('revoke', [t2, recipient, TREAT, b32('revocation')], sender);
    assert.equal(await refusal(transfer(7, { patientToken: t2 })), REVOKED);
    // A retry of the transfer recorded before the revocation stays a harmless no-op.
    const retry = transfer(6, { patientToken: t2 });
    assert.equal(await c.transfers.call('recordTransfer', [retry], sender), false);
  });

  it('allows emergency transfers under the policy, flagged, never against a deny', async () => {
    const t3 = b32('transfer-patient:3');
    await c.consents.send('registerPatient', [t3, ZERO_ADDRESS], sender);
    const emergency = transfer(8, { patientToken: t3, purpose: ETREAT });
    assert.equal(await refusal(emergency), NO_CONSENT); // policy off
    await govern(c.registry, 'proposePolicy', [1], A[0], [A[1]]);
    assert.equal(await c.registry.call('emergencyAccessEnabled'), true);
    const { events } = await c.transfers.send('recordTransfer', [emergency], sender);
    assert.equal(events[0].name, 'TransferRecorded');
    assert.equal(events[0].args.purpose, BigInt(ETREAT));
    assert.equal(BigInt(events[0].args.flags) & FLAG_EMERGENCY, FLAG_EMERGENCY);
    assert.equal(events[0].args.consentVersion, 0n);
    // The policy covers emergency treatment only.
    assert.equal(await refusal(transfer(9, { patientToken: t3, purpose: TREAT })), NO_CONSENT);
    // A patient's explicit deny of ETREAT wins over the policy.
    await c.consents.send('setDeny', [t3, ZERO_ADDRESS, 1 << ETREAT, true, b32('no-btg')], sender);
    assert.equal(await refusal(transfer(10, { patientToken: t3, purpose: ETREAT })), DENIED);
    // A consented ETREAT transfer is not break-the-glass: no emergency flag.
    await c.consents.send('grant', [grant(token, ETREAT)], sender);
    const withGrant = transfer(11, { purpose: ETREAT });
    const consented = await c.transfers.send('recordTransfer', [withGrant], sender);
    assert.equal(BigInt(consented.events[0].args.flags) & FLAG_EMERGENCY, 0n);
    await govern(c.registry, 'proposePolicy', [0], A[0], [A[1]]);
  });

  describe('batches', () => {
    const N = 100;
    let tokens;
    let nextId = 1000;

    before(async () => {
      tokens = Array.from({ length: N }, (_, i) => b32(`batch-patient:${i}`));
      for (const tk of tokens) await c.consents.send('registerPatient', [tk, ZERO_ADDRESS], sender);
      await c.consents.send('grantBatch', [tokens.map((tk) => grant(tk))], sender);
    });

    const batch = () => tokens.map((tk) => transfer(nextId++, { patientToken: tk }));

    it(`records ${N} transfers in one transaction within 30,000 gas each`, async (t) => {
      const transfers = batch();
      const { gasUsed, events } = await c.transfers.send('recordTransfers', [transfers], sender);
      assert.equal(events.filter((e) => e.name === 'TransferRecorded').length, N);
      const perTransfer = gasUsed / N;
      const per = perTransfer.toFixed(0);
      t.diagnostic(`gas per transfer in a batch of ${N}: ${per} (transaction ${gasUsed})`);
      assert.ok(perTransfer <= 30000, `gas per transfer ${perTransfer} exceeds 30,000`);
      for (const tr of [transfers[0], transfers[N - 1]]) {
        assert.equal(await c.transfers.call('isRecorded', [sender, tr.id]), true);
      }
      // Retrying the whole batch records nothing and costs little.
      const retry = await c.transfers.send('recordTransfers', [transfers], sender);
      assert.equal(retry.events.length, 0);
      const perRetry = (retry.gasUsed / N).toFixed(0);
      t.diagnostic(`gas per transfer of a retried batch of ${N}: ${perRetry}`);
    });

    it('sustains the transfer rate against anvil', async (t) => {
      const batches = 30;
      let nonce = Number(await anvil.rpc('eth_getTransactionCount', [sender, 'pending']));
      const started = process.hrtime.bigint();
      const hashes = [];
      // Keep transactions in flight (no receipt awaited before the next is sent), as the
      // gateway's outbox would, but hand them to anvil in nonce order: sent concurrently they
      // can arrive out of order, and anvil's pool then sometimes keeps one that never becomes
      // ready again (CI: "no receipt ... in 60000 ms" despite evm_mine nudges).
      for (let i = 0; i < batches; ++i) {
        const args = [batch()];
        // 100 transfers use ≈ 1.54 Mgas; declaring 3 M keeps each well inside one block.
        const gas = 3_000_000;
        hashes.push(await c.transfers.sendNoWait('recordTransfers', args, sender, gas, nonce++));
      }
      const receipts = await Promise.all(hashes.map((h) => anvil.receipt(h)));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const r of receipts) assert.equal(r.status, '0x1');
      const recorded = receipts.reduce(
        (n, r) => n + anvil.decodeLogs(r).filter((e) => e.name === 'TransferRecorded').length,
        0,
      );
      assert.equal(recorded, batches * N);
      const rate = (recorded / seconds).toFixed(0);
      t.diagnostic(`${recorded} transfers in ${seconds.toFixed(2)} s: ${rate} transfers/s`);
    });
  });
});
