// Drive Okta's official Node SDK (@okta/okta-sdk-nodejs 8.1.0) against an okta-compat server.
//
// Run after scripts/sdk-setup.sh:  node tests/sdk/okta-node/conformance.mjs
// Environment: OKTA_ORG_URL, OKTA_API_TOKEN, OKTA_USER_ID, OKTA_CLIENT_ID,
// OKTA_OTHER_CLIENT_ID, OKTA_OTHER_USER_ID, OKTA_RATE_LIMITED_ORG_URL.
// Prints one "ok - <check>" line per passing check; exits 1 on the first failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import okta from '@okta/okta-sdk-nodejs';

const { Client, OktaApiError } = okta;
const NAMES = ['OKTA_ORG_URL', 'OKTA_API_TOKEN', 'OKTA_USER_ID', 'OKTA_CLIENT_ID',
  'OKTA_OTHER_CLIENT_ID', 'OKTA_OTHER_USER_ID', 'OKTA_RATE_LIMITED_ORG_URL'];
const missing = NAMES.filter((k) => !process.env[k]);
if (missing.length) {
  console.log(`FAIL - setup: missing env vars ${missing.join(', ')}`);
  process.exit(1);
}
const env = Object.fromEntries(NAMES.map((k) => [k, process.env[k]]));
const ORG = env.OKTA_ORG_URL.replace(/\/+$/, '');
const RL_ORG = env.OKTA_RATE_LIMITED_ORG_URL.replace(/\/+$/, '');
const { OKTA_API_TOKEN: TOKEN, OKTA_USER_ID: ALICE, OKTA_OTHER_USER_ID: BOB } = env;
const { OKTA_CLIENT_ID: CLIENT, OKTA_OTHER_CLIENT_ID: OTHER } = env;
const READ = 'okta.users.read';
const MANAGE = 'okta.users.manage';

// The SDK merges config from ./okta.yaml, ~/.okta/okta.yaml and OKTA_CLIENT_* env vars,
// and routes everything through HTTPS_PROXY if set: isolate from all of that.
const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-sdk-node-'));
process.chdir(sandbox);
process.env.HOME = sandbox;
for (const k of Object.keys(process.env)) {
  if (k.startsWith('OKTA_CLIENT_') || /^https?_proxy$/i.test(k)) delete process.env[k];
}
process.on('exit', () => fs.rmSync(sandbox, { recursive: true, force: true }));

let step = 'setup';
function fail(name, detail) {
  console.log(`FAIL - ${name}: ${detail}`);
  process.exit(1);
}
function check(name, cond, detail = 'assertion failed') {
  if (!cond) fail(name, detail);
  console.log(`ok - ${name}`);
}
const client = (orgUrl = ORG, token = TOKEN) => new Client({ orgUrl, token, cacheMiddleware: null });
const brief = (g) => JSON.stringify(g);

// Iterate a Collection with the SDK's own pagination (follows Link rel="next"),
// counting the pages it fetches.
async function listAll(collectionPromise) {
  const col = await collectionPromise;
  let pages = 0;
  const fetchPage = col.getNextPage.bind(col);
  col.getNextPage = () => { pages += 1; return fetchPage(); };
  const items = [];
  for await (const item of col) items.push(item);
  return { items, pages };
}

async function expectError(fn, status, code) {
  let err;
  try {
    const res = await fn();
    fail(step, `expected HTTP ${status}, got success: ${brief(res)}`);
  } catch (e) {
    err = e;
  }
  check(`${step}: SDK throws OktaApiError`, err instanceof OktaApiError, `got ${err && err.stack}`);
  check(`${step}: status ${status} / ${code}`, err.status === status && err.errorCode === code,
    `got ${err.status} ${err.errorCode} ${err.errorSummary}`);
}

async function main() {
  const api = client().userApi;

  step = 'a. list user grants (limit=10, auto-pagination)';
  const { items: grants, pages } = await listAll(api.listUserGrants({ userId: ALICE, limit: 10 }));
  check(`${step}: 45 grants`, grants.length === 45, `got ${grants.length}`);
  check(`${step}: 45 distinct ids`, new Set(grants.map((g) => g.id)).size === 45);
  check(`${step}: >= 5 pages`, pages >= 5, `got ${pages}`);
  for (const g of grants) {
    const wantScope = { [CLIENT]: READ, [OTHER]: MANAGE }[g.clientId];
    const problems = Object.entries({
      'id not oag…': !String(g.id).startsWith('oag'),
      status: g.status !== 'ACTIVE',
      userId: g.userId !== ALICE,
      issuer: g.issuer !== ORG,
      'clientId/scopeId': !wantScope || g.scopeId !== wantScope,
      source: g.source !== 'END_USER',
      '_links.self.href': g._links?.self?.href !== `${ORG}/api/v1/users/${ALICE}/grants/${g.id}`,
    }).filter(([, bad]) => bad).map(([p]) => p);
    if (problems.length) fail(step, `grant ${g.id}: bad ${problems}: ${brief(g)}`);
  }
  check(`${step}: every grant has oag id, ACTIVE, userId, issuer, scopeId, source, absolute self link`, true);
  const perClient = (c) => grants.filter((g) => g.clientId === c).length;
  check(`${step}: 25 + 20 grants per client`, perClient(CLIENT) === 25 && perClient(OTHER) === 20,
    `got ${perClient(CLIENT)} + ${perClient(OTHER)}`);

  step = 'b. list with expand=scope, scopeId filter';
  const { items: read, pages: readPages } = await listAll(
    api.listUserGrants({ userId: ALICE, scopeId: READ, expand: 'scope', limit: 10 }));
  check(`${step}: 25 grants`, read.length === 25, `got ${read.length} in ${readPages} pages`);
  const badRead = read.filter((g) => g.scopeId !== READ || g._embedded?.scope?.id !== READ);
  check(`${step}: each has scopeId and _embedded.scope.id ${READ}`, !badRead.length,
    `bad: ${badRead.slice(0, 2).map(brief)}`);

  step = 'c. list grants for user and client (limit=7)';
  const { items: mine, pages: minePages } = await listAll(
    api.listGrantsForUserAndClient({ userId: ALICE, clientId: CLIENT, limit: 7 }));
  check(`${step}: 25 grants`, mine.length === 25, `got ${mine.length}`);
  check(`${step}: 25 distinct ids, all for the client`,
    new Set(mine.map((g) => g.id)).size === 25 && mine.every((g) => g.clientId === CLIENT));
  check(`${step}: >= 3 pages`, minePages >= 3, `got ${minePages}`);

  step = 'd. get user grant';
  const target = mine[0];
  let g = await api.getUserGrant({ userId: ALICE, grantId: target.id });
  check(`${step}: same id/clientId/scopeId`,
    g.id === target.id && g.clientId === CLIENT && g.scopeId === READ, `got ${brief(g)}`);
  g = await api.getUserGrant({ userId: ALICE, grantId: target.id, expand: 'scope' });
  check(`${step}: expand=scope embeds scope`, g._embedded?.scope?.id === READ, `got ${brief(g)}`);

  step = "e. get user grant via 'me'";
  g = await api.getUserGrant({ userId: 'me', grantId: target.id });
  check(`${step}: same grant as via user id`,
    g.id === target.id && g.clientId === CLIENT && g.scopeId === READ && g.userId === ALICE, `got ${brief(g)}`);

  // 8 quick calls against a 3-per-2s limit: some window must see a 4th call -> 429.
  step = 'j. rate-limited server: SDK retries 429';
  const rl = client(RL_ORG);
  const backoffs = [];
  rl.requestExecutor.on('backoff', (_req, _res, _id, delayMs) => backoffs.push(delayMs));
  const start = Date.now();
  const page = [];
  for await (const p of await rl.userApi.listUserGrants({ userId: ALICE, limit: 7 })) {
    page.push(p);
    if (page.length === 7) break; // stop before fetching a second page
  }
  const got = [];
  for (const p of page) got.push((await rl.userApi.getUserGrant({ userId: ALICE, grantId: p.id })).id);
  const elapsed = (Date.now() - start) / 1000;
  check(`${step}: 8 calls succeeded`, page.length === 7 && got.join() === page.map((p) => p.id).join(),
    `listed ${page.length}, got ${got}`);
  check(`${step}: SDK backed off on 429`, backoffs.length >= 1, 'no 429 backoff happened');
  check(`${step}: elapsed >= 1s`, elapsed >= 1, `elapsed ${elapsed.toFixed(2)}s`);

  step = 'f. revoke one grant';
  check(`${step}: resolves`, (await api.revokeUserGrant({ userId: ALICE, grantId: target.id })) === undefined);
  await expectError(() => api.getUserGrant({ userId: ALICE, grantId: target.id }), 404, 'E0000007');
  let { items: left } = await listAll(api.listUserGrants({ userId: ALICE, limit: 200 }));
  check(`${step}: 44 grants left, revoked one gone`,
    left.length === 44 && !left.some((x) => x.id === target.id), `got ${left.length}`);

  step = 'g. revoke grants for user and client';
  await api.revokeGrantsForUserAndClient({ userId: ALICE, clientId: OTHER });
  check(`${step}: resolves`, true);
  const { items: other } = await listAll(api.listGrantsForUserAndClient({ userId: ALICE, clientId: OTHER }));
  check(`${step}: client list empty`, other.length === 0, `got ${other.length}`);
  ({ items: left } = await listAll(api.listUserGrants({ userId: ALICE, limit: 200 })));
  check(`${step}: 24 grants of the other client remain`,
    left.length === 24 && left.every((x) => x.clientId === CLIENT), `got ${left.length}`);

  step = 'h. revoke all user grants';
  await api.revokeUserGrants({ userId: ALICE });
  check(`${step}: resolves`, true);
  ({ items: left } = await listAll(api.listUserGrants({ userId: ALICE })));
  check(`${step}: list empty`, left.length === 0, `got ${left.length}`);
  const { items: bobs } = await listAll(api.listUserGrants({ userId: BOB }));
  check(`${step}: bob's 3 grants untouched`,
    bobs.length === 3 && bobs.every((x) => x.userId === BOB && x.status === 'ACTIVE'), `got ${bobs.length}`);

  step = 'i. bad token';
  await expectError(() => listAll(client(ORG, 'bad-token').userApi.listUserGrants({ userId: ALICE })),
    401, 'E0000011');

  step = 'k. one grant per scope, scope ids exactly as stored';
  const CAROL = process.env.OKTA_MULTI_SCOPE_USER_ID || '';
  const SCOPES = ['api:read', 'données:lire', 'https://api.example.com/orders.read'];
  const { items: cg } = await listAll(api.listUserGrants({ userId: CAROL, expand: 'scope', limit: 2 }));
  check(`${step}: 3 grants, distinct oag ids`,
    cg.length === 3 && new Set(cg.map((x) => x.id)).size === 3 && cg.every((x) => x.id.startsWith('oag')),
    cg.map(brief).join());
  check(`${step}: scopeId and _embedded.scope.id exact`,
    JSON.stringify(cg.map((x) => x.scopeId).sort()) === JSON.stringify(SCOPES)
      && cg.every((x) => x._embedded && x._embedded.scope.id === x.scopeId),
    cg.map(brief).join());
  const { items: one } = await listAll(api.listUserGrants({ userId: CAROL, scopeId: 'api:read' }));
  check(`${step}: scopeId filter matches the stored string`,
    one.length === 1 && one[0].scopeId === 'api:read', one.map(brief).join());
  await api.revokeUserGrant({ userId: CAROL, grantId: one[0].id });
  const { items: rest } = await listAll(api.listUserGrants({ userId: CAROL }));
  const key = (x) => `${x.id} ${x.scopeId}`;
  check(`${step}: the other scopes keep their grants and ids`,
    JSON.stringify(rest.map(key).sort()) === JSON.stringify(cg.filter((x) => x.id !== one[0].id).map(key).sort()),
    rest.map(brief).join());

  console.log('# all checks passed (@okta/okta-sdk-nodejs 8.1.0)');
}

main().catch((e) => fail(step, `exception: ${e && e.stack ? e.stack : e}`));
