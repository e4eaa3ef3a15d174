// Minimal Solidity ABI codec for the contract tests (no ethers/web3): encodes calls and
// constructor arguments and decodes return values, errors and event logs, driven by the ABI JSON
// in artifacts/. Supports what the contracts use: uintN/intN, address, bool, bytesN, bytes,
// string, T[], T[k] and tuples (structs). Numbers decode as BigInt; tuples as objects by name.

import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** image/npm/node_modules of this repository, or $GW_NPM_MODULES_DIR. */
export function npmModulesDir() {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return process.env.GW_NPM_MODULES_DIR || join(repoRoot, 'image', 'npm', 'node_modules');
}

// js-sha3 is a dependency of the pinned solc package (image/npm/package-lock.json).
const { keccak256: keccakHex } = createRequire(`${npmModulesDir()}/noop.js`)('js-sha3');

/** Keccak-256 of a UTF-8 string or Buffer, as 0x-hex. */
export function keccak256(data) {
  return `0x${keccakHex(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)}`;
}

/** Canonical type string of an ABI parameter (tuples expanded), for signatures. */
export function canonicalType(param) {
  if (!param.type.startsWith('tuple')) return param.type;
  return `(${param.components.map(canonicalType).join(',')})${param.type.slice('tuple'.length)}`;
}

export function signature(item) {
  return `${item.name}(${item.inputs.map(canonicalType).join(',')})`;
}

function arrayParts(type) {
  const m = /^(.*)\[(\d*)\]$/.exec(type);
  return m ? { inner: m[1], length: m[2] === '' ? null : Number(m[2]) } : null;
}

function innerParam(param, innerType) {
  return { ...param, type: innerType };
}

function isDynamic(param) {
  const arr = arrayParts(param.type);
  if (arr) return arr.length === null || isDynamic(innerParam(param, arr.inner));
  if (param.type === 'bytes' || param.type === 'string') return true;
  if (param.type === 'tuple') return param.components.some(isDynamic);
  return false;
}

function word(bigint) {
  const mod = 1n << 256n;
  return Buffer.from(((bigint % mod) + mod).toString(16).padStart(64, '0').slice(-64), 'hex');
}

function hexBytes(value) {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw new Error(`expected 0x-hex bytes, got ${value}`);
  }
  return Buffer.from(value.slice(2), 'hex');
}

function padRight(buf) {
  const len = Math.ceil(buf.length / 32) * 32;
  return Buffer.concat([buf, Buffer.alloc(len - buf.length)]);
}

function componentValues(param, value) {
  if (Array.isArray(value)) return value;
  return param.components.map((c, i) => {
    const v = value[c.name !== '' ? c.name : i];
    if (v === undefined) throw new Error(`missing tuple field ${c.name}`);
    return v;
  });
}

function encodeOne(param, value) {
  const t = param.type;
  const arr = arrayParts(t);
  if (arr) {
    const inner = innerParam(param, arr.inner);
    if (arr.length !== null && value.length !== arr.length) throw new Error(`${t}: wrong length`);
    const body = encodeSequence(
      value.map(() => inner),
      value,
    );
    return arr.length === null ? Buffer.concat([word(BigInt(value.length)), body]) : body;
  }
  if (t === 'tuple') return encodeSequence(param.components, componentValues(param, value));
  if (t === 'bool') return word(value ? 1n : 0n);
  if (t === 'address') return word(BigInt(value));
  if (/^u?int\d*$/.test(t)) return word(BigInt(value));
  if (t === 'string') {
    const b = Buffer.from(value, 'utf8');
    return Buffer.concat([word(BigInt(b.length)), padRight(b)]);
  }
  if (t === 'bytes') {
    const b = hexBytes(value);
    return Buffer.concat([word(BigInt(b.length)), padRight(b)]);
  }
  if (/^bytes\d+$/.test(t)) {
    const b = hexBytes(value);
    if (b.length !== Number(t.slice(5))) throw new Error(`${t}: got ${b.length} bytes`);
    return padRight(b);
  }
  throw new Error(`unsupported ABI type ${t}`);
}

function encodeSequence(params, values) {
  if (params.length !== values.length) {
    throw new Error(`expected ${params.length} values, got ${values.length}`);
  }
  const heads = [];
  const tails = [];
  let headSize = 0;
  for (const p of params) headSize += isDynamic(p) ? 32 : staticSize(p);
  let tailOffset = headSize;
  params.forEach((p, i) => {
    const enc = encodeOne(p, values[i]);
    if (isDynamic(p)) {
      heads.push(word(BigInt(tailOffset)));
      tails.push(enc);
      tailOffset += enc.length;
    } else {
      heads.push(enc);
    }
  });
  return Buffer.concat([...heads, ...tails]);
}

function staticSize(param) {
  const arr = arrayParts(param.type);
  if (arr) return arr.length * staticSize(innerParam(param, arr.inner));
  if (param.type === 'tuple') return param.components.reduce((n, c) => n + staticSize(c), 0);
  return 32;
}

function readWord(buf, offset) {
  if (offset + 32 > buf.length) throw new Error('ABI data too short');
  return BigInt(`0x${buf.subarray(offset, offset + 32).toString('hex')}`);
}

function decodeOne(param, buf, offset) {
  const t = param.type;
  const arr = arrayParts(t);
  if (arr) {
    const inner = innerParam(param, arr.inner);
    let base = offset;
    let length = arr.length;
    if (length === null) {
      length = Number(readWord(buf, offset));
      base = offset + 32;
    }
    return decodeSequence(Array(length).fill(inner), buf, base);
  }
  if (t === 'tuple') {
    const values = decodeSequence(param.components, buf, offset);
    const obj = {};
    param.components.forEach((c, i) => (obj[c.name !== '' ? c.name : i] = values[i]));
    return obj;
  }
  if (t === 'bool') return readWord(buf, offset) !== 0n;
  if (t === 'address') return `0x${buf.subarray(offset + 12, offset + 32).toString('hex')}`;
  if (/^uint\d*$/.test(t)) return readWord(buf, offset);
  if (/^int\d*$/.test(t)) return BigInt.asIntN(256, readWord(buf, offset));
  if (t === 'string' || t === 'bytes') {
    const len = Number(readWord(buf, offset));
    const b = buf.subarray(offset + 32, offset + 32 + len);
    return t === 'string' ? b.toString('utf8') : `0x${b.toString('hex')}`;
  }
  if (/^bytes\d+$/.test(t)) {
    return `0x${buf.subarray(offset, offset + Number(t.slice(5))).toString('hex')}`;
  }
  throw new Error(`unsupported ABI type ${t}`);
}

function decodeSequence(params, buf, base) {
  let head = base;
  return params.map((p) => {
    let v;
    if (isDynamic(p)) {
      v = decodeOne(p, buf, base + Number(readWord(buf, head)));
      head += 32;
    } else {
      v = decodeOne(p, buf, head);
      head += staticSize(p);
    }
    return v;
  });
}

/** ABI-encodes `values` as the parameters `params` (0x-hex). */
export function encodeParams(params, values) {
  return `0x${encodeSequence(params, values).toString('hex')}`;
}

/** Decodes 0x-hex `data` as the parameters `params` into an array. */
export function decodeParams(params, data) {
  return decodeSequence(params, hexBytes(data), 0);
}

/** Binds an ABI: encodes calls by function name, decodes results, errors and logs. */
export class Interface {
  constructor(abi) {
    this.abi = abi;
    this.functions = new Map();
    this.errors = new Map();
    this.events = new Map();
    for (const item of abi) {
      if (item.type === 'function') {
        // Overloads (safeTransferFrom) are keyed by full signature as well.
        const sig = signature(item);
        const entry = { ...item, selector: keccak256(sig).slice(0, 10), sig };
        this.functions.set(sig, entry);
        if (!this.functions.has(item.name)) this.functions.set(item.name, entry);
      } else if (item.type === 'error') {
        this.errors.set(keccak256(signature(item)).slice(0, 10), item);
      } else if (item.type === 'event') {
        this.events.set(keccak256(signature(item)), item);
      }
    }
  }

  fn(name) {
    const f = this.functions.get(name);
    if (!f) throw new Error(`no function ${name} in ABI`);
    return f;
  }

  encodeCall(name, args = []) {
    const f = this.fn(name);
    return f.selector + encodeParams(f.inputs, args).slice(2);
  }

  encodeDeploy(bytecode, args = []) {
    const ctor = this.abi.find((i) => i.type === 'constructor');
    return bytecode + (ctor ? encodeParams(ctor.inputs, args).slice(2) : '');
  }

  decodeResult(name, data) {
    const values = decodeParams(this.fn(name).outputs, data);
    return values.length === 1 ? values[0] : values;
  }

  /** Decodes revert data into { name, args } (custom error or Error(string)), or null. */
  decodeError(data) {
    if (!data || data.length < 10) return null;
    const selector = data.slice(0, 10);
    const body = `0x${data.slice(10)}`;
    if (selector === '0x08c379a0') {
      return { name: 'Error', args: decodeParams([{ type: 'string' }], body) };
    }
    const item = this.errors.get(selector);
    if (!item) return null;
    return { name: item.name, args: decodeParams(item.inputs, body) };
  }

  /** Decodes a log of this contract into { name, args } with args by parameter name, or null. */
  decodeLog(log) {
    const item = this.events.get(log.topics[0]);
    if (!item) return null;
    const args = {};
    const dataParams = item.inputs.filter((i) => !i.indexed);
    const dataValues = decodeParams(dataParams, log.data);
    let topic = 1;
    let d = 0;
    for (const input of item.inputs) {
      if (input.indexed) {
        // An indexed dynamic value is only its hash.
        const t = log.topics[topic];
        args[input.name] = isDynamic(input) ? t : decodeOne(input, hexBytes(t), 0);
        topic += 1;
      } else {
        args[input.name] = dataValues[d++];
      }
    }
    return { name: item.name, args };
  }
}
