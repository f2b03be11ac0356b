'use strict';
// Drives the dashboards in headless Chromium: signs in with an API key,
// opens each page asked for, waits until it has drawn, and prints what it
// shows — every element carrying data-k/data-v (the API value behind a
// number) with its row — and writes a screenshot of each. For the live page
// it then posts an event through the ingest API and waits for the row of
// that session to appear.
//
//   node e2e/dashboards.js '{"url": "http://127.0.0.1:8080", "key": "…",
//     "shots": "/tmp/shots", "pages": [{"name": "materials", "hash": "#/materials",
//     "width": 1280}], "live": {"token": "…", "session": "s1"}}'
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const opt = JSON.parse(process.argv[2]);

async function main() {
  fs.mkdirSync(opt.shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
  });
  const out = { pages: {}, errors: [], urls: [] };
  for (const p of opt.pages) {
    const ctx = await browser.newContext({ viewport: { width: p.width || 1280, height: p.height || 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => out.errors.push(p.name + ': ' + e));
    page.on('request', (r) => out.urls.push(r.url()));
    await page.goto(opt.url + '/');
    if (p.signin !== false) {
      await page.fill('input[name=key]', opt.key);
      await page.click('#login button');
      await page.waitForFunction(() => sessionStorage.getItem('dp.key'));
    }
    await page.goto(opt.url + '/' + p.hash);
    const want = p.name.split('-')[0];
    await page.waitForSelector('main[data-page="' + want + '"]', { timeout: 15000 });
    const shown = await page.evaluate(() => {
      const rows = [];
      document.querySelectorAll('main [data-k][data-v]').forEach((el) => {
        const tr = el.closest('tr');
        const row = tr ? Object.assign({}, tr.dataset) : {};
        row.table = el.closest('table') ? el.closest('table').id : 'kpis';
        rows.push({ row, k: el.dataset.k, v: el.dataset.v, text: el.textContent.trim() });
      });
      return {
        values: rows,
        nav: [...document.querySelectorAll('nav a')].map((a) => a.textContent),
        overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
        charts: document.querySelectorAll('canvas').length,
        drawn: [...document.querySelectorAll('canvas')].filter((c) => c.width > 0).length,
        cut: (document.querySelector('main [id$="-cut"]') || {}).textContent || null,
        verdicts: [...document.querySelectorAll('#confidence td.verdict')].map((td) => td.textContent),
        deals: [...document.querySelectorAll('#deals li[data-deal]')].map((li) => li.dataset.deal)
      };
    });
    if (p.name === 'live' && opt.live) {
      const body = { token: opt.live.token, session: opt.live.session, mode: 'live',
        events: [{ seq: 1, type: 'open', at: Date.now(), slides: 3 },
          { seq: 2, type: 'view', at: Date.now(), material: 'q3-pricing', slide: 'roi', version: 2, index: 1 }] };
      const r = await fetch(opt.url + '/v1/events', { method: 'POST', body: JSON.stringify(body),
        headers: { 'Content-Type': 'text/plain' } });
      shown.posted = r.status;
      const t0 = Date.now();
      await page.waitForSelector('#live tr[data-session="' + opt.live.session + '"]', { timeout: 15000 });
      shown.live_ms = Date.now() - t0;
      shown.live_row = await page.textContent('#live tr[data-session="' + opt.live.session + '"]');
    }
    await page.screenshot({ path: path.join(opt.shots, p.name + '.png'), fullPage: !!p.full });
    out.pages[p.name] = shown;
    await ctx.close();
  }
  await browser.close();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
