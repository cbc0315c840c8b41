// Drive okta-compat's OAuth 2.0 / OpenID Connect authorization server with the clients real
// applications use: openid-client 5 (confidential web app), @okta/jwt-verifier 4 (resource
// server), @okta/okta-auth-js 8 in headless Chromium (public SPA, PKCE) and
// @okta/okta-sdk-nodejs 8.1.0 (User Grants API).
//
// Run by scripts/sdk-okta-authz.sh, which seeds the server and sets the environment:
//   OKTA_ISSUER_ORG   org authorization server issuer, e.g. http://127.0.0.1:8080
//   OKTA_ISSUER       default server issuer (default: $OKTA_ISSUER_ORG/oauth2/default)
//   APP_PORT          port of the app this script serves on 127.0.0.1 (/cb, /callback, /spa.html)
//   SPA_CLIENT_ID     public client (PKCE, consent required, redirect /callback, CORS origin = app)
//   WEB_CLIENT_ID, WEB_CLIENT_SECRET   confidential client (client_secret_basic, redirect /cb)
//   USER_LOGIN, USER_PASSWORD, USER_OKTA_ID    the user who signs in and consents
//   OKTA_ORG_URL, OKTA_API_TOKEN       management API (User Grants) for the Okta Node SDK
//   CHROMIUM          browser binary (default /usr/bin/chromium; playwright-core never downloads one)
// Prints one "ok - <check>" line per passing check; the first failed assertion prints
// "FAIL - <step>: ..." (with the browser's console and failed requests) and exits 1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Issuer, generators, errors as oidcErrors } from 'openid-client';
import OktaJwtVerifier from '@okta/jwt-verifier';
import okta from '@okta/okta-sdk-nodejs';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AUTH_JS_BUNDLE = path.join(HERE, 'node_modules/@okta/okta-auth-js/umd/default.js');
const AUTH_JS_VERSION = JSON.parse(
  fs.readFileSync(path.join(HERE, 'node_modules/@okta/okta-auth-js/package.json'), 'utf8')).version;

// --- environment --------------------------------------------------------------------------
const REQUIRED = ['OKTA_ISSUER_ORG', 'APP_PORT', 'SPA_CLIENT_ID', 'WEB_CLIENT_ID', 'WEB_CLIENT_SECRET',
  'USER_LOGIN', 'USER_PASSWORD', 'USER_OKTA_ID', 'OKTA_ORG_URL', 'OKTA_API_TOKEN'];
const missing = REQUIRED.filter((k) => !process.env[k]);
if (missing.length) {
  console.log(`FAIL - setup: missing env vars ${missing.join(', ')}`);
  process.exit(1);
}
const trim = (u) => u.replace(/\/+$/, '');
const ORG_ISSUER = trim(process.env.OKTA_ISSUER_ORG);
const ISSUER = trim(process.env.OKTA_ISSUER || `${ORG_ISSUER}/oauth2/default`);
const AUDIENCE = 'api://default';
const APP_PORT = Number(process.env.APP_PORT);
const APP = `http://127.0.0.1:${APP_PORT}`;
const SPA = process.env.SPA_CLIENT_ID;
const WEB = process.env.WEB_CLIENT_ID;
const WEB_SECRET = process.env.WEB_CLIENT_SECRET;
const USER_LOGIN = process.env.USER_LOGIN;
const USER_PASSWORD = process.env.USER_PASSWORD;
const USER_ID = process.env.USER_OKTA_ID;
const ORG_URL = trim(process.env.OKTA_ORG_URL);
const API_TOKEN = process.env.OKTA_API_TOKEN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WEB_REDIRECT = `${APP}/cb`;
const SPA_REDIRECT = `${APP}/callback`;
const WEB_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const SPA_SCOPES = ['openid', 'email'];
const INVALID_RT = 'The refresh token is invalid or expired.';

// The Okta SDK merges config from ./okta.yaml, ~/.okta/okta.yaml and OKTA_CLIENT_* env vars,
// and every client here would follow HTTP(S)_PROXY: isolate from all of that.
const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-authz-'));
process.chdir(sandbox);
process.env.HOME = sandbox;
for (const k of Object.keys(process.env)) {
  if (k.startsWith('OKTA_CLIENT_') || /^(https?|all|no)_proxy$/i.test(k)) delete process.env[k];
}

// --- reporting ----------------------------------------------------------------------------
let step = 'setup';
const browserLog = [];
let browser;
let app;
let lastPage; // the page of the step in progress, described on failure
function ok(name) { console.log(`ok - ${step}: ${name}`); }
async function shutdown() {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  try { if (app) app.close(); } catch { /* already closed */ }
  fs.rmSync(sandbox, { recursive: true, force: true });
}
async function fail(err) {
  const detail = err instanceof assert.AssertionError ? err.message : (err && err.stack) || String(err);
  console.log(`FAIL - ${step}: ${detail}`);
  if (lastPage && !lastPage.isClosed()) {
    const text = await lastPage.evaluate(() => document.body && document.body.innerText).catch(() => null);
    console.log(`# page at failure: ${lastPage.url()}\n#   ${String(text || '').slice(0, 600).replace(/\n/g, '\n#   ')}`);
  }
  if (browserLog.length) console.log(`# browser log (last 40):\n${browserLog.slice(-40).map((l) => `#   ${l}`).join('\n')}`);
  await shutdown();
  process.exit(1);
}
setTimeout(() => fail(new Error('timed out after 300 s')), 300_000).unref();

const b64json = (seg) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
const jwtClaims = (jwt) => b64json(String(jwt).split('.')[1]);
const sorted = (xs) => [...xs].sort();
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function rejects(promise) {
  try {
    const v = await promise;
    return { value: v };
  } catch (e) {
    return { error: e };
  }
}

// --- the app: /cb and /callback record their query, /spa.html hosts okta-auth-js -----------
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

const SPA_CONFIG = { issuer: ISSUER, clientId: SPA, redirectUri: SPA_REDIRECT, scopes: SPA_SCOPES, pkce: true };
const SPA_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>okta-compat SPA</title><link rel="icon" href="data:,">
<script src="/okta-auth-js.js"></script></head>
<body><h1 id="app">okta-compat SPA</h1>
<script>
  var ns = window.OktaAuth;
  window.OktaAuthCtor = typeof ns === 'function' ? ns : ns && (ns.OktaAuth || ns.default);
  window.SPA_CONFIG = ${JSON.stringify(SPA_CONFIG)};
  // No background services, no redirect back to the original URI: the harness drives every step.
  window.makeAuthClient = function () {
    return new window.OktaAuthCtor(Object.assign({}, window.SPA_CONFIG, {
      restoreOriginalUri: async function () {},
      tokenManager: { autoRenew: false, autoRemove: false, syncStorage: false },
      services: { autoRenew: false, autoRemove: false, syncStorage: false },
    }));
  };
  window.bundleReady = typeof window.OktaAuthCtor === 'function';
</script></body></html>`;

function startApp() {
  const bundle = fs.readFileSync(AUTH_JS_BUNDLE);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, APP);
    const query = Object.fromEntries(url.searchParams);
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    switch (url.pathname) {
      case '/cb':
        record('/cb', query);
        return send(200, 'text/html; charset=utf-8', '<!doctype html><title>cb</title><p id="cb">callback received</p>');
      case '/callback':
        record('/callback', query);
        return send(200, 'text/html; charset=utf-8', SPA_PAGE);
      case '/spa.html':
        return send(200, 'text/html; charset=utf-8', SPA_PAGE);
      case '/okta-auth-js.js':
        return send(200, 'application/javascript; charset=utf-8', bundle);
      case '/':
        return send(200, 'text/html; charset=utf-8', '<!doctype html><title>app</title><p>app</p>');
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

async function loadSpa(page, url = `${APP}/spa.html`) {
  if (url) await page.goto(url);
  await page.waitForFunction(() => window.bundleReady === true);
}

// Hosted sign-in: the page must be the login form for the given authorize request.
async function signInOnHostedPage(page, clientId) {
  await page.waitForSelector('form#okta-signin-form #okta-signin-username');
  const login = new URL(page.url());
  assert.equal(`${login.origin}${login.pathname}`, `${ORG_ISSUER}/login/login.htm`,
    `unauthenticated /authorize should redirect to the login page, got ${page.url()}`);
  const fromURI = login.searchParams.get('fromURI') || '';
  const authzPath = `${new URL(ISSUER).pathname}/v1/authorize`;
  assert.ok(fromURI.startsWith(`${authzPath}?`), `fromURI should be the relative ${authzPath} URL, got ${JSON.stringify(fromURI)}`);
  assert.equal(new URLSearchParams(fromURI.split('?')[1]).get('client_id'), clientId, `fromURI client_id: ${fromURI}`);
  ok('unauthenticated /authorize → /login/login.htm?fromURI=<relative authorize URL>');
  await page.fill('#okta-signin-username', USER_LOGIN);
  await page.fill('#okta-signin-password', USER_PASSWORD);
  await page.click('#okta-signin-submit');
}

// Consent page: exactly `want` scopes listed; clicks Allow.
async function consentTo(page, want) {
  await page.waitForSelector('form#consent-form button#consent-allow');
  const listed = await page.$$eval('li.scope-item', (els) => els.map((e) => e.getAttribute('data-scope')));
  assert.deepEqual(sorted(listed), sorted(want), `consent page scopes (li.scope-item[data-scope])`);
  ok(`consent page lists ${sorted(want).join(', ')}`);
  await page.click('button#consent-allow');
}

// --- the checks -----------------------------------------------------------------------------
async function main() {
  app = await startApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-proxy-server'] });

  step = '0. setup';
  {
    const { context, page } = await newPage('setup');
    await loadSpa(page);
    const v = await page.evaluate(() => ({ ctor: typeof window.OktaAuthCtor, features: {
      pkce: window.OktaAuthCtor.features.isPKCESupported(), verify: window.OktaAuthCtor.features.isTokenVerifySupported() } }));
    assert.equal(v.ctor, 'function');
    assert.deepEqual(v.features, { pkce: true, verify: true }, 'okta-auth-js PKCE / token verification support on the app origin');
    await context.close();
    ok(`/spa.html loads okta-auth-js ${AUTH_JS_VERSION} (PKCE and WebCrypto available) in ${browser.version()}`);
  }
  const orgIssuer = await Issuer.discover(ORG_ISSUER);
  assert.equal(orgIssuer.issuer, ORG_ISSUER, 'org server discovery issuer');
  const issuer = await Issuer.discover(ISSUER);
  assert.equal(issuer.issuer, ISSUER, 'default server discovery issuer');
  assert.ok((issuer.code_challenge_methods_supported || []).includes('S256'), 'code_challenge_methods_supported has S256');
  ok('discovery: org and default server issuers, S256');

  const web = new issuer.Client({
    client_id: WEB,
    client_secret: WEB_SECRET,
    redirect_uris: [WEB_REDIRECT],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });

  // a. confidential web app: hosted sign-in, consent, code + PKCE, refresh rotation -------
  step = 'a. web app sign-in, consent, code exchange, refresh';
  const codeVerifier = generators.codeVerifier();
  const state = generators.state();
  const nonce = generators.nonce();
  const authUrl = web.authorizationUrl({
    scope: WEB_SCOPES.join(' '),
    code_challenge: generators.codeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const { context: ctxA, page: pageA } = await newPage('a');
  await pageA.goto(authUrl);
  await signInOnHostedPage(pageA, WEB);
  await consentTo(pageA, ['profile', 'email', 'offline_access']);
  const cbQuery = await waitForHit('/cb', (q) => q.state === state);
  assert.ok(cbQuery.code && !cbQuery.error, `/cb should get a code, got ${JSON.stringify(cbQuery)}`);
  await pageA.waitForURL((u) => u.href.startsWith(`${WEB_REDIRECT}?`));
  ok('Allow → redirect to /cb with code and state');
  await ctxA.close();

  const tokens = await web.callback(WEB_REDIRECT, cbQuery, { code_verifier: codeVerifier, state, nonce, response_type: 'code' });
  assert.ok(tokens.access_token && tokens.id_token && tokens.refresh_token,
    `token response should carry access, ID and refresh tokens, got keys ${Object.keys(tokens)}`);
  assert.equal(String(tokens.token_type).toLowerCase(), 'bearer');
  const idClaims = tokens.claims();
  assert.equal(idClaims.iss, ISSUER, 'ID token iss');
  assert.equal(idClaims.sub, USER_ID, 'ID token sub is the Okta user id');
  assert.equal(idClaims.aud, WEB, 'ID token aud is the client id');
  assert.equal(idClaims.nonce, nonce, 'ID token nonce');
  const atClaims = jwtClaims(tokens.access_token);
  assert.equal(atClaims.iss, ISSUER, 'access token iss');
  assert.equal(atClaims.aud, AUDIENCE, 'access token aud');
  assert.equal(atClaims.sub, USER_LOGIN, 'access token sub is the login');
  assert.equal(atClaims.uid, USER_ID, 'access token uid');
  assert.equal(atClaims.cid, WEB, 'access token cid');
  assert.deepEqual(sorted(atClaims.scp), sorted(WEB_SCOPES), 'access token scp');
  ok('openid-client callback (client_secret_basic, PKCE): ID token signature, iss, aud, nonce valid; access token claims; refresh token');

  const refreshed = await web.refresh(tokens.refresh_token);
  assert.ok(refreshed.access_token, 'refresh returns an access token');
  assert.ok(refreshed.refresh_token, 'refresh returns a refresh token (rotation)');
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the rotated refresh token differs from the old one');
  assert.equal(jwtClaims(refreshed.access_token).cid, WEB, 'refreshed access token cid');
  ok('client.refresh returns a new access token and a rotated refresh token');

  // b. resource server: @okta/jwt-verifier ----------------------------------------------
  step = 'b. @okta/jwt-verifier';
  const verifier = new OktaJwtVerifier({ issuer: ISSUER, testing: { disableHttpsCheck: true } });
  for (const [label, at] of [['first', tokens.access_token], ['refreshed', refreshed.access_token]]) {
    const jwt = await verifier.verifyAccessToken(at, AUDIENCE);
    assert.equal(jwt.claims.iss, ISSUER);
    assert.equal(jwt.claims.aud, AUDIENCE);
    assert.equal(jwt.claims.cid, WEB);
    assert.equal(jwt.claims.uid, USER_ID);
    ok(`verifyAccessToken(${label} access token, '${AUDIENCE}')`);
  }
  const idJwt = await verifier.verifyIdToken(tokens.id_token, WEB, nonce);
  assert.equal(idJwt.claims.sub, USER_ID);
  ok('verifyIdToken(ID token, web client id, nonce)');
  const [h, p, s] = refreshed.access_token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...jwtClaims(refreshed.access_token), uid: '00uMallory0000000001' })).toString('base64url');
  const flipped = `${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  for (const [label, promise] of [
    ['tampered payload', verifier.verifyAccessToken(`${h}.${forged}.${s}`, AUDIENCE)],
    ['tampered signature', verifier.verifyAccessToken(`${h}.${p}.${flipped}`, AUDIENCE)],
    ['wrong audience', verifier.verifyAccessToken(refreshed.access_token, 'api://other')],
    ['ID token, wrong nonce', verifier.verifyIdToken(tokens.id_token, WEB, 'not-the-nonce')],
    ['ID token, wrong client id', verifier.verifyIdToken(tokens.id_token, SPA, nonce)],
  ]) {
    const r = await rejects(promise);
    assert.ok(r.error, `${label} must be rejected, got ${JSON.stringify(r.value && r.value.claims)}`);
    ok(`${label} rejected (${r.error.message})`);
  }

  // c. User Grants API: consent grants, revocation, dead tokens ----------------------------
  step = 'c. User Grants API and revocation';
  const introspect = async (token) => {
    const res = await fetch(`${ISSUER}/v1/introspect`, {
      method: 'POST',
      headers: { authorization: basic(WEB, WEB_SECRET), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, `introspect status (body ${text})`);
    return JSON.parse(text);
  };
  const live = await introspect(refreshed.access_token);
  assert.equal(live.active, true, `introspection of a live access token: ${JSON.stringify(live)}`);
  assert.equal(live.client_id, WEB, `introspection client_id: ${JSON.stringify(live)}`);
  ok('introspection of the live access token: active, client_id');

  const api = new okta.Client({ orgUrl: ORG_URL, token: API_TOKEN, cacheMiddleware: null }).userApi;
  const listGrants = async () => {
    const out = [];
    for await (const g of await api.listUserGrants({ userId: USER_ID, expand: 'scope' })) out.push(g);
    return out;
  };
  const webGrants = (await listGrants()).filter((g) => g.clientId === WEB);
  const brief = JSON.stringify(webGrants);
  const scopeName = (g) => g._embedded?.scope?.name || g.scopeId;
  assert.deepEqual(sorted(webGrants.map(scopeName)), sorted(['profile', 'email', 'offline_access']),
    `one grant per consented scope for the web client: ${brief}`);
  for (const g of webGrants) {
    assert.equal(g.source, 'END_USER', `grant source: ${brief}`);
    assert.equal(g.status, 'ACTIVE', `grant status: ${brief}`);
    assert.equal(g.userId, USER_ID, `grant userId: ${brief}`);
    assert.equal(g.issuer, ISSUER, `grant issuer: ${brief}`);
    assert.deepEqual({ id: g.createdBy?.id, type: g.createdBy?.type }, { id: USER_ID, type: 'User' }, `grant createdBy: ${brief}`);
  }
  assert.equal(new Set(webGrants.map((g) => g.id)).size, webGrants.length, 'distinct grant ids');
  ok(`listUserGrants: ${webGrants.length} END_USER grants (profile, email, offline_access) for the web client`);

  for (const g of webGrants) {
    assert.equal(await api.revokeUserGrant({ userId: USER_ID, grantId: g.id }), undefined);
  }
  const leftover = (await listGrants()).filter((g) => g.clientId === WEB);
  assert.deepEqual(leftover, [], 'no web-client grants left after revokeUserGrant');
  ok('revokeUserGrant for each grant; none left');

  const dead = await rejects(web.refresh(refreshed.refresh_token));
  assert.ok(dead.error, `refresh after revocation must fail, got ${JSON.stringify(dead.value)}`);
  assert.ok(dead.error instanceof oidcErrors.OPError, `refresh error should be an OAuth error response: ${dead.error.stack}`);
  assert.equal(dead.error.error, 'invalid_grant');
  assert.equal(dead.error.error_description, INVALID_RT);
  ok(`refresh after revocation: invalid_grant "${INVALID_RT}"`);
  assert.deepEqual(await introspect(refreshed.access_token), { active: false }, 'introspection after revocation');
  ok('introspection of the access token after revocation: exactly {"active":false}');

  // d. SPA: okta-auth-js in Chromium -------------------------------------------------------
  step = 'd. okta-auth-js SPA';
  const { context: ctxD, page: pageD } = await newPage('d');
  await loadSpa(pageD);
  const creds = { username: USER_LOGIN, password: USER_PASSWORD };
  const first = await pageD.evaluate(async ({ username, password }) => {
    const c = window.makeAuthClient();
    const tx = await c.signInWithCredentials({ username, password });
    const out = { status: tx.status, hasSessionToken: !!tx.sessionToken, userId: tx.user && tx.user.id };
    try {
      const res = await c.token.getWithoutPrompt({ sessionToken: tx.sessionToken, scopes: ['openid', 'email'] });
      out.tokens = Object.keys(res.tokens || {});
    } catch (e) {
      out.error = { name: e.name, errorCode: e.errorCode, errorSummary: e.errorSummary };
    }
    return out;
  }, creds);
  assert.equal(first.status, 'SUCCESS', `signInWithCredentials: ${JSON.stringify(first)}`);
  assert.ok(first.hasSessionToken, `signInWithCredentials returns a sessionToken: ${JSON.stringify(first)}`);
  assert.equal(first.userId, USER_ID, `authn _embedded.user.id: ${JSON.stringify(first)}`);
  ok('signInWithCredentials (CORS POST /api/v1/authn) → SUCCESS with a sessionToken');
  assert.equal(first.error?.errorCode, 'consent_required',
    `getWithoutPrompt before consent must fail with consent_required: ${JSON.stringify(first)}`);
  ok('getWithoutPrompt before consent → consent_required (okta_post_message)');

  await pageD.evaluate(async ({ username, password }) => {
    const c = window.makeAuthClient();
    const tx = await c.signInWithCredentials({ username, password });
    window.redirectError = null;
    // Resolves only when the page is already leaving: do not await it here.
    c.signInWithRedirect({ sessionToken: tx.sessionToken, scopes: ['openid', 'email'] })
      .catch((e) => { window.redirectError = String(e); });
  }, creds);
  await consentTo(pageD, ['email']);
  const spaCb = await waitForHit('/callback', (q) => !!(q.code || q.error));
  assert.ok(spaCb.code && spaCb.state && !spaCb.error, `/callback should get code and state: ${JSON.stringify(spaCb)}`);
  await pageD.waitForURL((u) => u.href.startsWith(`${SPA_REDIRECT}?`));
  await loadSpa(pageD, null);
  const viaRedirect = await pageD.evaluate(async () => {
    const c = window.makeAuthClient();
    const isRedirect = c.isLoginRedirect();
    await c.handleLoginRedirect();
    const t = c.tokenManager.getTokensSync();
    return { isRedirect, idToken: t.idToken && t.idToken.idToken, accessToken: t.accessToken && t.accessToken.accessToken,
      scopes: t.accessToken && t.accessToken.scopes };
  });
  assert.ok(viaRedirect.isRedirect, 'isLoginRedirect() on /callback?code=…');
  assert.ok(viaRedirect.idToken && viaRedirect.accessToken, `handleLoginRedirect stores ID and access tokens: ${JSON.stringify(viaRedirect)}`);
  const spaId = jwtClaims(viaRedirect.idToken);
  assert.equal(spaId.sub, USER_ID);
  assert.equal(spaId.aud, SPA);
  assert.equal(spaId.iss, ISSUER);
  const spaAt = await verifier.verifyAccessToken(viaRedirect.accessToken, AUDIENCE);
  assert.equal(spaAt.claims.cid, SPA);
  assert.deepEqual(sorted(spaAt.claims.scp), sorted(SPA_SCOPES));
  ok('signInWithRedirect({sessionToken}) → consent → /callback → handleLoginRedirect (parseFromUrl, CORS /token, PKCE) → tokens');

  const silent = await pageD.evaluate(async ({ username, password }) => {
    const c = window.makeAuthClient();
    const tx = await c.signInWithCredentials({ username, password });
    try {
      const res = await c.token.getWithoutPrompt({ sessionToken: tx.sessionToken, scopes: ['openid', 'email'] });
      return { idToken: res.tokens.idToken && res.tokens.idToken.idToken,
        accessToken: res.tokens.accessToken && res.tokens.accessToken.accessToken,
        idClaims: res.tokens.idToken && res.tokens.idToken.claims };
    } catch (e) {
      return { error: { name: e.name, errorCode: e.errorCode, errorSummary: e.errorSummary, message: e.message } };
    }
  }, creds);
  assert.ok(!silent.error && silent.idToken && silent.accessToken, `getWithoutPrompt after consent returns tokens: ${JSON.stringify(silent)}`);
  assert.equal(silent.idClaims.sub, USER_ID);
  assert.equal(silent.idClaims.aud, SPA);
  assert.equal(silent.idClaims.iss, ISSUER);
  const silentAt = await verifier.verifyAccessToken(silent.accessToken, AUDIENCE);
  assert.equal(silentAt.claims.cid, SPA);
  ok('signInWithCredentials → getWithoutPrompt({sessionToken, scopes: [openid, email]}) → verified tokens');
  await ctxD.close();

  // e. prompt=none without a session ---------------------------------------------------------
  step = 'e. prompt=none without a session';
  const { context: ctxE, page: pageE } = await newPage('e');
  const eState = generators.state();
  const eVerifier = generators.codeVerifier();
  await pageE.goto(web.authorizationUrl({
    scope: 'openid email',
    code_challenge: generators.codeChallenge(eVerifier),
    code_challenge_method: 'S256',
    state: eState,
    nonce: generators.nonce(),
    prompt: 'none',
  }));
  const eq = await waitForHit('/cb', (q) => q.state === eState);
  assert.equal(eq.error, 'login_required', `prompt=none without a session: ${JSON.stringify(eq)}`);
  assert.equal(eq.code, undefined, 'no code with an error');
  ok(`redirect to /cb with error=login_required and state (${eq.error_description || 'no description'})`);
  await ctxE.close();

  step = 'done';
  console.log(`# all checks passed (openid-client 5, @okta/jwt-verifier 4, @okta/okta-auth-js ${AUTH_JS_VERSION}, @okta/okta-sdk-nodejs 8.1.0, ${browser.version()})`);
  await shutdown();
  process.exit(0);
}

main().catch(fail);
