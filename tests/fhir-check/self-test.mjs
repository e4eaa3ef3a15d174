#!/usr/bin/env node
// Self-test of fhir-check.mjs (ctest fhir_check_selftest): samples/good must
// pass with no output; every samples/bad/<name>.json|.ndjson must be reported,
// with each line of <name>.expect appearing in one of its problem lines; the
// output quotes no value of the samples; a missing input is a usage error.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const checker = path.join(here, 'fhir-check.mjs');
const samples = path.join(here, 'samples');
let failures = 0;
const fail = (msg) => {
  failures++;
  process.stderr.write(`FAIL: ${msg}\n`);
};

function run(args) {
  const r = spawnSync(process.execPath, [checker, '--quiet', ...args], {encoding: 'utf8'});
  return {status: r.status, out: r.stdout, err: r.stderr};
}

const good = run([path.join(samples, 'good')]);
if (good.status !== 0 || good.out !== '') fail(`good samples: exit ${good.status}, output:\n${good.out}${good.err}`);

const badDir = path.join(samples, 'bad');
const badFiles = fs.readdirSync(badDir).filter((f) => /\.(json|ndjson)$/.test(f)).sort();
const bad = run(badFiles.map((f) => path.join(badDir, f)));
if (bad.status !== 1) fail(`bad samples: exit ${bad.status} (want 1): ${bad.err}`);
const lines = bad.out.split('\n').filter(Boolean);
for (const f of badFiles) {
  const own = lines.filter((l) => l.startsWith(`${path.join(badDir, f)}:`));
  if (own.length === 0) fail(`${f}: no problem reported`);
  const expectFile = path.join(badDir, f.replace(/\.(json|ndjson)$/, '.expect'));
  if (!fs.existsSync(expectFile)) {
    fail(`${f}: no ${path.basename(expectFile)}`);
    continue;
  }
  for (const want of fs.readFileSync(expectFile, 'utf8').split('\n').filter(Boolean)) {
    if (!own.some((l) => l.includes(want))) fail(`${f}: expected a line containing "${want}", got:\n  ${own.join('\n  ')}`);
  }
}
// Values of the samples (names, dates, lot numbers, codes) never appear.
for (const value of ['Everywoman', 'Attend', '1980-2-14', 'Z0860BB', 'scheduled', '"done"', 'APT-4455', 'abc']) {
  if (lines.some((l) => l.split(': ').slice(1).join(': ').includes(value))) fail(`output quotes a sample value (${value})`);
}

const missing = run([path.join(samples, 'no-such-file.json')]);
if (missing.status !== 2) fail(`missing input: exit ${missing.status} (want 2)`);

if (failures) {
  process.stderr.write(`${failures} failure(s)\n`);
  process.exit(1);
}
process.stdout.write(`fhir-check self-test: ${badFiles.length} bad samples reported as expected, good samples clean\n`);
