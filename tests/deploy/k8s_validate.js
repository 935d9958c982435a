#!/usr/bin/env node
// Validates every object of a rendered multi-document YAML file (e.g. `helm template` output)
// against the Kubernetes OpenAPI schemas bundled in npm `kubernetes-models` (4.x), offline:
//   node k8s_validate.js TOOLS_DIR FILE.yaml...
// TOOLS_DIR holds node_modules/ with `kubernetes-models` and `yaml` (tools/install_deps.sh puts
// them in .tools/). For each object it checks:
//   1. the kind is known to kubernetes-models (an unknown apiVersion/kind fails: nothing is left
//      unvalidated);
//   2. the schema (types, enums, required fields), through the model's own validate();
//   3. no unknown fields: the schemas allow extra properties, so a misspelt field
//      (`readOnlyRootFileSystem`) would pass step 2 and be dropped or rejected by the API server.
//      The field names come from the package's TypeScript declarations (.d.ts), which list every
//      property of every type;
//   4. metadata: name is a DNS-1123 subdomain (and <= 63 characters for Services, StatefulSets
//      and Pods, whose names end up in DNS labels and in label values), labels are valid.
// Prints one line per object, `ok   FILE KIND/NAME` or `FAIL FILE KIND/NAME: problem`, and exits 1
// if any file has a problem (all problems are listed).
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function usage() {
  console.error('usage: k8s_validate.js TOOLS_DIR FILE.yaml...');
  process.exit(2);
}

const [toolsDir, ...files] = process.argv.slice(2);
if (!toolsDir || files.length === 0) usage();
const req = createRequire(path.join(path.resolve(toolsDir), 'node_modules', 'noop.js'));
let YAML;
try {
  YAML = req('yaml');
  req.resolve('kubernetes-models/v1/Pod');
} catch (e) {
  console.error(`FAIL: kubernetes-models or yaml not found under ${toolsDir}/node_modules ` +
                `(run tools/install_deps.sh): ${e.message}`);
  process.exit(1);
}

// ---- Field names from the .d.ts declarations.

const ifaceCache = new Map();  // "<dts path>#<exported name>" -> {props: Map(name -> type)} | null

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

// Resolves a module specifier used in a .d.ts to the path of its .d.ts file.
function resolveDts(spec, fromDts) {
  if (spec.startsWith('.')) return path.resolve(path.dirname(fromDts), spec) + '.d.ts';
  const js = createRequire(fromDts).resolve(spec);
  return js.replace(/\.(c|m)?js$/, '.d.ts');
}

// Splits "a: T; b?: {x: U;}; c: V;" at top-level semicolons into [name, type] pairs.
function parseProps(body) {
  const props = new Map();
  let depth = 0, start = 0;
  const parts = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '{' || c === '<' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === '>' || c === ')' || c === ']') depth--;
    else if (c === ';' && depth === 0) { parts.push(body.slice(start, i)); start = i + 1; }
  }
  for (const part of parts) {
    const m = /^\s*"([^"]+)"\??\s*:\s*([\s\S]+)$/.exec(part);
    if (m) props.set(m[1], m[2].trim());
  }
  return props;
}

// The interface exported as `name` by the .d.ts at `dts`, or null when it is not an interface
// (a type alias such as IntOrString or Quantity: a leaf for this check).
function loadInterface(dts, name) {
  const key = `${dts}#${name}`;
  if (ifaceCache.has(key)) return ifaceCache.get(key);
  ifaceCache.set(key, null);
  const text = stripComments(fs.readFileSync(dts, 'utf8'));
  const imports = new Map();
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const n of m[1].split(',')) {
      const id = n.trim().split(/\s+as\s+/).pop();
      if (id) imports.set(id, m[2]);
    }
  }
  let local = name;
  for (const m of text.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const pair of m[1].split(',')) {
      const [a, b] = pair.trim().split(/\s+as\s+/);
      if (b === name) local = a;
    }
  }
  const head = new RegExp(`export\\s+interface\\s+${local}\\b[^{]*\\{`).exec(text);
  if (!head) return null;
  let depth = 1, i = head.index + head[0].length;
  const begin = i;
  for (; i < text.length && depth > 0; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') depth--;
  }
  const iface = { dts, imports, props: parseProps(text.slice(begin, i - 1)) };
  ifaceCache.set(key, iface);
  return iface;
}

// What a property type leads to: {kind: 'iface'|'array'|'map'|'leaf', ...}.
function typeOf(typeStr, iface) {
  const t = typeStr.trim();
  let m = /^Array<([\s\S]+)>$/.exec(t);
  if (m) return { kind: 'array', of: typeOf(m[1], iface) };
  m = /^\{\s*\[key:\s*string\]:\s*([\s\S]+?);?\s*\}$/.exec(t);
  if (m) return { kind: 'map', of: typeOf(m[1], iface) };
  m = /^(I[A-Za-z0-9]+)$/.exec(t);
  if (m && iface.imports.has(m[1])) {
    const target = loadInterface(resolveDts(iface.imports.get(m[1]), iface.dts), m[1]);
    if (target) return { kind: 'iface', iface: target };
  }
  return { kind: 'leaf' };
}

function checkFields(value, iface, where, problems) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!iface.props.has(k)) {
      problems.push(`${where}.${k}: unknown field`);
      continue;
    }
    checkValue(v, typeOf(iface.props.get(k), iface), `${where}.${k}`, problems);
  }
}

function checkValue(v, type, where, problems) {
  if (v === null || v === undefined) return;
  if (type.kind === 'iface') checkFields(v, type.iface, where, problems);
  else if (type.kind === 'array' && Array.isArray(v)) {
    v.forEach((e, i) => checkValue(e, type.of, `${where}[${i}]`, problems));
  } else if (type.kind === 'map' && typeof v === 'object') {
    for (const [k, e] of Object.entries(v)) checkValue(e, type.of, `${where}.${k}`, problems);
  }
}

// ---- Metadata rules the OpenAPI schemas do not encode.

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function checkLabels(labels, where, problems) {
  for (const [k, v] of Object.entries(labels || {})) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '';
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if ((prefix && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) ||
        name.length > 63 || !LABEL_NAME.test(name)) {
      problems.push(`${where}: invalid label key "${k}"`);
    }
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      problems.push(`${where}: invalid value for label "${k}": ${JSON.stringify(v)}`);
    }
  }
}

function checkMetadata(obj, problems) {
  const md = obj.metadata || {};
  const name = md.name;
  if (typeof name !== 'string' || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    problems.push(`metadata.name: ${JSON.stringify(name)} is not a DNS-1123 subdomain`);
  } else if (['Service', 'StatefulSet', 'Pod'].includes(obj.kind) && name.length > 63) {
    problems.push(`metadata.name: "${name}" is longer than 63 characters`);
  }
  checkLabels(md.labels, 'metadata.labels', problems);
  const tmpl = obj.spec && obj.spec.template && obj.spec.template.metadata;
  if (tmpl) checkLabels(tmpl.labels, 'spec.template.metadata.labels', problems);
}

// ---- Main.

// The model class for apiVersion/kind: kubernetes-models/<group/version or v1>/<Kind>.
function modelFor(apiVersion, kind) {
  const spec = `kubernetes-models/${apiVersion}/${kind}`;
  let js;
  try {
    js = req.resolve(spec);
  } catch (e) {
    return null;
  }
  const mod = req(spec);
  return { Model: mod[kind], dts: js.replace(/\.js$/, '.d.ts') };
}

// Validates one file; returns true when every object in it is valid.
function validateFile(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  let ok = true;
  let count = 0;
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.log(`FAIL ${file}: YAML error: ${doc.errors[0].message}`);
      ok = false;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;  // an empty document
    count++;
    const id = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      console.log(`FAIL ${file} ${id}: apiVersion and kind are required`);
      ok = false;
      continue;
    }
    const model = modelFor(obj.apiVersion, obj.kind);
    if (!model || typeof model.Model !== 'function') {
      console.log(`FAIL ${file} ${id}: ${obj.apiVersion} ${obj.kind} is not a kind kubernetes-models knows`);
      ok = false;
      continue;
    }
    const problems = [];
    try {
      new model.Model(obj).validate();
    } catch (e) {
      problems.push(`schema: ${e.message}`);
    }
    const iface = loadInterface(model.dts, `I${model.Model.name}`);
    if (!iface) problems.push(`internal: no field list for ${obj.kind} in ${model.dts}`);
    else checkFields(obj, iface, obj.kind, problems);
    checkMetadata(obj, problems);
    for (const p of problems) console.log(`FAIL ${file} ${obj.apiVersion} ${id}: ${p}`);
    if (problems.length === 0) console.log(`ok   ${file} ${obj.apiVersion} ${id}`);
    ok = ok && problems.length === 0;
  }
  if (count === 0) {
    console.log(`FAIL ${file}: no objects`);
    ok = false;
  }
  return ok;
}

let failed = false;
for (const file of files) failed = !validateFile(file) || failed;
process.exit(failed ? 1 : 0);
