#!/usr/bin/env node
// Checks what the authd chart promises, on rendered variants (`helm template` output):
//   node chart_invariants.js TOOLS_DIR FILE.yaml:VARIANT...
// VARIANT is "default" or the name of a deploy/helm/authd/ci/<VARIANT>-values.yaml file. The
// promises: a 1-replica StatefulSet (0 only for data-helper; N only with etcd) behind a headless
// Service and a ClusterIP Service with appProtocol grpc; native gRPC probes on the listen port
// (with etcd, liveness is a TCP check: authd's gRPC health follows replication lag, which readiness
// reports); the restricted security posture on every pod; references (ConfigMap, Secret, PVC,
// volumes) that resolve; the PDB (fitting the replicas), the NetworkPolicy and the helm test pod;
// with etcd: one etcd-endpoints and prefix for every replica in the ConfigMap, the etcd password
// only from a Secret, anti-affinity, egress only to etcd and DNS; the bundled etcd: 3 members
// whose --initial-cluster names exactly them, its headless Service, PDB and NetworkPolicy; the
// InfluxDB HTTP API (http.enabled): http-listen on the pod's port named http, that port on both
// Services and admitted by the NetworkPolicy to the gRPC port's callers, and no probe on it (a
// full HTTP port answers 503, which must not get a healthy pod restarted); without it, none of
// these; Envoy ext_authz (extAuthz): the header prefix and authorization removal in the config
// file, and a route table only when given, as a key of the read-only config mount that
// ext-authz-routes names, a version 1 table; and each variant's own difference.
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
    'no-http': { http: false },
    'data-helper': { replicas: 0, dataHelper: true },
    full: { containerPort: 7443, servicePort: 443, httpContainerPort: 9086, httpServicePort: 80,
            accessMode: 'ReadWriteOncePod',
            storageClass: 'fast-ssd', minAvailable: 1, allowEgress: true, digest: true,
            mountPath: '/var/lib/authd', secretKeys: { password: 'admin-password', token: 'admin-token' } },
    'etcd-bundled': { replicas: 3, etcd: 'bundled' },
    'ext-authz': { extAuthz: { routes: 2, headerPrefix: 'x-influx-auth-', removeAuthorization: true } },
    'ext-authz-object': { extAuthz: { routes: 1, headerPrefix: 'x-authd-', removeAuthorization: false } },
    'etcd-external': {
      replicas: 3, etcd: 'external', etcdPrefix: '/tenants/authd/',
      etcdEndpoints: ['https://etcd-0.etcd.storage.svc:2379', 'https://etcd-1.etcd.storage.svc:2379',
                      'https://etcd-2.etcd.storage.svc:2379'],
      etcdUser: 'authd', etcdPassword: { name: 'authd-etcd-credentials', key: 'etcd-password' },
      etcdTlsSecret: 'authd-etcd-tls', antiAffinity: 'hard', topologyKey: 'topology.kubernetes.io/zone',
    },
  }[variant];
  if (!V) {
    console.log(`FAIL ${variant}: unknown variant (add its expectations to chart_invariants.js)`);
    return false;
  }
  const want = {
    replicas: 1, persistence: true, networkPolicy: true, bootstrap: true, dataHelper: false,
    containerPort: 50051, servicePort: 50051, accessMode: 'ReadWriteOnce', mountPath: '/data',
    http: true, httpContainerPort: 8086, httpServicePort: 8086,
    secretKeys: { password: 'password', token: 'token' }, existingSecret: '', allowEgress: false,
    etcd: null, etcdPrefix: '/authd/', etcdUser: '', etcdPassword: null, etcdTlsSecret: '',
    antiAffinity: 'soft', topologyKey: 'kubernetes.io/hostname',
    extAuthz: { routes: 0, headerPrefix: 'x-authd-', removeAuthorization: false },
    ...V,
  };
  // Secrets the operator brings (referenced, never rendered by the chart).
  const externalSecrets = [want.existingSecret, want.etcdPassword && want.etcdPassword.name,
    want.etcdTlsSecret].filter(Boolean);
  const component = (labels) => (labels || {})['app.kubernetes.io/component'];

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
        if (externalSecrets.includes(name)) {
          expect(byName('Secret', name) === undefined,
                 `${where}: existing Secret ${name} must not be rendered by the chart`);
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

  // ---- etcd (the replicated log). These run after the objects below are looked up.

  // authd's --etcd-endpoints: the bundled members' client URLs, or the existing cluster's.
  function expectedEndpoints() {
    if (want.etcd === 'external') return want.etcdEndpoints;
    const e = etcdStsList[0];
    if (!e) return [];
    return [0, 1, 2].map((i) =>
      `http://${e.metadata.name}-${i}.${e.spec.serviceName}.${e.metadata.namespace}.svc:2379`);
  }

  // The etcd options live in the one ConfigMap every replica mounts (so every replica gets the same
  // endpoints and prefix), nothing per pod overrides them, and the password is never there.
  function checkEtcdConfig(cm, cfg) {
    const c = containers[0];
    const etcdKeys = Object.keys(cfg).filter((k) => k.startsWith('etcd-') || k === 'max-replica-lag');
    for (const k of Object.keys(cfg)) {
      expect(!/(^|-)(password|secret)$/i.test(k), `the ConfigMap's authd.yaml has a key ${k}`);
    }
    for (const k of Object.keys(cm.data || {})) {
      expect(!/(^|[-_.])password$/i.test(k), `the ConfigMap has a key ${k}`);
    }
    const pw = (c.env || []).find((e) => e.name === 'AUTHD_ETCD_PASSWORD');
    expect(!pw || pw.value === undefined, 'AUTHD_ETCD_PASSWORD is a plain value, not a Secret reference');
    if (!want.etcd) {
      expect(etcdKeys.length === 0, `etcd options without etcd: ${etcdKeys}`);
      expect(!pw, 'AUTHD_ETCD_PASSWORD without etcd');
      return;
    }
    const endpoints = String(cfg['etcd-endpoints'] || '').split(',');
    expect(JSON.stringify(endpoints) === JSON.stringify(expectedEndpoints()),
           `etcd-endpoints ${cfg['etcd-endpoints']}, want ${expectedEndpoints().join(',')}`);
    expect(cfg['etcd-prefix'] === want.etcdPrefix, `etcd-prefix ${cfg['etcd-prefix']}, want ${want.etcdPrefix}`);
    expect(cfg['use-hashed-tokens'] === true, 'etcd with use-hashed-tokens off (authd refuses it)');
    expect(Number.isInteger(cfg['etcd-snapshot-every']), 'etcd-snapshot-every is not an integer');
    expect(typeof cfg['max-replica-lag'] === 'string', 'max-replica-lag is not a duration');
    for (const e of c.env || []) {
      expect(!/^AUTHD_(ETCD_|MAX_REPLICA_LAG)/.test(e.name) || e.name === 'AUTHD_ETCD_PASSWORD',
             `env ${e.name} would override the ConfigMap's etcd options for this pod`);
    }
    expect(!(c.args || []).some((a) => /^--(etcd-|max-replica-lag)/.test(a)),
           `args ${JSON.stringify(c.args)} override the ConfigMap's etcd options`);
    if (want.etcdUser) {
      expect(cfg['etcd-user'] === want.etcdUser, `etcd-user ${cfg['etcd-user']}, want ${want.etcdUser}`);
      const ref = pw && pw.valueFrom && pw.valueFrom.secretKeyRef;
      expect(ref && ref.name === want.etcdPassword.name && ref.key === want.etcdPassword.key,
             `AUTHD_ETCD_PASSWORD does not come from Secret ${want.etcdPassword.name} key ${want.etcdPassword.key}`);
    } else {
      expect(cfg['etcd-user'] === undefined && !pw, 'etcd user or password without etcd.auth');
    }
    const tlsKeys = ['etcd-ca-file', 'etcd-cert-file', 'etcd-key-file'];
    if (want.etcdTlsSecret) {
      const vol = volumes.get('etcd-tls');
      const mount = mounts.get('etcd-tls');
      if (expect(vol && vol.secret && vol.secret.secretName === want.etcdTlsSecret && mount,
                 `no etcd-tls volume from Secret ${want.etcdTlsSecret}`)) {
        expect(mount.readOnly === true, 'the etcd TLS Secret is not mounted read-only');
        const files = (vol.secret.items || []).map((i) => `${mount.mountPath}/${i.path}`);
        for (const k of tlsKeys) {
          expect(files.includes(cfg[k]), `${k} ${cfg[k]} is not a file of the etcd TLS Secret`);
        }
      }
      for (const u of endpoints) expect(u.startsWith('https://'), `TLS to a plaintext endpoint ${u}`);
    } else {
      for (const k of tlsKeys) expect(cfg[k] === undefined, `${k} without etcd.tls`);
      expect(!volumes.has('etcd-tls'), 'an etcd-tls volume without etcd.tls');
    }
  }

  // Envoy ext_authz: the options in the config file (nothing per pod overrides them), and the route
  // table (want.extAuthz.routes routes; 0: none) on the config mount, where authd reads it.
  function checkExtAuthz(cm, cfg, configMount, configVol) {
    const c = containers[0];
    const ext = want.extAuthz;
    expect(cfg['ext-authz-header-prefix'] === ext.headerPrefix,
           `ext-authz-header-prefix ${cfg['ext-authz-header-prefix']}, want ${ext.headerPrefix}`);
    expect(cfg['ext-authz-remove-authorization'] === ext.removeAuthorization,
           `ext-authz-remove-authorization ${cfg['ext-authz-remove-authorization']}, want ${ext.removeAuthorization}`);
    for (const e of c.env || []) {
      expect(!e.name.startsWith('AUTHD_EXT_AUTHZ_'), `env ${e.name} would override the ConfigMap's ext-authz options`);
    }
    expect(!(c.args || []).some((a) => a.startsWith('--ext-authz-')),
           `args ${JSON.stringify(c.args)} override the ConfigMap's ext-authz options`);
    const file = cfg['ext-authz-routes'];
    const extraKeys = Object.keys(cm.data || {}).filter((k) => k !== 'authd.yaml');
    if (!ext.routes) {
      expect(file === undefined, `ext-authz-routes ${file} without extAuthz.routes`);
      expect(extraKeys.length === 0, `ConfigMap keys ${extraKeys} without extAuthz.routes`);
      return;
    }
    const dir = `${configMount.mountPath}/`;
    if (!expect(typeof file === 'string' && file.startsWith(dir) && !file.slice(dir.length).includes('/'),
                `ext-authz-routes ${file} is not a file of the config mount ${dir}`)) return;
    const key = file.slice(dir.length);
    const items = configVol.configMap.items;
    expect(!items || items.some((i) => i.key === key && i.path === key), `the config volume does not project ${key}`);
    if (!expect((cm.data || {})[key] !== undefined, `the ConfigMap has no key ${key}`)) return;
    expect(extraKeys.length === 1, `ConfigMap keys ${extraKeys}, want only ${key} beside authd.yaml`);
    let table = null;
    try { table = YAML.parse(cm.data[key]); } catch (e) { expect(false, `${key} is not YAML: ${e.message}`); }
    if (!table) return;
    expect(table.version === 1, `${key}: version ${table.version}, want 1`);
    const routes = Array.isArray(table.routes) ? table.routes : [];
    expect(routes.length === ext.routes, `${key}: ${routes.length} routes, want ${ext.routes}`);
    routes.forEach((r, i) => expect(r && typeof r.path === 'string' && ['read', 'write'].includes(r.action) &&
                                      typeof r.resource_type === 'string', `${key}: routes[${i}] is not a route`));
  }

  // A podAntiAffinity of `type` (soft: preferred, hard: required) on `topologyKey` against the
  // pods carrying `labels` (the pods' own).
  function checkAntiAffinity(anti, labels, type, topologyKey, who) {
    if (!expect(anti, `${who}: no podAntiAffinity`)) return;
    const terms = type === 'hard'
      ? (anti.requiredDuringSchedulingIgnoredDuringExecution || [])
      : (anti.preferredDuringSchedulingIgnoredDuringExecution || []).map((t) => t.podAffinityTerm);
    expect(terms.some((t) => t && t.topologyKey === topologyKey && t.labelSelector &&
                       Object.keys(t.labelSelector.matchLabels || {}).length > 0 &&
                       matches(t.labelSelector.matchLabels, labels)),
           `${who}: podAntiAffinity is not ${type} on ${topologyKey} against its own pods`);
  }

  const allowsPort = (rule, port, protocol) =>
    (rule.ports || []).some((p) => p.port === port && (p.protocol || 'TCP') === protocol);

  // With etcd, authd's only egress: DNS, and TCP to etcd's client port(s) (the bundled members only).
  function checkEtcdEgress(np) {
    expect((np.policyTypes || []).includes('Egress'), 'egress is not restricted');
    const etcdPorts = want.etcd === 'bundled' ? [2379]
      : [...new Set(want.etcdEndpoints.map((u) => Number(/:([0-9]+)$/.exec(u)[1])))];
    const rules = np.egress || [];
    for (const r of rules) {
      expect((r.ports || []).length > 0, 'an egress rule open on every port');
      for (const p of r.ports || []) {
        const dns = p.port === 53 && ['UDP', 'TCP'].includes(p.protocol || 'TCP');
        const etcd = etcdPorts.includes(p.port) && (p.protocol || 'TCP') === 'TCP';
        expect(dns || etcd, `egress to port ${p.port}/${p.protocol} (only DNS and etcd are needed)`);
      }
    }
    expect(rules.some((r) => allowsPort(r, 53, 'UDP')), 'egress to DNS (53/UDP) denied: etcd names would not resolve');
    for (const port of etcdPorts) {
      const to = rules.filter((r) => allowsPort(r, port, 'TCP'));
      expect(to.length > 0, `egress to etcd port ${port} denied`);
      if (want.etcd === 'bundled' && etcdStsList[0]) {
        const members = etcdStsList[0].spec.template.metadata.labels;
        expect(to.every((r) => (r.to || []).length > 0 && r.to.every((peer) =>
                 peer.podSelector && !peer.namespaceSelector && !peer.ipBlock &&
                 matches(peer.podSelector.matchLabels, members))),
               `egress to port ${port} reaches more than the bundled etcd members`);
      }
    }
  }

  // The bundled etcd: 3 members bootstrapped statically, each naming itself as --initial-cluster
  // names it, resolvable before they are ready, one disruption at a time, spread over nodes.
  function checkBundledEtcd() {
    const es = etcdSts.spec;
    const ns = etcdSts.metadata.namespace;
    const name = etcdSts.metadata.name;
    const ep = es.template.spec;
    expect(es.replicas === 3, `etcd replicas ${es.replicas}, want 3`);
    expect(es.podManagementPolicy === 'Parallel',
           'etcd podManagementPolicy is not Parallel (a lone member never gets ready, so OrderedReady never starts its peers)');
    expect(matches(es.selector.matchLabels, etcdPodLabels), 'the etcd StatefulSet selector does not match its pods');
    checkPodSecurity(ep, 'etcd StatefulSet');
    const hl = byName('Service', es.serviceName);
    if (expect(hl && etcdServices.includes(hl), `etcd serviceName ${es.serviceName} is not a rendered etcd Service`)) {
      expect(hl.spec.clusterIP === 'None', 'the etcd Service is not headless');
      expect(hl.spec.publishNotReadyAddresses === true,
             'the etcd Service does not publish unready members (they must resolve each other to form a quorum)');
      expect(matches(hl.spec.selector, etcdPodLabels), 'the etcd Service selects other pods');
      const ports = (hl.spec.ports || []).map((p) => `${p.name}:${p.port}`).sort().join();
      expect(ports === 'client:2379,peer:2380', `etcd Service ports ${ports}`);
    }
    const ec = (ep.containers || []).find((x) => x.name === 'etcd');
    if (!expect(ec && (ep.containers || []).length === 1, 'want one container named etcd')) return;
    expect(JSON.stringify(ec.command) === JSON.stringify(['/usr/local/bin/etcd']),
           `etcd command ${JSON.stringify(ec.command)}`);
    const args = new Map((ec.args || []).map((a) => {
      const eq = a.indexOf('=');
      return eq < 0 ? [a, ''] : [a.slice(0, eq), a.slice(eq + 1)];
    }));
    const host = (member) => `${member}.${es.serviceName}.${ns}.svc`;
    const members = [0, 1, 2].map((i) => `${name}-${i}`);
    const initial = members.map((m) => `${m}=http://${host(m)}:2380`).join(',');
    expect(args.get('--initial-cluster') === initial,
           `--initial-cluster ${args.get('--initial-cluster')} does not name exactly the members ${members}`);
    const podName = (ec.env || []).find((e) => e.name === 'POD_NAME');
    expect(podName && podName.valueFrom && podName.valueFrom.fieldRef &&
           podName.valueFrom.fieldRef.fieldPath === 'metadata.name', 'env POD_NAME is not the pod name');
    expect(args.get('--name') === '$(POD_NAME)', `--name ${args.get('--name')} is not the pod name`);
    expect(args.get('--initial-advertise-peer-urls') === `http://${host('$(POD_NAME)')}:2380`,
           'a member does not advertise the peer URL --initial-cluster gives it');
    expect(args.get('--advertise-client-urls') === `http://${host('$(POD_NAME)')}:2379`,
           'a member does not advertise the client URL authd is given');
    expect(args.get('--initial-cluster-state') === 'new', '--initial-cluster-state is not new');
    const dataMount = (ec.volumeMounts || []).find((m) => m.name === 'data');
    const claim = (es.volumeClaimTemplates || []).find((t) => t.metadata.name === 'data');
    expect(dataMount && claim && (args.get('--data-dir') || '').startsWith(`${dataMount.mountPath}/`),
           `etcd --data-dir ${args.get('--data-dir')} is not on the member's own PVC`);
    expect(claim && JSON.stringify(claim.spec.accessModes) === '["ReadWriteOnce"]', 'etcd PVC accessModes');
    const ports = (ec.ports || []).map((p) => `${p.name}:${p.containerPort}`).sort().join();
    expect(ports === 'client:2379,peer:2380', `etcd container ports ${ports}`);
    expect(ec.readinessProbe && ec.livenessProbe, 'etcd has no readiness or liveness probe');
    expect(!(ec.livenessProbe && ec.livenessProbe.httpGet),
           'etcd liveness checks /health: members without quorum would be restarted, which never restores it');
    if (expect(etcdPdbs.length === 1, `want 1 etcd PodDisruptionBudget, got ${etcdPdbs.length}`)) {
      const p = etcdPdbs[0].spec;
      expect(matches(p.selector.matchLabels, etcdPodLabels), 'the etcd PDB selects other pods');
      expect(p.maxUnavailable === 1 || p.minAvailable === 2,
             'the etcd PDB does not keep a quorum of 2 (maxUnavailable 1 or minAvailable 2)');
    }
    checkAntiAffinity((ep.affinity || {}).podAntiAffinity, etcdPodLabels, 'soft',
                      'kubernetes.io/hostname', 'etcd');
    if (want.networkPolicy) {
      if (expect(etcdNps.length === 1, `want 1 etcd NetworkPolicy, got ${etcdNps.length}`)) {
        const np = etcdNps[0].spec;
        expect(matches(np.podSelector.matchLabels, etcdPodLabels), 'the etcd NetworkPolicy selects other pods');
        const isMember = (peer) => peer.podSelector && !peer.namespaceSelector && !peer.ipBlock &&
          Object.keys(peer.podSelector.matchLabels || {}).length > 0 &&
          matches(peer.podSelector.matchLabels, etcdPodLabels);
        const isAuthd = (peer) => peer.podSelector && !peer.namespaceSelector && !peer.ipBlock &&
          Object.keys(peer.podSelector.matchLabels || {}).length > 0 &&
          matches(peer.podSelector.matchLabels, podLabels);
        for (const r of np.ingress || []) {
          expect((r.from || []).length > 0 && (r.ports || []).length > 0,
                 'an etcd ingress rule open to every peer or port');
          const peerPort = (r.ports || []).some((p) => p.port === 'peer' || p.port === 2380);
          for (const peer of r.from || []) {
            expect(isMember(peer) || (!peerPort && isAuthd(peer)),
                   `etcd ingress admits ${JSON.stringify(peer)} (only authd on the client port, members on both)`);
          }
        }
        expect((np.ingress || []).some((r) => (r.from || []).some(isAuthd) &&
                 (r.ports || []).some((p) => p.port === 'client' || p.port === 2379)),
               'the etcd NetworkPolicy does not admit authd on the client port');
        if (!want.allowEgress) {
          expect((np.policyTypes || []).includes('Egress') &&
                 (np.egress || []).some((r) => allowsPort(r, 2380, 'TCP')),
                 'etcd egress is not restricted to its peers (and DNS)');
        }
      }
    }
  }

  // ---- StatefulSet (authd's: its pods are the "server" component; the bundled etcd's are "etcd").
  const stsList = all('StatefulSet').filter((o) => component(o.spec.template.metadata.labels) === 'server');
  const etcdStsList = all('StatefulSet').filter((o) => component(o.spec.template.metadata.labels) === 'etcd');
  expect(stsList.length === 1, `want exactly 1 authd StatefulSet, got ${stsList.length}`);
  expect(etcdStsList.length === (want.etcd === 'bundled' ? 1 : 0),
         `want ${want.etcd === 'bundled' ? 1 : 0} etcd StatefulSet, got ${etcdStsList.length}`);
  expect(all('StatefulSet').length === stsList.length + etcdStsList.length,
         'a StatefulSet that is neither authd\'s nor the bundled etcd\'s');
  const sts = stsList[0];
  if (!sts) {
    problems.forEach((p) => console.log(`FAIL ${variant}: ${p}`));
    return false;
  }
  const spec = sts.spec;
  const pod = spec.template.spec;
  const podLabels = spec.template.metadata.labels;
  expect(spec.replicas === want.replicas, `StatefulSet replicas ${spec.replicas}, want ${want.replicas}`);
  expect(want.replicas <= 1 || want.etcd, 'more than one replica without etcd (one writer only)');
  // With etcd the replicas are independent (one catching up holds up no other); without it,
  // the single writer keeps the ordered policy it was installed with (the field is immutable).
  expect(spec.podManagementPolicy === (want.etcd ? 'Parallel' : 'OrderedReady'),
         `podManagementPolicy ${spec.podManagementPolicy}`);
  expect(matches(spec.selector.matchLabels, podLabels), 'StatefulSet selector does not match its pods');
  checkPodSecurity(pod, 'StatefulSet');
  expect(pod.terminationGracePeriodSeconds >= 15,
         `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < 15 (authd drains 10 s)`);

  const headless = byName('Service', spec.serviceName);
  if (expect(headless, `serviceName ${spec.serviceName} is not a rendered Service`)) {
    expect(headless.spec.clusterIP === 'None', 'the StatefulSet serviceName is not headless');
    expect(matches(headless.spec.selector, podLabels), 'headless Service selects other pods');
  }
  const etcdServices = all('Service').filter((s) => component(s.spec.selector) === 'etcd');
  const authdServices = all('Service').filter((s) => !etcdServices.includes(s));
  const services = authdServices.filter((s) => s.spec.clusterIP !== 'None');
  expect(services.length === 1, `want 1 client Service, got ${services.length}`);
  const svcPort = (svc, name) => (svc.spec.ports || []).find((p) => p.name === name);
  for (const svc of authdServices) {
    const port = svcPort(svc, 'grpc');
    if (expect(port, `Service ${svc.metadata.name} has no port named grpc`)) {
      expect(port.appProtocol === 'grpc', `Service ${svc.metadata.name}: appProtocol is not grpc`);
      expect(port.targetPort === 'grpc', `Service ${svc.metadata.name}: targetPort is not grpc`);
    }
    const http = svcPort(svc, 'http');
    if (want.http) {
      if (expect(http, `Service ${svc.metadata.name} has no port named http`)) {
        expect(http.appProtocol === 'http', `Service ${svc.metadata.name}: http appProtocol is not http`);
        expect(http.targetPort === 'http', `Service ${svc.metadata.name}: http targetPort is not http`);
        expect((http.protocol || 'TCP') === 'TCP', `Service ${svc.metadata.name}: http is not TCP`);
      }
    } else {
      expect(!http, `Service ${svc.metadata.name} has an http port with http.enabled false`);
    }
    expect((svc.spec.ports || []).length === (want.http ? 2 : 1),
           `Service ${svc.metadata.name} ports ${(svc.spec.ports || []).map((p) => p.name)}`);
    expect(matches(svc.spec.selector, podLabels), `Service ${svc.metadata.name} selects other pods`);
  }
  if (services[0]) {
    const grpc = svcPort(services[0], 'grpc');
    expect(grpc && grpc.port === want.servicePort,
           `Service port ${grpc && grpc.port}, want ${want.servicePort}`);
    const http = svcPort(services[0], 'http');
    if (want.http) {
      expect(http && http.port === want.httpServicePort,
             `Service http port ${http && http.port}, want ${want.httpServicePort}`);
    }
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
  const httpPort = (c.ports || []).find((p) => p.name === 'http');
  if (want.http) {
    expect(httpPort && httpPort.containerPort === want.httpContainerPort &&
           (httpPort.protocol || 'TCP') === 'TCP',
           `container port http is not ${want.httpContainerPort}/TCP`);
  } else {
    expect(!httpPort, 'a container port named http with http.enabled false');
  }
  expect((c.ports || []).length === (want.http ? 2 : 1),
         `container ports ${(c.ports || []).map((p) => p.name)}`);
  for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const p = c[kind];
    // The HTTP port's connections and workers are shared with every HTTP client, and a full port
    // answers /ping with 503: a probe there would restart (or unready) a healthy pod under load.
    const handler = p && (p.httpGet || p.tcpSocket || p.grpc);
    expect(!(p && p.httpGet), `${kind} is an httpGet probe (the HTTP port may be full; use gRPC)`);
    expect(!(handler && [want.httpContainerPort, 'http'].includes(handler.port)),
           `${kind} checks the HTTP port, whose capacity every HTTP client shares`);
    if (want.etcd && kind === 'livenessProbe') {
      // authd reports NOT_SERVING ("" and every service) while it lags behind etcd: a gRPC
      // liveness probe would restart a replica that only needs time to catch up.
      if (!expect(p && p.tcpSocket && !p.grpc, 'with etcd, livenessProbe is not a TCP check')) continue;
      expect(p.tcpSocket.port === want.containerPort,
             `livenessProbe port ${p.tcpSocket.port}, want ${want.containerPort}`);
      continue;
    }
    if (!expect(p && p.grpc, `${kind} is not a native gRPC probe`)) continue;
    expect(p.grpc.port === want.containerPort, `${kind} port ${p.grpc.port}, want ${want.containerPort}`);
    expect(typeof p.grpc.service === 'string', `${kind} declares no service name`);
  }
  // Readiness is the gRPC health check of an authd service: SERVING once the store is open and,
  // with etcd, only while the replica has caught up (--max-replica-lag).
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
      if (want.http) {
        expect(cfg['http-listen'] === `0.0.0.0:${want.httpContainerPort}`,
               `config http-listen ${cfg['http-listen']}, want 0.0.0.0:${want.httpContainerPort}`);
      } else {
        expect(cfg['http-listen'] === undefined,
               `config http-listen ${cfg['http-listen']} with http.enabled false`);
      }
      // Nothing per pod overrides the config file's addresses.
      for (const e of c.env || []) {
        expect(!['AUTHD_LISTEN', 'AUTHD_HTTP_LISTEN'].includes(e.name),
               `env ${e.name} would override the config file's listen address`);
      }
      const dataMount = mounts.get('data');
      expect(dataMount && dataMount.mountPath === want.mountPath,
             `data volume not mounted at ${want.mountPath}`);
      expect(dataMount && typeof cfg['data-dir'] === 'string' &&
             cfg['data-dir'].startsWith(`${dataMount.mountPath}/`),
             `config data-dir ${cfg['data-dir']} is not on the data volume`);
      expect((c.args || []).includes(`--config=${configMount.mountPath}/authd.yaml`),
             `args ${JSON.stringify(c.args)} do not pass --config=${configMount.mountPath}/authd.yaml`);
      checkEtcdConfig(cm, cfg);
      checkExtAuthz(cm, cfg, configMount, configVol);
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

  // PodDisruptionBudget: it fits the replicas (with more than one, an eviction is always allowed
  // while all are up, and never more than one at a time by default).
  const allPdbs = all('PodDisruptionBudget');
  const pdbs = allPdbs.filter((x) => component(x.spec.selector.matchLabels) !== 'etcd');
  if (expect(pdbs.length === 1, `want 1 PodDisruptionBudget, got ${pdbs.length}`)) {
    const p = pdbs[0].spec;
    expect(matches(p.selector.matchLabels, podLabels), 'PDB selects other pods');
    if (want.minAvailable !== undefined) {
      expect(p.minAvailable === want.minAvailable && p.maxUnavailable === undefined, 'PDB minAvailable');
    } else {
      expect(p.maxUnavailable === 1 && p.minAvailable === undefined,
             'PDB is not maxUnavailable: 1 (anything stricter blocks node drains with 1 replica; ' +
             `more lets a drain take several of the ${want.replicas} replicas at once)`);
    }
    if (want.replicas > 1) {
      expect(typeof p.minAvailable !== 'number' || p.minAvailable < want.replicas,
             `PDB minAvailable ${p.minAvailable} blocks every eviction of ${want.replicas} replicas`);
      expect(typeof p.maxUnavailable !== 'number' || p.maxUnavailable >= 1,
             `PDB maxUnavailable ${p.maxUnavailable} blocks every eviction of ${want.replicas} replicas`);
    }
  }

  // Anti-affinity: with etcd (N replicas), the replicas are spread over topologyKey.
  const anti = (pod.affinity || {}).podAntiAffinity;
  if (want.etcd) {
    checkAntiAffinity(anti, podLabels, want.antiAffinity, want.topologyKey, 'authd');
  } else {
    expect(!anti, 'podAntiAffinity rendered for a single writer');
  }

  // NetworkPolicy.
  const allNps = all('NetworkPolicy');
  const nps = allNps.filter((x) => component(x.spec.podSelector.matchLabels) !== 'etcd');
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
      // One rule, so the HTTP port admits exactly the gRPC port's callers.
      const ports = (rule.ports || []).map((p) => `${p.port}/${p.protocol || 'TCP'}`).join();
      const wantPorts = want.http ? 'grpc/TCP,http/TCP' : 'grpc/TCP';
      expect(ports === wantPorts, `ingress ports ${ports}, want ${wantPorts}`);
      if (want.allowEgress) {
        expect(!(np.policyTypes || []).includes('Egress'), 'egress restricted with allowEgress');
      } else if (want.etcd) {
        checkEtcdEgress(np);
      } else {
        expect((np.policyTypes || []).includes('Egress') && (np.egress || []).length === 0,
               'egress is not denied');
      }
    }
  } else {
    expect(allNps.length === 0, 'NetworkPolicy rendered with networkPolicy.enabled=false');
  }

  // ---- The bundled etcd.
  const etcdSts = etcdStsList[0];
  const etcdPodLabels = etcdSts ? etcdSts.spec.template.metadata.labels : null;
  const etcdPdbs = allPdbs.filter((x) => component(x.spec.selector.matchLabels) === 'etcd');
  const etcdNps = allNps.filter((x) => component(x.spec.podSelector.matchLabels) === 'etcd');
  if (etcdSts) {
    checkBundledEtcd();
  } else {
    expect(etcdServices.length === 0 && etcdPdbs.length === 0 && etcdNps.length === 0,
           'etcd Service, PDB or NetworkPolicy rendered without the bundled etcd');
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
      const grpc = svc && svcPort(svc, 'grpc');
      expect(grpc && (tc.args || []).includes(`--host=${svc.metadata.name}:${grpc.port}`),
             `test pod does not call the Service's grpc port: ${JSON.stringify(tc.args)}`);
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

  // Other pods (helm test, data helper, etcd members) must not be taken for authd: not selected
  // by the StatefulSet, a Service, the PDB or the NetworkPolicy (whose egress rule would cut them
  // off); nor authd's pods (or the others) for etcd members.
  const selectors = [['StatefulSet', spec.selector.matchLabels]]
    .concat(authdServices.map((x) => [`Service ${x.metadata.name}`, x.spec.selector]))
    .concat(pdbs.map((x) => ['PodDisruptionBudget', x.spec.selector.matchLabels]))
    .concat(nps.map((x) => ['NetworkPolicy', x.spec.podSelector.matchLabels]));
  const others = all('Pod').map((p) => [`pod ${p.metadata.name}`, p.metadata.labels]);
  if (etcdSts) others.push(['the etcd members', etcdPodLabels]);
  for (const [name, labels] of others) {
    for (const [what, sel] of selectors) {
      expect(!(sel && Object.keys(sel).length > 0 && matches(sel, labels)),
             `${what} selects ${name}, which is not an authd server`);
    }
  }
  if (etcdSts) {
    const etcdSelectors = [['etcd StatefulSet', etcdSts.spec.selector.matchLabels]]
      .concat(etcdServices.map((x) => [`Service ${x.metadata.name}`, x.spec.selector]))
      .concat(etcdPdbs.map((x) => ['etcd PodDisruptionBudget', x.spec.selector.matchLabels]))
      .concat(etcdNps.map((x) => ['etcd NetworkPolicy', x.spec.podSelector.matchLabels]));
    const nonMembers = all('Pod').map((p) => [`pod ${p.metadata.name}`, p.metadata.labels])
      .concat([['the authd pods', podLabels]]);
    for (const [name, labels] of nonMembers) {
      for (const [what, sel] of etcdSelectors) {
        expect(!(sel && Object.keys(sel).length > 0 && matches(sel, labels)),
               `${what} selects ${name}, which is not an etcd member`);
      }
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
