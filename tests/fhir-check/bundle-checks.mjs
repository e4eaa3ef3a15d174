// Bundle rules outside the JSON Schema: fullUrl form and uniqueness (bdl-7),
// urn:uuid references resolvable inside the Bundle, and for transaction and
// batch Bundles a request on every entry (bdl-3) whose method and url fit
// the entry's resource and touch no resource twice (a transaction whose
// entries resolve to the same resource SHALL fail, FHIR R4 http.html#trules).
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OID_URN = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const MAX_DEPTH = 48;
const MAX_NODES = 1000000;

// Calls visit(obj, path) for every object inside value (bounded).
function forEachObject(value, where, visit) {
  const stack = [[value, where, 0]];
  let nodes = 0;
  while (stack.length && nodes++ < MAX_NODES) {
    const [v, p, depth] = stack.pop();
    if (!v || typeof v !== 'object' || depth > MAX_DEPTH) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${p}[${i}]`, depth + 1]);
      continue;
    }
    visit(v, p);
    for (const [k, child] of Object.entries(v).reverse()) stack.push([child, `${p}.${k}`, depth + 1]);
  }
}

export function bundleProblems(bundle) {
  const problems = [];
  const add = (where, text) => problems.push({path: where, text});
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const isTransaction = bundle.type === 'transaction' || bundle.type === 'batch';
  const fullUrls = new Map();
  const requestUrls = new Map();
  entries.forEach((entry, i) => {
    const at = `Bundle.entry[${i}]`;
    if (!entry || typeof entry !== 'object') return;
    const res = entry.resource && typeof entry.resource === 'object' ? entry.resource : null;
    if (typeof entry.fullUrl === 'string') {
      const u = entry.fullUrl;
      if (u.startsWith('urn:uuid:') && !UUID_URN.test(u)) add(`${at}.fullUrl`, 'malformed urn:uuid (lower-case RFC 4122 form expected)');
      else if (u.startsWith('urn:oid:') && !OID_URN.test(u)) add(`${at}.fullUrl`, 'malformed urn:oid');
      else if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(u)) add(`${at}.fullUrl`, 'fullUrl is not an absolute URI');
      if (fullUrls.has(u)) add(`${at}.fullUrl`, `same fullUrl as entry[${fullUrls.get(u)}]`);
      else fullUrls.set(u, i);
    } else if (isTransaction && res) {
      add(`${at}.fullUrl`, 'missing (entries of a transaction need one to be referenced)');
    }
    if (!isTransaction) return;
    const req = entry.request;
    if (!req || typeof req !== 'object') {
      add(`${at}.request`, `required element missing (bdl-3: every ${bundle.type} entry has a request)`);
      return;
    }
    const method = req.method, url = req.url;
    if (typeof method !== 'string' || typeof url !== 'string') return;  // cardinality check reports it
    if ((method === 'POST' || method === 'PUT') && !res) add(`${at}.resource`, `required element missing (${method} needs a resource)`);
    if ((method === 'GET' || method === 'DELETE' || method === 'HEAD') && res) add(`${at}.resource`, `a ${method} entry carries no resource`);
    if (res && typeof res.resourceType === 'string') {
      const type = res.resourceType;
      if (method === 'POST' && url !== type) add(`${at}.request.url`, 'POST url must be the resource type');
      if (method === 'PUT') {
        const m = /^([A-Za-z]+)(?:\/([A-Za-z0-9\-.]{1,64})|\?(.+))$/.exec(url);
        if (!m || m[1] !== type) add(`${at}.request.url`, 'PUT url must be <resource type>/<id> or <resource type>?<search>');
        else if (m[2] !== undefined && res.id !== m[2]) add(`${at}.request.url`, 'PUT <type>/<id> differs from resource.id');
        else if (m[3] !== undefined && !/^[A-Za-z_][A-Za-z0-9_\-.:]*=/.test(m[3])) add(`${at}.request.url`, 'conditional PUT url has no search parameter');
      }
    }
    if (method === 'PUT' || method === 'DELETE' || method === 'PATCH') {
      const key = `${method === 'PATCH' ? 'PUT' : method} ${url}`;
      if (requestUrls.has(key)) add(`${at}.request.url`, `same request url as entry[${requestUrls.get(key)}] (one resource touched twice)`);
      else requestUrls.set(key, i);
    }
    if (method === 'POST' && typeof req.ifNoneExist === 'string' && !/^[A-Za-z_][A-Za-z0-9_\-.:]*=/.test(req.ifNoneExist)) {
      add(`${at}.request.ifNoneExist`, 'not a search query');
    }
  });
  entries.forEach((entry, i) => {
    if (!entry || !entry.resource) return;
    forEachObject(entry.resource, `Bundle.entry[${i}].resource`, (obj, where) => {
      const r = obj.reference;
      if (typeof r !== 'string' || !(r.startsWith('urn:uuid:') || r.startsWith('urn:oid:'))) return;
      if (!fullUrls.has(r)) add(`${where}.reference`, 'urn: reference does not resolve to an entry fullUrl of the Bundle');
    });
  });
  return problems;
}
