// InfluxDB's own JavaScript client (npm @influxdata/influxdb-client-apis 1.35.0) against authd's
// /api/v2: every endpoint authd serves, each error case of ../shared/reference/influxdb-v2-tokens.md
// §5 that a client can meet, checked by status code, InfluxDB error code and body fields.
// Usage: node influx_client_test.cjs http://127.0.0.1:PORT (influx_client_test.sh starts authd).
'use strict';
const assert = require('node:assert/strict');
const { InfluxDB, HttpError } = require('@influxdata/influxdb-client');
const apis = require('@influxdata/influxdb-client-apis');

const url = process.argv[2];
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url || '')) {
  console.error('usage: influx_client_test.cjs http://127.0.0.1:PORT');
  process.exit(2);
}
const anonymous = new InfluxDB({ url, timeout: 20000 });
const as = (token) => new InfluxDB({ url, token, timeout: 20000 });

let checks = 0;
async function step(name, fn) {
  try {
    await fn();
    checks++;
    console.log(`ok   ${name}`);
  } catch (e) {
    console.error(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
}

// Expects `promise` to fail with an HttpError of this status and InfluxDB code (and message part).
async function rejects(promise, status, code, messagePart) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof HttpError, `want HttpError ${status}, got ${error}`);
  assert.equal(error.statusCode, status, `status: ${error.body}`);
  assert.equal(error.code, code, `code: ${error.body}`);
  if (messagePart) assert.ok(error.json.message.includes(messagePart), `message: ${error.body}`);
  return error;
}

(async () => {
  const password = 'correct horse battery';
  let operator, org, bucket, admin;

  await step('GET /health passes', async () => {
    const h = await new apis.HealthAPI(anonymous).getHealth();
    assert.equal(h.status, 'pass');
  });
  await step('GET /ping answers 204', async () => {
    await new apis.PingAPI(anonymous).getPing();
  });
  await step('GET /api/v2/setup allows setup on a fresh authd', async () => {
    assert.deepEqual(await new apis.SetupAPI(anonymous).getSetup(), { allowed: true });
  });
  await step('POST /api/v2/setup without org and bucket: 422 unprocessable entity', async () => {
    await rejects(new apis.SetupAPI(anonymous).postSetup({ body: { username: 'admin' } }), 422,
      'unprocessable entity', 'missing required fields [org,bucket]');
  });
  await step('POST /api/v2/setup: user, org, bucket and an operator token, once', async () => {
    const r = await new apis.SetupAPI(anonymous).postSetup({
      body: { username: 'admin', password, org: 'acme', bucket: 'metrics', retentionPeriodSeconds: 3600 },
    });
    operator = r.auth.token;
    org = r.org;
    bucket = r.bucket;
    admin = r.user;
    assert.ok(operator.length > 20);
    assert.equal(r.auth.description, "admin's Token");
    assert.equal(r.auth.status, 'active');
    assert.equal(r.auth.permissions.length, 44);
    assert.equal(r.org.name, 'acme');
    assert.equal(r.bucket.name, 'metrics');
    assert.equal(r.bucket.orgID, org.id);
    assert.equal(r.bucket.retentionRules[0].everySeconds, 3600);
    assert.equal(r.user.name, 'admin');
    assert.equal(r.auth.hashedToken, undefined, 'no hash is ever sent');
  });
  await step('POST /api/v2/setup again: 422 conflict', async () => {
    await rejects(new apis.SetupAPI(anonymous).postSetup({
      body: { username: 'x', password, org: 'o', bucket: 'b' },
    }), 422, 'conflict', 'onboarding has already been completed');
    assert.deepEqual(await new apis.SetupAPI(anonymous).getSetup(), { allowed: false });
  });

  const auths = new apis.AuthorizationsAPI(as(operator));
  await step('GET /api/v2/me with the operator token', async () => {
    const me = await new apis.MeAPI(as(operator)).getMe();
    assert.equal(me.name, 'admin');
    assert.equal(me.id, admin.id);
  });
  await step('a missing or unknown token: 401 unauthorized access', async () => {
    await rejects(new apis.MeAPI(anonymous).getMe(), 401, 'unauthorized', 'unauthorized access');
    await rejects(new apis.MeAPI(as('authd_not-a-token')).getMe(), 401, 'unauthorized');
  });

  // Orgs, buckets, users.
  let second;
  await step('orgs: create, find by name and id, conflict on a duplicate', async () => {
    const orgs = new apis.OrgsAPI(as(operator));
    second = await orgs.postOrgs({ body: { name: 'second', description: 'another' } });
    assert.equal(second.name, 'second');
    assert.equal(second.description, 'another');
    assert.equal((await orgs.getOrgs({ org: 'second' })).orgs.length, 1);
    assert.equal((await orgs.getOrgs()).orgs.length, 2);
    assert.equal((await orgs.getOrgs({ limit: 1 })).orgs.length, 1);
    assert.equal((await orgs.getOrgsID({ orgID: second.id })).name, 'second');
    await rejects(orgs.postOrgs({ body: { name: 'second' } }), 422, 'conflict');
    await rejects(orgs.getOrgs({ limit: 1000 }), 400, 'invalid');
  });
  let logs;
  await step('buckets: create with a retention rule, list by org name, get, delete', async () => {
    const buckets = new apis.BucketsAPI(as(operator));
    logs = await buckets.postBuckets({
      body: { orgID: org.id, name: 'logs', retentionRules: [{ type: 'expire', everySeconds: 86400 }] },
    });
    assert.equal(logs.retentionRules[0].everySeconds, 86400);
    assert.equal((await buckets.getBuckets({ org: 'acme' })).buckets.length, 2);
    assert.equal((await buckets.getBuckets({ orgID: org.id, name: 'logs' })).buckets.length, 1);
    assert.equal((await buckets.getBucketsID({ bucketID: logs.id })).name, 'logs');
    const scratch = await buckets.postBuckets({ body: { orgID: second.id, name: 'scratch' } });
    await buckets.deleteBucketsID({ bucketID: scratch.id });
    await rejects(buckets.getBucketsID({ bucketID: scratch.id }), 404, 'not found');
    await rejects(buckets.getBuckets({ org: 'no-such-org' }), 404, 'not found');
  });
  let bob;
  await step('users: create, set a password, rename, find, deactivate', async () => {
    const users = new apis.UsersAPI(as(operator));
    bob = await users.postUsers({ body: { name: 'bob' } });
    assert.equal(bob.status, 'active');
    await users.postUsersIDPassword({ userID: bob.id, body: { password: 'bobs password 1' } });
    const renamed = await users.patchUsersID({ userID: bob.id, body: { name: 'robert' } });
    assert.equal(renamed.name, 'robert');
    assert.equal((await users.getUsers({ name: 'robert' })).users.length, 1);
    assert.equal((await users.getUsersID({ userID: bob.id })).name, 'robert');
    await rejects(users.postUsersIDPassword({ userID: bob.id, body: { password: 'short' } }), 400,
      'invalid');
  });

  // Tokens.
  const readMetrics = {
    orgID: org.id, description: 'metrics reader',
    permissions: [{ action: 'read', resource: { type: 'buckets', id: bucket.id, orgID: org.id } }],
  };
  let reader;
  await step('POST /api/v2/authorizations: 201 with the token, once', async () => {
    reader = await auths.postAuthorizations({ body: readMetrics });
    assert.ok(reader.token.length > 20);
    assert.equal(reader.userID, admin.id);
    assert.equal(reader.user, 'admin');
    assert.equal(reader.org, 'acme');
    assert.equal(reader.permissions[0].resource.name, 'metrics');
    assert.equal(reader.links.self, `/api/v2/authorizations/${reader.id}`);
    const again = await auths.getAuthorizationsID({ authID: reader.id });
    assert.equal(again.token, '', 'a hashed token is never shown again');
  });
  let bobs;
  await step('a token for another user (the operator may), and what that user sees', async () => {
    bobs = await auths.postAuthorizations({
      body: {
        orgID: org.id, userID: bob.id, description: 'robert all-access',
        permissions: [
          { action: 'read', resource: { type: 'authorizations', orgID: org.id } },
          { action: 'write', resource: { type: 'authorizations', orgID: org.id } },
          { action: 'read', resource: { type: 'users', id: bob.id } },
          { action: 'write', resource: { type: 'users', id: bob.id } },
          { action: 'read', resource: { type: 'buckets', orgID: org.id } },
        ],
      },
    });
    assert.equal(bobs.user, 'robert');
    // Silently filtered: robert sees his own token only.
    const seen = await new apis.AuthorizationsAPI(as(bobs.token)).getAuthorizations();
    assert.deepEqual(seen.authorizations.map((a) => a.id), [bobs.id]);
    assert.equal((await new apis.MeAPI(as(bobs.token)).getMe()).name, 'robert');
  });
  await step('GET /api/v2/authorizations with each filter', async () => {
    const ids = async (q) => (await auths.getAuthorizations(q)).authorizations.map((a) => a.id).sort();
    assert.equal((await ids({})).length, 3);
    assert.deepEqual(await ids({ userID: bob.id }), [bobs.id]);
    assert.deepEqual(await ids({ user: 'robert' }), [bobs.id]);
    assert.equal((await ids({ orgID: org.id })).length, 3);
    assert.equal((await ids({ org: 'acme' })).length, 3);
    assert.deepEqual(await ids({ orgID: second.id }), []);
    await rejects(auths.getAuthorizations({ user: 'nobody' }), 404, 'not found');
    await rejects(auths.getAuthorizations({ org: 'nowhere' }), 404, 'not found');
  });
  await step('create errors: 400 invalid, 403 forbidden (no escalation), 401', async () => {
    await rejects(auths.postAuthorizations({ body: { orgID: org.id, permissions: [] } }), 400,
      'invalid', 'authorization must include permissions');
    await rejects(auths.postAuthorizations({ body: { permissions: readMetrics.permissions } }), 400,
      'invalid', 'org id required');
    const write = { ...readMetrics, permissions: [{ action: 'write', resource: { type: 'buckets', orgID: org.id } }] };
    await rejects(new apis.AuthorizationsAPI(as(bobs.token)).postAuthorizations({ body: write }), 403,
      'forbidden', 'is not allowed');
    await rejects(new apis.AuthorizationsAPI(as(reader.token)).postAuthorizations({ body: readMetrics }),
      401, 'unauthorized');
    await rejects(new apis.AuthorizationsAPI(as(bobs.token)).getAuthorizationsID({ authID: reader.id }),
      401, 'unauthorized');
  });
  await step('PATCH /api/v2/authorizations/{id}: description and status', async () => {
    const r = await auths.patchAuthorizationsID({
      authID: reader.id, body: { description: 'renamed', status: 'inactive' },
    });
    assert.equal(r.description, 'renamed');
    assert.equal(r.status, 'inactive');
    await rejects(new apis.MeAPI(as(reader.token)).getMe(), 401, 'unauthorized', 'token is inactive');
    await rejects(auths.patchAuthorizationsID({ authID: reader.id, body: { status: 'paused' } }), 400,
      'invalid');
  });
  await step('DELETE /api/v2/authorizations/{id}: 204, then 404', async () => {
    await auths.deleteAuthorizationsID({ authID: reader.id });
    await rejects(auths.getAuthorizationsID({ authID: reader.id }), 404, 'not found');
    await rejects(auths.deleteAuthorizationsID({ authID: reader.id }), 404, 'not found');
    await rejects(auths.getAuthorizationsID({ authID: 'not-an-id' }), 400, 'invalid');
  });
  await step('an inactive user: 403 forbidden', async () => {
    await new apis.UsersAPI(as(operator)).patchUsersID({ userID: bob.id, body: { status: 'inactive' } });
    await rejects(new apis.MeAPI(as(bobs.token)).getMe(), 403, 'forbidden', 'user is inactive');
    await rejects(new apis.SigninAPI(anonymous).postSignin({ auth: { user: 'robert', password: 'bobs password 1' } }),
      403, 'forbidden');
    await new apis.UsersAPI(as(operator)).patchUsersID({ userID: bob.id, body: { status: 'active' } });
  });

  // Resources and config.
  await step('GET /api/v2/resources lists InfluxDB\'s types', async () => {
    const types = await new apis.ResourcesAPI(as(operator)).getResources();
    assert.ok(types.includes('buckets') && types.includes('authorizations'));
  });
  await step('GET /api/v2/config: operator only (401 otherwise)', async () => {
    const c = await new apis.ConfigAPI(as(operator)).getConfig();
    assert.equal(c.config.use_hashed_tokens, true);
    await rejects(new apis.ConfigAPI(as(bobs.token)).getConfig(), 401, 'unauthorized',
      'requires operator permissions');
  });

  // Sessions.
  let cookie;
  await step('POST /api/v2/signin: 401 for a bad password, then a session cookie', async () => {
    await rejects(new apis.SigninAPI(anonymous).postSignin({ auth: { user: 'admin', password: 'wrong one!' } }),
      401, 'unauthorized');
    await new apis.SigninAPI(anonymous).postSignin({ auth: { user: 'admin', password } }, {
      responseStarted: (headers) => {
        const set = [].concat(headers['set-cookie'] || []);
        cookie = set.map((c) => c.split(';')[0]).find((c) => c.startsWith('influxdb-oss-session='));
        assert.ok(set.some((c) => /HttpOnly/.test(c) && /SameSite=Strict/.test(c)), set.join());
      },
    });
    assert.ok(cookie, 'a session cookie');
    const me = await new apis.MeAPI(anonymous).getMe({}, { headers: { Cookie: cookie } });
    assert.equal(me.name, 'admin');
  });
  await step('POST /api/v2/signout ends the session', async () => {
    await new apis.SignoutAPI(anonymous).postSignout({}, { headers: { Cookie: cookie } });
    await rejects(new apis.MeAPI(anonymous).getMe({}, { headers: { Cookie: cookie } }), 401,
      'unauthorized');
  });
  await step('users and orgs: delete', async () => {
    await new apis.UsersAPI(as(operator)).deleteUsersID({ userID: bob.id });
    await rejects(new apis.UsersAPI(as(operator)).getUsersID({ userID: bob.id }), 404, 'not found');
    await new apis.OrgsAPI(as(operator)).deleteOrgsID({ orgID: second.id });
    await rejects(new apis.OrgsAPI(as(operator)).getOrgsID({ orgID: second.id }), 404, 'not found');
  });
  console.log(`${checks} checks passed`);
})();
