// AuditAnchor and RecordToken on anvil: anchoring batch roots (single, batched, idempotent) and
// the ERC-721 chart tokens minted to the custodian and carrying the latest anchored batch root.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Anvil, artifact, b32, deployConsortium } from './harness.mjs';

const KIND_AUDIT = 1;
const KIND_RECORDS = 2;
const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;
const ZERO_HASH = `0x${'00'.repeat(32)}`;
// A DER-shaped ECDSA P-256 signature (the contract stores it opaquely).
const signature = (label) =>
  `0x30440220${b32(`r:${label}`).slice(2)}0220${b32(`s:${label}`).slice(2)}`;

describe('AuditAnchor', () => {
  let anvil;
  let c;
  let A;

  before(async () => {
    anvil = await Anvil.start();
    c = await deployConsortium(anvil);
    A = c.accounts;
  });
  after(async () => anvil?.stop());

  const anchor = (label, kind = KIND_AUDIT, firstSeq = 1, lastSeq = 100) => ({
    kind,
    root: b32(`root:${label}`),
    firstSeq,
    lastSeq,
    signature: signature(label),
  });

  it('anchors a root with its TPM signature, once', async () => {
    const a = anchor('audit-1');
    const { events } = await c.anchors.send('anchor', [a], A[0]);
    assert.equal(events[0].name, 'Anchored');
    assert.equal(events[0].args.member, A[0].toLowerCase());
    assert.equal(events[0].args.root, a.root);
    assert.equal(events[0].args.kind, BigInt(KIND_AUDIT));
    assert.equal(events[0].args.signature, a.signature);
    const [at, kind, block] = await c.anchors.call('anchorOf', [A[0], a.root]);
    assert.equal(at, BigInt(await anvil.timestamp()));
    assert.equal(kind, BigInt(KIND_AUDIT));
    assert.ok(block > 0n);
    // Another member's view of the same root is separate; a repeat is a no-op.
    assert.deepEqual(await c.anchors.call('anchorOf', [A[1], a.root]), [0n, 0n, 0n]);
    assert.equal(await c.anchors.call('anchor', [a], A[0]), false);
    assert.equal((await c.anchors.send('anchor', [a], A[0])).events.length, 0);
  });

  it('refuses non-members and malformed anchors', async () => {
    const refuses = (args, from, error) => c.anchors.expectRevert('anchor', args, from, error);
    await refuses([anchor('x')], A[5], 'NotActiveMember');
    await refuses([{ ...anchor('x'), kind: 3 }], A[0], 'InvalidAnchor');
    await refuses([{ ...anchor('x'), root: ZERO_HASH }], A[0], 'InvalidAnchor');
    await refuses([anchor('x', KIND_AUDIT, 5, 4)], A[0], 'InvalidAnchor');
    await refuses([{ ...anchor('x'), signature: '0x' }], A[0], 'InvalidAnchor');
  });

  it('anchors in batches', async (t) => {
    const batch = Array.from({ length: 50 }, (_, i) =>
      anchor(`batch-${i}`, i % 2 ? KIND_AUDIT : KIND_RECORDS, i * 100 + 1, i * 100 + 100),
    );
    batch.push(anchor('audit-1')); // already anchored: skipped
    const { gasUsed, events } = await c.anchors.send('anchorBatch', [batch], A[1]);
    // audit-1 was anchored by A[0], not A[1]: all 51 are new for A[1].
    assert.equal(events.length, 51);
    t.diagnostic(`gas per anchor in a batch of 51: ${Math.round(gasUsed / 51)}`);
    const again = await c.anchors.send('anchorBatch', [batch.slice(0, 10)], A[1]);
    assert.equal(again.events.length, 0);
    const bad = [anchor('ok'), { ...anchor('bad'), kind: 0 }];
    const [idx, field] = await c.anchors.expectRevert('anchorBatch', [bad], A[1], 'InvalidAnchor');
    assert.deepEqual([idx, field], [1n, 'kind']);
  });

  describe('RecordToken', () => {
    const patients = [b32('chart-patient:1'), b32('chart-patient:2')];
    let custodian;
    let peer;
    let ids;

    const anchorAs = (member, kind, root) => {
      const a = { kind, root, firstSeq: 1, lastSeq: 2, signature: signature(root) };
      return c.anchors.send('anchor', [a], member);
    };

    before(async () => {
      [custodian, peer] = A;
      ids = await Promise.all(patients.map((p) => c.records.call('recordId', [p, custodian])));
    });

    it('implements ERC-165 for ERC-721', async () => {
      assert.equal(await c.records.call('supportsInterface', ['0x80ac58cd']), true);
      assert.equal(await c.records.call('supportsInterface', ['0x01ffc9a7']), true);
      assert.equal(await c.records.call('supportsInterface', ['0xffffffff']), false);
    });

    it('mints chart tokens to the custodian only for its anchored record-batch root', async (t) => {
      const root = b32('root:records-1');
      await c.records.expectRevert('mintOrUpdate', [patients, root], custodian, 'RootNotAnchored');
      await anchorAs(custodian, KIND_AUDIT, root);
      // Anchored, but as an audit batch: still refused.
      await c.records.expectRevert('mintOrUpdate', [patients, root], custodian, 'RootNotAnchored');
      const root2 = b32('root:records-2');
      await anchorAs(custodian, KIND_RECORDS, root2);
      await c.records.expectRevert('mintOrUpdate', [patients, root2], A[5], 'NotActiveMember');
      const mint = await c.records.send('mintOrUpdate', [patients, root2], custodian);
      const { events, gasUsed } = mint;
      t.diagnostic(`gas per chart token minted (2 in one transaction): ${Math.round(gasUsed / 2)}`);
      const transfers = events.filter((e) => e.name === 'Transfer');
      const minted = transfers.map((e) => [e.args.from, e.args.to, e.args.tokenId]);
      assert.deepEqual(minted, ids.map((id) => [ZERO_ADDRESS, custodian.toLowerCase(), id]));
      assert.equal(events.filter((e) => e.name === 'RecordRootUpdated').length, 2);
      assert.equal(await c.records.call('ownerOf', [ids[0]]), custodian.toLowerCase());
      assert.equal(await c.records.call('balanceOf', [custodian]), 2n);
      const [patient, holder, latest] = await c.records.call('recordOf', [ids[1]]);
      assert.deepEqual([patient, holder, latest], [patients[1], custodian.toLowerCase(), root2]);
    });

    it('updates the latest root without minting again', async (t) => {
      const root3 = b32('root:records-3');
      await anchorAs(custodian, KIND_RECORDS, root3);
      const update = await c.records.send('mintOrUpdate', [[patients[0]], root3], custodian);
      const { events, gasUsed } = update;
      t.diagnostic(`gas to update one chart token's root: ${gasUsed}`);
      assert.deepEqual(events.map((e) => e.name), ['RecordRootUpdated']);
      assert.equal(events[0].args.root, root3);
      assert.equal(events[0].args.patientToken, patients[0]);
      assert.equal(await c.records.call('balanceOf', [custodian]), 2n);
      const [, , latest0] = await c.records.call('recordOf', [ids[0]]);
      const [, , latest1] = await c.records.call('recordOf', [ids[1]]);
      assert.equal(latest0, root3);
      assert.equal(latest1, b32('root:records-2'));
      await c.records.send('updateRoots', [[ids[1]], root3], custodian);
      assert.equal((await c.records.call('recordOf', [ids[1]]))[2], root3);
      await c.records.expectRevert('updateRoots', [[ids[1]], root3], peer, 'NotOwnerNorApproved');
      await c.records.expectRevert('recordOf', [123n], custodian, 'NonexistentToken');
    });

    it('supports ERC-721 approvals and transfers between active members only', async () => {
      const move = [custodian, peer, ids[0]];
      await c.records.expectRevert('transferFrom', move, peer, 'NotOwnerNorApproved');
      const ap = await c.records.send('approve', [peer, ids[0]], custodian);
      assert.equal(ap.events[0].name, 'Approval');
      assert.equal(await c.records.call('getApproved', [ids[0]]), peer.toLowerCase());
      const toOutsider = [custodian, A[5], ids[0]];
      await c.records.expectRevert('transferFrom', toOutsider, peer, 'InvalidReceiver');
      const tr = await c.records.send('transferFrom', move, peer);
      assert.equal(tr.events[0].name, 'Transfer');
      assert.equal(await c.records.call('ownerOf', [ids[0]]), peer.toLowerCase());
      assert.equal(await c.records.call('getApproved', [ids[0]]), ZERO_ADDRESS); // cleared
      assert.equal(await c.records.call('balanceOf', [peer]), 1n);
      assert.equal(await c.records.call('balanceOf', [custodian]), 1n);

      const op = await c.records.send('setApprovalForAll', [A[2], true], custodian);
      assert.equal(op.events[0].name, 'ApprovalForAll');
      assert.equal(await c.records.call('isApprovedForAll', [custodian, A[2]]), true);
      const safe = 'safeTransferFrom(address,address,uint256)';
      await c.records.send(safe, [custodian, A[2], ids[1]], A[2]);
      assert.equal(await c.records.call('ownerOf', [ids[1]]), A[2].toLowerCase());
      // A contract that does not implement onERC721Received cannot receive via safeTransferFrom,
      // and no non-member can hold a chart at all.
      const safeData = 'safeTransferFrom(address,address,uint256,bytes)';
      const toContract = [A[2], c.anchors.address, ids[1], '0x'];
      await c.records.expectRevert(safeData, toContract, A[2], 'InvalidReceiver');
      await c.records.expectRevert('transferFrom', [peer, A[2], ids[1]], A[2], 'WrongOwner');
    });
  });

  it('deployed code is the checked-in artifacts (immutables masked)', async () => {
    for (const contract of [c.registry, c.consents, c.transfers, c.anchors, c.records]) {
      const a = artifact(contract.name);
      const code = await anvil.rpc('eth_getCode', [contract.address, 'latest']);
      const onChain = Buffer.from(code.slice(2), 'hex');
      const expected = Buffer.from(a.deployedBytecode.slice(2), 'hex');
      assert.equal(onChain.length, expected.length, `${contract.name}: code length`);
      for (const refs of Object.values(a.immutableReferences)) {
        for (const { start, length } of refs) onChain.fill(0, start, start + length);
      }
      assert.ok(onChain.equals(expected), `${contract.name}: deployed code differs from artifact`);
    }
  });
});
