#!/usr/bin/env node
// Compiles every contracts/*.sol with the pinned solc-js (image/npm) into artifacts/, or with
// --check recompiles in memory and fails, naming the contract, when the checked-in artifacts differ
// from what the sources compile to. The output depends only on the sources and the settings below
// (fixed optimizer, EVM version and no metadata hash), so it is byte-for-byte reproducible.
//
//   node ledger-client/contracts/build.mjs            # write artifacts/
//   node ledger-client/contracts/build.mjs --check    # exit 1 if artifacts/ drifted
//
// solc is loaded from $GW_NPM_MODULES_DIR, else from image/npm/node_modules of this repository.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const artifactsDir = join(here, 'artifacts');

// Changing any of these changes the bytecode: they are part of the reproducible build.
export const SETTINGS = Object.freeze({
  optimizer: { enabled: true, runs: 200 },
  // paris: no PUSH0/transient storage, so Besu/GoQuorum networks on older forks and anvil run it.
  evmVersion: 'paris',
  // No IPFS/Swarm hash of the metadata: it would change with comments and paths.
  metadata: { bytecodeHash: 'none' },
  outputSelection: {
    '*': {
      '*': [
        'abi',
        'evm.bytecode.object',
        'evm.deployedBytecode.object',
        'evm.deployedBytecode.immutableReferences',
        'evm.methodIdentifiers',
      ],
    },
  },
});

function fail(message) {
  process.stderr.write(`build.mjs: ${message}\n`);
  process.exit(1);
}

/// Loads solc from the pinned npm folder and checks it is the version package.json pins.
export function loadSolc() {
  const modules = process.env.GW_NPM_MODULES_DIR || join(repoRoot, 'image', 'npm', 'node_modules');
  const solcDir = join(modules, 'solc');
  if (!existsSync(join(solcDir, 'package.json'))) {
    fail(`solc not found in ${modules}; run image/install-deps.sh (it installs image/npm)`);
  }
  const require = createRequire(join(modules, 'noop.js'));
  const solc = require('solc');
  const pinned = JSON.parse(readFileSync(join(repoRoot, 'image', 'npm', 'package.json'), 'utf8'))
    .dependencies?.solc;
  const version = solc.version();
  if (!pinned || !version.startsWith(`${pinned}+`)) {
    fail(`solc ${version} in ${modules} is not the pinned ${pinned}; run image/install-deps.sh`);
  }
  return solc;
}

/// The contract sources: { 'Name.sol': text } for every .sol file beside this script.
export function readSources() {
  const files = readdirSync(here).filter((f) => f.endsWith('.sol')).sort();
  if (files.length === 0) fail(`no .sol files in ${here}`);
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(here, f), 'utf8')]));
}

/// Compiles `texts` ({ 'Name.sol': source }) and returns { artifacts: {Name: object}, combined }.
export function compile(solc, texts = readSources()) {
  const files = Object.keys(texts).sort();
  const sources = {};
  for (const f of files) sources[f] = { content: texts[f] };
  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  if (errors.length > 0) fail(`compilation failed with ${errors.length} error(s)`);

  const compiler = { name: 'solc', version: solc.version(), settings: SETTINGS };
  const artifacts = {};
  for (const f of files) {
    // One contract per file, named like the file.
    const contractName = f.slice(0, -'.sol'.length);
    const c = output.contracts?.[f]?.[contractName];
    if (!c) fail(`${f} does not define a contract named ${contractName}`);
    artifacts[contractName] = {
      contractName,
      sourceName: f,
      sourceSha256: createHash('sha256').update(sources[f].content).digest('hex'),
      compiler,
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      // Byte ranges of deployedBytecode that deployment fills with immutables (zero here): mask
      // them when comparing with eth_getCode.
      immutableReferences: c.evm.deployedBytecode.immutableReferences,
      methodIdentifiers: c.evm.methodIdentifiers,
    };
  }
  const combined = { compiler, contracts: artifacts };
  return { artifacts, combined };
}

/// The exact bytes each artifact file holds.
export function renderFiles({ artifacts, combined }) {
  const files = {};
  for (const [name, a] of Object.entries(artifacts)) {
    files[`${name}.json`] = `${JSON.stringify(a, null, 2)}\n`;
  }
  files['contracts.json'] = `${JSON.stringify(combined, null, 2)}\n`;
  return files;
}

/// Names of the artifacts that differ from `files` (missing, changed or left over).
export function drift(files) {
  const problems = [];
  for (const [file, text] of Object.entries(files)) {
    const path = join(artifactsDir, file);
    if (!existsSync(path)) problems.push(`${file}: missing`);
    else if (readFileSync(path, 'utf8') !== text) {
      problems.push(`${file}: differs from the sources`);
    }
  }
  if (existsSync(artifactsDir)) {
    for (const f of readdirSync(artifactsDir)) {
      if (f.endsWith('.json') && !(f in files)) problems.push(`${f}: no source for it`);
    }
  }
  return problems;
}

function main(argv) {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) fail(`unknown argument ${unknown[0]} (usage: build.mjs [--check])`);
  const files = renderFiles(compile(loadSolc()));
  if (check) {
    const problems = drift(files);
    if (problems.length > 0) {
      for (const p of problems) process.stderr.write(`build.mjs --check: artifacts/${p}\n`);
      fail(
        'artifacts are out of date: run node ledger-client/contracts/build.mjs ' +
          'and commit ledger-client/contracts/artifacts/',
      );
    }
    const n = Object.keys(files).length;
    process.stdout.write(`build.mjs --check: ${n} artifacts match the sources\n`);
    return;
  }
  mkdirSync(artifactsDir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(artifactsDir, file), text);
  const n = Object.keys(files).length;
  process.stdout.write(`build.mjs: wrote ${n} artifacts to ${artifactsDir}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
