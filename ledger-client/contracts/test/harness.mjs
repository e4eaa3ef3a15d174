// Test harness: starts anvil (from the pinned @foundry-rs/anvil npm package) on a free loopback
// port, speaks raw JSON-RPC to it with fetch, deploys the checked-in artifacts with anvil's
// unlocked dev accounts (eth_sendTransaction) and decodes results, reverts and events.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, keccak256, npmModulesDir } from './abi.mjs';

const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** The anvil binary: $ANVIL, else the platform package @foundry-rs/anvil installs. */
export function anvilPath() {
  if (process.env.ANVIL) return process.env.ANVIL;
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] || process.arch;
  const pkg = `anvil-${process.platform}-${arch}`;
  const path = join(npmModulesDir(), '@foundry-rs', pkg, 'bin', 'anvil');
  if (!existsSync(path)) {
    throw new Error(`anvil not found at ${path}: run image/install-deps.sh (installs image/npm)`);
  }
  return path;
}

/** Loads a checked-in artifact by contract name. */
export function artifact(name) {
  return JSON.parse(readFileSync(join(artifactsDir, `${name}.json`), 'utf8'));
}

/** Error thrown for a JSON-RPC error; `revert` holds the decoded custom error when known. */
export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: ${error.message}`);
    this.code = error.code;
    this.data = typeof error.data === 'string' ? error.data : error.data?.data;
  }
}

/**
 * A running anvil. Runs the paris hardfork: the EVM version the contracts are compiled for, so a
 * test also proves the artifacts run there.
 */
export class Anvil {
  static async start({ hardfork = 'paris', timeoutMs = 20000 } = {}) {
    const args = ['--host', '127.0.0.1', '--port', '0', '--hardfork', hardfork];
    const child = spawn(anvilPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stopOnExit = () => child.kill('SIGKILL');
    process.once('exit', stopOnExit);
    const url = await new Promise((resolvePromise, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`anvil did not start within ${timeoutMs} ms; output: ${out.slice(-500)}`));
      }, timeoutMs);
      const onData = (chunk) => {
        out += chunk.toString();
        const m = /Listening on (127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.resume(); // keep draining so anvil never blocks on a full pipe
          resolvePromise(`http://${m[1]}`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk) => (out += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`anvil exited with ${code} before listening; output: ${out.slice(-500)}`));
      });
    });
    const anvil = new Anvil(child, url, stopOnExit);
    anvil.accounts = await anvil.rpc('eth_accounts');
    return anvil;
  }

  constructor(child, url, stopOnExit) {
    this.child = child;
    this.url = url;
    this.stopOnExit = stopOnExit;
    this.nextId = 1;
    this.interfaces = new Map(); // address => Interface, to decode logs
  }

  async stop() {
    process.off('exit', this.stopOnExit);
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async rpc(method, params = []) {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new RpcError(method, body.error);
    return body.result;
  }

  async increaseTime(seconds) {
    await this.rpc('evm_increaseTime', [seconds]);
    await this.rpc('evm_mine');
  }

  async timestamp() {
    const block = await this.rpc('eth_getBlockByNumber', ['latest', false]);
    return Number(block.timestamp);
  }

  /** Deploys a checked-in artifact; returns a Contract bound to it. */
  async deploy(name, args = [], from = this.accounts[0]) {
    const a = artifact(name);
    const iface = new Interface(a.abi);
    const data = iface.encodeDeploy(a.bytecode, args);
    const hash = await this.rpc('eth_sendTransaction', [{ from, data }]);
    const receipt = await this.receipt(hash);
    assert.equal(receipt.status, '0x1', `deploying ${name} failed`);
    const contract = new Contract(this, name, receipt.contractAddress, iface);
    this.interfaces.set(receipt.contractAddress.toLowerCase(), iface);
    return contract;
  }

  /** Asserts that deploying `name` with `args` reverts with custom error `errorName`. */
  async expectDeployRevert(name, args, errorName, from = this.accounts[0]) {
    const a = artifact(name);
    const iface = new Interface(a.abi);
    let error;
    try {
      await this.rpc('eth_call', [{ from, data: iface.encodeDeploy(a.bytecode, args) }, 'latest']);
    } catch (e) {
      error = e;
    }
    assert.ok(error, `deploying ${name} did not revert (expected ${errorName})`);
    const decoded = iface.decodeError(error.data);
    assert.equal(decoded?.name, errorName, `deploying ${name}: ${error.message}`);
    return decoded.args;
  }

  /**
   * Waits for a transaction's receipt. The deadline is generous: it only stops a test whose
   * transaction will never be mined. Under a loaded CI machine anvil can take seconds to mine 30
   * batches of 100 transfers (a two-second limit failed there).
   *
   * anvil's automine can leave a ready transaction in its pool when several from one sender
   * arrive together (foundry-rs/foundry#10122: "block mining misses ready transactions"); it is
   * mined only when another transaction arrives, which at the end of a test never happens. CI hit
   * it once in this file's rate test. A real chain makes blocks on a clock; here a receipt missing
   * for half a second asks for one (evm_mine), as that clock would.
   */
  async receipt(hash, timeoutMs = 60_000) {
    const started = Date.now();
    const deadline = started + timeoutMs;
    let nudged = started;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      const r = await this.rpc('eth_getTransactionReceipt', [hash]);
      if (r) return r;
      if (Date.now() > deadline) throw new Error(`no receipt for ${hash} in ${timeoutMs} ms`);
      if (Date.now() - nudged > 500) {
        await this.rpc('evm_mine', []);
        nudged = Date.now();
      }
      await new Promise((r2) => setTimeout(r2, wait));
    }
  }

  /** Decodes every log of a receipt whose emitter was deployed through this harness. */
  decodeLogs(receipt) {
    const events = [];
    for (const log of receipt.logs) {
      const iface = this.interfaces.get(log.address.toLowerCase());
      const ev = iface?.decodeLog(log);
      if (ev) events.push({ ...ev, address: log.address.toLowerCase() });
    }
    return events;
  }
}

/** A deployed contract: call (eth_call), send (transaction + receipt) and revert checks. */
export class Contract {
  constructor(anvil, name, address, iface) {
    this.anvil = anvil;
    this.name = name;
    this.address = address.toLowerCase();
    this.iface = iface;
  }

  async call(fn, args = [], from = this.anvil.accounts[0]) {
    const data = this.iface.encodeCall(fn, args);
    const result = await this.anvil.rpc('eth_call', [{ from, to: this.address, data }, 'latest']);
    return this.iface.decodeResult(fn, result);
  }

  /** Sends a transaction and returns { receipt, gasUsed, events }; fails the test on revert. */
  async send(fn, args = [], from = this.anvil.accounts[0], { gas } = {}) {
    const tx = { from, to: this.address, data: this.iface.encodeCall(fn, args) };
    let hash;
    try {
      // A margin over the estimate, as any client gives: the estimate runs in a pending block
      // whose timestamp can equal the last one's, so rewriting a stored timestamp is a cheap
      // no-op there and a full SSTORE when mined a second later (an exact limit ran out of gas).
      const limit = gas ?? Math.ceil(Number(await this.anvil.rpc('eth_estimateGas', [tx])) * 1.25);
      tx.gas = `0x${limit.toString(16)}`;
      hash = await this.anvil.rpc('eth_sendTransaction', [tx]);
    } catch (e) {
      const decoded = this.iface.decodeError(e.data);
      throw new Error(`${this.name}.${fn} reverted: ${decoded ? formatError(decoded) : e.message}`);
    }
    const receipt = await this.anvil.receipt(hash);
    assert.equal(receipt.status, '0x1', `${this.name}.${fn} failed in block`);
    return { receipt, gasUsed: Number(receipt.gasUsed), events: this.anvil.decodeLogs(receipt) };
  }

  /**
   * Sends without waiting for the receipt (for throughput), with an explicit gas limit and nonce
   * (several in flight at once, as a client managing its own nonces does); returns the hash.
   */
  async sendNoWait(fn, args, from, gas, nonce) {
    const tx = {
      from,
      to: this.address,
      data: this.iface.encodeCall(fn, args),
      gas: `0x${gas.toString(16)}`,
      nonce: `0x${nonce.toString(16)}`,
    };
    return this.anvil.rpc('eth_sendTransaction', [tx]);
  }

  /** Asserts that calling `fn` reverts with custom error `errorName`; returns its arguments. */
  async expectRevert(fn, args, from, errorName) {
    const data = this.iface.encodeCall(fn, args);
    let error;
    try {
      await this.anvil.rpc('eth_call', [{ from, to: this.address, data }, 'latest']);
    } catch (e) {
      error = e;
    }
    assert.ok(error, `${this.name}.${fn} did not revert (expected ${errorName})`);
    const decoded = this.iface.decodeError(error.data);
    assert.ok(decoded, `${this.name}.${fn} reverted without a known error: ${error.message}`);
    assert.equal(decoded.name, errorName, `${this.name}.${fn}: got ${formatError(decoded)}`);
    return decoded.args;
  }
}

function formatError(decoded) {
  return `${decoded.name}(${decoded.args.map(String).join(', ')})`;
}

/** A deterministic bytes32 from a label (test tokens, hashes and keys). */
export function b32(label) {
  return keccak256(label);
}

/** Member description for ProviderRegistry from an account and a short label. */
export function memberInfo(account, label) {
  return {
    account,
    orgId: `urn:oid:2.16.840.1.113883.3.${label}`,
    name: `Hospital ${label}`,
    encryptionKey: b32(`x25519:${label}`),
    tlsFingerprint: b32(`tls:${label}`),
    signingKeyHash: b32(`tpm:${label}`),
    accreditation: `ACC-${label}`,
  };
}

/**
 * Deploys the whole consortium: ProviderRegistry with `founders` of anvil's accounts and
 * `quorum`, then ConsentRegistry, TransferLog, AuditAnchor and RecordToken wired to it.
 */
export async function deployConsortium(anvil, { founders = 3, quorum = 2, ttl = 86400 } = {}) {
  const infos = anvil.accounts.slice(0, founders).map((a, i) => memberInfo(a, `founder${i}`));
  const registry = await anvil.deploy('ProviderRegistry', [infos, quorum, ttl]);
  const consents = await anvil.deploy('ConsentRegistry', [registry.address]);
  const transfers = await anvil.deploy('TransferLog', [registry.address, consents.address]);
  const anchors = await anvil.deploy('AuditAnchor', [registry.address]);
  const records = await anvil.deploy('RecordToken', [registry.address, anchors.address]);
  return { registry, consents, transfers, anchors, records, accounts: anvil.accounts };
}

/** Runs a governance proposal to completion: `proposer` proposes, `approvers` approve. */
export async function govern(registry, proposeFn, args, proposer, approvers) {
  const { events } = await registry.send(proposeFn, args, proposer);
  const created = events.find((e) => e.name === 'ProposalCreated');
  assert.ok(created, `${proposeFn} created no proposal`);
  const id = created.args.proposalId;
  for (const a of approvers) await registry.send('approve', [id], a);
  return id;
}
