'use strict';
// The canary against the local emulation (`make run`'s binary) and against
// small fake APIs that misbehave in one way each. `node --test canary/index.test.js`.
// The emulation is started by the Python tests' own harness
// (tests/py/local_harness.py run as a launcher, with the project's .venv), so
// ports, start-up and shutdown live in one place; the binary comes from
// EPOCHSTORE_LOCAL_BIN, else $CARGO_TARGET_DIR/debug/epochstore-local.

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const { once } = require('node:events');
const readline = require('node:readline');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');

const canary = require('./index.js');

const REPO = path.resolve(__dirname, '..');
const REGIONS = ['eu-central-1', 'eu-west-3'];
const fast = { listAttempts: 3, listRetryMs: 50, synthetics: null };

// tests/py/local_harness.py as a launcher: one JSON line with the URLs, and
// the emulation stops (SIGINT, exit 0 checked) when its stdin closes.
async function launchLocal() {
  const python = path.join(REPO, '.venv', 'bin', 'python');
  const child = spawn(python, [path.join(REPO, 'tests', 'py', 'local_harness.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    once(readline.createInterface({ input: child.stdout }), 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`the launcher exited with ${code}`); }),
  ]);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { ...JSON.parse(line), stop: () => (child.stdin.end(), exited) };
}

const setStatus = async (url, region, status) =>
  (await canary.request('POST', `${url}/_local/regions/${region}/status`, { body: status })).status;

// A one-off API: `routes` maps "METHOD /path" to a function giving [status, body].
async function fakeApi(routes) {
  const server = http.createServer((req, res) => {
    const route = routes[`${req.method} ${req.url.split('?')[0]}`];
    const [status, body] = route ? route(new URL(req.url, 'http://fake').searchParams) : [404, { error: { code: 'not_found' } }];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

const record = { id: '01a24159-d762-7dfd-a45a-79bd8620d8ee', epoch: 1, epochMillis: 1000, storedAt: '1970-01-01T00:00:01.000Z', region: 'fake-1' };

describe('against the local emulation', () => {
  let local;
  const regionUrl = (region) => local.regions[region];

  before(async () => {
    local = await launchLocal();
  });

  after(async () => {
    if (local) assert.equal(await local.stop(), 0, 'the emulation exits 0 on SIGINT');
  });

  test('passes through the front door', async () => {
    const seen = await canary.run({ apiUrl: local.url, ...fast });
    assert.match(seen.id, /^[0-9a-f-]{36}$/);
    assert.ok(REGIONS.includes(seen.storedBy) && REGIONS.includes(seen.listedBy) && REGIONS.includes(seen.healthOf));
  });

  test('passes against each region, as the regional canaries do', async () => {
    for (const region of REGIONS) {
      const seen = await canary.run({ apiUrl: `${regionUrl(region)}/`, ...fast });
      assert.deepEqual([seen.storedBy, seen.listedBy, seen.healthOf], [region, region, region]);
    }
  });

  test('reports each check as a Synthetics step when the runtime is there', async () => {
    const steps = [];
    const synthetics = { executeStep: async (name, fn) => (steps.push(name), fn()) };
    await canary.run({ apiUrl: regionUrl(REGIONS[0]), ...fast, synthetics });
    assert.deepEqual(steps, ['store', 'list', 'health']);
  });

  test('the handler reads API_URL', async () => {
    process.env.API_URL = regionUrl(REGIONS[1]);
    try {
      assert.equal((await canary.handler()).healthOf, REGIONS[1]);
    } finally {
      delete process.env.API_URL;
    }
  });

  test('fails against a region whose health check fails', async () => {
    const failed = REGIONS[1];
    assert.equal(await setStatus(local.url, failed, 'fail'), 204);
    try {
      await assert.rejects(canary.run({ apiUrl: regionUrl(failed), ...fast }), /GET \/health: HTTP 503, expected 200/);
      await canary.run({ apiUrl: regionUrl(REGIONS[0]), ...fast });
    } finally {
      assert.equal(await setStatus(local.url, failed, 'ok'), 204);
    }
  });
});

describe('against a misbehaving API', () => {
  test('looks its record up by id: one small page from just above it, whatever was written since', async () => {
    const newer = Array.from({ length: 100 }, (_, i) => ({ ...record, id: `ffffffff-0000-7000-8000-${String(i).padStart(12, '0')}` }));
    const queries = [];
    const api = await fakeApi({
      'POST /storeEpochTime': () => [201, record],
      // The newest page holds 100 newer records; the one from just above the id starts with it.
      'GET /getEpochStore': (query) => {
        queries.push(Object.fromEntries(query));
        return [200, { items: query.get('cursor') === canary.cursorAbove(record.id) ? [record] : newer, region: 'fake-4' }];
      },
      'GET /health': () => [200, { status: 'ok', region: 'fake-4' }],
    });
    try {
      assert.equal((await canary.run({ apiUrl: api.url, ...fast })).listedBy, 'fake-4');
      assert.deepEqual(queries, [{ limit: '5', cursor: '01a24159d7627dfda45a79bd8620d8ef' }]);
    } finally {
      await api.close();
    }
  });

  test('the cursor above an id is the next UUIDv7, or none', () => {
    assert.equal(canary.cursorAbove('01a24159-d762-7dfd-a45a-79bd8620d8ee'), '01a24159d7627dfda45a79bd8620d8ef');
    assert.equal(canary.cursorAbove('01a24159-d762-7dfd-bfff-ffffffffffff'), null, 'the variant bits would change');
    assert.equal(canary.cursorAbove('not-an-id'), null);
  });

  test('fails when the stored record never shows up in the listing', async () => {
    const api = await fakeApi({
      'POST /storeEpochTime': () => [201, record],
      'GET /getEpochStore': () => [200, { items: [], count: 0, nextCursor: null, region: 'fake-1' }],
      'GET /health': () => [200, { status: 'ok', region: 'fake-1' }],
    });
    try {
      await assert.rejects(canary.run({ apiUrl: api.url, ...fast }), /not listed by fake-1 after 3 reads/);
    } finally {
      await api.close();
    }
  });

  test('waits for a record that appears after a few reads (replication lag)', async () => {
    let reads = 0;
    const api = await fakeApi({
      'POST /storeEpochTime': () => [201, record],
      'GET /getEpochStore': () => [200, { items: ++reads >= 3 ? [record] : [], region: 'fake-2' }],
      'GET /health': () => [200, { status: 'ok', region: 'fake-2' }],
    });
    try {
      assert.equal((await canary.run({ apiUrl: api.url, ...fast })).listedBy, 'fake-2');
      assert.equal(reads, 3);
      reads = 0;
      await assert.rejects(canary.run({ apiUrl: api.url, ...fast, listAttempts: 2 }), /after 2 reads/);
    } finally {
      await api.close();
    }
  });

  test('with JWT-protected writes: passes when an anonymous POST is refused, fails when it is accepted', async () => {
    let status = 401;
    const api = await fakeApi({
      'POST /storeEpochTime': () => (status === 401 ? [401, { message: 'Unauthorized' }] : [201, record]),
      'GET /getEpochStore': () => [200, { items: [record], region: 'fake-3' }],
      'GET /health': () => [200, { status: 'ok', region: 'fake-3' }],
    });
    try {
      const seen = await canary.run({ apiUrl: api.url, ...fast, writesNeedToken: true });
      assert.deepEqual([seen.id, seen.listedBy, seen.healthOf], [null, 'fake-3', 'fake-3']);
      await assert.rejects(canary.run({ apiUrl: api.url, ...fast }), /POST \/storeEpochTime: HTTP 401, expected 201/);
      status = 201;
      await assert.rejects(canary.run({ apiUrl: api.url, ...fast, writesNeedToken: true }), /without a token: HTTP 201, expected 401/);
    } finally {
      await api.close();
    }
  });

  test('fails when the store answers 503', async () => {
    const api = await fakeApi({ 'POST /storeEpochTime': () => [503, { error: { code: 'store_unavailable' } }] });
    try {
      await assert.rejects(canary.run({ apiUrl: api.url, ...fast }), /POST \/storeEpochTime: HTTP 503, expected 201/);
    } finally {
      await api.close();
    }
  });

  test('fails when the answer is not a record', async () => {
    const api = await fakeApi({ 'POST /storeEpochTime': () => [201, { ok: true }] });
    try {
      await assert.rejects(canary.run({ apiUrl: api.url, ...fast }), /not a record/);
    } finally {
      await api.close();
    }
  });

  test('fails when nothing listens', async () => {
    const api = await fakeApi({});
    await api.close();
    await assert.rejects(canary.run({ apiUrl: api.url, ...fast }), /ECONNREFUSED/);
  });

  test('fails without a URL', async () => {
    await assert.rejects(canary.run({ apiUrl: undefined, ...fast }), /API_URL is not set/);
  });
});

describe('packaging (scripts/package-canary.py)', () => {
  test('puts the script where Synthetics loads the handler, byte for byte the same each time', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canary-zip-'));
    try {
      const build = (name) => {
        const zip = path.join(dir, name);
        execFileSync('python3', [path.join(REPO, 'scripts', 'package-canary.py'), path.join(__dirname, 'index.js'), zip]);
        return fs.readFileSync(zip);
      };
      const first = build('a.zip');
      // Handler epochstore-canary.handler: nodejs/node_modules/epochstore-canary.js.
      const packed = execFileSync('unzip', ['-p', path.join(dir, 'a.zip'), 'nodejs/node_modules/epochstore-canary.js']);
      assert.ok(packed.equals(fs.readFileSync(path.join(__dirname, 'index.js'))), 'the zip holds the script unchanged');
      assert.ok(build('b.zip').equals(first), 'two builds differ');
      assert.equal(typeof canary.handler, 'function');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
