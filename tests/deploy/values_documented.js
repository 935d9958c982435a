#!/usr/bin/env node
// Every value of the chart is documented: each leaf path of values.yaml (e.g.
// `persistence.retentionPolicy.whenDeleted`) appears, in backticks, in the README's values table.
// Maps that users fill freely (podAnnotations, config, ...) count as one leaf.
//   node values_documented.js TOOLS_DIR values.yaml README.md
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [toolsDir, valuesFile, readme] = process.argv.slice(2);
const YAML = createRequire(path.join(path.resolve(toolsDir), 'node_modules', 'noop.js'))('yaml');
const values = YAML.parse(fs.readFileSync(valuesFile, 'utf8'));
const text = fs.readFileSync(readme, 'utf8');

// Free-form maps and lists: documented as a whole.
const WHOLE = new Set(['resources', 'podSecurityContext', 'securityContext', 'podAnnotations',
  'podLabels', 'nodeSelector', 'affinity', 'persistence.annotations', 'persistence.labels',
  'service.annotations', 'serviceAccount.annotations', 'networkPolicy.clientPodLabels',
  'etcd.bundled.resources', 'etcd.bundled.podSecurityContext', 'etcd.bundled.securityContext',
  'etcd.bundled.nodeSelector']);

const leaves = [];
(function walk(node, prefix) {
  if (node !== null && typeof node === 'object' && !Array.isArray(node) && !WHOLE.has(prefix) &&
      Object.keys(node).length > 0) {
    for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
  } else {
    leaves.push(prefix);
  }
})(values, '');

const missing = leaves.filter((k) => !text.includes('`' + k + '`'));
for (const k of missing) console.log(`FAIL: value ${k} is not documented in ${readme}`);
if (missing.length === 0) console.log(`ok: ${leaves.length} values documented`);
process.exit(missing.length ? 1 : 0);
