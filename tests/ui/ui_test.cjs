// The web UI end to end in Debian's Chromium (headless, driven by npm playwright-core): sign in
// (a wrong password first), create a read token for one bucket, see it once, rename it,
// deactivate it, delete it, each checked against the API too; a session that expires sends the
// page back to sign-in. Also: the strict CSP holds (no violation, no page error), the new token is
// in no storage, cookie or URL, and the answers carry the security headers.
// Usage: node ui_test.cjs http://127.0.0.1:PORT http://127.0.0.1:PORT2 SCREENSHOT_DIR
//   (PORT2: an authd with an 8 s session TTL; ui_test.sh starts both.)
'use strict';
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');

const [url, shortUrl, shots] = process.argv.slice(2);
for (const u of [url, shortUrl]) {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(u || '')) {
    console.error('usage: ui_test.cjs http://127.0.0.1:PORT http://127.0.0.1:PORT2 DIR');
    process.exit(2);
  }
}
const password = 'correct horse battery';

async function setup(base) {
  const r = await fetch(`${base}/api/v2/setup`, {
    method: 'POST',
    body: JSON.stringify({ username: 'admin', password, org: 'acme', bucket: 'metrics' }),
  });
  assert.equal(r.status, 201);
  const j = await r.json();
  // A second bucket, so that choosing one of them means something.
  const b = await fetch(`${base}/api/v2/buckets`, {
    method: 'POST', headers: { Authorization: `Token ${j.auth.token}` },
    body: JSON.stringify({ orgID: j.org.id, name: 'logs' }),
  });
  assert.equal(b.status, 201);
  return j;
}

async function me(base, token) {
  const r = await fetch(`${base}/api/v2/me`, { headers: { Authorization: `Token ${token}` } });
  return { status: r.status, body: await r.json() };
}

let checks = 0;
async function step(name, fn) {
  await fn();
  checks++;
  console.log(`ok   ${name}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.AUTHD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  try {
    const setupResult = await setup(url);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) problems.push(`request to another origin: ${r.url()}`);
    });

    await step('the page loads with a strict CSP and shows sign-in', async () => {
      const res = await page.goto(`${url}/`);
      assert.equal(res.status(), 200);
      const h = res.headers();
      assert.match(h['content-security-policy'], /script-src 'self'/);
      assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
      assert.equal(h['x-frame-options'], 'DENY');
      await page.locator('#signin-form').waitFor();
    });
    await step('a wrong password is refused with a message', async () => {
      await page.fill('#signin-user', 'admin');
      await page.fill('#signin-password', 'not the password');
      await page.click('#signin-submit');
      await page.locator('#signin-error', { hasText: 'Wrong user name or password.' }).waitFor();
    });
    await step('sign in: the token list shows the operator token', async () => {
      await page.fill('#signin-user', 'admin');
      await page.fill('#signin-password', password);
      await page.click('#signin-submit');
      await page.locator('#tokens-body tr', { hasText: "admin's Token" }).waitFor();
      assert.equal(await page.locator('#who').textContent(), 'admin');
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'influxdb-oss-session');
      assert.ok(session && session.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
      assert.equal(await page.evaluate(() => document.cookie), '', 'the session is invisible to scripts');
    });

    let token;
    await step('create a read token for one bucket and see it once', async () => {
      await page.click('#create-open');
      await page.fill('#create-description', 'metrics reader');
      await page.locator('#create-buckets-body input[aria-label="read metrics"]').check();
      await page.click('#create-submit');
      await page.locator('#secret-dialog[open]').waitFor();
      token = await page.inputValue('#secret-value');
      assert.match(token, /^authd_/);
      await page.screenshot({ path: `${shots}/ui-new-token.png` });
      // It works, as the reader it should be.
      const r = await me(url, token);
      assert.equal(r.status, 200);
      assert.equal(r.body.name, 'admin');
      // Nowhere else on the client.
      const stored = await page.evaluate(() => JSON.stringify([localStorage, sessionStorage, location.href, document.cookie]));
      assert.ok(!stored.includes(token), 'the token must not be stored or in the URL');
      await page.click('#secret-close');
      await page.locator('#secret-dialog').waitFor({ state: 'hidden' });
      assert.equal(await page.inputValue('#secret-value'), '', 'closed: the token is gone from the page');
      const row = page.locator('#tokens-body tr', { hasText: 'metrics reader' });
      await row.waitFor();
      assert.match(await row.textContent(), /read bucket 'metrics' in acme/);
      assert.ok(!(await page.content()).includes(token), 'the list never shows the token');
    });
    await step('the API agrees: read on metrics, not on logs', async () => {
      const list = await fetch(`${url}/api/v2/authorizations?user=admin`, {
        headers: { Authorization: `Token ${setupResult.auth.token}` },
      }).then((r) => r.json());
      const made = list.authorizations.find((a) => a.description === 'metrics reader');
      assert.deepEqual(made.permissions.map((p) => `${p.action}:${p.resource.type}:${p.resource.name}`),
        ['read:buckets:metrics']);
    });
    await step('search and the status filter', async () => {
      await page.fill('#search', 'reader');
      await page.locator('#tokens-body tr').first().waitFor();
      assert.equal(await page.locator('#tokens-body tr').count(), 1);
      await page.fill('#search', '');
      await page.selectOption('#filter-status', 'inactive');
      await page.locator('#tokens-empty').waitFor();
      await page.selectOption('#filter-status', '');
      await page.screenshot({ path: `${shots}/ui-tokens.png` });
    });
    await step('rename it', async () => {
      await page.locator('#tokens-body tr', { hasText: 'metrics reader' }).getByRole('button', { name: 'Rename' }).click();
      await page.fill('#rename-value', 'renamed reader');
      await page.click('#rename-submit');
      await page.locator('#tokens-body tr', { hasText: 'renamed reader' }).waitFor();
    });
    await step('deactivate it: the API refuses the token', async () => {
      const row = page.locator('#tokens-body tr', { hasText: 'renamed reader' });
      await row.getByRole('button', { name: 'Deactivate' }).click();
      await row.locator('td.status-inactive').waitFor();
      const r = await me(url, token);
      assert.equal(r.status, 401);
      assert.equal(r.body.message, 'token is inactive');
    });
    await step('delete it, after a confirmation', async () => {
      const row = page.locator('#tokens-body tr', { hasText: 'renamed reader' });
      await row.getByRole('button', { name: 'Delete' }).click();
      await page.locator('#delete-dialog[open]').waitFor();
      await page.click('#delete-cancel');
      assert.equal(await row.count(), 1, 'cancel keeps it');
      await row.getByRole('button', { name: 'Delete' }).click();
      await page.click('#delete-confirm');
      await row.waitFor({ state: 'detached' });
      assert.equal((await me(url, token)).status, 401);
    });
    await step('clone a token, as an all-access one', async () => {
      const row = page.locator('#tokens-body tr', { hasText: "admin's Token" });
      await row.getByRole('button', { name: 'Clone' }).click();
      assert.equal(await page.inputValue('#create-description'), "admin's Token (clone)");
      await page.locator('input[name=kind][value=all-access]').check();
      await page.click('#create-submit');
      await page.locator('#secret-dialog[open]').waitFor();
      const cloned = await page.inputValue('#secret-value');
      await page.click('#secret-close');
      const r = await me(url, cloned);
      assert.equal(r.status, 200);
      await page.locator('#tokens-body tr', { hasText: "admin's Token (clone)" }).waitFor();
    });
    await step('create a token that expires in 7 days, then rotate it', async () => {
      await page.click('#create-open');
      await page.fill('#create-description', 'ci deploy');
      await page.locator('#create-buckets-body input[aria-label="write metrics"]').check();
      await page.selectOption('#create-expires', '7');
      await page.click('#create-submit');
      await page.locator('#secret-dialog[open]').waitFor();
      const first = await page.inputValue('#secret-value');
      await page.click('#secret-close');
      const row = page.locator('#tokens-body tr', { hasText: 'ci deploy' });
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      assert.notEqual(cells[6], 'Never', 'the Expires column shows the expiry');
      const list = await fetch(`${url}/api/v2/authorizations?user=admin`, {
        headers: { Authorization: `Token ${setupResult.auth.token}` },
      }).then((r) => r.json());
      const made = list.authorizations.find((a) => a.description === 'ci deploy');
      const days = (new Date(made.expiresAt) - new Date(made.createdAt)) / 86400000;
      assert.ok(days > 6.9 && days < 7.1, `expires in 7 days, not ${days}`);
      // Rotate with no grace: a new secret shown once; the old one stops at once.
      await row.getByRole('button', { name: 'Rotate' }).click();
      await page.locator('#rotate-dialog[open]').waitFor();
      await page.click('#rotate-submit');
      await page.locator('#secret-dialog[open]').waitFor();
      const second = await page.inputValue('#secret-value');
      await page.click('#secret-close');
      assert.notEqual(second, first);
      assert.equal((await me(url, second)).status, 200);
      assert.equal((await me(url, first)).status, 401);
    });
    await step('sign out', async () => {
      await page.click('#signout');
      await page.locator('#signin-form').waitFor();
      assert.equal((await context.cookies()).filter((c) => c.name === 'influxdb-oss-session' && c.value).length, 0);
    });
    await context.close();

    await step('a session that expires sends the page back to sign-in', async () => {
      await setup(shortUrl);
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await p.goto(`${shortUrl}/`);
      await p.fill('#signin-user', 'admin');
      await p.fill('#signin-password', password);
      await p.click('#signin-submit');
      await p.locator('#tokens-body tr').first().waitFor();
      await new Promise((r) => setTimeout(r, 9000));  // the TTL is 8 s
      await p.selectOption('#filter-status', 'active');
      await p.selectOption('#filter-org', { index: 1 });  // reloads the list: 401
      await p.locator('#signin-error', { hasText: 'Your session has ended' }).waitFor();
      await ctx.close();
    });
    // Only CSP-clean pages pass: a violation is reported as a console error.
    const real = problems.filter((m) => !/401 \(Unauthorized\)|403 \(Forbidden\)/.test(m));
    assert.deepEqual(real, [], 'no page error, CSP violation or foreign request');
    console.log(`${checks} checks passed`);
  } catch (e) {
    console.error(`FAIL: ${e && e.stack ? e.stack : e}`);
    if (problems.length) console.error(problems.join('\n'));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
