// Governance override of patient custody on anvil: a quorum decides a new custodian in
// ProviderRegistry (proposeCustody), anyone applies the decision in ConsentRegistry
// (applyCustodyDecision), once and never after a newer decision; the squatter loses every write.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Interface } from './abi.mjs';
import { Anvil, Contract, artifact, b32, deployConsortium, govern } from './harness.mjs';

const TREAT = 0;
const HRESCH = 4;
const PERMIT = 0n;
const REVOKED = 5n;
const CUSTODY = 6n; // ProviderRegistry.Action.Custody
const CAT_LABS = 1n << 3n;
const FOREVER = 2n ** 40n - 1n;
const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;
const ZERO_HASH = `0x${'00'.repeat(32)}`;

describe('custody decisions', () => {
  let anvil;
  let c; // the deployed consortium: 3 founders, quorum 2
  let A;
  let consents; // ConsentRegistry, also decoding the registry's errors (they propagate)
  let squatter; // a member that registers a patient it does not treat
  let custodian; // the member the quorum gives custody to
  let third; // the third founder
  let outsider; // not a member
  let squatterKey; // a "patient key" the squatter controls
  const token = b32('custody:squatted');
  let decision; // the applied decision's proposal id

  const lower = (a) => a.toLowerCase();
  const grantInput = (patientToken, grantee, overrides = {}) => ({
    patientToken,
    grantee,
    purpose: TREAT,
    categories: CAT_LABS,
    exclusions: 0n,
    validFrom: 0,
    validUntil: FOREVER,
    consentHash: b32(`Consent/${patientToken}/${grantee}`),
    ...overrides,
  });
  const check = async (tk, grantee, purpose = TREAT) =>
    (await c.consents.call('check', [tk, grantee, purpose, CAT_LABS, 0n]))[0];

  /** Proposes a custody decision and has it executed by a second approval; returns its id. */
  async function decide(patientToken, newCustodian, proposer = third, approver = custodian) {
    return govern(c.registry, 'proposeCustody', [patientToken, newCustodian], proposer, [approver]);
  }

  before(async () => {
    anvil = await Anvil.start();
    c = await deployConsortium(anvil, { founders: 3, quorum: 2 });
    A = c.accounts;
    [squatter, custodian, third] = A;
    outsider = A[5];
    squatterKey = A[9];
    const abi = [
      ...artifact('ConsentRegistry').abi,
      ...artifact('ProviderRegistry').abi.filter((i) => i.type === 'error'),
    ];
    consents = new Contract(anvil, 'ConsentRegistry', c.consents.address, new Interface(abi));
  });
  after(async () => anvil?.stop());

  it('lets a member squat a token, set a key it controls and grant itself', async () => {
    await c.consents.send('registerPatient', [token, ZERO_ADDRESS], squatter);
    await c.consents.send('setPatientKey', [token, squatterKey], squatter);
    await c.consents.send('grant', [grantInput(token, squatter)], squatterKey);
    const noResearch = [token, ZERO_ADDRESS, 1 << HRESCH, true, b32('Consent/nores')];
    await c.consents.send('setDeny', noResearch, squatter);
    assert.equal(await check(token, squatter), PERMIT);
    const [cust, key, denied] = await c.consents.call('getPatient', [token]);
    assert.deepEqual([cust, key, denied], [lower(squatter), lower(squatterKey), 1n << 4n]);
    assert.equal(await c.consents.call('custodyDecisionOf', [token]), 0n);
  });

  it('applies only executed custody decisions', async () => {
    const { events } = await c.registry.send('proposeCustody', [token, custodian], custodian);
    const created = events.find((e) => e.name === 'ProposalCreated');
    assert.equal(created.args.action, CUSTODY);
    assert.equal(created.args.target, lower(custodian));
    decision = created.args.proposalId;
    // One approval of the two required: not a decision yet, whoever applies it.
    const [id] = await consents.expectRevert(
      'applyCustodyDecision',
      [decision],
      outsider,
      'NotACustodyDecision',
    );
    assert.equal(id, decision);
    const byMember = [[decision], custodian, 'NotACustodyDecision'];
    await consents.expectRevert('applyCustodyDecision', ...byMember);
    // An executed proposal of another kind.
    const policy = await govern(c.registry, 'proposePolicy', [0], squatter, [third]);
    const [, , , , executed] = await c.registry.call('getProposal', [policy]);
    assert.equal(executed, true);
    await consents.expectRevert('applyCustodyDecision', [policy], outsider, 'NotACustodyDecision');
    // An id the registry never issued: its UnknownProposal propagates.
    await consents.expectRevert('applyCustodyDecision', [999], outsider, 'UnknownProposal');
    await consents.expectRevert('applyCustodyDecision', [0], outsider, 'UnknownProposal');
    assert.equal((await c.consents.call('getPatient', [token]))[0], lower(squatter));
  });

  it('refuses malformed custody proposals', async () => {
    const reg = c.registry;
    const [field] = await reg.expectRevert(
      'proposeCustody',
      [ZERO_HASH, custodian],
      third,
      'InvalidProposal',
    );
    assert.equal(field, 'patientToken');
    await reg.expectRevert('proposeCustody', [token, outsider], third, 'UnknownMember');
    await reg.expectRevert('proposeCustody', [token, ZERO_ADDRESS], third, 'UnknownMember');
    await reg.expectRevert('proposeCustody', [token, custodian], outsider, 'NotActiveMember');
    // A suspended member cannot be proposed (3 active, quorum 2: suspending one leaves 2).
    await govern(reg, 'proposeSuspend', [third], squatter, [custodian]);
    const [who, status] = await reg.expectRevert(
      'proposeCustody',
      [token, third],
      custodian,
      'WrongStatus',
    );
    assert.deepEqual([who, status], [lower(third), 2n]);
    await govern(reg, 'proposeReinstate', [third], squatter, [custodian]);
  });

  it('executes on the quorum, and anyone applies the decision', async (t) => {
    const r = await c.registry.send('approve', [decision], third);
    const decided = r.events.find((e) => e.name === 'CustodyDecided');
    assert.ok(decided, 'no CustodyDecided event');
    assert.deepEqual(decided.args, {
      patientToken: token,
      custodian: lower(custodian),
      proposalId: decision,
    });
    const done = r.events.find((e) => e.name === 'ProposalExecuted');
    assert.deepEqual([done.args.action, done.args.target], [CUSTODY, lower(custodian)]);
    // Executing changed nothing in ConsentRegistry yet.
    assert.equal((await c.consents.call('getPatient', [token]))[0], lower(squatter));

    const applied = await c.consents.send('applyCustodyDecision', [decision], outsider);
    t.diagnostic(`gas to apply a custody decision (clearing a patient key): ${applied.gasUsed}`);
    const names = applied.events.map((e) => e.name);
    assert.deepEqual(names, ['PatientKeyChanged', 'CustodyReassigned']);
    const [keyChanged, reassigned] = applied.events;
    assert.deepEqual(keyChanged.args, {
      patientToken: token,
      custodian: lower(custodian),
      patientKey: ZERO_ADDRESS,
    });
    assert.deepEqual(reassigned.args, {
      patientToken: token,
      from: lower(squatter),
      to: lower(custodian),
      proposalId: decision,
    });
    const [cust, key, denied] = await c.consents.call('getPatient', [token]);
    assert.deepEqual([cust, key, denied], [lower(custodian), ZERO_ADDRESS, 1n << 4n]);
    assert.equal(await c.consents.call('custodyDecisionOf', [token]), decision);
  });

  it('applies a decision once, and never after a newer one', async () => {
    const [id] = await consents.expectRevert(
      'applyCustodyDecision',
      [decision],
      outsider,
      'DecisionApplied',
    );
    assert.equal(id, decision);
    // Two more decisions for the token: the newer is applied first, then the older is stale.
    const older = await decide(token, third, squatter, third);
    const newer = await decide(token, custodian);
    assert.ok(newer > older && older > decision);
    const { events } = await c.consents.send('applyCustodyDecision', [newer], squatter);
    // The key is already clear: no PatientKeyChanged.
    assert.deepEqual(events.map((e) => e.name), ['CustodyReassigned']);
    assert.equal(events[0].args.from, lower(custodian));
    await consents.expectRevert('applyCustodyDecision', [older], outsider, 'DecisionApplied');
    assert.equal((await c.consents.call('getPatient', [token]))[0], lower(custodian));
    assert.equal(await c.consents.call('custodyDecisionOf', [token]), newer);
  });

  it('takes every write from the squatter and its key; the new custodian revokes', async () => {
    const again = grantInput(token, squatter, { consentHash: b32('Consent/again') });
    for (const who of [squatter, squatterKey]) {
      await c.consents.expectRevert('grant', [again], who, 'NotAuthorized');
      await c.consents.expectRevert('transferCustody', [token, squatter], who, 'NotAuthorized');
      await c.consents.expectRevert('setPatientKey', [token, who], who, 'NotAuthorized');
      const revocation = [token, squatter, TREAT, b32('Consent/x')];
      await c.consents.expectRevert('revoke', revocation, who, 'NotAuthorized');
    }
    const squat = [token, ZERO_ADDRESS];
    await c.consents.expectRevert('registerPatient', squat, squatter, 'AlreadyRegistered');

    // The squatter's grant stays in force until the new custodian revokes it; the
    // ConsentGranted events (patient token indexed) list what to revoke.
    assert.equal(await check(token, squatter), PERMIT);
    const topic = [...c.consents.iface.events.entries()].find(
      ([, e]) => e.name === 'ConsentGranted',
    )[0];
    const logs = await anvil.rpc('eth_getLogs', [
      { address: c.consents.address, fromBlock: '0x0', toBlock: 'latest', topics: [topic, token] },
    ]);
    const grants = anvil.decodeLogs({ logs });
    assert.deepEqual(
      grants.map((e) => [e.args.grantee, e.args.purpose]),
      [[lower(squatter), BigInt(TREAT)]],
    );
    const { events } = await c.consents.send(
      'revoke',
      [token, squatter, TREAT, b32('Consent/squat-revoked')],
      custodian,
    );
    assert.equal(events[0].name, 'ConsentRevoked');
    assert.equal(events[0].args.custodian, lower(custodian));
    assert.equal(await check(token, squatter), REVOKED);
    // The new custodian writes consent and moves custody as any custodian does.
    await c.consents.send('grant', [grantInput(token, third)], custodian);
    assert.equal(await check(token, third), PERMIT);
  });

  it('registers a token nobody registered', async () => {
    const fresh = b32('custody:unregistered');
    const id = await decide(fresh, third);
    const { events } = await c.consents.send('applyCustodyDecision', [id], outsider);
    assert.deepEqual(events.map((e) => e.name), ['CustodyReassigned']);
    assert.deepEqual(events[0].args, {
      patientToken: fresh,
      from: ZERO_ADDRESS,
      to: lower(third),
      proposalId: id,
    });
    const [cust, key, denied] = await c.consents.call('getPatient', [fresh]);
    assert.deepEqual([cust, key, denied], [lower(third), ZERO_ADDRESS, 0n]);
    const squat = [fresh, ZERO_ADDRESS];
    await c.consents.expectRevert('registerPatient', squat, squatter, 'AlreadyRegistered');
    await c.consents.send('grant', [grantInput(fresh, custodian)], third);
  });

  it('needs the decided custodian active when executing and when applying', async () => {
    const reg = c.registry;
    // Suspended between proposal and the deciding approval: the approval reverts.
    const pending = b32('custody:pending');
    const { events } = await reg.send('proposeCustody', [pending, third], squatter);
    const id = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    await govern(reg, 'proposeSuspend', [third], squatter, [custodian]);
    await reg.expectRevert('approve', [id], custodian, 'WrongStatus');
    // Suspended between execution and application: applying waits for reinstatement.
    await govern(reg, 'proposeReinstate', [third], squatter, [custodian]);
    await reg.send('approve', [id], custodian);
    await govern(reg, 'proposeSuspend', [third], squatter, [custodian]);
    const apply = [[id], outsider, 'NotActiveMember'];
    const [who] = await consents.expectRevert('applyCustodyDecision', ...apply);
    assert.equal(who, lower(third));
    assert.equal(await c.consents.call('custodyDecisionOf', [pending]), 0n);
    await govern(reg, 'proposeReinstate', [third], squatter, [custodian]);
    await c.consents.send('applyCustodyDecision', [id], outsider);
    assert.equal((await c.consents.call('getPatient', [pending]))[0], lower(third));
    assert.equal(await c.consents.call('custodyDecisionOf', [pending]), id);
  });
});
