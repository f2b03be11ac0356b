'use strict';
// A fake browser for the beacon's unit tests: a clock and timers that only
// move when told, localStorage, fetch and sendBeacon that record and answer
// as told, and events the test dispatches.
const { webcrypto } = require('node:crypto');
const create = require('../src/beacon.js');

function browser(opts = {}) {
  let t = 1_700_000_000_000;
  let id = 0;
  const timers = new Map();
  const listeners = { w: {}, d: {} };
  const sent = []; // {url, body, via}
  const answers = []; // statuses to answer fetches with, in order; default 202
  const storage = opts.storage || new Map();
  const pending = [];
  const w = {
    Date: { now: () => t },
    crypto: webcrypto,
    location: { search: opts.search || '' },
    navigator: Object.assign(
      {
        sendBeacon(url, body) {
          sent.push({ url, body, via: 'beacon' });
          return true;
        }
      },
      opts.navigator || {}
    ),
    localStorage: {
      getItem: (k) => (storage.has(k) ? storage.get(k) : null),
      setItem: (k, v) => storage.set(k, String(v))
    },
    setTimeout(fn, ms) {
      timers.set(++id, { at: t + ms, fn, every: 0 });
      return id;
    },
    setInterval(fn, ms) {
      timers.set(++id, { at: t + ms, fn, every: ms });
      return id;
    },
    clearTimeout(i) {
      timers.delete(i);
    },
    fetch(url, o) {
      sent.push({ url, body: o.body, via: 'fetch', keepalive: o.keepalive });
      const status = answers.length ? answers.shift() : 202;
      if (status === 0) return Promise.reject(new TypeError('network down'));
      return Promise.resolve({ ok: status >= 200 && status < 300, status });
    },
    addEventListener(ev, f) {
      (listeners.w[ev] = listeners.w[ev] || []).push(f);
    }
  };
  const d = {
    visibilityState: 'visible',
    readyState: opts.readyState || 'complete',
    // the <script> tag the beacon was loaded by: its data-* attributes
    currentScript: opts.script
      ? {
          getAttribute: (n) =>
            n.startsWith('data-') && Object.hasOwn(opts.script, n.slice(5))
              ? opts.script[n.slice(5)]
              : null
        }
      : null,
    querySelectorAll: () => [],
    addEventListener(ev, f) {
      (listeners.d[ev] = listeners.d[ev] || []).push(f);
    }
  };
  Object.assign(w, opts.window || {});
  const api = create(w, d);
  const settle = () => new Promise((r) => setImmediate(r));
  return {
    api,
    w,
    d,
    sent,
    answers,
    storage,
    now: () => t,
    // moves the clock, running due timers in order
    async advance(ms) {
      const end = t + ms;
      for (;;) {
        let next = null;
        for (const [k, v] of timers) if (v.at <= end && (!next || v.at < next[1].at)) next = [k, v];
        if (!next) break;
        t = next[1].at;
        if (next[1].every) next[1].at += next[1].every;
        else timers.delete(next[0]);
        next[1].fn();
        await settle();
      }
      t = end;
      await settle();
    },
    fire(target, ev, extra) {
      for (const f of (target === 'w' ? listeners.w : listeners.d)[ev] || [])
        f(Object.assign({ type: ev }, extra || {}));
    },
    hide() {
      d.visibilityState = 'hidden';
      this.fire('d', 'visibilitychange');
    },
    show() {
      d.visibilityState = 'visible';
      this.fire('d', 'visibilitychange');
    },
    // every event sent, by fetch or beacon, deduplicated by seq as the
    // collector does
    events() {
      const seen = new Map();
      for (const s of sent) for (const e of JSON.parse(s.body).events) seen.set(e.seq, e);
      return [...seen.values()].sort((a, b) => a.seq - b.seq);
    },
    settle
  };
}

module.exports = { browser };
