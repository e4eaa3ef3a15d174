// ProviderRegistry governance on anvil: quorum approvals, suspension, reinstatement, re-keying,
// quorum and policy changes, and the guards that keep a single key from governing.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Anvil, b32, deployConsortium, govern, memberInfo } from './harness.mjs';

const ACTIVE = 1n;
const SUSPENDED = 2n;

describe('ProviderRegistry governance', () => {
  let anvil;
  let registry;
  let A; // anvil's accounts; A[0..2] are the founders

  before(async () => {
    anvil = await Anvil.start();
    ({ registry, accounts: A } = await deployConsortium(anvil, { founders: 3, quorum: 2 }));
  });
  after(async () => anvil?.stop());

  it('starts with the founders active and a quorum of 2', async () => {
    assert.equal(await registry.call('quorum'), 2n);
    assert.equal(await registry.call('activeCount'), 3n);
    assert.equal(await registry.call('memberCount'), 3n);
    for (const a of A.slice(0, 3)) assert.equal(await registry.call('isActive', [a]), true);
    assert.equal(await registry.call('isActive', [A[3]]), false);
    const [info, status] = await registry.call('getMember', [A[1]]);
    assert.equal(info.orgId, 'urn:oid:2.16.840.1.113883.3.founder1');
    assert.equal(status, ACTIVE);
    assert.equal(await registry.call('accountOf', [info.orgId]), A[1].toLowerCase());
  });

  it('adds a member with 2 of 3 approvals, and not with one', async () => {
    const info = memberInfo(A[3], 'member3');
    const { events } = await registry.send('proposeAdd', [info], A[0]);
    const id = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    // The proposer's own approval is counted, but one member alone is not a quorum.
    assert.equal(await registry.call('isActive', [A[3]]), false);
    assert.equal(await registry.call('hasApproved', [id, A[0]]), true);
    await registry.expectRevert('approve', [id], A[0], 'AlreadyApproved');
    // Not a member yet: cannot approve its own admission.
    await registry.expectRevert('approve', [id], A[3], 'NotActiveMember');

    const second = await registry.send('approve', [id], A[1]);
    assert.ok(second.events.some((e) => e.name === 'ProposalExecuted'));
    const added = second.events.find((e) => e.name === 'MemberAdded');
    assert.equal(added.args.account, A[3].toLowerCase());
    assert.equal(added.args.orgId, info.orgId);
    assert.equal(added.args.encryptionKey, info.encryptionKey);
    assert.equal(await registry.call('isActive', [A[3]]), true);
    assert.equal(await registry.call('activeCount'), 4n);
    // Executed proposals are closed.
    await registry.expectRevert('approve', [id], A[2], 'ProposalClosed');
  });

  it('refuses a duplicate account or organization identifier', async () => {
    await registry.expectRevert('proposeAdd', [memberInfo(A[3], 'other')], A[0], 'AlreadyMember');
    const takenOrg = { ...memberInfo(A[4], 'x'), orgId: memberInfo(A[0], 'founder0').orgId };
    await registry.expectRevert('proposeAdd', [takenOrg], A[0], 'OrgIdTaken');
    const noKey = { ...memberInfo(A[4], 'x'), encryptionKey: `0x${'00'.repeat(32)}` };
    await registry.expectRevert('proposeAdd', [noKey], A[0], 'InvalidMember');
  });

  it('lets no non-member propose', async () => {
    await registry.expectRevert('proposeAdd', [memberInfo(A[5], 'self')], A[5], 'NotActiveMember');
  });

  it('suspends a member: its proposals are refused and it is no longer active', async () => {
    await govern(registry, 'proposeSuspend', [A[3]], A[0], [A[2]]);
    const [, status] = await registry.call('getMember', [A[3]]);
    assert.equal(status, SUSPENDED);
    assert.equal(await registry.call('isActive', [A[3]]), false);
    assert.equal(await registry.call('activeCount'), 3n);
    await registry.expectRevert('proposeSuspend', [A[0]], A[3], 'NotActiveMember');
    await registry.expectRevert('proposeSuspend', [A[3]], A[0], 'WrongStatus');
  });

  it('does not count the approval of a member suspended since it approved', async () => {
    // A[1] proposes adding A[4]; before anyone else approves, A[1] is suspended.
    const { events } = await registry.send('proposeAdd', [memberInfo(A[4], 'member4')], A[1]);
    const addId = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    await govern(registry, 'proposeSuspend', [A[1]], A[0], [A[2]]);
    // One more approval would make 2, but A[1]'s no longer counts: still not executed.
    const r = await registry.send('approve', [addId], A[0]);
    assert.ok(!r.events.some((e) => e.name === 'ProposalExecuted'));
    assert.equal(await registry.call('isActive', [A[4]]), false);
    const p = await registry.call('getProposal', [addId]);
    assert.equal(p[5], 1n); // approvals from active members
    await registry.send('approve', [addId], A[2]);
    assert.equal(await registry.call('isActive', [A[4]]), true);
    // Reinstate A[1] (now A[0], A[2], A[4] active).
    await govern(registry, 'proposeReinstate', [A[1]], A[0], [A[4]]);
    assert.equal(await registry.call('isActive', [A[1]]), true);
  });

  it('re-keys a member with a quorum', async () => {
    const keys = [b32('x25519:new'), b32('tls:new'), b32('tpm:new')];
    const { events } = await registry.send('proposeRekey', [A[2], ...keys], A[2]);
    const id = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    let [info] = await registry.call('getMember', [A[2]]);
    assert.equal(info.encryptionKey, memberInfo(A[2], 'founder2').encryptionKey); // not yet
    const r = await registry.send('approve', [id], A[0]);
    const ev = r.events.find((e) => e.name === 'MemberRekeyed');
    assert.equal(ev.args.tlsFingerprint, keys[1]);
    [info] = await registry.call('getMember', [A[2]]);
    assert.equal(info.encryptionKey, keys[0]);
    assert.equal(info.tlsFingerprint, keys[1]);
    assert.equal(info.signingKeyHash, keys[2]);
  });

  it('changes the quorum only within bounds, and then needs that many approvals', async () => {
    const active = await registry.call('activeCount'); // 4: A0, A1, A2, A4
    assert.equal(active, 4n);
    // 1 would let one key govern; 5 could never be reached.
    await registry.expectRevert('proposeQuorum', [1], A[0], 'InvalidQuorum');
    await registry.expectRevert('proposeQuorum', [5], A[0], 'InvalidQuorum');
    await govern(registry, 'proposeQuorum', [3], A[0], [A[1]]);
    assert.equal(await registry.call('quorum'), 3n);
    const { events } = await registry.send('proposePolicy', [1], A[0]);
    const id = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    await registry.send('approve', [id], A[1]);
    assert.equal(await registry.call('emergencyAccessEnabled'), false); // 2 of 3 needed
    await registry.send('approve', [id], A[2]);
    assert.equal(await registry.call('emergencyAccessEnabled'), true);
    assert.equal(await registry.call('policy'), 1n);
  });

  it('refuses a suspension that would leave the quorum unreachable', async () => {
    // quorum 3 of 4 active: suspending one leaves 3, fine; a second would leave 2 < 3.
    await govern(registry, 'proposeSuspend', [A[4]], A[0], [A[1], A[2]]);
    assert.equal(await registry.call('activeCount'), 3n);
    const { events } = await registry.send('proposeSuspend', [A[2]], A[0]);
    const id = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    await registry.send('approve', [id], A[1]);
    await registry.expectRevert('approve', [id], A[2], 'InvalidQuorum');
  });

  it('closes proposals after their time to live', async () => {
    const { events } = await registry.send('proposeReinstate', [A[4]], A[0]);
    const id = events.find((e) => e.name === 'ProposalCreated').args.proposalId;
    await anvil.increaseTime(86400 + 1);
    await registry.expectRevert('approve', [id], A[1], 'ProposalClosed');
    await registry.expectRevert('approve', [999], A[1], 'UnknownProposal');
  });

  it('refuses a founding quorum of 1 with several founders', async () => {
    const infos = A.slice(0, 3).map((a, i) => memberInfo(a, `f${i}`));
    const args = [infos, 1, 3600];
    const [q, active] = await anvil.expectDeployRevert('ProviderRegistry', args, 'InvalidQuorum');
    assert.deepEqual([q, active], [1n, 3n]);
    const dup = [memberInfo(A[0], 'same'), memberInfo(A[1], 'same')];
    await anvil.expectDeployRevert('ProviderRegistry', [dup, 2, 3600], 'OrgIdTaken');
  });

  it('needs two approvals once a sole founder has admitted a second member', async () => {
    const founder = [memberInfo(A[6], 'solo')];
    const solo = await anvil.deploy('ProviderRegistry', [founder, 1, 3600], A[6]);
    // Quorum 1 with one member: the founder's proposal executes at once.
    await solo.send('proposeAdd', [memberInfo(A[7], 'second')], A[6]);
    assert.equal(await solo.call('isActive', [A[7]]), true);
    assert.equal(await solo.call('requiredApprovals'), 2n);
    await solo.send('proposeAdd', [memberInfo(A[8], 'third')], A[6]);
    assert.equal(await solo.call('isActive', [A[8]]), false);
  });
});
