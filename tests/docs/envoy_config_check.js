#!/usr/bin/env node
// Checks the Envoy configuration docs/envoy.md shows against Envoy's own .proto files (npm
// @grpc/grpc-js-xds ships them with their imports; tools/install_deps.sh installs it):
//   node envoy_config_check.js TOOLS_DIR envoy.md
// Each ```yaml block right after a `<!-- envoy-bootstrap -->` line is read as Envoy reads a static
// bootstrap (YAML mapped to proto3 JSON) into envoy.config.bootstrap.v3.Bootstrap, strictly: every
// key must be a field of its message (proto name or JSON name), every enum value a value of its
// enum, every `@type` of a google.protobuf.Any a message of the loaded API, oneofs set at most once,
// and no field marked deprecated. Every other ```yaml block must at least parse. Envoy's own
// validation rules (protoc-gen-validate) are not checked: no Envoy binary is at hand.
// Prints `ok ...` or each problem as `FAIL <block>: <path>: <problem>`; exits 1 on any.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [toolsDir, doc] = process.argv.slice(2);
if (!toolsDir || !doc) {
  console.error('usage: envoy_config_check.js TOOLS_DIR envoy.md');
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(toolsDir), 'node_modules', 'noop.js'));
const YAML = req('yaml');
const protobuf = req('protobufjs');

// Envoy's API and its import roots, as proto/envoy/BUILD.bazel maps them.
const deps = path.join(path.resolve(toolsDir), 'node_modules/@grpc/grpc-js-xds/deps');
const importRoots = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
  .map((d) => path.join(deps, d)).concat(['/usr/include']);
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  for (const r of importRoots) {
    const p = path.join(r, target);
    if (fs.existsSync(p)) return p;
  }
  return target;
};
// The bootstrap and every extension the page's configuration names by `@type`.
const API_FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
];
for (const f of API_FILES) {
  if (!fs.existsSync(path.join(deps, 'envoy-api', f))) {
    console.log(`FAIL: ${f} is not in ${deps}/envoy-api (run tools/install_deps.sh)`);
    process.exit(1);
  }
}
root.loadSync(API_FILES, { keepCase: true });
root.resolveAll();

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value',
  'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue'].map((n) => `google.protobuf.${n}`));
const INTS = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64',
  'sint64', 'fixed64', 'sfixed64']);

// Checks `value` as message `type` (JSON mapping); pushes problems as [path, text].
function checkMessage(type, value, where, problems) {
  const name = type.fullName.replace(/^\./, '');
  if (name === 'google.protobuf.Any') {
    if (!isObject(value) || typeof value['@type'] !== 'string') {
      problems.push([where, 'an Any needs "@type"']);
      return;
    }
    const url = value['@type'];
    const m = /^type\.googleapis\.com\/(.+)$/.exec(url);
    let inner = null;
    try { inner = m && root.lookupType(m[1]); } catch (e) { inner = null; }
    if (!inner) {
      problems.push([where, `@type ${url} is not a message of Envoy's API`]);
      return;
    }
    const rest = { ...value };
    delete rest['@type'];
    checkMessage(inner, rest, `${where}<${m[1].split('.').pop()}>`, problems);
    return;
  }
  if (name === 'google.protobuf.Duration') {
    if (typeof value !== 'string' || !/^-?[0-9]+(\.[0-9]{1,9})?s$/.test(value)) {
      problems.push([where, `a Duration is a string such as "0.25s", not ${JSON.stringify(value)}`]);
    }
    return;
  }
  if (name === 'google.protobuf.Struct' || name === 'google.protobuf.Value') return;
  if (WRAPPERS.has(name)) {
    checkScalar(name.endsWith('BoolValue') ? 'bool' : name.endsWith('StringValue') ? 'string' : 'uint32',
                value, where, problems);
    return;
  }
  if (!isObject(value)) {
    problems.push([where, `want a mapping (message ${name}), got ${JSON.stringify(value)}`]);
    return;
  }
  const byKey = new Map();
  for (const f of Object.values(type.fields)) {
    byKey.set(f.name, f);
    byKey.set(camel(f.name), f);
  }
  const oneofsSet = new Map();
  for (const [key, v] of Object.entries(value)) {
    const f = byKey.get(key);
    const at = `${where}.${key}`;
    if (!f) {
      problems.push([at, `no field "${key}" in ${name}`]);
      continue;
    }
    if (f.options && f.options.deprecated) problems.push([at, `deprecated field of ${name}`]);
    if (f.partOf) {
      const other = oneofsSet.get(f.partOf.name);
      if (other) problems.push([at, `oneof ${f.partOf.name} already set by ${other}`]);
      oneofsSet.set(f.partOf.name, key);
    }
    if (f.map) {
      if (!isObject(v)) {
        problems.push([at, 'want a mapping (a map field)']);
        continue;
      }
      for (const [k, mv] of Object.entries(v)) checkField(f, mv, `${at}[${k}]`, problems);
    } else if (f.repeated) {
      if (!Array.isArray(v)) {
        problems.push([at, 'want a list (a repeated field)']);
        continue;
      }
      v.forEach((item, i) => checkField(f, item, `${at}[${i}]`, problems));
    } else {
      checkField(f, v, at, problems);
    }
  }
}

function checkField(f, v, where, problems) {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) {
    checkMessage(t, v, where, problems);
  } else if (t instanceof protobuf.Enum) {
    if (!(typeof v === 'string' && v in t.values) && !Number.isInteger(v)) {
      problems.push([where, `${JSON.stringify(v)} is not a value of ${t.fullName.slice(1)}`]);
    }
  } else {
    checkScalar(f.type, v, where, problems);
  }
}

function checkScalar(type, v, where, problems) {
  let ok;
  if (INTS.has(type)) ok = Number.isInteger(v) || (typeof v === 'string' && /^-?[0-9]+$/.test(v));
  else if (type === 'bool') ok = typeof v === 'boolean';
  else if (type === 'double' || type === 'float') ok = typeof v === 'number';
  else ok = typeof v === 'string';
  if (!ok) problems.push([where, `${JSON.stringify(v)} is not a ${type}`]);
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// The ```yaml blocks of the page, each with whether a bootstrap marker precedes it.
const lines = fs.readFileSync(doc, 'utf8').split('\n');
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  if (lines[i] !== '```yaml') continue;
  let end = i + 1;
  while (end < lines.length && lines[end] !== '```') end++;
  let prev = i - 1;
  while (prev >= 0 && lines[prev].trim() === '') prev--;
  blocks.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n'),
                bootstrap: prev >= 0 && lines[prev] === '<!-- envoy-bootstrap -->' });
  i = end;
}

let failed = false;
let bootstraps = 0;
const Bootstrap = root.lookupType('envoy.config.bootstrap.v3.Bootstrap');
for (const b of blocks) {
  const label = `${path.basename(doc)}:${b.line}`;
  const parsed = YAML.parseAllDocuments(b.text);
  const errors = parsed.flatMap((d) => d.errors);
  if (errors.length) {
    console.log(`FAIL ${label}: not YAML: ${errors[0].message}`);
    failed = true;
    continue;
  }
  if (!b.bootstrap) continue;
  bootstraps++;
  const problems = [];
  checkMessage(Bootstrap, parsed[0].toJS(), 'bootstrap', problems);
  for (const [where, what] of problems) console.log(`FAIL ${label}: ${where}: ${what}`);
  if (problems.length) failed = true;
}
if (bootstraps === 0) {
  console.log('FAIL: no ```yaml block after <!-- envoy-bootstrap --> in ' + doc);
  failed = true;
}
if (!failed) {
  console.log(`ok: ${blocks.length} YAML blocks parse; ${bootstraps} Envoy bootstrap(s) match ` +
              "Envoy's protos field for field");
}
process.exit(failed ? 1 : 0);
