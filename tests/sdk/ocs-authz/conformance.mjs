// Drive ocs-compat's IdentityServer4-style authorization server (/identity/connect/*) with the
// clients OCS / AVEVA Data Hub applications use: openid-client 5 for a confidential hybrid
// client (code + PKCE S256, client_secret_basic, refresh-token rotation) and oidc-client-ts 3
// (what AVEVA's JavaScript sample's oidc-client became) inside headless Chromium for a public
// SPA (code + PKCE, CORS token and userinfo calls, renewal through the refresh token).
//
// Run by scripts/sdk-ocs-authz.sh, which seeds the server and sets the environment:
//   OCS_URL            the gateway, e.g. http://127.0.0.1:8084 (authority = $OCS_URL/identity)
//   APP_PORT           port of the app this script serves on 127.0.0.1
//                      (/signin-oidc, /callback.html, /index.html, /oidc-client-ts.js)
//   OCS_TENANT         tenant id (acr_values=tenant:<id>, the `tid` claim)
//   OCS_ALICE          the user's id (the `sub` claim); USER_LOGIN, USER_PASSWORD her sign-in
//   SPA_CLIENT_ID      public authorization-code client (PKCE, consent, /callback.html, CORS = app)
//   HYBRID_CLIENT_ID, HYBRID_CLIENT_SECRET   confidential hybrid client (client_secret_basic,
//                      redirect /signin-oidc, consent)
//   TOKENS_OUT         file that receives live tokens (JSON {hybrid, spa}) for tests/sdk/ocs/authz_loop.py:
//                      the hybrid client's from a sign-in no replay touched, written as soon as
//                      they exist (spa null), then the SPA's renewed ones
//   CHROMIUM           browser binary (default /usr/bin/chromium; playwright-core never downloads one)
// Prints "ok - <step>: <check>" per passing check and "not ok - <step>: <check>" per failed
// value check (the run goes on); a failure that stops the flow prints "FAIL - <step>: ..."
// with the page and the browser's log. Exits 1 when anything failed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Issuer, generators, errors as oidcErrors } from 'openid-client';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OIDC_TS_BUNDLE = path.join(HERE, 'node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js');
const OIDC_TS_VERSION = JSON.parse(
  fs.readFileSync(path.join(HERE, 'node_modules/oidc-client-ts/package.json'), 'utf8')).version;

// --- environment --------------------------------------------------------------------------
const REQUIRED = ['OCS_URL', 'APP_PORT', 'OCS_TENANT', 'OCS_ALICE', 'USER_LOGIN', 'USER_PASSWORD',
  'SPA_CLIENT_ID', 'HYBRID_CLIENT_ID', 'HYBRID_CLIENT_SECRET', 'TOKENS_OUT'];
const missing = REQUIRED.filter((k) => !process.env[k]);
if (missing.length) {
  console.log(`FAIL - setup: missing env vars ${missing.join(', ')}`);
  process.exit(1);
}
const OCS_URL = process.env.OCS_URL.replace(/\/+$/, '');
const AUTHORITY = `${OCS_URL}/identity`;
const APP_PORT = Number(process.env.APP_PORT);
const APP = `http://127.0.0.1:${APP_PORT}`;
const TENANT = process.env.OCS_TENANT;
const ALICE = process.env.OCS_ALICE;
const USER_LOGIN = process.env.USER_LOGIN;
const USER_PASSWORD = process.env.USER_PASSWORD;
const SPA = process.env.SPA_CLIENT_ID;
const HYBRID = process.env.HYBRID_CLIENT_ID;
const HYBRID_SECRET = process.env.HYBRID_CLIENT_SECRET;
const TOKENS_OUT = process.env.TOKENS_OUT;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const HYBRID_REDIRECT = `${APP}/signin-oidc`;
const SPA_REDIRECT = `${APP}/callback.html`;
const SCOPES = ['openid', 'ocsapi', 'offline_access'];
const ACR = `tenant:${TENANT}`;
const TENANT_MEMBER_ROLE_TYPE = '7ad2b9ef-5386-4ead-ac9f-ad99c5c5b977';
const FOREIGN_ORIGIN = 'http://127.0.0.1:9';

// Every client here would follow HTTP(S)_PROXY: the server and the app are on loopback.
for (const k of Object.keys(process.env)) {
  if (/^(https?|all|no)_proxy$/i.test(k)) delete process.env[k];
}

// --- reporting ----------------------------------------------------------------------------
let step = 'setup';
const browserLog = [];
const failures = [];
let browser;
let app;
let lastPage; // the page of the step in progress, described on failure
function ok(name) { console.log(`ok - ${step}: ${name}`); }
// A value check: reported, and the run goes on (the flow does not depend on it).
function check(cond, name, detail = '') {
  if (cond) { ok(name); return true; }
  console.log(`not ok - ${step}: ${name}${detail ? ` (${detail})` : ''}`);
  failures.push(`${step}: ${name}`);
  return false;
}
const checkEqual = (got, want, name) =>
  check(JSON.stringify(got) === JSON.stringify(want), name, `expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
async function shutdown() {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  try { if (app) app.close(); } catch { /* already closed */ }
}
async function fail(err) {
  const detail = err instanceof assert.AssertionError ? err.message : (err && err.stack) || String(err);
  console.log(`FAIL - ${step}: ${detail}`);
  if (lastPage && !lastPage.isClosed()) {
    const text = await lastPage.evaluate(() => document.body && document.body.innerText).catch(() => null);
    console.log(`# page at failure: ${lastPage.url()}\n#   ${String(text || '').slice(0, 600).replace(/\n/g, '\n#   ')}`);
  }
  if (browserLog.length) console.log(`# browser log (last 40):\n${browserLog.slice(-40).map((l) => `#   ${l}`).join('\n')}`);
  if (failures.length) console.log(`# also failed before:\n${failures.map((f) => `#   ${f}`).join('\n')}`);
  await shutdown();
  process.exit(1);
}
setTimeout(() => fail(new Error('timed out after 300 s')), 300_000).unref();

const b64json = (seg) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
const jwtHeader = (jwt) => b64json(String(jwt).split('.')[0]);
const jwtClaims = (jwt) => b64json(String(jwt).split('.')[1]);
const sorted = (xs) => [...xs].sort();
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

async function settle(promise) {
  try {
    return { value: await promise };
  } catch (e) {
    return { error: e };
  }
}

// POST a form to the authorization server; returns status, headers and the parsed body.
async function postForm(pathname, form, headers = {}) {
  const res = await fetch(`${AUTHORITY}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': FORM, accept: 'application/json', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// An IdentityServer4 token error: 400, application/json, exactly {"error": error}.
function checkTokenError(r, error, what) {
  check(r.status === 400 && JSON.stringify(r.json) === JSON.stringify({ error }),
    `${what} → 400 {"error":"${error}"}`, `got ${r.status} ${r.text}`);
  check(String(r.headers.get('content-type') || '').startsWith('application/json'),
    `${what}: error Content-Type application/json`, `got ${r.headers.get('content-type')}`);
}

// --- the app: /signin-oidc and /callback.html record their query, /index.html hosts oidc-client-ts
const hits = [];
let hitWaiters = [];
function waitForHit(pathname, pred, ms = 20_000) {
  const found = hits.find((h) => h.pathname === pathname && pred(h.query));
  if (found) return Promise.resolve(found.query);
  return new Promise((resolve, reject) => {
    const w = { pathname, pred, resolve };
    hitWaiters.push(w);
    setTimeout(() => {
      hitWaiters = hitWaiters.filter((x) => x !== w);
      reject(new Error(`no request to ${APP}${pathname} with the expected query within ${ms} ms; ` +
        `requests seen: ${JSON.stringify(hits)}`));
    }, ms).unref();
  });
}
function record(pathname, query) {
  hits.push({ pathname, query });
  for (const w of hitWaiters.filter((x) => x.pathname === pathname && x.pred(query))) {
    hitWaiters = hitWaiters.filter((x) => x !== w);
    w.resolve(query);
  }
}

// The SPA's settings, as AVEVA's JavaScript sample configures its UserManager (no automatic
// renewal, no session monitoring: the harness drives every step).
const SPA_SETTINGS = {
  authority: AUTHORITY,
  client_id: SPA,
  redirect_uri: SPA_REDIRECT,
  post_logout_redirect_uri: `${APP}/index.html`,
  response_type: 'code',
  scope: SCOPES.join(' '),
  acr_values: ACR,
  loadUserInfo: true,
  automaticSilentRenew: false,
  monitorSession: false,
};
const SPA_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>ocs-compat SPA</title><link rel="icon" href="data:,">
<script src="/oidc-client-ts.js"></script></head>
<body><h1 id="app">ocs-compat SPA</h1>
<script>
  window.SPA_SETTINGS = ${JSON.stringify(SPA_SETTINGS)};
  if (window.oidc) { oidc.Log.setLogger(console); oidc.Log.setLevel(oidc.Log.WARN); }
  window.makeUserManager = function () { return new oidc.UserManager(window.SPA_SETTINGS); };
  // What the harness reads of a User.
  window.userFacts = function (u) {
    return u && { profile: u.profile, access_token: u.access_token, refresh_token: u.refresh_token,
      id_token: u.id_token, scope: u.scope, token_type: u.token_type, expired: u.expired,
      session_state: u.session_state };
  };
  window.bundleReady = !!(window.oidc && typeof oidc.UserManager === 'function');
</script></body></html>`;

function startApp() {
  const bundle = fs.readFileSync(OIDC_TS_BUNDLE);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, APP);
    const query = Object.fromEntries(url.searchParams);
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    switch (url.pathname) {
      case '/signin-oidc':
        record('/signin-oidc', query);
        return send(200, 'text/html; charset=utf-8', '<!doctype html><title>signin-oidc</title><p id="cb">callback received</p>');
      case '/callback.html':
        record('/callback.html', query);
        return send(200, 'text/html; charset=utf-8', SPA_PAGE);
      case '/index.html':
      case '/':
        return send(200, 'text/html; charset=utf-8', SPA_PAGE);
      case '/oidc-client-ts.js':
        return send(200, 'application/javascript; charset=utf-8', bundle);
      default:
        return send(404, 'text/plain', 'not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(APP_PORT, '127.0.0.1', () => resolve(server));
  });
}

async function newPage(label) {
  const context = await browser.newContext();
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  lastPage = page;
  page.on('console', (m) => browserLog.push(`[${label}] console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => browserLog.push(`[${label}] pageerror: ${e.message}`));
  page.on('requestfailed', (r) => browserLog.push(`[${label}] requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) browserLog.push(`[${label}] navigated: ${f.url()}`); });
  return { context, page };
}

async function waitForBundle(page) {
  await page.waitForFunction(() => window.bundleReady === true);
}

// The login page the unauthenticated authorize request leads to: checks where it is and what
// it returns to; with `wrongPasswordFirst`, a wrong password must bring the page back (200)
// with the validation summary. Then signs in.
async function signIn(page, clientId, { wrongPasswordFirst = false } = {}) {
  await page.waitForSelector('form#login-form input#email');
  const login = new URL(page.url());
  checkEqual(`${login.origin}${login.pathname}`.toLowerCase(), `${AUTHORITY}/account/login`,
    'unauthenticated /connect/authorize → /identity/account/login');
  const returnUrl = login.searchParams.get('returnUrl') || '';
  check(returnUrl.toLowerCase().startsWith('/identity/connect/authorize'),
    'returnUrl is the relative /identity/connect/authorize URL', `returnUrl=${JSON.stringify(returnUrl)}`);
  const rq = new URLSearchParams(returnUrl.split('?')[1] || '');
  checkEqual(rq.get('client_id'), clientId, 'returnUrl carries the client_id');
  const names = await page.$$eval('form#login-form input', (els) => els.map((e) => [e.id, e.name]));
  check(names.some(([i, n]) => i === 'email' && n === 'email') && names.some(([i, n]) => i === 'password' && n === 'password'),
    'login form: input#email name=email, input#password name=password', JSON.stringify(names));

  if (wrongPasswordFirst) {
    await page.fill('#email', USER_LOGIN);
    await page.fill('#password', 'not-the-password');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.request().frame() === page.mainFrame()),
      page.click('#submit'),
    ]);
    await page.waitForLoadState();
    check(resp.status() === 200, 'wrong password → the login page again with 200', `got ${resp.status()} from ${resp.url()}`);
    const summary = await page.locator('.validation-summary-errors').innerText({ timeout: 5_000 }).catch(() => '');
    check(summary.includes('Invalid username or password'),
      'wrong password: .validation-summary-errors "Invalid username or password"', `got ${JSON.stringify(summary)}`);
    await page.waitForSelector('form#login-form input#email');
  }
  await page.fill('#email', USER_LOGIN);
  await page.fill('#password', USER_PASSWORD);
  await page.click('#submit');
}

// Consent page: the listed scopes are among the requested ones and include the API scope and
// offline_access; clicks #allow or #deny.
async function consent(page, requested, decision) {
  await page.waitForSelector('form#consent-form button#allow');
  const listed = await page.$$eval('li.scope-item', (els) => els.map((e) => e.getAttribute('data-scope')));
  check(listed.every((s) => requested.includes(s)) && listed.includes('ocsapi') && listed.includes('offline_access'),
    `consent page lists the requested scopes (${sorted(listed).join(', ')})`, `requested ${requested.join(' ')}`);
  const buttons = await page.$$eval('form#consent-form button', (els) => els.map((e) => [e.id, e.name, e.value]));
  check(buttons.some((b) => b[0] === 'allow' && b[1] === 'decision' && b[2] === 'allow') && buttons.some((b) => b[0] === 'deny'),
    'consent buttons: #allow (decision=allow), #deny', JSON.stringify(buttons));
  await page.click(`button#${decision}`);
}

// CORS preflight from `origin` for `method` with `headers` to `pathname`: the allowed origin.
async function preflight(pathname, origin, method, headers) {
  const res = await fetch(`${AUTHORITY}${pathname}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
  await res.arrayBuffer();
  return { status: res.status, allowOrigin: res.headers.get('access-control-allow-origin') };
}

// --- the checks -----------------------------------------------------------------------------
async function main() {
  app = await startApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-proxy-server'] });

  step = '0. discovery';
  const disco = await fetch(`${AUTHORITY}/.well-known/openid-configuration`);
  const discoJson = await disco.json();
  check(String(disco.headers.get('content-type')).startsWith('application/json'), 'discovery Content-Type application/json',
    String(disco.headers.get('content-type')));
  const issuer = await Issuer.discover(AUTHORITY);
  checkEqual(issuer.issuer, AUTHORITY, 'issuer is the authority');
  for (const [k, p] of [['authorization_endpoint', '/connect/authorize'], ['token_endpoint', '/connect/token'],
    ['userinfo_endpoint', '/connect/userinfo'], ['revocation_endpoint', '/connect/revocation'],
    ['introspection_endpoint', '/connect/introspect'], ['end_session_endpoint', '/connect/endsession'],
    ['jwks_uri', '/.well-known/openid-configuration/jwks']]) {
    checkEqual(discoJson[k], `${AUTHORITY}${p}`, `${k}`);
  }
  check((discoJson.code_challenge_methods_supported || []).includes('S256'), 'code_challenge_methods_supported has S256');
  check(SCOPES.every((s) => (discoJson.scopes_supported || []).includes(s)), `scopes_supported has ${SCOPES.join(', ')}`,
    JSON.stringify(discoJson.scopes_supported));
  const jwks = await (await fetch(discoJson.jwks_uri)).json();
  check(Array.isArray(jwks.keys) && jwks.keys.length > 0 && jwks.keys.every((k) => k.kty === 'RSA' && k.kid),
    'JWKS: RSA keys with kid', JSON.stringify(jwks).slice(0, 200));

  const hybrid = new issuer.Client({
    client_id: HYBRID,
    client_secret: HYBRID_SECRET,
    redirect_uris: [HYBRID_REDIRECT],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const hybridAuthUrl = (state, nonce, verifier) => hybrid.authorizationUrl({
    scope: SCOPES.join(' '),
    code_challenge: generators.codeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    acr_values: ACR,
  });

  // a0. the hybrid client: wrong password, then consent denied ---------------------------
  step = 'a0. hybrid client: wrong password, consent denied';
  {
    const state = generators.state();
    const { context, page } = await newPage('a0');
    await page.goto(hybridAuthUrl(state, generators.nonce(), generators.codeVerifier()));
    await signIn(page, HYBRID, { wrongPasswordFirst: true });
    await consent(page, SCOPES, 'deny');
    const q = await waitForHit('/signin-oidc', (x) => x.state === state);
    check(q.error === 'access_denied' && !q.code, 'Deny → redirect with error=access_denied, state, no code', JSON.stringify(q));
    await context.close();
  }

  // a. the hybrid client: sign-in, consent, code exchange, refresh rotation ----------------
  step = 'a. hybrid client (openid-client)';
  const codeVerifier = generators.codeVerifier();
  const state = generators.state();
  const nonce = generators.nonce();
  const { context: ctxA, page: pageA } = await newPage('a');
  await pageA.goto(hybridAuthUrl(state, nonce, codeVerifier));
  await signIn(pageA, HYBRID);
  await consent(pageA, SCOPES, 'allow');
  const cbQuery = await waitForHit('/signin-oidc', (q) => q.state === state);
  assert.ok(cbQuery.code && !cbQuery.error, `/signin-oidc should get a code, got ${JSON.stringify(cbQuery)}`);
  ok('Allow → /signin-oidc with code and state');
  check(!!cbQuery.session_state, 'authorize response carries session_state', JSON.stringify(cbQuery));
  const cookies = await ctxA.cookies(OCS_URL);
  const session = cookies.find((c) => c.name === 'idsrv.session');
  check(session && session.httpOnly && session.sameSite === 'Lax', 'cookie idsrv.session: HttpOnly, SameSite=Lax',
    JSON.stringify(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))));

  const tokens = await hybrid.callback(HYBRID_REDIRECT, cbQuery,
    { code_verifier: codeVerifier, state, nonce, response_type: 'code' });
  assert.ok(tokens.access_token && tokens.id_token && tokens.refresh_token,
    `token response should carry access, ID and refresh tokens, got keys ${Object.keys(tokens)}`);
  ok('client.callback (client_secret_basic, PKCE S256): ID token signature, iss, aud, nonce valid; refresh token');
  checkEqual(String(tokens.token_type), 'Bearer', 'token_type Bearer');
  checkEqual(sorted(String(tokens.scope || '').split(' ')), sorted(SCOPES), 'token response scope');
  const idClaims = tokens.claims();
  checkEqual(idClaims.iss, AUTHORITY, 'ID token iss = authority');
  checkEqual(idClaims.aud, HYBRID, 'ID token aud = client id');
  checkEqual(idClaims.nonce, nonce, 'ID token nonce');
  checkEqual(idClaims.sub, ALICE, 'ID token sub = user id');
  checkEqual(idClaims.tid, TENANT, 'ID token tid = tenant id');
  const atHeader = jwtHeader(tokens.access_token);
  check(atHeader.alg === 'RS256' && atHeader.typ === 'at+jwt' && !!atHeader.kid, 'access token header: RS256, typ at+jwt, kid',
    JSON.stringify(atHeader));
  const at = jwtClaims(tokens.access_token);
  checkEqual(at.iss, AUTHORITY, 'access token iss');
  checkEqual(at.client_id, HYBRID, 'access token client_id');
  checkEqual(at.sub, ALICE, 'access token sub');
  checkEqual(at.tid, TENANT, 'access token tid');
  check(Array.isArray(at.scope) && JSON.stringify(sorted(at.scope)) === JSON.stringify(sorted(SCOPES)),
    'access token scope: JSON array of the granted scopes', JSON.stringify(at.scope));
  const jwksNow = await (await fetch(discoJson.jwks_uri)).json();
  check((jwksNow.keys || []).some((k) => k.kid === atHeader.kid), 'JWKS holds the key the tokens are signed with',
    JSON.stringify(jwksNow).slice(0, 200));

  const info = await settle(hybrid.userinfo(tokens.access_token));
  const ui = info.value || {};
  check(ui.sub === ALICE && ui.tid === TENANT && ui.name === 'Alice' && ui.email === USER_LOGIN,
    'client.userinfo: sub, tid, name, email', info.error ? String(info.error) : JSON.stringify(ui));
  check(Array.isArray(ui.role_type) && ui.role_type.includes(TENANT_MEMBER_ROLE_TYPE),
    `client.userinfo: role_type holds RoleTypeIds (Tenant Member ${TENANT_MEMBER_ROLE_TYPE})`, JSON.stringify(ui.role_type));

  const live = await postForm('/connect/introspect', { token: tokens.access_token },
    { authorization: basic(HYBRID, HYBRID_SECRET) });
  check(live.status === 200 && live.json?.active === true && live.json?.sub === ALICE,
    'introspection (hybrid client auth) of the live access token: active, sub', `${live.status} ${live.text}`);

  const refreshed = await hybrid.refresh(tokens.refresh_token);
  assert.ok(refreshed.access_token && refreshed.refresh_token,
    `refresh returns access and refresh tokens, got keys ${Object.keys(refreshed)}`);
  check(refreshed.refresh_token !== tokens.refresh_token, 'client.refresh: a new refresh token (one-time use)');
  checkEqual(jwtClaims(refreshed.access_token).client_id, HYBRID, 'refreshed access token client_id');
  if (refreshed.id_token) checkEqual(refreshed.claims().sub, ALICE, 'refreshed ID token sub');
  checkTokenError(await postForm('/connect/token', { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token },
    { authorization: basic(HYBRID, 'wrong-secret') }), 'invalid_client', 'refresh with a wrong client secret');

  const old = await settle(hybrid.refresh(tokens.refresh_token));
  check(old.error instanceof oidcErrors.OPError && old.error.error === 'invalid_grant',
    'client.refresh with the used refresh token → OPError invalid_grant',
    old.error ? String(old.error) : `got tokens ${Object.keys(old.value || {})}`);
  checkTokenError(await postForm('/connect/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
    { authorization: basic(HYBRID, HYBRID_SECRET) }), 'invalid_grant', 'the used refresh token');
  checkTokenError(await postForm('/connect/token', {
    grant_type: 'authorization_code', code: cbQuery.code, redirect_uri: HYBRID_REDIRECT, code_verifier: codeVerifier,
  }, { authorization: basic(HYBRID, HYBRID_SECRET) }), 'invalid_grant', 'second exchange of the code');

  // IdentityServer4 (RefreshTokenUsage OneTimeOnly) refuses a used refresh token or code and
  // revokes nothing: the token its refresh issued still works.
  const after = await settle(hybrid.refresh(refreshed.refresh_token));
  check(!!after.value?.refresh_token, 'the rotated refresh token still refreshes after replays of the used token and code',
    after.error ? String(after.error) : `got keys ${Object.keys(after.value || {})}`);

  // A second sign-in of the signed-in user (no login page): a grant no replay touched, for
  // the PersistedGrants loop.
  const state2 = generators.state();
  const nonce2 = generators.nonce();
  const verifier2 = generators.codeVerifier();
  await pageA.goto(hybridAuthUrl(state2, nonce2, verifier2));
  // The first to show wins; the others time out quietly (or end with the context).
  const shown = await Promise.race([
    pageA.waitForSelector('form#consent-form button#allow').then(() => 'consent'),
    pageA.waitForSelector('form#login-form input#email').then(() => 'login'),
    waitForHit('/signin-oidc', (q) => q.state === state2).then(() => 'redirect'),
  ].map((p) => p.catch(() => 'nothing')));
  check(shown !== 'login', 'the signed-in session authorizes without the login page', `got the ${shown} page`);
  if (shown === 'login') await signIn(pageA, HYBRID);
  if (shown !== 'redirect') await consent(pageA, SCOPES, 'allow');
  const cb2 = await waitForHit('/signin-oidc', (q) => q.state === state2);
  assert.ok(cb2.code, `second authorization should give a code, got ${JSON.stringify(cb2)}`);
  await ctxA.close();
  const tokens2 = await hybrid.callback(HYBRID_REDIRECT, cb2,
    { code_verifier: verifier2, state: state2, nonce: nonce2, response_type: 'code' });
  assert.ok(tokens2.access_token && tokens2.refresh_token, `second exchange: keys ${Object.keys(tokens2)}`);
  ok(`second authorization (${shown} page) → code → tokens for the grant loop`);
  const hybridTokens = { client_id: HYBRID, access_token: tokens2.access_token, refresh_token: tokens2.refresh_token,
    id_token: tokens2.id_token };
  fs.writeFileSync(TOKENS_OUT, JSON.stringify({ hybrid: hybridTokens, spa: null }, null, 2));

  // b. the SPA: oidc-client-ts in Chromium ------------------------------------------------------
  step = 'b. SPA (oidc-client-ts in Chromium)';
  for (const [p, method, hdrs] of [['/connect/token', 'POST', 'content-type'], ['/connect/userinfo', 'GET', 'authorization'],
    ['/connect/revocation', 'POST', 'content-type']]) {
    const mine = await preflight(p, APP, method, hdrs);
    check(mine.status < 300 && mine.allowOrigin === APP, `CORS preflight ${p} from the app origin allowed`, JSON.stringify(mine));
    const foreign = await preflight(p, FOREIGN_ORIGIN, method, hdrs);
    check(foreign.allowOrigin !== FOREIGN_ORIGIN && foreign.allowOrigin !== '*', `CORS preflight ${p} from another origin not allowed`,
      JSON.stringify(foreign));
  }

  const { context: ctxB, page: pageB } = await newPage('b');
  await pageB.goto(`${APP}/index.html`);
  await waitForBundle(pageB);
  ok(`/index.html loads oidc-client-ts ${OIDC_TS_VERSION} in ${browser.version()}`);
  await pageB.evaluate(() => {
    window.redirectError = null;
    // Resolves only when the page is already leaving: not awaited.
    window.makeUserManager().signinRedirect().catch((e) => { window.redirectError = String(e); });
  });
  await pageB.waitForURL((u) => u.href.startsWith(AUTHORITY), { timeout: 20_000 }).catch(async (e) => {
    const err = await pageB.evaluate(() => window.redirectError).catch(() => null);
    throw new Error(`signinRedirect did not leave the app (${err || e.message})`);
  });
  const authz = new URL(pageB.url());
  if (authz.pathname.toLowerCase().endsWith('/account/login')) {
    const q = new URLSearchParams((authz.searchParams.get('returnUrl') || '').split('?')[1] || '');
    check(q.get('code_challenge_method') === 'S256' && !!q.get('code_challenge') && q.get('acr_values') === ACR,
      'signinRedirect sends PKCE S256 and acr_values', q.toString());
  }
  await signIn(pageB, SPA);
  await consent(pageB, SCOPES, 'allow');
  const spaCb = await waitForHit('/callback.html', (q) => !!(q.code || q.error));
  assert.ok(spaCb.code && spaCb.state && !spaCb.error, `/callback.html should get code and state: ${JSON.stringify(spaCb)}`);
  await pageB.waitForURL((u) => u.href.startsWith(`${SPA_REDIRECT}?`));
  await waitForBundle(pageB);
  const viaRedirect = await pageB.evaluate(async () => {
    try {
      const u = await window.makeUserManager().signinRedirectCallback();
      return { user: window.userFacts(u) };
    } catch (e) {
      return { error: String(e && (e.stack || e.message) || e) };
    }
  });
  assert.ok(viaRedirect.user, `signinRedirectCallback (CORS /connect/token, PKCE, userinfo): ${viaRedirect.error}`);
  const user = viaRedirect.user;
  ok('signinRedirect → login → consent → /callback.html → signinRedirectCallback (CORS token + userinfo)');
  checkEqual(user.profile.sub, ALICE, 'user.profile.sub = user id');
  checkEqual(user.profile.tid, TENANT, 'user.profile.tid = tenant id');
  check(Array.isArray(user.profile.role_type) && user.profile.name === 'Alice', 'user.profile has userinfo name and role_type',
    JSON.stringify(user.profile));
  check(!!user.refresh_token, 'the SPA gets a refresh token with offline_access');
  checkEqual(sorted(String(user.scope || '').split(' ')), sorted(SCOPES), 'user.scope');
  const spaId = jwtClaims(user.id_token);
  checkEqual([spaId.iss, spaId.aud, spaId.sub], [AUTHORITY, SPA, ALICE], 'SPA ID token iss, aud, sub');
  const spaAt = jwtClaims(user.access_token);
  checkEqual([spaAt.client_id, spaAt.sub, spaAt.tid], [SPA, ALICE, TENANT], 'SPA access token client_id, sub, tid');

  const renewed = await pageB.evaluate(async () => {
    try {
      const u = await window.makeUserManager().signinSilent();
      const stored = await window.makeUserManager().getUser();
      return { user: window.userFacts(u), stored: stored && stored.access_token };
    } catch (e) {
      return { error: String(e && (e.stack || e.message) || e) };
    }
  });
  assert.ok(renewed.user, `signinSilent through the refresh token: ${renewed.error}`);
  ok('signinSilent renews through the refresh token (CORS /connect/token)');
  check(renewed.user.access_token !== user.access_token && renewed.user.refresh_token
    && renewed.user.refresh_token !== user.refresh_token, 'signinSilent: new access and refresh tokens');
  checkEqual(renewed.user.profile.sub, ALICE, 'renewed user.profile.sub');
  checkEqual(renewed.stored, renewed.user.access_token, 'getUser() returns the renewed user');

  // Straight from the page (CORS): userinfo with the renewed token; a token error is readable
  // too (an unknown refresh token: replaying the used one would touch the grant the loop removes).
  const inPage = await pageB.evaluate(async ({ authority, clientId, at }) => {
    const out = {};
    out.userinfo = await fetch(`${authority}/connect/userinfo`, { headers: { authorization: `Bearer ${at}` } })
      .then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ error: String(e) }));
    try { out.userinfo.body = JSON.parse(out.userinfo.body); } catch { /* reported as text */ }
    out.unknownRefresh = await fetch(`${authority}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token', client_id: clientId }),
    }).then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ error: String(e) }));
    return out;
  }, { authority: AUTHORITY, clientId: SPA, at: renewed.user.access_token });
  check(inPage.userinfo.status === 200 && inPage.userinfo.body?.sub === ALICE && inPage.userinfo.body?.tid === TENANT,
    'from the page (CORS): userinfo with the renewed access token', JSON.stringify(inPage.userinfo));
  check(inPage.unknownRefresh.status === 400 && inPage.unknownRefresh.body === '{"error":"invalid_grant"}',
    'from the page (CORS): an unknown refresh token → 400 {"error":"invalid_grant"}', JSON.stringify(inPage.unknownRefresh));
  await ctxB.close();
  const spaTokens = { client_id: SPA, access_token: renewed.user.access_token, refresh_token: renewed.user.refresh_token };

  fs.writeFileSync(TOKENS_OUT, JSON.stringify({ hybrid: hybridTokens, spa: spaTokens }, null, 2));
  ok(`live tokens of both clients written to ${TOKENS_OUT}`);

  step = 'done';
  const browserVersion = browser.version();
  await shutdown();
  if (failures.length) {
    console.log(`# ${failures.length} check(s) failed:\n${failures.map((f) => `#   ${f}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`# all checks passed (openid-client 5.7.1, oidc-client-ts ${OIDC_TS_VERSION}, ${browserVersion})`);
  process.exit(0);
}

main().catch(fail);
