// The checked-in artifacts must be exactly what the sources compile to with the pinned solc and
// settings (build.mjs --check does the same from the command line); and the check must notice a
// source change.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { compile, drift, loadSolc, readSources, renderFiles } from '../build.mjs';

describe('artifacts', () => {
  let solc;
  before(() => {
    solc = loadSolc();
  });

  it('match what the sources compile to', () => {
    const files = renderFiles(compile(solc));
    assert.deepEqual(drift(files), []);
    const names = ['ProviderRegistry', 'ConsentRegistry', 'TransferLog', 'AuditAnchor'];
    for (const name of [...names, 'RecordToken']) {
      const a = JSON.parse(files[`${name}.json`]);
      assert.match(a.bytecode, /^0x[0-9a-f]{200,}$/, `${name} has bytecode`);
      assert.equal(a.compiler.settings.evmVersion, 'paris');
      // bytecodeHash "none": the CBOR trailer names solc only, no IPFS hash of the metadata
      // (which would change with comments and paths). The anvil tests run on paris.
      const ipfs = a.deployedBytecode.includes('a264697066735822');
      assert.ok(!ipfs, `${name} embeds an IPFS metadata hash`);
    }
  });

  it('drift when a source changes, naming the contract', () => {
    const texts = readSources();
    texts['TransferLog.sol'] = texts['TransferLog.sol'].replace(
      /}\s*$/,
      '    function added() external pure returns (uint256) { return 1; }\n}\n',
    );
    const problems = drift(renderFiles(compile(solc, texts)));
    assert.ok(problems.some((p) => p.startsWith('TransferLog.json')), problems.join('; '));
    assert.ok(!problems.some((p) => p.startsWith('AuditAnchor.json')), problems.join('; '));
  });
});
