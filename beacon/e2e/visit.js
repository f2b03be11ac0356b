'use strict';
// One real visit in headless Chromium (Debian's, driven by playwright-core):
// serves a deck on a loopback port — a reveal.js deck, or a PDF rendered by
// PDF.js — with the beacon of a running deckpulse-server, opens it with a
// link token, moves through the slides with known pauses, hides the tab and
// closes it. Prints what it did as JSON: for each slide the time it was on
// screen while visible, measured in the page (from the beacon's first view).
//
//   node e2e/visit.js '{"server": "http://127.0.0.1:8080", "token": "…",
//                        "kind": "reveal", "pauses": [1000, 2000, 1500, 500],
//                        "hidden_ms": 1500, "pause_server_at": -1}'
//
// With "stop_after": k the script prints {"stopped": k} after slide k and
// waits for a line on stdin before going on (the caller stops and restarts
// the server meanwhile).
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const opt = JSON.parse(process.argv[2]);
const root = path.join(__dirname, '..', 'node_modules');

function deckHtml() {
  const beacon = `<script src="${opt.server}/beacon.js" async data-endpoint="${opt.server}" ` +
    `data-material="${opt.material}"></script>`;
  if (opt.kind === 'reveal') {
    return `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/m/reveal.js/dist/reveal.css"></head><body>
<div class="reveal"><div class="slides">
<section data-slide="intro"><h1>Intro</h1></section>
<section data-slide="roi" data-version="2"><h1>ROI</h1></section>
<section><h1>Pricing</h1></section>
<section data-slide="close"><h1>Next steps</h1></section>
</div></div>
<script src="/m/reveal.js/dist/reveal.js"></script>
<script>Reveal.initialize({hash: false, transition: 'none', controls: false, progress: false});</script>
${beacon}</body></html>`;
  }
  // PDF.js: the viewer components of pdfjs-dist (PDFViewer on an EventBus),
  // exposed as the PDF.js viewer exposes itself (PDFViewerApplication)
  return `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/m/pdfjs-dist/web/pdf_viewer.css">
<style>#c{position:absolute;inset:0;overflow:auto}</style></head><body>
<div id="c"><div id="viewer" class="pdfViewer"></div></div>
<script type="module">
import * as pdfjsLib from '/m/pdfjs-dist/build/pdf.mjs';
pdfjsLib.GlobalWorkerOptions.workerSrc = '/m/pdfjs-dist/build/pdf.worker.mjs';
window.pdfjsLib = pdfjsLib;
const v = await import('/m/pdfjs-dist/web/pdf_viewer.mjs');
const eventBus = new v.EventBus();
const pdfViewer = new v.PDFViewer({container: document.getElementById('c'), eventBus});
let ready;
window.PDFViewerApplication = {
  eventBus, pdfViewer,
  initializedPromise: new Promise((r) => (ready = r)),
  get page() { return pdfViewer.currentPageNumber; },
  set page(n) { pdfViewer.currentPageNumber = n; }
};
ready();
const doc = await pdfjsLib.getDocument('/deck.pdf').promise;
pdfViewer.setDocument(doc);
</script>
${beacon}</body></html>`;
}

// A PDF of n pages, each a page title, written by hand (no dependency).
function pdf(n) {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  const kids = [];
  for (let i = 0; i < n; i++) {
    const text = `BT /F1 48 Tf 72 400 Td (Page ${i + 1}) Tj ET`;
    objs.push(`<< /Length ${text.length} >>\nstream\n${text}\nendstream`);
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ` +
      `/Resources << /Font << /F1 3 0 R >> >> /Contents ${objs.length} 0 R >>`);
    kids.push(`${objs.length} 0 R`);
  }
  objs[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${n} >>`;
  let out = '%PDF-1.4\n';
  const offs = [];
  objs.forEach((o, i) => {
    offs.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offs) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' };

function serve() {
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/deck.html') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end(deckHtml());
    }
    if (u.pathname === '/deck.pdf') {
      res.writeHead(200, { 'Content-Type': 'application/pdf' });
      return res.end(pdf(opt.pauses.length));
    }
    if (u.pathname.startsWith('/m/')) {
      const f = path.join(root, path.normalize(u.pathname.slice(3)));
      if (f.startsWith(root) && fs.existsSync(f) && fs.statSync(f).isFile()) {
        res.writeHead(200, { 'Content-Type': types[path.extname(f)] || 'application/octet-stream' });
        return res.end(fs.readFileSync(f));
      }
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

const line = () => new Promise((r) => readline.createInterface({ input: process.stdin }).once('line', r));

async function main() {
  const web = await serve();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = `http://127.0.0.1:${web.address().port}/deck.html?dpt=${encodeURIComponent(opt.token)}`;
  await page.goto(url);
  // the first slide is on screen once the beacon has viewed it
  await page.waitForFunction(() => window.deckpulse && window.deckpulse._state().cur, null,
    { timeout: 20000, polling: 5 });
  const next = opt.kind === 'reveal'
    ? () => page.evaluate(() => { window.Reveal.next(); return Date.now(); })
    : () => page.evaluate(() => { window.PDFViewerApplication.page += 1; return Date.now(); });
  const shown = [];
  // the first slide has been on screen since the beacon viewed it, a little
  // before we noticed (more so on a busy machine)
  let t0 = await page.evaluate(() => {
    const c = window.deckpulse._state().cur;
    return Date.now() - (c.acc + (c.since != null ? Date.now() - c.since : 0));
  });
  for (let i = 0; i < opt.pauses.length; i++) {
    await page.waitForTimeout(opt.pauses[i]);
    if (i === opt.pauses.length - 1) break;
    if (i === opt.stop_after) {
      // the caller takes the server down now; the slide changes go on
      const t = await next();
      shown.push(t - t0);
      t0 = t;
      console.log(JSON.stringify({ stopped: i }));
      await line();
      continue;
    }
    const t = await next();
    shown.push(t - t0);
    t0 = t;
  }
  // the last slide, then the tab is hidden (this time does not count) and closed
  const t = await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return Date.now();
  });
  shown.push(t - t0);
  await page.waitForTimeout(opt.hidden_ms || 0);
  const state = await page.evaluate(() => ({ session: window.deckpulse._state().session }));
  await page.close({ runBeforeUnload: true });
  // a real browser outlives its tab: let the beacon's last request (sent on
  // pagehide) arrive before the whole browser goes — until the server's count
  // of accepted events has stopped moving (at most 10 s)
  const accepted = async () => {
    try {
      const m = await (await fetch(opt.server + '/metrics')).text();
      return (/^dp_events_accepted_total (\d+)/m.exec(m) || [])[1];
    } catch (e) {
      return null;
    }
  };
  let last = await accepted();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await accepted();
    if (now !== null && now === last && i >= 1) break;
    last = now;
  }
  await browser.close();
  web.close();
  console.log(JSON.stringify({ shown, session: state.session, errors }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
