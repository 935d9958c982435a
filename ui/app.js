// authd's API token page: InfluxDB's "API Tokens" habits over authd's /api/v2 (docs/http-api.md).
// The session is the HttpOnly cookie set by POST /api/v2/signin; this script never sees it, never
// stores a token (no localStorage, no URL), and shows a new token once, in a dialog it clears on
// close. Every rule (who may see or grant what) is the server's; the page only composes requests.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { me: null, operator: false, orgs: [], users: [], tokens: [], buckets: new Map(), cloneOf: null };

// ---- API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
  }
}

async function api(method, path, body, headers) {
  const init = { method, headers: Object.assign({}, headers), credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = res.status === 204 ? '' : await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status === 401 && path !== '/api/v2/signin' && state.me) {
    // The session ended (expired, signed out elsewhere, restart): back to sign-in.
    showSignIn('Your session has ended. Please sign in again.');
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// ---- Views ----------------------------------------------------------------------------------

function show(el, on) { el.hidden = !on; }

function showSignIn(message) {
  state.me = null;
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  $('secret-value').value = '';
  show($('tokens-view'), false);
  show($('signin-view'), true);
  show($('who'), false);
  show($('signout'), false);
  setError('signin-error', message || '');
  $('signin-user').focus();
}

function setError(id, message) {
  const el = $(id);
  el.textContent = message;
  show(el, Boolean(message));
}

async function start() {
  try {
    state.me = await api('GET', '/api/v2/me');
  } catch (e) {
    showSignIn('');
    return;
  }
  show($('signin-view'), false);
  show($('tokens-view'), true);
  $('who').textContent = state.me.name;
  show($('who'), true);
  show($('signout'), true);
  // Only an operator may read the server's config: that is how the page knows to offer operator
  // tokens. The server refuses them to anyone else anyway.
  try {
    await api('GET', '/api/v2/config');
    state.operator = true;
  } catch (e) {
    state.operator = false;
  }
  show($('kind-operator-label'), state.operator);
  await loadDirectory();
  await loadTokens();
}

async function loadDirectory() {
  state.orgs = (await api('GET', '/api/v2/orgs?limit=100')).orgs;
  try {
    state.users = (await api('GET', '/api/v2/users?limit=100')).users;
  } catch (e) {
    state.users = [state.me];
  }
  fillSelect($('filter-org'), state.orgs, 'All orgs');
  fillSelect($('filter-user'), state.users, 'All users');
  fillSelect($('create-org'), state.orgs, null);
}

function fillSelect(select, items, anyLabel) {
  const keep = select.value;
  select.replaceChildren();
  if (anyLabel !== null) select.append(new Option(anyLabel, ''));
  for (const item of items) select.append(new Option(item.name, item.id));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

async function loadTokens() {
  const q = new URLSearchParams();
  if ($('filter-user').value) q.set('userID', $('filter-user').value);
  if ($('filter-org').value) q.set('orgID', $('filter-org').value);
  try {
    const r = await api('GET', '/api/v2/authorizations' + (q.toString() ? `?${q}` : ''));
    state.tokens = r.authorizations;
    setError('list-error', '');
  } catch (e) {
    state.tokens = [];
    if (e.status !== 401) setError('list-error', e.message);
  }
  renderTokens();
}

// ---- Permissions in words ---------------------------------------------------------------------

const singular = { buckets: 'bucket', orgs: 'org', users: 'user', authorizations: 'token' };

function permissionWords(p) {
  const r = p.resource;
  let what;
  if (r.id) {
    what = `${singular[r.type] || r.type} ${r.name ? `'${r.name}'` : r.id}`;
  } else {
    what = `all ${r.type}`;
  }
  const where = r.orgID ? ` in ${r.org || r.orgID}` : (r.id ? '' : ' in every org');
  return `${p.action} ${what}${where}`;
}

function summarize(perms) {
  // 44 global read/write permissions are an operator token; say so instead of listing them.
  if (perms.length >= 44 && perms.every((p) => !p.resource.orgID && !p.resource.id)) {
    return ['operator: read and write everything in every org'];
  }
  return perms.map(permissionWords);
}

// ---- The token table ----------------------------------------------------------------------

function renderTokens() {
  const text = $('search').value.trim().toLowerCase();
  const status = $('filter-status').value;
  const rows = state.tokens.filter((t) =>
    (!text || t.description.toLowerCase().includes(text)) && (!status || shownStatus(t) === status));
  const body = $('tokens-body');
  body.replaceChildren();
  for (const t of rows) body.append(tokenRow(t));
  show($('tokens-empty'), rows.length === 0);
}

function cell(content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content); else td.textContent = content;
  return td;
}

function button(label, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

// An expired token shows as expired whatever its status (authd refuses it either way).
function shownStatus(t) {
  return t.expiresAt && new Date(t.expiresAt) <= new Date() ? 'expired' : t.status;
}

function when(time, none) { return time ? new Date(time).toLocaleString() : none; }

function tokenRow(t) {
  const tr = document.createElement('tr');
  tr.dataset.id = t.id;
  tr.append(cell(t.description || '(no description)'));
  const status = shownStatus(t);
  const st = cell(status);
  st.className = `status-${status}`;
  tr.append(st, cell(t.user || t.userID), cell(t.org || t.orgID));
  const list = document.createElement('ul');
  for (const words of summarize(t.permissions)) {
    const li = document.createElement('li');
    li.textContent = words;
    list.append(li);
  }
  tr.append(cell(list), cell(new Date(t.createdAt).toLocaleString()),
    cell(when(t.expiresAt, 'Never')), cell(when(t.lastUsedAt, 'Never')));
  const actions = document.createElement('td');
  actions.append(
    button('Rename', 'link', () => openRename(t)),
    button('Rotate', 'link', () => openRotate(t)),
    button(t.status === 'active' ? 'Deactivate' : 'Activate', 'link', () => toggle(t)),
    button('Clone', 'link', () => openCreate(t)),
    button('Delete', 'link danger', () => openDelete(t)));
  tr.append(actions);
  return tr;
}

async function toggle(t) {
  try {
    await api('PATCH', `/api/v2/authorizations/${t.id}`, { status: t.status === 'active' ? 'inactive' : 'active' });
  } catch (e) {
    setError('list-error', e.message);
  }
  await loadTokens();
}

// ---- Create (and clone) ---------------------------------------------------------------------

function kind() { return document.querySelector('input[name=kind]:checked').value; }

async function openCreate(from) {
  state.cloneOf = from || null;
  setError('create-error', '');
  document.querySelector(`input[name=kind][value=custom]`).checked = true;
  $('create-description').value = from ? `${from.description} (clone)` : '';
  $('create-expires').value = '';
  if (from && from.orgID) $('create-org').value = from.orgID;
  await renderKind();
  $('create-dialog').showModal();
  $('create-description').focus();
}

async function renderKind() {
  const k = kind();
  show($('create-buckets'), k === 'custom');
  if (k === 'custom') await renderBuckets();
}

async function renderBuckets() {
  const orgID = $('create-org').value;
  if (!orgID) return;
  if (!state.buckets.has(orgID)) {
    state.buckets.set(orgID, (await api('GET', `/api/v2/buckets?orgID=${orgID}&limit=100`)).buckets);
  }
  const granted = (action, bucket) => Boolean(state.cloneOf && state.cloneOf.permissions.some((p) =>
    p.action === action && p.resource.type === 'buckets' && p.resource.orgID === orgID &&
    (bucket ? p.resource.id === bucket : !p.resource.id)));
  const body = $('create-buckets-body');
  body.replaceChildren();
  const row = (label, bucketID) => {
    const tr = document.createElement('tr');
    tr.append(cell(label));
    for (const action of ['read', 'write']) {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.dataset.action = action;
      box.dataset.bucket = bucketID;
      box.setAttribute('aria-label', `${action} ${label}`);
      box.checked = granted(action, bucketID);
      tr.append(cell(box));
    }
    body.append(tr);
  };
  row('All buckets', '');
  for (const b of state.buckets.get(orgID)) row(b.name, b.id);
}

async function submitCreate() {
  const k = kind();
  const body = { description: $('create-description').value, orgID: $('create-org').value };
  const days = $('create-expires').value;
  if (days) body.expiresAt = new Date(Date.now() + Number(days) * 86400000).toISOString();
  if (k === 'operator') {
    body.authdPreset = 'operator';  // the org is the token's home; its permissions span every org
  } else if (k === 'all-access') {
    body.authdPreset = 'all-access';
  } else {
    body.permissions = [...document.querySelectorAll('#create-buckets-body input:checked')].map((box) => ({
      action: box.dataset.action,
      resource: Object.assign({ type: 'buckets', orgID: body.orgID }, box.dataset.bucket ? { id: box.dataset.bucket } : {}),
    }));
    // A clone keeps the source's other permissions (not buckets) as they were.
    if (state.cloneOf && state.cloneOf.orgID === body.orgID) {
      for (const p of state.cloneOf.permissions) {
        if (p.resource.type !== 'buckets') {
          body.permissions.push({ action: p.action, resource: { type: p.resource.type, id: p.resource.id, orgID: p.resource.orgID } });
        }
      }
    }
    if (body.permissions.length === 0) {
      setError('create-error', 'Choose at least one read or write permission.');
      return;
    }
  }
  try {
    const made = await api('POST', '/api/v2/authorizations', body);
    $('create-dialog').close();
    showSecret(made.token);
    await loadTokens();
  } catch (e) {
    setError('create-error', e.message);
  }
}

function showSecret(token) {
  $('secret-value').value = token;
  show($('secret-copied'), false);
  $('secret-dialog').showModal();
  $('secret-value').select();
}

async function copySecret() {
  const input = $('secret-value');
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (e) {
    input.select();
    document.execCommand('copy');
  }
  show($('secret-copied'), true);
}

// ---- Rename and delete ----------------------------------------------------------------------

let target = null;

function openRename(t) {
  target = t;
  $('rename-value').value = t.description;
  setError('rename-error', '');
  $('rename-dialog').showModal();
  $('rename-value').select();
}

async function submitRename() {
  try {
    await api('PATCH', `/api/v2/authorizations/${target.id}`, { description: $('rename-value').value });
    $('rename-dialog').close();
    await loadTokens();
  } catch (e) {
    setError('rename-error', e.message);
  }
}

function openRotate(t) {
  target = t;
  $('rotate-name').textContent = t.description || t.id;
  $('rotate-grace').value = '0';
  setError('rotate-error', '');
  $('rotate-dialog').showModal();
}

async function submitRotate() {
  try {
    const rotated = await api('POST', `/api/v2/authorizations/${target.id}/rotate`,
      { gracePeriodSeconds: Number($('rotate-grace').value) });
    $('rotate-dialog').close();
    showSecret(rotated.token);
    await loadTokens();
  } catch (e) {
    setError('rotate-error', e.message);
  }
}

function openDelete(t) {
  target = t;
  $('delete-name').textContent = t.description || t.id;
  setError('delete-error', '');
  $('delete-dialog').showModal();
}

async function confirmDelete() {
  try {
    await api('DELETE', `/api/v2/authorizations/${target.id}`);
    $('delete-dialog').close();
    await loadTokens();
  } catch (e) {
    setError('delete-error', e.message);
  }
}

// ---- Wiring ---------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const basic = btoa(unescape(encodeURIComponent(`${$('signin-user').value}:${$('signin-password').value}`)));
    try {
      await api('POST', '/api/v2/signin', undefined, { Authorization: `Basic ${basic}` });
      $('signin-password').value = '';
      await start();
    } catch (e) {
      $('signin-password').value = '';
      setError('signin-error', e.status === 403 ? 'This user is inactive.' : 'Wrong user name or password.');
    }
  });
  $('signout').addEventListener('click', async () => {
    try { await api('POST', '/api/v2/signout'); } catch (e) { /* already gone */ }
    showSignIn('');
  });
  $('search').addEventListener('input', renderTokens);
  $('filter-status').addEventListener('change', renderTokens);
  $('filter-user').addEventListener('change', loadTokens);
  $('filter-org').addEventListener('change', loadTokens);
  $('create-open').addEventListener('click', () => openCreate(null));
  for (const radio of document.querySelectorAll('input[name=kind]')) radio.addEventListener('change', renderKind);
  $('create-org').addEventListener('change', renderKind);
  $('create-form').addEventListener('submit', (ev) => { ev.preventDefault(); submitCreate(); });
  $('create-cancel').addEventListener('click', () => $('create-dialog').close());
  $('secret-copy').addEventListener('click', copySecret);
  $('secret-close').addEventListener('click', () => {
    $('secret-value').value = '';
    $('secret-dialog').close();
  });
  // The token leaves the page with the dialog, however it closes (button or Escape).
  $('secret-dialog').addEventListener('close', () => { $('secret-value').value = ''; });
  $('rename-form').addEventListener('submit', (ev) => { ev.preventDefault(); submitRename(); });
  $('rename-cancel').addEventListener('click', () => $('rename-dialog').close());
  $('rotate-form').addEventListener('submit', (ev) => { ev.preventDefault(); submitRotate(); });
  $('rotate-cancel').addEventListener('click', () => $('rotate-dialog').close());
  $('delete-cancel').addEventListener('click', () => $('delete-dialog').close());
  $('delete-confirm').addEventListener('click', confirmDelete);
  start();
});
