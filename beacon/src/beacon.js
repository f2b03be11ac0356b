/*! deckpulse beacon */
/* Measures which slides a viewer sees, and for how long. Dependency-free. Wire format: docs/wire-format.md.
 *
 * Embedding: <script src=".../beacon.js" async data-endpoint="https://…"
 *   data-material="q3-pricing"></script>; the link token comes from the page
 * URL's dpt parameter or data-token. Options (data-* or deckpulse.init):
 *   endpoint, material, mode (self|live), token, presentation (anonymous
 *   decks), idle (seconds without input before dwell pauses, default 60),
 *   focus (pause while the window has no focus), cap (longest dwell counted
 *   per slide view, ms, default 600000), dnt (honour Do Not Track),
 *   flush (ms between sends, default 5000).
 * Manual API: deckpulse.view(material, slide, {version, index}),
 *   deckpulse.action(name), deckpulse.open(slides), deckpulse.flush().
 * Adapters, detected: reveal.js, the PDF.js viewer, impress.js, and a
 * generic mode for elements marked data-slide (IntersectionObserver). */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory;
  else if (root.document) root.deckpulse = factory(root, root.document);
})(this, function (w, d) {
  'use strict';
  var OUTBOX = 'deckpulse.outbox';
  var MAX_BATCH = 60000; // bytes: fetch keepalive allows 64 KB in flight
  var MAX_EVENTS = 400;
  var MAX_OUTBOX = 200; // batches kept for a later visit
  var nav = w.navigator || {};
  var cfg = { idle: 60, cap: 600000, flush: 5000, mode: 'self' };
  var started = false;
  var off = false;
  var session = '';
  var seq = 0;
  var queue = []; // events not yet in a batch
  var outbox = []; // batches not yet acknowledged: {b: body}
  var sending = false;
  var backoff = 0;
  var retryTimer = null;
  var cur = null; // the slide on screen: {m, s, v, i, acc, since}
  var hidden = false;
  var blurred = false;
  var idle = false;
  var lastInput = 0;
  var opened = false;

  function now() {
    return w.Date.now();
  }

  function rid() {
    var a = new Uint8Array(16);
    var h = '';
    (w.crypto || w.msCrypto).getRandomValues(a);
    for (var i = 0; i < 16; i++) h += (a[i] + 256).toString(16).slice(1);
    return h;
  }

  function store(k, v) {
    try {
      if (v === undefined) return JSON.parse(w.localStorage.getItem(k) || 'null');
      w.localStorage.setItem(k, JSON.stringify(v));
    } catch (e) {
      /* storage full or blocked: the batches still go out this visit */
    }
  }

  /* ---- attention: dwell counts visible, active time only ---- */

  function active() {
    return !hidden && !idle && !(cfg.focus && blurred);
  }

  // Brings cur.acc up to date and starts or stops its clock.
  function update() {
    if (!cur) return;
    var t = now();
    if (cur.since != null) {
      // idle: the clock stopped when the idle time ran out
      var end = idle ? Math.max(cur.since, Math.min(t, lastInput + cfg.idle * 1000)) : t;
      cur.acc += end - cur.since;
      cur.since = null;
    }
    if (active()) cur.since = t;
  }

  // Sends the dwell of the slide on screen so far (at a slide change, or
  // when the page is hidden: it may never come back).
  function dwell() {
    if (!cur) return;
    update();
    var ms = Math.min(Math.round(cur.acc), cfg.cap - cur.sent);
    if (ms > 0) {
      emit({ type: 'dwell', material: cur.m, slide: cur.s, version: cur.v, ms: ms });
      cur.sent += ms;
    }
    cur.acc = 0;
  }

  function emit(e) {
    if (off || !started) return;
    e.seq = ++seq;
    e.at = now();
    queue.push(e);
  }

  /* ---- delivery: batches, outbox, retries ---- */

  function batchBody(events) {
    var b = { session: session, mode: cfg.mode, events: events };
    if (cfg.token) b.token = cfg.token;
    else b.presentation = cfg.presentation || cfg.material;
    return JSON.stringify(b);
  }

  // Moves queued events into batches under the size ceilings.
  function pack() {
    while (queue.length) {
      var n = Math.min(queue.length, MAX_EVENTS);
      var body = batchBody(queue.slice(0, n));
      while (body.length > MAX_BATCH && n > 1) {
        n = Math.ceil(n / 2);
        body = batchBody(queue.slice(0, n));
      }
      queue.splice(0, n);
      outbox.push({ b: body });
    }
    if (outbox.length > MAX_OUTBOX) outbox.splice(0, outbox.length - MAX_OUTBOX);
    store(OUTBOX, outbox);
  }

  function url() {
    return cfg.endpoint.replace(/\/$/, '') + '/v1/events';
  }

  function retry() {
    backoff = Math.min(backoff ? backoff * 2 : 1000, 60000);
    w.clearTimeout(retryTimer);
    retryTimer = w.setTimeout(function () {
      retryTimer = null;
      send();
    }, backoff * (0.75 + Math.random() / 2));
  }

  // fetch with keepalive, one batch at a time, oldest first.
  function send() {
    pack();
    if (sending || !outbox.length || retryTimer) return;
    var item = outbox[0];
    sending = true;
    w.fetch(url(), {
      method: 'POST',
      body: item.b,
      headers: { 'Content-Type': 'text/plain' },
      keepalive: true,
      credentials: 'omit',
      mode: 'cors'
    }).then(
      function (r) {
        sending = false;
        // 4xx other than 408/429 will never succeed: drop it
        if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)) {
          var i = outbox.indexOf(item);
          if (i >= 0) outbox.splice(i, 1);
          store(OUTBOX, outbox);
          backoff = 0;
          send();
        } else retry();
      },
      function () {
        sending = false;
        retry();
      }
    );
  }

  // The page is going away: everything pending by sendBeacon (text/plain, no
  // preflight). Batches stay in the outbox until a fetch is acknowledged on
  // a later visit; seq numbers make the repeat harmless.
  function beacon() {
    pack();
    for (var i = 0; i < outbox.length; i++) {
      if (!(nav.sendBeacon && nav.sendBeacon(url(), outbox[i].b))) break;
    }
  }

  /* ---- the public API ---- */

  function open(slides) {
    if (opened) return;
    opened = true;
    emit({ type: 'open', slides: slides });
  }

  function view(m, s, o) {
    if (off || !started) return;
    o = o || {};
    dwell();
    cur = {
      m: m || cfg.material,
      s: String(s),
      v: o.version || 1,
      i: o.index || 0,
      acc: 0,
      sent: 0,
      since: null
    };
    emit({ type: 'view', material: cur.m, slide: cur.s, version: cur.v, index: cur.i });
    update();
    send();
  }

  function action(name) {
    if (!cur) return;
    emit({ type: 'action', material: cur.m, slide: cur.s, version: cur.v, name: String(name) });
  }

  function on(t, ev, f) {
    t.addEventListener(ev, f, { passive: true, capture: true });
  }

  function init(o) {
    if (started) return api;
    for (var k in o) if (o[k] != null && o[k] !== '') cfg[k] = o[k];
    cfg.idle = +cfg.idle;
    cfg.cap = +cfg.cap;
    if (!cfg.token) {
      var m = /[?&]dpt=([^&#]+)/.exec(w.location ? w.location.search : '');
      if (m) cfg.token = decodeURIComponent(m[1]);
    }
    var dnt = nav.doNotTrack || w.doNotTrack;
    if (!cfg.endpoint || (cfg.dnt && (dnt === '1' || dnt === 'yes'))) {
      off = true;
      return api;
    }
    started = true;
    session = rid();
    lastInput = now();
    hidden = d.visibilityState === 'hidden';
    outbox = store(OUTBOX) || [];
    var input = function () {
      lastInput = now();
      idle = false;
      update();
    };
    ['mousemove', 'mousedown', 'keydown', 'wheel', 'touchstart', 'scroll', 'pointerdown'].forEach(
      function (e) {
        on(d, e, input);
      }
    );
    on(d, 'visibilitychange', function () {
      hidden = d.visibilityState === 'hidden';
      if (hidden) {
        dwell();
        beacon();
      } else input(); // coming back to the tab is activity
    });
    on(w, 'blur', function () {
      blurred = true;
      update();
    });
    on(w, 'focus', function () {
      blurred = false;
      input();
    });
    on(w, 'pagehide', function () {
      dwell();
      emit({ type: 'close' });
      beacon();
    });
    on(w, 'pageshow', function (e) {
      // back from the back/forward cache: the same page lifetime goes on
      if (e.persisted && cur) {
        hidden = false;
        lastInput = now();
        view(cur.m, cur.s, { version: cur.v, index: cur.i });
      }
    });
    w.setInterval(function () {
      if (!idle && cur && now() - lastInput >= cfg.idle * 1000) {
        idle = true;
        update();
      }
    }, 1000);
    w.setInterval(send, cfg.flush);
    if (cfg.slides) open(+cfg.slides);
    send(); // batches left by an earlier visit
    adapters();
    return api;
  }

  /* ---- adapters ---- */

  // A slide element's ids: data-material/-slide/-version, else its position.
  function viewEl(el, index) {
    var a = function (n) {
      return el && el.getAttribute && el.getAttribute('data-' + n);
    };
    view(a('material') || cfg.material, a('slide') || String(index + 1), {
      version: +(a('version') || 1),
      index: index
    });
  }

  function adapters(tries) {
    var R = w.Reveal;
    if (R && R.on) {
      var go = function () {
        var all = R.getSlides ? R.getSlides() : [];
        var at = function (el) {
          var i = all.indexOf(el);
          return i >= 0 ? i : R.getSlidePastCount ? R.getSlidePastCount() : 0;
        };
        open(R.getTotalSlides());
        viewEl(R.getCurrentSlide(), at(R.getCurrentSlide()));
        R.on('slidechanged', function (e) {
          viewEl(e.currentSlide, at(e.currentSlide));
        });
      };
      if (R.isReady && R.isReady()) go();
      else R.on('ready', go);
      return;
    }
    var P = w.PDFViewerApplication;
    if (P && P.initializedPromise) {
      P.initializedPromise.then(function () {
        P.eventBus.on('pagesloaded', function (e) {
          open(e.pagesCount);
          viewEl(null, P.page - 1);
        });
        P.eventBus.on('pagechanging', function (e) {
          if (opened) viewEl(null, e.pageNumber - 1);
        });
      });
      return;
    }
    var steps = d.querySelectorAll('.step');
    if (w.impress && steps.length) {
      open(steps.length);
      on(d, 'impress:stepenter', function (e) {
        viewEl(e.target, [].indexOf.call(steps, e.target));
      });
      return;
    }
    var marked = d.querySelectorAll('[data-slide]');
    if (marked.length && w.IntersectionObserver) {
      var ratio = [];
      open(marked.length);
      var io = new w.IntersectionObserver(
        function (list) {
          list.forEach(function (x) {
            ratio[[].indexOf.call(marked, x.target)] = x.intersectionRatio;
          });
          var best = -1;
          for (var i = 0; i < marked.length; i++)
            if ((ratio[i] || 0) >= 0.5 && (best < 0 || ratio[i] > ratio[best])) best = i;
          if (best >= 0 && !(cur && cur.el === marked[best])) {
            viewEl(marked[best], best);
            cur.el = marked[best];
          }
        },
        { threshold: [0, 0.25, 0.5, 0.75, 1] }
      );
      [].forEach.call(marked, function (el) {
        io.observe(el);
      });
      return;
    }
    // frameworks may start after us: look again for a while
    if ((tries || 0) < 20 && !opened && !cur)
      w.setTimeout(function () {
        adapters((tries || 0) + 1);
      }, 250);
  }

  var api = {
    init: init,
    view: view,
    action: action,
    open: open,
    flush: send,
    _state: function () {
      return { session: session, seq: seq, queue: queue, outbox: outbox, cur: cur, idle: idle };
    }
  };

  // <script data-endpoint=…>: start by itself
  var me = d.currentScript;
  if (me && me.getAttribute('data-endpoint')) {
    var o = {};
    ['endpoint', 'material', 'mode', 'token', 'presentation', 'idle', 'focus', 'cap', 'dnt'].forEach(
      function (k) {
        o[k] = me.getAttribute('data-' + k);
      }
    );
    o.focus = o.focus === 'true' || o.focus === '1';
    o.dnt = o.dnt === 'true' || o.dnt === '1';
    var start = function () {
      init(o);
    };
    if (d.readyState === 'loading') on(d, 'DOMContentLoaded', start);
    else start();
  }
  return api;
});
