// Drive pingfed-compat's OAuth 2.0 / OpenID Connect authorization server the way a web
// application in front of PingFederate does: openid-client 5 (confidential client,
// client_secret_basic, code + PKCE S256) and a person in headless Chromium (playwright-core)
// who signs in on the HTML Form adapter's login page and answers the approval page.
//
// Run by scripts/sdk-pingfed-authz.sh, which seeds the server and sets the environment:
//   PF_ISSUER        the issuer, e.g. http://127.0.0.1:9031 (no path)
//   APP_PORT         port of the app this script serves on 127.0.0.1 (records /cb queries)
//   CLIENT_ID, CLIENT_SECRET   the confidential client (consent required, redirect /cb,
//                    authorization_code + refresh_token)
//   USER_LOGIN, USER_PASSWORD  the person who signs in and approves
//   TOKENS_OUT       JSON file the tokens are written to (for tests/sdk/pingfed/authz_loop.py)
//   CHROMIUM         browser binary (default /usr/bin/chromium; playwright-core never downloads one)
// Prints one "ok - <check>" line per passing check; the first failed assertion prints
// "FAIL - <step>: ..." (with the page at failure and the browser's log) and exits 1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { Issuer, generators } from 'openid-client';
import { chromium } from 'playwright-core';

// --- environment --------------------------------------------------------------------------
const REQUIRED = ['PF_ISSUER', 'APP_PORT', 'CLIENT_ID', 'CLIENT_SECRET', 'USER_LOGIN', 'USER_PASSWORD', 'TOKENS_OUT'];
const missing = REQUIRED.filter((k) => !process.env[k]);
if (missing.length) {
  console.log(`FAIL - setup: missing env vars ${missing.join(', ')}`);
  process.exit(1);
}
const ISSUER = process.env.PF_ISSUER.replace(/\/+$/, '');
const APP_PORT = Number(process.env.APP_PORT);
const APP = `http://127.0.0.1:${APP_PORT}`;
const REDIRECT = `${APP}/cb`;
const CLIENT_ID = process.env.CLIENT_ID;
const CLIENT_SECRET = process.env.CLIENT_SECRET;
const USER_LOGIN = process.env.USER_LOGIN;
const USER_PASSWORD = process.env.USER_PASSWORD;
const TOKENS_OUT = process.env.TOKENS_OUT;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCOPES = ['openid', 'profile'];
const BAD_LOGIN = "We didn't recognize the username or password you entered. Please try again.";
const RESUME = new RegExp(`^${ISSUER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/as/[^/?#]+/resume/as/authorization\\.ping$`);

// Every client here would follow HTTP(S)_PROXY: the server and the app are on loopback.
for (const k of Object.keys(process.env)) {
  if (/^(https?|all|no)_proxy$/i.test(k)) delete process.env[k];
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
}
async function fail(err) {
  const detail = err instanceof assert.AssertionError ? err.message : (err && err.stack) || String(err);
  console.log(`FAIL - ${step}: ${detail}`);
  if (err && err.response && err.response.body !== undefined) {
    console.log(`# HTTP ${err.response.statusCode}: ${JSON.stringify(err.response.body)}`);
  }
  if (lastPage && !lastPage.isClosed()) {
    const text = await lastPage.evaluate(() => document.body && document.body.innerText).catch(() => null);
    console.log(`# page at failure: ${lastPage.url()}\n#   ${String(text || '').slice(0, 600).replace(/\n/g, '\n#   ')}`);
  }
  if (browserLog.length) console.log(`# browser log (last 40):\n${browserLog.slice(-40).map((l) => `#   ${l}`).join('\n')}`);
  await shutdown();
  process.exit(1);
}
setTimeout(() => fail(new Error('timed out after 300 s')), 300_000).unref();

const sorted = (xs) => [...xs].sort();

// --- the app: /cb records its query -----------------------------------------------------------
const hits = [];
let hitWaiters = [];
function waitForHit(pred, ms = 20_000) {
  const found = hits.find(pred);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const w = { pred, resolve };
    hitWaiters.push(w);
    setTimeout(() => {
      hitWaiters = hitWaiters.filter((x) => x !== w);
      reject(new Error(`no request to ${REDIRECT} with the expected query within ${ms} ms; ` +
        `requests seen: ${JSON.stringify(hits)}`));
    }, ms).unref();
  });
}
function startApp() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, APP);
    if (url.pathname === '/cb') {
      const query = Object.fromEntries(url.searchParams);
      hits.push(query);
      for (const w of hitWaiters.filter((x) => x.pred(query))) {
        hitWaiters = hitWaiters.filter((x) => x !== w);
        w.resolve(query);
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end('<!doctype html><title>cb</title><p id="cb">callback received</p>');
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
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
  page.on('response', (r) => { if (r.request().isNavigationRequest()) browserLog.push(`[${label}] ${r.status()} ${r.request().method()} ${r.url()}`); });
  return { context, page };
}

// --- pages ----------------------------------------------------------------------------------
const isResumePost = (r) => r.request().method() === 'POST' && RESUME.test(r.url().split('?')[0]);

// The HTML Form adapter's login page, answered 200 at the authorization endpoint itself.
// (After a failed sign-in the page comes back from the resume URL instead.)
async function expectLoginPage(page, response, at = 'authorization') {
  assert.equal(response.status(), 200, `${response.request().method()} ${response.url()} should answer 200 with the login page`);
  if (at === 'authorization') {
    assert.ok(response.url().startsWith(`${ISSUER}/as/authorization.oauth2?`),
      `the login page should be served at ${ISSUER}/as/authorization.oauth2, got ${response.url()}`);
  } else {
    assert.match(response.url().split('?')[0], RESUME, `the failed sign-in should answer at the resume URL, got ${response.url()}`);
  }
  await page.waitForSelector('input#username');
  const form = await page.$eval('input#username', (u) => {
    const f = u.form;
    const named = (n) => f && f.querySelector(`input[name="${n}"]`);
    return {
      method: f && f.getAttribute('method'),
      action: f && f.action,
      username: u.name,
      password: document.querySelector('input#password')?.name,
      passwordType: document.querySelector('input#password')?.type,
      hidden: ['pf.ok', 'pf.cancel', 'pf.adapterId'].filter((n) => named(n)?.type === 'hidden'),
      signOn: !!document.querySelector('a#sign-on'),
    };
  });
  assert.equal(String(form.method).toUpperCase(), 'POST', `login form method: ${JSON.stringify(form)}`);
  assert.match(String(form.action), RESUME, `login form action should be /as/{id}/resume/as/authorization.ping: ${JSON.stringify(form)}`);
  assert.deepEqual({ username: form.username, password: form.password, passwordType: form.passwordType },
    { username: 'pf.username', password: 'pf.pass', passwordType: 'password' }, `login inputs: ${JSON.stringify(form)}`);
  assert.deepEqual(form.hidden, ['pf.ok', 'pf.cancel', 'pf.adapterId'], `hidden login fields: ${JSON.stringify(form)}`);
  assert.ok(form.signOn, 'a#sign-on is on the login page');
}

// Fills the login form and submits it (click on #sign-on, or Enter in the password field).
// With `answer`, resolves to the response of the POST to the resume URL.
async function signIn(page, password, { how = 'click', answer = false } = {}) {
  await page.fill('#username', USER_LOGIN);
  await page.fill('#password', password);
  const posted = answer ? page.waitForResponse(isResumePost) : null;
  if (how === 'enter') await page.press('#password', 'Enter');
  else await page.click('#sign-on');
  return posted;
}

// The approval page: one checked scope checkbox per requested scope, cSRFToken, allow/deny.
async function expectApprovalPage(page) {
  await page.waitForSelector('form#approval-form');
  const form = await page.$eval('form#approval-form', (f) => ({
    method: f.getAttribute('method'),
    action: f.action,
    scopes: [...f.querySelectorAll('input[type=checkbox][name=scope]')].map((c) => ({ value: c.value, checked: c.checked })),
    csrf: f.querySelector('input[type=hidden][name=cSRFToken]')?.value,
    consent: !!f.querySelector('input[type=hidden][name="pf.oauth.authz.consent"]'),
    allow: !!document.querySelector('#allow'),
    deny: !!document.querySelector('#deny'),
  }));
  const brief = JSON.stringify(form);
  assert.equal(String(form.method).toUpperCase(), 'POST', `approval form method: ${brief}`);
  assert.match(String(form.action), RESUME, `approval form action: ${brief}`);
  assert.deepEqual(sorted(form.scopes.map((s) => s.value)), sorted(SCOPES), `one scope checkbox per requested scope: ${brief}`);
  assert.ok(form.scopes.every((s) => s.checked), `scope checkboxes are checked: ${brief}`);
  assert.ok(form.csrf, `hidden cSRFToken with a value: ${brief}`);
  assert.ok(form.consent, `hidden pf.oauth.authz.consent: ${brief}`);
  assert.ok(form.allow && form.deny, `#allow and #deny: ${brief}`);
  assert.equal(await page.$('input#username'), null, 'no login form on the approval page');
}

function authorizationRequest(client) {
  const verifier = generators.codeVerifier();
  const state = generators.state();
  const nonce = generators.nonce();
  const url = client.authorizationUrl({
    scope: SCOPES.join(' '),
    code_challenge: generators.codeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { verifier, state, nonce, url };
}

function checkTokens(tokens, req, label) {
  assert.ok(tokens.access_token && tokens.id_token && tokens.refresh_token,
    `${label}: token response should carry access, ID and refresh tokens, got keys ${Object.keys(tokens)}`);
  assert.equal(String(tokens.token_type).toLowerCase(), 'bearer', `${label}: token_type`);
  const claims = tokens.claims();
  assert.equal(claims.iss, ISSUER, `${label}: ID token iss`);
  assert.ok(claims.aud === CLIENT_ID || (Array.isArray(claims.aud) && claims.aud.includes(CLIENT_ID)), `${label}: ID token aud ${JSON.stringify(claims.aud)}`);
  assert.equal(claims.nonce, req.nonce, `${label}: ID token nonce`);
  assert.ok(typeof claims.sub === 'string' && claims.sub.length > 0, `${label}: ID token sub ${JSON.stringify(claims.sub)}`);
  return claims;
}

// --- the checks -----------------------------------------------------------------------------
async function main() {
  app = await startApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-proxy-server'] });

  step = '0. discovery';
  const issuer = await Issuer.discover(ISSUER);
  assert.equal(issuer.issuer, ISSUER, 'discovery issuer');
  const md = issuer.metadata;
  assert.deepEqual({
    authorization_endpoint: md.authorization_endpoint,
    token_endpoint: md.token_endpoint,
    revocation_endpoint: md.revocation_endpoint,
    introspection_endpoint: md.introspection_endpoint,
    userinfo_endpoint: md.userinfo_endpoint,
    jwks_uri: md.jwks_uri,
  }, {
    authorization_endpoint: `${ISSUER}/as/authorization.oauth2`,
    token_endpoint: `${ISSUER}/as/token.oauth2`,
    revocation_endpoint: `${ISSUER}/as/revoke_token.oauth2`,
    introspection_endpoint: `${ISSUER}/as/introspect.oauth2`,
    userinfo_endpoint: `${ISSUER}/idp/userinfo.openid`,
    jwks_uri: `${ISSUER}/pf/JWKS`,
  }, 'discovery endpoints');
  assert.ok((md.code_challenge_methods_supported || []).includes('S256'), 'code_challenge_methods_supported has S256');
  ok(`Issuer.discover(${ISSUER}): PingFederate endpoints, S256`);

  const client = new issuer.Client({
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });

  // b1/b2. wrong password, then sign-in (Enter) and Deny: no code, no grant -------------------
  step = 'b. wrong password, deny';
  {
    const { context, page } = await newPage('deny');
    const req = authorizationRequest(client);
    const res = await page.goto(req.url);
    await expectLoginPage(page, res);
    ok('unauthenticated authorization request → 200 login page (pf.username, pf.pass, pf.ok, pf.cancel, pf.adapterId, #sign-on)');
    const bad = await signIn(page, `${USER_PASSWORD}-wrong`, { answer: true });
    assert.equal(bad.status(), 200, `wrong password: the login page again, got HTTP ${bad.status()}`);
    await page.waitForURL((u) => RESUME.test(`${u.origin}${u.pathname}`));
    await page.waitForLoadState();
    await page.waitForSelector('.ping-error');
    const errors = await page.$$eval('.ping-error', (els) => els.map((e) => e.textContent.trim()).filter(Boolean));
    assert.ok(errors.includes(BAD_LOGIN), `.ping-error text: ${JSON.stringify(errors)}`);
    await expectLoginPage(page, bad, 'resume');
    ok(`wrong password → 200, login page again with .ping-error "${BAD_LOGIN}"`);
    await signIn(page, USER_PASSWORD, { how: 'enter' });
    await expectApprovalPage(page);
    ok('right password (Enter in #password) → approval page');
    await page.click('#deny');
    const cb = await waitForHit((q) => q.state === req.state);
    assert.equal(cb.error, 'access_denied', `Deny: ${JSON.stringify(cb)}`);
    assert.equal(cb.code, undefined, `no code with an error: ${JSON.stringify(cb)}`);
    ok(`Deny → /cb with error=access_denied and state (${cb.error_description || 'no description'})`);
    await context.close();
  }

  // a. sign in, approve, code exchange, ID token, refresh -------------------------------------
  step = 'a. sign-in, approval, code exchange, refresh';
  const { context: ctxA, page: pageA } = await newPage('a');
  const reqA = authorizationRequest(client);
  const resA = await pageA.goto(reqA.url);
  await expectLoginPage(pageA, resA);
  ok('Chromium at openid-client\'s authorization URL (code, S256, state, nonce) → PingFederate login page');
  await signIn(pageA, USER_PASSWORD);
  await expectApprovalPage(pageA);
  ok(`#sign-on → approval page: scope checkboxes ${SCOPES.join(', ')} (checked), cSRFToken, #allow, #deny`);
  const pf = (await ctxA.cookies(ISSUER)).find((c) => c.name === 'PF');
  assert.ok(pf, `session cookie PF after sign-in: ${JSON.stringify(await ctxA.cookies(ISSUER))}`);
  assert.equal(pf.httpOnly, true, `PF cookie HttpOnly: ${JSON.stringify(pf)}`);
  assert.equal(pf.sameSite, 'Lax', `PF cookie SameSite=Lax: ${JSON.stringify(pf)}`);
  ok('session cookie PF (HttpOnly, SameSite=Lax)');
  await pageA.click('#allow');
  const cbA = await waitForHit((q) => q.state === reqA.state);
  assert.ok(cbA.code && !cbA.error, `/cb should get a code, got ${JSON.stringify(cbA)}`);
  await pageA.waitForURL((u) => u.href.startsWith(`${REDIRECT}?`));
  ok('#allow → /cb with code and state');

  const tokens = await client.callback(REDIRECT, cbA, { code_verifier: reqA.verifier, state: reqA.state, nonce: reqA.nonce, response_type: 'code' });
  const claims = checkTokens(tokens, reqA, 'code exchange');
  ok(`client.callback (client_secret_basic, PKCE S256): ID token signature (/pf/JWKS), iss, aud, nonce valid (sub ${claims.sub}); refresh token`);

  const info = await client.userinfo(tokens.access_token);
  assert.equal(info.sub, claims.sub, `userinfo sub: ${JSON.stringify(info)}`);
  ok(`client.userinfo (GET /idp/userinfo.openid, Bearer): sub ${info.sub}`);

  const refreshed = await client.refresh(tokens.refresh_token);
  assert.ok(refreshed.access_token, `refresh returns an access token: ${JSON.stringify(Object.keys(refreshed))}`);
  assert.equal(refreshed.refresh_token, tokens.refresh_token, 'refresh returns the same refresh token (no rolling)');
  ok('client.refresh → new access token, the same refresh token');

  // b3. a second authorization in the same browser: the session is reused ---------------------
  step = 'b. second authorization, same browser session';
  const reqB = authorizationRequest(client);
  const resB = await pageA.goto(reqB.url);
  assert.equal(await pageA.$('input#username'), null,
    `the second authorization must not show the login page (HTTP ${resB && resB.status()} at ${pageA.url()})`);
  await expectApprovalPage(pageA);
  ok('prompt-less authorization with the PF session → approval page, no login page');
  await pageA.click('#allow');
  const cbB = await waitForHit((q) => q.state === reqB.state);
  assert.ok(cbB.code && !cbB.error, `/cb should get a code, got ${JSON.stringify(cbB)}`);
  const tokensB = await client.callback(REDIRECT, cbB, { code_verifier: reqB.verifier, state: reqB.state, nonce: reqB.nonce, response_type: 'code' });
  const claimsB = checkTokens(tokensB, reqB, 'second code exchange');
  assert.equal(claimsB.sub, claims.sub, 'same sub on the second ID token');
  ok('#allow → code → tokens for the same sub');
  await ctxA.close();

  fs.writeFileSync(TOKENS_OUT, `${JSON.stringify({
    issuer: ISSUER,
    client_id: CLIENT_ID,
    scopes: SCOPES,
    sub: claims.sub,
    first: { access_token: refreshed.access_token, refresh_token: refreshed.refresh_token, id_token: tokens.id_token },
    second: { access_token: tokensB.access_token, refresh_token: tokensB.refresh_token, id_token: tokensB.id_token },
  }, null, 2)}\n`);
  step = 'done';
  ok(`tokens written to ${TOKENS_OUT}`);
  console.log(`# all checks passed (openid-client 5.7.1, playwright-core, ${browser.version()})`);
  await shutdown();
  process.exit(0);
}

main().catch(fail);
