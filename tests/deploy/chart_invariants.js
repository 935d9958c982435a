#!/usr/bin/env node
// Checks what the authd chart promises, on rendered variants (`helm template` output):
//   node chart_invariants.js TOOLS_DIR FILE.yaml:VARIANT...
// VARIANT is "default" or the name of a deploy/helm/authd/ci/<VARIANT>-values.yaml file. The
// promises: a 1-replica StatefulSet (0 only for data-helper) behind a headless Service and a
// ClusterIP Service with appProtocol grpc; native gRPC probes on the listen port; the restricted
// security posture on every pod; references (ConfigMap, Secret, PVC, volumes) that resolve; the
// PDB, the NetworkPolicy and the helm test pod; and each variant's own difference.
// Prints `ok   VARIANT: ...` or every broken promise as `FAIL VARIANT: ...`; exits 1 if any.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const [toolsDir, ...pairs] = process.argv.slice(2);
if (!toolsDir || pairs.length === 0) {
  console.error('usage: chart_invariants.js TOOLS_DIR FILE.yaml:VARIANT...');
  process.exit(2);
}
const YAML = createRequire(path.join(path.resolve(toolsDir), 'node_modules', 'noop.js'))('yaml');

let anyFailed = false;
for (const pair of pairs) {
  const colon = pair.lastIndexOf(':');
  if (!checkVariant(pair.slice(0, colon), pair.slice(colon + 1))) anyFailed = true;
}
process.exit(anyFailed ? 1 : 0);

// Checks one rendered file against the promises for `variant`; true when all hold.
function checkVariant(file, variant) {
  const objs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS()).filter((o) => o && o.kind);
  const problems = [];
  function expect(cond, what) {
    if (!cond) problems.push(what);
    return cond;
  }
  const all = (kind) => objs.filter((o) => o.kind === kind);
  const one = (kind, pred = () => true) => all(kind).find(pred);
  const byName = (kind, name) => one(kind, (o) => o.metadata.name === name);
  const isTestPod = (o) => ((o.metadata.annotations || {})['helm.sh/hook'] || '') === 'test';
  const isHelper = (o) => ((o.metadata.labels || {})['app.kubernetes.io/component']) === 'data-helper';
  const matches = (selector, labels) =>
    Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v);

  // ---- Variant expectations.
  const V = {
    default: {},
    'existing-secret': { existingSecret: 'authd-bootstrap-external' },
    'no-persistence': { persistence: false },
    'no-networkpolicy': { networkPolicy: false },
    'no-bootstrap': { bootstrap: false },
    'data-helper': { replicas: 0, dataHelper: true },
    full: { containerPort: 7443, servicePort: 443, accessMode: 'ReadWriteOncePod',
            storageClass: 'fast-ssd', minAvailable: 1, allowEgress: true, digest: true,
            mountPath: '/var/lib/authd', secretKeys: { password: 'admin-password', token: 'admin-token' } },
  }[variant];
  if (!V) {
    console.log(`FAIL ${variant}: unknown variant (add its expectations to chart_invariants.js)`);
    return false;
  }
  const want = {
    replicas: 1, persistence: true, networkPolicy: true, bootstrap: true, dataHelper: false,
    containerPort: 50051, servicePort: 50051, accessMode: 'ReadWriteOnce', mountPath: '/data',
    secretKeys: { password: 'password', token: 'token' }, existingSecret: '', allowEgress: false,
    ...V,
  };

  // ---- Security posture, for every pod spec rendered.
  function checkPodSecurity(spec, where) {
    const psc = spec.securityContext || {};
    expect(psc.runAsNonRoot === true, `${where}: pod securityContext.runAsNonRoot is not true`);
    expect(psc.seccompProfile && psc.seccompProfile.type === 'RuntimeDefault',
           `${where}: pod seccompProfile is not RuntimeDefault`);
    expect(spec.automountServiceAccountToken === false, `${where}: service account token mounted`);
    expect(spec.enableServiceLinks === false,
           `${where}: enableServiceLinks is not false (service env vars could shadow AUTHD_*)`);
    for (const c of spec.containers || []) {
      const sc = c.securityContext || {};
      const w = `${where} container ${c.name}`;
      expect(sc.runAsNonRoot === true, `${w}: runAsNonRoot is not true`);
      expect(sc.readOnlyRootFilesystem === true, `${w}: readOnlyRootFilesystem is not true`);
      expect(sc.allowPrivilegeEscalation === false, `${w}: allowPrivilegeEscalation is not false`);
      expect(sc.capabilities && (sc.capabilities.drop || []).includes('ALL'),
             `${w}: capabilities do not drop ALL`);
      expect(!(sc.capabilities && sc.capabilities.add && sc.capabilities.add.length),
             `${w}: adds capabilities`);
      expect(sc.seccompProfile && sc.seccompProfile.type === 'RuntimeDefault',
             `${w}: seccompProfile is not RuntimeDefault`);
      expect(c.resources && c.resources.limits && c.resources.limits.memory,
             `${w}: no memory limit`);
    }
  }

  // Every env reference resolves to a rendered object, or to the existing Secret the values name.
  function checkEnvRefs(container, where) {
    for (const e of container.env || []) {
      const ref = e.valueFrom || {};
      if (ref.secretKeyRef) {
        const { name, key } = ref.secretKeyRef;
        if (want.existingSecret && name === want.existingSecret) {
          expect(byName('Secret', name) === undefined,
                 `${where}: existingSecret ${name} must not be rendered by the chart`);
          continue;
        }
        const s = byName('Secret', name);
        if (expect(s, `${where}: env ${e.name} names Secret ${name}, which is not rendered`)) {
          expect((s.data || {})[key] !== undefined || (s.stringData || {})[key] !== undefined,
                 `${where}: env ${e.name}: Secret ${name} has no key ${key}`);
        }
      }
      if (ref.configMapKeyRef) {
        const { name, key } = ref.configMapKeyRef;
        const cm = byName('ConfigMap', name);
        expect(cm && (cm.data || {})[key] !== undefined,
               `${where}: env ${e.name}: ConfigMap ${name} key ${key} not rendered`);
      }
    }
  }

  // ---- StatefulSet.
  const stsList = all('StatefulSet');
  expect(stsList.length === 1, `want exactly 1 StatefulSet, got ${stsList.length}`);
  const sts = stsList[0];
  if (!sts) {
    problems.forEach((p) => console.log(`FAIL ${variant}: ${p}`));
    return false;
  }
  const spec = sts.spec;
  const pod = spec.template.spec;
  const podLabels = spec.template.metadata.labels;
  expect(spec.replicas === want.replicas, `StatefulSet replicas ${spec.replicas}, want ${want.replicas}`);
  expect(matches(spec.selector.matchLabels, podLabels), 'StatefulSet selector does not match its pods');
  checkPodSecurity(pod, 'StatefulSet');
  expect(pod.terminationGracePeriodSeconds >= 15,
         `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < 15 (authd drains 10 s)`);

  const headless = byName('Service', spec.serviceName);
  if (expect(headless, `serviceName ${spec.serviceName} is not a rendered Service`)) {
    expect(headless.spec.clusterIP === 'None', 'the StatefulSet serviceName is not headless');
    expect(matches(headless.spec.selector, podLabels), 'headless Service selects other pods');
  }
  const services = all('Service').filter((s) => s.spec.clusterIP !== 'None');
  expect(services.length === 1, `want 1 client Service, got ${services.length}`);
  for (const svc of all('Service')) {
    const port = (svc.spec.ports || []).find((p) => p.name === 'grpc');
    if (expect(port, `Service ${svc.metadata.name} has no port named grpc`)) {
      expect(port.appProtocol === 'grpc', `Service ${svc.metadata.name}: appProtocol is not grpc`);
      expect(port.targetPort === 'grpc', `Service ${svc.metadata.name}: targetPort is not grpc`);
    }
    expect(matches(svc.spec.selector, podLabels), `Service ${svc.metadata.name} selects other pods`);
  }
  if (services[0]) {
    expect(services[0].spec.ports[0].port === want.servicePort,
           `Service port ${services[0].spec.ports[0].port}, want ${want.servicePort}`);
  }

  const containers = pod.containers || [];
  expect(containers.length === 1 && containers[0].name === 'authd', 'want one container named authd');
  const c = containers[0];
  expect(JSON.stringify(c.command) === JSON.stringify(['/usr/local/bin/authd']),
         `command ${JSON.stringify(c.command)} is not the image's /usr/local/bin/authd`);
  if (want.digest) expect(/@sha256:[0-9a-f]{64}$/.test(c.image), `image ${c.image} is not by digest`);
  const grpcPort = (c.ports || []).find((p) => p.name === 'grpc');
  expect(grpcPort && grpcPort.containerPort === want.containerPort,
         `container port grpc is not ${want.containerPort}`);
  for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const p = c[kind];
    if (!expect(p && p.grpc, `${kind} is not a native gRPC probe`)) continue;
    expect(p.grpc.port === want.containerPort, `${kind} port ${p.grpc.port}, want ${want.containerPort}`);
    expect(typeof p.grpc.service === 'string', `${kind} declares no service name`);
  }
  expect(c.readinessProbe && c.readinessProbe.grpc && c.readinessProbe.grpc.service !== '',
         'readinessProbe checks "" instead of an authd service');
  checkEnvRefs(c, 'StatefulSet');

  // Volumes and the config file.
  const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
  const claimTemplates = new Map((spec.volumeClaimTemplates || []).map((t) => [t.metadata.name, t]));
  const mounts = new Map((c.volumeMounts || []).map((m) => [m.name, m]));
  for (const m of c.volumeMounts || []) {
    expect(volumes.has(m.name) || claimTemplates.has(m.name), `volumeMount ${m.name} has no volume`);
  }
  const configMount = mounts.get('config');
  const configVol = volumes.get('config');
  if (expect(configMount && configVol && configVol.configMap, 'no config volume from a ConfigMap')) {
    expect(configMount.readOnly === true, 'the config volume is not mounted read-only');
    const cm = byName('ConfigMap', configVol.configMap.name);
    if (expect(cm && cm.data && cm.data['authd.yaml'], 'ConfigMap with authd.yaml not rendered')) {
      const cfg = YAML.parse(cm.data['authd.yaml']);
      expect(cfg.listen === `0.0.0.0:${want.containerPort}`,
             `config listen ${cfg.listen}, want 0.0.0.0:${want.containerPort}`);
      const dataMount = mounts.get('data');
      expect(dataMount && dataMount.mountPath === want.mountPath,
             `data volume not mounted at ${want.mountPath}`);
      expect(dataMount && typeof cfg['data-dir'] === 'string' &&
             cfg['data-dir'].startsWith(`${dataMount.mountPath}/`),
             `config data-dir ${cfg['data-dir']} is not on the data volume`);
      expect((c.args || []).includes(`--config=${configMount.mountPath}/authd.yaml`),
             `args ${JSON.stringify(c.args)} do not pass --config=${configMount.mountPath}/authd.yaml`);
    }
  }

  // Persistence.
  if (want.persistence) {
    const t = claimTemplates.get('data');
    if (expect(t, 'no volumeClaimTemplate "data"')) {
      expect(JSON.stringify(t.spec.accessModes) === JSON.stringify([want.accessMode]),
             `PVC accessModes ${JSON.stringify(t.spec.accessModes)}, want [${want.accessMode}]`);
      if (want.storageClass) expect(t.spec.storageClassName === want.storageClass, 'storageClassName');
      const rp = spec.persistentVolumeClaimRetentionPolicy;
      expect(rp && rp.whenDeleted && rp.whenScaled, 'no persistentVolumeClaimRetentionPolicy');
    }
    expect(!volumes.has('data'), 'data is both a pod volume and a claim template');
  } else {
    expect(!spec.volumeClaimTemplates, 'volumeClaimTemplates rendered with persistence off');
    expect(!spec.persistentVolumeClaimRetentionPolicy, 'retention policy rendered with persistence off');
    expect(volumes.get('data') && volumes.get('data').emptyDir, 'persistence off: data is not an emptyDir');
  }

  // Bootstrap Secret.
  const secrets = all('Secret');
  const initEnv = (c.env || []).filter((e) => e.name.startsWith('AUTHD_INIT_')).map((e) => e.name);
  if (want.bootstrap) {
    for (const n of ['USERNAME', 'PASSWORD', 'ORG', 'BUCKET', 'TOKEN', 'RETENTION_SECONDS']) {
      expect(initEnv.includes(`AUTHD_INIT_${n}`), `env AUTHD_INIT_${n} missing`);
    }
    for (const n of ['AUTHD_INIT_PASSWORD', 'AUTHD_INIT_TOKEN']) {
      const e = (c.env || []).find((x) => x.name === n);
      expect(e && e.valueFrom && e.valueFrom.secretKeyRef, `${n} does not come from a Secret`);
    }
    if (want.existingSecret) {
      expect(secrets.length === 0, 'a Secret is rendered although existingSecret is set');
    } else if (expect(secrets.length === 1, `want 1 bootstrap Secret, got ${secrets.length}`)) {
      const s = secrets[0];
      expect(Object.keys(s.data || {}).sort().join() ===
             [want.secretKeys.password, want.secretKeys.token].sort().join(),
             `Secret keys ${Object.keys(s.data || {})}`);
      expect((s.metadata.annotations || {})['helm.sh/resource-policy'] === 'keep',
             'the bootstrap Secret is not kept on uninstall');
    }
  } else {
    expect(initEnv.length === 0, `bootstrap off but env has ${initEnv}`);
    expect(secrets.length === 0, 'bootstrap off but a Secret is rendered');
  }

  // PodDisruptionBudget.
  const pdbs = all('PodDisruptionBudget');
  if (expect(pdbs.length === 1, `want 1 PodDisruptionBudget, got ${pdbs.length}`)) {
    const p = pdbs[0].spec;
    expect(matches(p.selector.matchLabels, podLabels), 'PDB selects other pods');
    if (want.minAvailable !== undefined) {
      expect(p.minAvailable === want.minAvailable && p.maxUnavailable === undefined, 'PDB minAvailable');
    } else {
      expect(p.maxUnavailable === 1 && p.minAvailable === undefined,
             'PDB is not maxUnavailable: 1 (anything stricter blocks node drains with 1 replica)');
    }
  }

  // NetworkPolicy.
  const nps = all('NetworkPolicy');
  let clientLabels = null;
  if (want.networkPolicy) {
    if (expect(nps.length === 1, `want 1 NetworkPolicy, got ${nps.length}`)) {
      const np = nps[0].spec;
      expect(matches(np.podSelector.matchLabels, podLabels) &&
             Object.keys(np.podSelector.matchLabels || {}).length > 0,
             'NetworkPolicy does not select the authd pod');
      expect((np.ingress || []).length === 1, 'want exactly one ingress rule');
      const rule = (np.ingress || [])[0] || {};
      const peer = (rule.from || [])[0] || {};
      clientLabels = peer.podSelector && peer.podSelector.matchLabels;
      expect(clientLabels && Object.keys(clientLabels).length > 0,
             'the first ingress peer is not a pod label selector');
      expect(!peer.namespaceSelector, 'the client peer is not limited to the release namespace');
      expect((rule.ports || []).length === 1 && rule.ports[0].port === 'grpc',
             'ingress is not limited to the grpc port');
      if (want.allowEgress) {
        expect(!(np.policyTypes || []).includes('Egress'), 'egress restricted with allowEgress');
      } else {
        expect((np.policyTypes || []).includes('Egress') && (np.egress || []).length === 0,
               'egress is not denied');
      }
    }
  } else {
    expect(nps.length === 0, 'NetworkPolicy rendered with networkPolicy.enabled=false');
  }

  // helm test pod.
  const tests = all('Pod').filter(isTestPod);
  if (want.bootstrap) {
    if (expect(tests.length === 1, `want 1 helm test pod, got ${tests.length}`)) {
      const t = tests[0];
      checkPodSecurity(t.spec, 'test pod');
      expect(t.spec.restartPolicy === 'Never', 'test pod restartPolicy is not Never');
      const tc = t.spec.containers[0];
      expect(JSON.stringify(tc.command) === JSON.stringify(['/usr/local/bin/authctl']),
             `test pod command ${JSON.stringify(tc.command)} is not the image's authctl`);
      const svc = services[0];
      expect(svc && (tc.args || []).includes(`--host=${svc.metadata.name}:${svc.spec.ports[0].port}`),
             `test pod does not call the Service: ${JSON.stringify(tc.args)}`);
      checkEnvRefs(tc, 'test pod');
      if (clientLabels) {
        expect(matches(clientLabels, t.metadata.labels),
               'the NetworkPolicy would block the helm test pod (no client labels)');
      }
    }
  } else {
    expect(tests.length === 0, 'helm test pod rendered without bootstrap (it has no token)');
  }

  // Data helper pod.
  const helpers = all('Pod').filter(isHelper);
  if (want.dataHelper) {
    if (expect(helpers.length === 1, `want 1 data helper pod, got ${helpers.length}`)) {
      const h = helpers[0].spec;
      checkPodSecurity(h, 'data helper');
      const v = (h.volumes || []).find((x) => x.name === 'data');
      expect(v && v.persistentVolumeClaim &&
             v.persistentVolumeClaim.claimName === `data-${sts.metadata.name}-0`,
             'the data helper does not mount the StatefulSet pod\'s PVC');
      const m = (h.containers[0].volumeMounts || []).find((x) => x.name === 'data');
      expect(m && m.mountPath === want.mountPath, 'the data helper mounts the volume elsewhere');
    }
  } else {
    expect(helpers.length === 0, 'data helper pod rendered');
  }

  // Other pods (helm test, data helper) must not be taken for authd: not selected by the
  // StatefulSet, a Service, the PDB or the NetworkPolicy (whose egress rule would cut them off).
  const selectors = [['StatefulSet', spec.selector.matchLabels]]
    .concat(all('Service').map((x) => [`Service ${x.metadata.name}`, x.spec.selector]))
    .concat(pdbs.map((x) => ['PodDisruptionBudget', x.spec.selector.matchLabels]))
    .concat(nps.map((x) => ['NetworkPolicy', x.spec.podSelector.matchLabels]));
  for (const p of all('Pod')) {
    for (const [what, sel] of selectors) {
      expect(!(sel && Object.keys(sel).length > 0 && matches(sel, p.metadata.labels)),
             `${what} selects pod ${p.metadata.name}, which is not an authd server`);
    }
  }

  // Every rendered object is namespaced to the release and labelled by the chart.
  for (const o of objs) {
    const labels = o.metadata.labels || {};
    expect(o.metadata.namespace, `${o.kind}/${o.metadata.name} has no namespace`);
    expect(labels['app.kubernetes.io/managed-by'] === 'Helm' && labels['helm.sh/chart'],
           `${o.kind}/${o.metadata.name} lacks the chart labels`);
  }

  for (const p of problems) console.log(`FAIL ${variant}: ${p}`);
  if (problems.length === 0) console.log(`ok   ${variant}: ${objs.length} objects keep the chart's promises`);
  return problems.length === 0;
}
