'use strict';
// The user's view of epochstore, from outside: store a time, find it in the
// listing, check health. CloudWatch Synthetics runs it every minute against
// one API URL (API_URL); `node canary/index.js URL` runs it from a laptop.
// A run passes when it returns and fails when it throws. When writes need a
// JWT (WRITES_NEED_TOKEN=true) the canary holds no token: it checks that an
// anonymous POST is refused with 401 and that the listing answers.
//
// Only Node's own http/https modules: the Synthetics runtime instruments them,
// so with active tracing each request carries an X-Ray trace header through
// API Gateway to the functions. Under Synthetics every check is a reported
// step (executeStep); elsewhere the steps are plain function calls.

const http = require('node:http');
const https = require('node:https');

const REQUEST_TIMEOUT_MS = 5000;

// The runtime's step API under its current and its legacy module name, or
// null when neither exists (a laptop, the tests).
function loadSynthetics() {
  for (const name of ['@aws/synthetics-puppeteer', 'Synthetics']) {
    try {
      return require(name);
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  return null;
}

// One request; resolves with status, headers and body text (its tests use it too).
function request(method, url, { timeoutMs = REQUEST_TIMEOUT_MS, body } = {}) {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      { method, headers: { accept: 'application/json', 'user-agent': 'epochstore-canary' } },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${target.pathname}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function expectJson(response, status, what) {
  if (response.status !== status) {
    throw new Error(`${what}: HTTP ${response.status}, expected ${status}: ${response.body.slice(0, 300)}`);
  }
  try {
    return JSON.parse(response.body);
  } catch {
    throw new Error(`${what}: HTTP ${status} but the body is not JSON: ${response.body.slice(0, 300)}`);
  }
}

// Listing pages the canary reads: one small page from just above its record.
const LOOKUP_LIMIT = 5;

// A page cursor that lists `id` first: the next UUIDv7 up (a cursor lists the
// ids below it, newest first), as the drill does (scripts/failover_drill/
// replication.py); null when `id` is no UUID or adding one leaves UUIDv7.
function cursorAbove(id) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return null;
  const value = BigInt(`0x${id.replace(/-/g, '')}`) + 1n;
  if (((value >> 76n) & 0xfn) !== 7n || ((value >> 62n) & 0x3n) !== 2n) return null;
  return value.toString(16).padStart(32, '0');
}

async function readPage(base, limit, cursor = null) {
  const query = `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
  const page = expectJson(await request('GET', `${base}/getEpochStore?${query}`), 200, 'GET /getEpochStore');
  if (!Array.isArray(page.items)) throw new Error(`GET /getEpochStore: no items array: ${JSON.stringify(page).slice(0, 300)}`);
  return page;
}

async function checkHealth(base) {
  const body = expectJson(await request('GET', `${base}/health`), 200, 'GET /health');
  if (body.status !== 'ok') throw new Error(`GET /health: status ${JSON.stringify(body.status)}`);
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One canary run against `apiUrl` (no trailing slash needed). The record is
 * looked up by its id (one small page from just above it, so no number of
 * newer writes can hide it), up to `listAttempts` times, `listRetryMs` apart:
 * the POST and the GET may reach different regions (or an eventually
 * consistent read), so the new record may take a moment to appear. With `writesNeedToken` the POST must
 * be refused (401) and there is no record to look for. Resolves with what it
 * saw; throws on the first failed check.
 */
async function run({ apiUrl, writesNeedToken = false, listAttempts = 5, listRetryMs = 1000, synthetics = loadSynthetics() }) {
  if (!apiUrl) throw new Error('API_URL is not set');
  const base = apiUrl.replace(/\/+$/, '');
  const step = synthetics ? (name, fn) => synthetics.executeStep(name, fn) : (_name, fn) => fn();

  if (writesNeedToken) {
    await step('store refused without a token', async () => {
      expectJson(await request('POST', `${base}/storeEpochTime`), 401, 'POST /storeEpochTime without a token');
    });
    const listedBy = await step('list', async () => (await readPage(base, 1)).region);
    const health = await step('health', () => checkHealth(base));
    return { id: null, storedBy: null, listedBy, healthOf: health.region };
  }

  const stored = await step('store', async () => {
    const record = expectJson(await request('POST', `${base}/storeEpochTime`), 201, 'POST /storeEpochTime');
    if (typeof record.id !== 'string' || !Number.isInteger(record.epochMillis) || typeof record.region !== 'string') {
      throw new Error(`POST /storeEpochTime: not a record: ${JSON.stringify(record)}`);
    }
    return record;
  });

  const listedBy = await step('list', async () => {
    for (let attempt = 1; ; attempt++) {
      const page = await readPage(base, LOOKUP_LIMIT, cursorAbove(stored.id));
      if (page.items.some((item) => item.id === stored.id)) return page.region;
      if (attempt >= listAttempts) {
        throw new Error(`GET /getEpochStore: record ${stored.id} (stored by ${stored.region}) not listed by ${page.region} after ${attempt} reads`);
      }
      await sleep(listRetryMs);
    }
  });

  const health = await step('health', () => checkHealth(base));

  return { id: stored.id, storedBy: stored.region, listedBy, healthOf: health.region };
}

exports.run = run;
exports.request = request;
exports.cursorAbove = cursorAbove;
exports.handler = async () =>
  run({
    apiUrl: process.env.API_URL,
    writesNeedToken: process.env.WRITES_NEED_TOKEN === 'true',
    listAttempts: Number(process.env.LIST_ATTEMPTS || 5),
    listRetryMs: Number(process.env.LIST_RETRY_MS || 1000),
  });

if (require.main === module) {
  run({ apiUrl: process.argv[2] || process.env.API_URL, writesNeedToken: process.env.WRITES_NEED_TOKEN === 'true' })
    .then((seen) => console.log(JSON.stringify({ result: 'pass', ...seen })))
    .catch((err) => {
      console.error(JSON.stringify({ result: 'fail', error: err.message }));
      process.exitCode = 1;
    });
}
