// ConsentRegistry on anvil: custody, grants, revocation, expiry, deny overriding permit, scope and
// security-label exclusions, and who may write a patient's consent.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Anvil, b32, deployConsortium, govern } from './harness.mjs';

// ConsentRegistry codes (README: "Encodings").
const TREAT = 0;
const ETREAT = 1;
const HRESCH = 4;
const PERMIT = 0n;
const NO_CONSENT = 1n;
const DENIED = 2n;
const NOT_YET_VALID = 3n;
const EXPIRED = 4n;
const REVOKED = 5n;
const OUT_OF_SCOPE = 6n;
const EXCLUDED_LABEL = 7n;
const INVALID_PURPOSE = 8n;
const CAT_LABS = 1n << 3n;
const CAT_MEDS = 1n << 5n;
const CAT_NOTES = 1n << 10n;
const LABEL_ETH = 1n; // substance use information
const LABEL_PSY = 1n << 2n; // psychiatry information
const LABEL_HIV = 1n << 1n;
const FOREVER = 2n ** 40n - 1n;
const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;
const ZERO_HASH = `0x${'00'.repeat(32)}`;

describe('ConsentRegistry', () => {
  let anvil;
  let c; // the deployed consortium
  let A;
  let custodian;
  let grantee;
  let other;
  const patientKey = () => A[9]; // a key the patient holds (anvil account, not a member)
  const token = b32('patient-token:1');

  function grantInput(overrides = {}) {
    return {
      patientToken: token,
      grantee,
      purpose: TREAT,
      categories: CAT_LABS | CAT_MEDS,
      exclusions: LABEL_ETH | LABEL_PSY,
      validFrom: 0,
      validUntil: FOREVER,
      consentHash: b32('Consent/1'),
      ...overrides,
    };
  }

  // Shorthands: a consent write that must succeed, and one that must revert with `error`.
  const write = (fn, args, from) => c.consents.send(fn, args, from);
  const refuses = (fn, args, from, error) => c.consents.expectRevert(fn, args, from, error);

  async function decision(purpose = TREAT, categories = CAT_LABS, labels = 0n, who = grantee) {
    const [d] = await c.consents.call('check', [token, who, purpose, categories, labels]);
    return d;
  }

  before(async () => {
    anvil = await Anvil.start();
    c = await deployConsortium(anvil, { founders: 3, quorum: 2 });
    A = c.accounts;
    [custodian, grantee, other] = A;
  });
  after(async () => anvil?.stop());

  it('makes the registering member the custodian, once', async () => {
    await refuses('registerPatient', [token, patientKey()], A[5], 'NotActiveMember');
    const { events } = await write('registerPatient', [token, patientKey()], custodian);
    assert.equal(events[0].name, 'PatientRegistered');
    assert.equal(events[0].args.patientToken, token);
    assert.equal(events[0].args.custodian, custodian.toLowerCase());
    await refuses('registerPatient', [token, other], other, 'AlreadyRegistered');
    const [cust, key, denied] = await c.consents.call('getPatient', [token]);
    assert.equal(cust, custodian.toLowerCase());
    assert.equal(key, patientKey().toLowerCase());
    assert.equal(denied, 0n);
  });

  it('denies when there is no consent', async () => {
    assert.equal(await decision(), NO_CONSENT);
    assert.equal(await decision(TREAT, CAT_LABS, 0n, other), NO_CONSENT);
    const unknown = b32('unknown patient');
    const [d] = await c.consents.call('check', [unknown, grantee, TREAT, CAT_LABS, 0n]);
    assert.equal(d, NO_CONSENT);
    assert.equal(await decision(40), INVALID_PURPOSE);
  });

  it('lets only the custodian or the patient key write consent', async (t) => {
    await refuses('grant', [grantInput()], other, 'NotAuthorized');
    await refuses('grant', [grantInput()], A[5], 'NotAuthorized');
    const nobody = grantInput({ patientToken: b32('nobody') });
    await refuses('grant', [nobody], custodian, 'UnknownPatient');
    const { gasUsed, events } = await write('grant', [grantInput()], custodian);
    t.diagnostic(`gas per consent grant (first grant for a key): ${gasUsed}`);
    const ev = events.find((e) => e.name === 'ConsentGranted');
    assert.equal(ev.args.patientToken, token);
    assert.equal(ev.args.grantee, grantee.toLowerCase());
    assert.equal(ev.args.custodian, custodian.toLowerCase());
    assert.equal(ev.args.version, 1n);
    assert.equal(ev.args.consentHash, b32('Consent/1'));
    assert.equal(ev.args.consentKey, await c.consents.call('consentKey', [token, grantee, TREAT]));
    assert.equal(await decision(), PERMIT);
    // The patient's own key writes too.
    const research = grantInput({ purpose: HRESCH, consentHash: b32('Consent/2') });
    await write('grant', [research], patientKey());
    assert.equal(await decision(HRESCH), PERMIT);
  });

  it('refuses malformed grants', async () => {
    await refuses('grant', [grantInput({ grantee: A[5] })], custodian, 'NotActiveMember');
    await refuses('grant', [grantInput({ purpose: 32 })], custodian, 'InvalidGrant');
    await refuses('grant', [grantInput({ categories: 0 })], custodian, 'InvalidGrant');
    const empty = grantInput({ validFrom: 10, validUntil: 10 });
    await refuses('grant', [empty], custodian, 'InvalidGrant');
    await refuses('grant', [grantInput({ consentHash: ZERO_HASH })], custodian, 'InvalidGrant');
  });

  it('limits a grant to its scope and excludes sensitive labels', async () => {
    assert.equal(await decision(TREAT, CAT_LABS | CAT_MEDS), PERMIT);
    assert.equal(await decision(TREAT, CAT_LABS | CAT_NOTES), OUT_OF_SCOPE);
    assert.equal(await decision(TREAT, CAT_LABS, LABEL_PSY), EXCLUDED_LABEL);
    assert.equal(await decision(TREAT, CAT_LABS, LABEL_HIV), PERMIT); // not excluded
    assert.equal(await decision(ETREAT), NO_CONSENT); // another purpose
    assert.equal(await decision(TREAT, CAT_LABS, 0n, other), NO_CONSENT); // another member
  });

  it('revokes, and a later grant restores with a new version', async () => {
    const revocation = [token, grantee, TREAT, b32('Consent/1-inactive')];
    await refuses('revoke', revocation, other, 'NotAuthorized');
    const { events } = await write('revoke', revocation, custodian);
    assert.equal(events[0].name, 'ConsentRevoked');
    assert.equal(events[0].args.version, 1n);
    assert.equal(await decision(), REVOKED);
    await refuses('revoke', [token, grantee, TREAT, b32('x')], custodian, 'NoSuchGrant');
    await write('grant', [grantInput({ consentHash: b32('Consent/1b') })], custodian);
    const [d, , version] = await c.consents.call('check', [token, grantee, TREAT, CAT_LABS, 0n]);
    assert.equal(d, PERMIT);
    assert.equal(version, 2n);
    const stored = await c.consents.call('getGrant', [token, grantee, TREAT]);
    const [g, granted, revoked, denied, hash] = stored;
    assert.deepEqual([granted, revoked, denied, hash], [true, false, false, b32('Consent/1b')]);
    assert.equal(g.version, 2n);
  });

  it('honours the validity period (expiry via evm_increaseTime)', async () => {
    const now = BigInt(await anvil.timestamp());
    const later = grantInput({ grantee: other, validFrom: now + 100n, validUntil: now + 1000n });
    await write('grant', [later], custodian);
    assert.equal(await decision(TREAT, CAT_LABS, 0n, other), NOT_YET_VALID);
    await anvil.increaseTime(200);
    assert.equal(await decision(TREAT, CAT_LABS, 0n, other), PERMIT);
    await anvil.increaseTime(1000);
    assert.equal(await decision(TREAT, CAT_LABS, 0n, other), EXPIRED);
    // A grant that has already ended is refused.
    const ended = grantInput({ grantee: other, validUntil: now + 10n });
    await refuses('grant', [ended], custodian, 'InvalidGrant');
  });

  it('lets deny override permit, per member and for every member', async () => {
    assert.equal(await decision(), PERMIT);
    // Deny TREAT to this grantee: the grant stays but no longer permits.
    await write('setDeny', [token, grantee, 1 << TREAT, true, b32('Consent/deny')], patientKey());
    assert.equal(await decision(), DENIED);
    // A fresh grant does not lift a deny.
    await write('grant', [grantInput({ consentHash: b32('Consent/1c') })], custodian);
    assert.equal(await decision(), DENIED);
    await write('setDeny', [token, grantee, 1 << TREAT, false, b32('Consent/undeny')], custodian);
    assert.equal(await decision(), PERMIT);
    // Deny research to every member.
    const noResearch = [token, ZERO_ADDRESS, 1 << HRESCH, true, b32('Consent/nores')];
    const r = await write('setDeny', noResearch, custodian);
    assert.equal(r.events[0].name, 'DenyChanged');
    assert.equal(await decision(HRESCH), DENIED);
    assert.equal(await decision(), PERMIT); // other purposes unaffected
    const [, , deniedPurposes] = await c.consents.call('getPatient', [token]);
    assert.equal(deniedPurposes, 1n << BigInt(HRESCH));
    await refuses('setDeny', [token, grantee, 0, true, b32('x')], custodian, 'InvalidGrant');
  });

  it('lets a suspended custodian narrow access but not widen it', async () => {
    const t2 = b32('patient-token:2');
    await write('registerPatient', [t2, ZERO_ADDRESS], A[2]);
    const g = grantInput({ patientToken: t2, grantee: A[0] });
    await write('grant', [g], A[2]);
    await govern(c.registry, 'proposeSuspend', [A[2]], A[0], [A[1]]);
    await refuses('grant', [g], A[2], 'NotActiveMember');
    await write('revoke', [t2, A[0], TREAT, b32('r')], A[2]);
    await write('setDeny', [t2, A[0], 1, true, b32('d')], A[2]);
    await refuses('setDeny', [t2, A[0], 1, false, b32('u')], A[2], 'NotActiveMember');
    await govern(c.registry, 'proposeReinstate', [A[2]], A[0], [A[1]]);
  });

  it('transfers custody to another active member', async () => {
    const t3 = b32('patient-token:3');
    await write('registerPatient', [t3, ZERO_ADDRESS], A[0]);
    await refuses('transferCustody', [t3, A[5]], A[0], 'NotActiveMember');
    await refuses('transferCustody', [t3, A[1]], A[1], 'NotAuthorized');
    const { events } = await write('transferCustody', [t3, A[1]], A[0]);
    assert.equal(events[0].name, 'CustodyTransferred');
    const moved = grantInput({ patientToken: t3, grantee: A[2] });
    await refuses('grant', [moved], A[0], 'NotAuthorized');
    await write('grant', [grantInput({ patientToken: t3, grantee: A[2] })], A[1]);
  });

  it('grants in batches', async (t) => {
    const tokens = Array.from({ length: 20 }, (_, i) => b32(`batch-patient:${i}`));
    for (const tk of tokens) await write('registerPatient', [tk, ZERO_ADDRESS], custodian);
    const inputs = tokens.map((tk, i) =>
      grantInput({ patientToken: tk, consentHash: b32(`Consent/b${i}`) }),
    );
    const { gasUsed, events } = await write('grantBatch', [inputs], custodian);
    assert.equal(events.filter((e) => e.name === 'ConsentGranted').length, 20);
    t.diagnostic(`gas per consent grant in a batch of 20: ${Math.round(gasUsed / 20)}`);
    for (const tk of [tokens[0], tokens[19]]) {
      const [d] = await c.consents.call('check', [tk, grantee, TREAT, CAT_LABS, 0n]);
      assert.equal(d, PERMIT);
    }
    // All or nothing: one bad grant refuses the batch.
    inputs[5] = { ...inputs[5], purpose: 99 };
    await refuses('grantBatch', [inputs], custodian, 'InvalidGrant');
  });
});
