'use strict';
// The beacon's unit tests: node's test runner over a fake browser whose
// clock moves only when the test says (test/fake.js).
const test = require('node:test');
const assert = require('node:assert/strict');
const { browser } = require('./fake.js');

const EP = 'https://dp.example';

function dwells(b, slide) {
  return b.events().filter((e) => e.type === 'dwell' && (!slide || e.slide === slide));
}
const total = (list) => list.reduce((a, e) => a + e.ms, 0);

test('dwell: time on a slide, sent at the slide change', async () => {
  const b = browser({ search: '?x=1&dpt=TOKEN123' });
  b.api.init({ endpoint: EP, material: 'q3', slides: 3 });
  b.api.view('q3', 'intro', { index: 0 });
  await b.advance(5000);
  b.api.view('q3', 'roi', { version: 2, index: 1 });
  await b.advance(10);
  const ev = b.events();
  assert.deepEqual(
    ev.map((e) => [e.seq, e.type]),
    [[1, 'open'], [2, 'view'], [3, 'dwell'], [4, 'view']]
  );
  assert.equal(ev[0].slides, 3);
  assert.deepEqual(ev[2], {
    type: 'dwell', material: 'q3', slide: 'intro', version: 1, ms: 5000, seq: 3, at: ev[2].at
  });
  assert.deepEqual([ev[3].slide, ev[3].version, ev[3].index], ['roi', 2, 1]);
  const body = JSON.parse(b.sent[0].body);
  assert.equal(body.token, 'TOKEN123', 'token from the dpt query parameter');
  assert.equal(body.mode, 'self');
  assert.match(body.session, /^[0-9a-f]{32}$/);
  assert.equal(b.sent[0].url, EP + '/v1/events');
  assert.equal(b.sent[0].keepalive, true);
});

test('hidden pages do not count; the dwell so far goes out on hide', async () => {
  const b = browser();
  b.api.init({ endpoint: EP, material: 'q3', token: 't' });
  b.api.view('q3', 'a');
  await b.advance(2000);
  b.hide();
  assert.equal(total(dwells(b, 'a')), 2000, 'sent by sendBeacon when hidden');
  assert.ok(b.sent.some((s) => s.via === 'beacon'));
  await b.advance(60000); // lunch, tab in the background
  b.show();
  await b.advance(3000);
  b.api.view('q3', 'b');
  await b.advance(10);
  assert.equal(total(dwells(b, 'a')), 5000);
});

test('idle: dwell pauses after idle seconds without input, resumes on input', async () => {
  const b = browser();
  b.api.init({ endpoint: EP, material: 'q3', token: 't', idle: 60 });
  b.api.view('q3', 'a');
  await b.advance(30000);
  b.fire('d', 'mousemove');
  await b.advance(200000); // no input: counts 60 s after the last one
  b.fire('d', 'keydown');
  await b.advance(5000);
  b.api.view('q3', 'b');
  await b.advance(10);
  assert.equal(total(dwells(b, 'a')), 30000 + 60000 + 5000);
});

// 4 s on slide a, 5 s with the window blurred, then slide b: a's dwell
async function blurredDwell(b) {
  b.api.view('q3', 'a');
  await b.advance(4000);
  b.fire('w', 'blur');
  await b.advance(5000);
  b.fire('w', 'focus');
  b.api.view('q3', 'b');
  await b.advance(10);
  return total(dwells(b, 'a'));
}

test('focus: optional pause while the window has lost focus', async () => {
  for (const [focus, want] of [[true, 4000], [false, 9000]]) {
    const b = browser();
    b.api.init({ endpoint: EP, material: 'q3', token: 't', focus });
    assert.equal(await blurredDwell(b), want, 'focus=' + focus);
  }
});

test('cap: a slide view counts at most cap ms', async () => {
  const b = browser();
  b.api.init({ endpoint: EP, material: 'q3', token: 't', cap: 10000, idle: 1000 });
  b.api.view('q3', 'a');
  for (let i = 0; i < 30; i++) {
    await b.advance(1000);
    b.fire('d', 'mousemove');
  }
  b.hide();
  b.show();
  await b.advance(5000);
  b.api.view('q3', 'b');
  await b.advance(10);
  assert.equal(total(dwells(b, 'a')), 10000);
});

test('batching: every few seconds and at slide changes, under 60 KB', async () => {
  const b = browser();
  b.api.init({ endpoint: EP, material: 'q3', token: 't', flush: 5000 });
  b.api.view('q3', 'a');
  await b.advance(1);
  const n = b.sent.length;
  assert.equal(n, 1, 'a slide change sends at once');
  for (let i = 0; i < 3000; i++) b.api.action('download-' + 'x'.repeat(40) + i);
  await b.advance(4000);
  assert.equal(b.sent.length, n, 'actions wait for the timer');
  await b.advance(1000);
  const bodies = b.sent.slice(n).map((s) => s.body);
  assert.ok(bodies.length >= 3, 'split into several batches');
  for (const body of bodies) {
    assert.ok(Buffer.byteLength(body) < 60000, 'batch under 60 KB');
    assert.ok(JSON.parse(body).events.length <= 400);
  }
  assert.equal(b.events().filter((e) => e.type === 'action').length, 3000);
  const seqs = b.events().map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs.keys()].map((i) => i + 1), 'seq 1..n, none lost');
});

test('retries with backoff; 4xx dropped; outbox kept until acknowledged', async () => {
  const b = browser();
  b.answers.push(0, 503, 0, 202);
  b.api.init({ endpoint: EP, material: 'q3', token: 't' });
  b.api.view('q3', 'a');
  await b.advance(1);
  assert.equal(b.sent.length, 1);
  assert.equal(JSON.parse(b.storage.get('deckpulse.outbox')).length, 1, 'in the outbox');
  const times = [];
  let last = b.sent.length;
  for (let i = 0; i < 200 && b.sent.length < 4; i++) {
    await b.advance(100);
    if (b.sent.length > last) {
      times.push(b.now());
      last = b.sent.length;
    }
  }
  assert.equal(b.sent.length, 4, 'sent again until accepted');
  const gaps = [times[1] - times[0], times[2] - times[1]];
  assert.ok(gaps[0] >= 1400 && gaps[0] <= 2600, 'second retry ~2 s later: ' + gaps[0]);
  assert.ok(gaps[1] >= 2900 && gaps[1] <= 5100, 'third ~4 s later: ' + gaps[1]);
  assert.equal(JSON.parse(b.storage.get('deckpulse.outbox')).length, 0, 'acknowledged');
  b.answers.push(400);
  b.api.view('q3', 'b');
  await b.advance(1);
  assert.equal(JSON.parse(b.storage.get('deckpulse.outbox')).length, 0, 'a 400 is not retried');
});

test('outbox: a batch that failed goes out on the next visit', async () => {
  const storage = new Map();
  const first = browser({ storage });
  first.answers.push(0, 0, 0, 0, 0, 0);
  first.api.init({ endpoint: EP, material: 'q3', token: 't' });
  first.api.view('q3', 'a');
  await first.advance(1);
  const lost = JSON.parse(storage.get('deckpulse.outbox'));
  assert.equal(lost.length, 1);
  const next = browser({ storage });
  next.api.init({ endpoint: EP, material: 'q3', token: 't' });
  await next.advance(1);
  assert.equal(next.sent[0].body, lost[0].b, 'the old batch, byte for byte');
  assert.equal(JSON.parse(storage.get('deckpulse.outbox')).length, 0);
});

test('pagehide: close and the last dwell by sendBeacon as text', async () => {
  const b = browser();
  b.answers.push(0); // the network is gone as the tab closes
  b.api.init({ endpoint: EP, material: 'q3', token: 't', slides: 2 });
  b.api.view('q3', 'a', { index: 0 });
  await b.advance(7000);
  b.hide();
  b.fire('w', 'pagehide', { persisted: false });
  const beacons = b.sent.filter((s) => s.via === 'beacon');
  assert.ok(beacons.length >= 1);
  assert.equal(typeof beacons[0].body, 'string');
  const ev = b.events();
  assert.deepEqual(ev.map((e) => e.type), ['open', 'view', 'dwell', 'close']);
  assert.equal(ev[2].ms, 7000);
});

test('back/forward cache: a restored page carries on in its session', async () => {
  const b = browser();
  b.api.init({ endpoint: EP, material: 'q3', token: 't' });
  b.api.view('q3', 'a', { index: 4 });
  await b.advance(1000);
  b.hide();
  b.fire('w', 'pagehide', { persisted: true });
  await b.advance(50000);
  b.d.visibilityState = 'visible';
  b.fire('w', 'pageshow', { persisted: true });
  await b.advance(2000);
  b.api.view('q3', 'b', { index: 5 });
  await b.advance(10);
  const ev = b.events();
  assert.deepEqual(ev.map((e) => e.type), ['view', 'dwell', 'close', 'view', 'dwell', 'view']);
  assert.deepEqual([ev[3].slide, ev[3].index], ['a', 4], 'the slide on screen is viewed again');
  assert.equal(total(dwells(b, 'a')), 3000);
  const sessions = new Set(b.sent.map((s) => JSON.parse(s.body).session));
  assert.equal(sessions.size, 1);
});

test('Do Not Track honoured when configured; no cookies, anonymous decks', async () => {
  const b = browser({ navigator: { doNotTrack: '1' } });
  b.api.init({ endpoint: EP, material: 'q3', dnt: true });
  b.api.view('q3', 'a');
  await b.advance(10000);
  assert.equal(b.sent.length, 0);
  const c = browser({ navigator: { doNotTrack: '1' } });
  c.api.init({ endpoint: EP, material: 'q3', presentation: 'public-deck' });
  c.api.view('q3', 'a');
  await c.advance(1);
  const body = JSON.parse(c.sent[0].body);
  assert.equal(body.presentation, 'public-deck', 'anonymous: names its presentation');
  assert.equal(body.token, undefined);
});

test('adapters: reveal.js slides, with data- ids or by position', async () => {
  const handlers = {};
  const el = (attrs) => ({ getAttribute: (n) => (attrs[n] === undefined ? null : attrs[n]) });
  const slides = [el({ 'data-slide': 'intro' }), el({}), el({ 'data-slide': 'roi', 'data-version': '2', 'data-material': 'other' })];
  const Reveal = {
    on: (ev, f) => (handlers[ev] = f),
    isReady: () => true,
    getSlides: () => slides,
    getTotalSlides: () => 3,
    getCurrentSlide: () => slides[0]
  };
  const b = browser({ window: { Reveal } });
  b.api.init({ endpoint: EP, material: 'deck', token: 't' });
  handlers.slidechanged({ currentSlide: slides[1] });
  handlers.slidechanged({ currentSlide: slides[2] });
  await b.advance(1);
  const views = b.events().filter((e) => e.type === 'view');
  assert.deepEqual(
    views.map((e) => [e.material, e.slide, e.version, e.index]),
    [['deck', 'intro', 1, 0], ['deck', '2', 1, 1], ['other', 'roi', 2, 2]]
  );
  assert.equal(b.events()[0].slides, 3);
});

test('size: under 3 KB minified and gzipped, and the committed build is current', async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const zlib = require('node:zlib');
  const { build, LIMIT } = require('../build.js');
  const code = await build();
  const gz = zlib.gzipSync(code, { level: 9 }).length;
  console.log(`beacon.min.js: ${code.length} bytes, ${gz} bytes gzipped`);
  assert.ok(gz < LIMIT, `${gz} bytes gzipped`);
  assert.equal(fs.readFileSync(path.join(__dirname, '..', 'dist', 'beacon.min.js'), 'utf8'), code,
    'dist/beacon.min.js is what the source gives (npm run build)');
  // the minified script works as the source does
  const vm = require('node:vm');
  const mod = { exports: {} };
  vm.runInNewContext(code, { module: mod });
  assert.equal(typeof mod.exports, 'function');
});

test('adapters: impress.js steps and generic data-slide elements', async () => {
  const el = (attrs) => ({ getAttribute: (n) => (attrs[n] === undefined ? null : attrs[n]) });
  // impress.js: step enter
  const steps = [el({ 'data-slide': 'one' }), el({})];
  const b = browser({ window: { impress: () => {} } });
  b.d.querySelectorAll = (sel) => (sel === '.step' ? steps : []);
  b.api.init({ endpoint: EP, material: 'imp', token: 't' });
  b.fire('d', 'impress:stepenter', { target: steps[0] });
  await b.advance(1500);
  b.fire('d', 'impress:stepenter', { target: steps[1] });
  await b.advance(1);
  assert.deepEqual(
    b.events().map((e) => [e.type, e.slide, e.index, e.slides, e.ms].filter((x) => x !== undefined)),
    [['open', 2], ['view', 'one', 0], ['dwell', 'one', 1500], ['view', '2', 1]]
  );
  // generic: the most visible marked element is the slide on screen
  let observer;
  class IO {
    constructor(cb) {
      this.cb = cb;
      observer = this;
    }
    observe() {}
  }
  const marked = [el({ 'data-slide': 'a' }), el({ 'data-slide': 'b', 'data-version': '3' })];
  const g = browser({ window: { IntersectionObserver: IO } });
  g.d.querySelectorAll = (sel) => (sel === '[data-slide]' ? marked : []);
  g.api.init({ endpoint: EP, material: 'page', token: 't' });
  observer.cb([{ target: marked[0], intersectionRatio: 0.9 }, { target: marked[1], intersectionRatio: 0.1 }]);
  await g.advance(2000);
  observer.cb([{ target: marked[0], intersectionRatio: 0.3 }]); // nothing half visible: stays
  observer.cb([{ target: marked[0], intersectionRatio: 0.2 }, { target: marked[1], intersectionRatio: 0.8 }]);
  await g.advance(1);
  assert.deepEqual(
    g.events().map((e) => [e.type, e.slide, e.version, e.ms].filter((x) => x !== undefined)),
    [['open'], ['view', 'a', 1], ['dwell', 'a', 1, 2000], ['view', 'b', 3]]
  );
});

// The one-tag embedding: <script src=".../beacon.js" data-endpoint=... data-...>.
// The options come from the tag's attributes (strings); the beacon starts by
// itself, and each option does what its deckpulse.init() twin does.
async function tagged(script, opts = {}) {
  const b = browser(Object.assign({ script }, opts));
  await b.settle();
  return b;
}

test('tag: data-endpoint starts the beacon; data-material, data-token, data-mode', async () => {
  const b = await tagged({ endpoint: EP, material: 'q3', token: 'TAGTOKEN', mode: 'live' });
  b.api.view(undefined, 'intro', { index: 0 });
  await b.advance(10);
  assert.equal(b.sent.length, 1, 'started by itself');
  const body = JSON.parse(b.sent[0].body);
  assert.deepEqual([body.token, body.mode, body.presentation], ['TAGTOKEN', 'live', undefined]);
  assert.equal(b.sent[0].url, EP + '/v1/events');
  const v = b.events().find((e) => e.type === 'view');
  assert.deepEqual([v.material, v.slide], ['q3', 'intro'], 'data-material names the slides');
  const none = await tagged({ material: 'q3', token: 't' });
  none.api.view('q3', 'a');
  await none.advance(10000);
  assert.equal(none.sent.length, 0, 'no data-endpoint: not started by the tag');
});

test('tag: data-token beats the dpt parameter; dpt when there is no data-token', async () => {
  const b = await tagged({ endpoint: EP, material: 'q3', token: 'FROMTAG' }, { search: '?dpt=FROMURL' });
  b.api.view('q3', 'a');
  await b.advance(10);
  assert.equal(JSON.parse(b.sent[0].body).token, 'FROMTAG');
  const c = await tagged({ endpoint: EP, material: 'q3' }, { search: '?dpt=FROMURL' });
  c.api.view('q3', 'a');
  await c.advance(10);
  assert.equal(JSON.parse(c.sent[0].body).token, 'FROMURL');
});

test('tag: data-presentation for an anonymous deck', async () => {
  const b = await tagged({ endpoint: EP, material: 'q3', presentation: 'public-deck' });
  b.api.view('q3', 'a');
  await b.advance(10);
  const body = JSON.parse(b.sent[0].body);
  assert.deepEqual([body.presentation, body.token], ['public-deck', undefined]);
});

test('tag: data-idle (seconds, a string) pauses dwell after that long without input', async () => {
  const b = await tagged({ endpoint: EP, material: 'q3', token: 't', idle: '5' });
  b.api.view('q3', 'a');
  await b.advance(20000); // no input at all
  b.fire('d', 'keydown');
  await b.advance(3000);
  b.api.view('q3', 'b');
  await b.advance(10);
  assert.equal(total(dwells(b, 'a')), 5000 + 3000);
});

test('tag: data-cap (ms, a string) caps one slide view', async () => {
  const b = await tagged({ endpoint: EP, material: 'q3', token: 't', cap: '3000' });
  b.api.view('q3', 'a');
  await b.advance(10000);
  b.api.view('q3', 'b');
  await b.advance(10);
  assert.equal(total(dwells(b, 'a')), 3000);
});

test('tag: data-focus="true" pauses while the window has lost focus; else it does not', async () => {
  for (const [focus, want] of [['true', 4000], ['1', 4000], ['false', 9000], [undefined, 9000]]) {
    const attrs = { endpoint: EP, material: 'q3', token: 't' };
    if (focus !== undefined) attrs.focus = focus;
    assert.equal(await blurredDwell(await tagged(attrs)), want, 'data-focus=' + focus);
  }
});

test('tag: data-dnt="true" honours Do Not Track; without it DNT is not asked', async () => {
  for (const [dnt, nav, sends] of [
    ['true', '1', false],
    ['1', 'yes', false],
    ['true', '0', true],
    [undefined, '1', true]
  ]) {
    const attrs = { endpoint: EP, material: 'q3', token: 't' };
    if (dnt !== undefined) attrs.dnt = dnt;
    const b = await tagged(attrs, { navigator: { doNotTrack: nav } });
    b.api.view('q3', 'a');
    await b.advance(10000);
    assert.equal(b.sent.length > 0, sends, 'data-dnt=' + dnt + ', doNotTrack=' + nav);
  }
});

test('tag: a page still loading starts the beacon at DOMContentLoaded', async () => {
  const b = await tagged({ endpoint: EP, material: 'q3', token: 't' }, { readyState: 'loading' });
  b.api.view('q3', 'a');
  await b.advance(10000);
  assert.equal(b.sent.length, 0, 'not before the document is parsed');
  b.fire('d', 'DOMContentLoaded');
  b.api.view('q3', 'b');
  await b.advance(10);
  assert.ok(b.events().some((e) => e.type === 'view' && e.slide === 'b'), 'started then');
});
