/* deckpulse dashboards: a small single-page app on the report API.
 * Pages (hash routes): #/materials, #/material/<id>, #/campaigns,
 * #/campaign/<id>, #/owners, #/owner/<id>, #/prospects, #/prospect/<id>,
 * #/account/<id>, #/live, #/webhooks (admin). The API key is kept in
 * sessionStorage; the pages shown follow its role. Every number shown
 * carries its API value in data-v (the browser tests compare them). */
'use strict';
(function () {
  var main = document.getElementById('main');
  var nav = document.getElementById('nav');
  var charts = [];
  var live = null;

  var key = function () { return sessionStorage.getItem('dp.key'); };
  var roles = function () { return JSON.parse(sessionStorage.getItem('dp.roles') || '{}'); };

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  var shown = 0; // the render in progress: answers for an older one are dropped
  var STALE = new Error('stale');
  function api(path, r) {
    return fetch(path, { headers: { Authorization: 'Bearer ' + key() } }).then(function (res) {
      if (r && r.gen !== shown) throw STALE;
      if (res.status === 401) { signOut(); throw new Error('sign in again'); }
      return res.json().then(function (j) {
        if (r && r.gen !== shown) throw STALE;
        if (!res.ok) throw new Error(j.error || res.status);
        return j;
      });
    });
  }
  function post(path, body, method) {
    return fetch(path, { method: method || 'POST', headers: { Authorization: 'Bearer ' + key(), 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined }).then(function (res) {
      return res.json().then(function (j) { if (!res.ok) throw new Error(j.error || res.status); return j; });
    });
  }
  function ms(v) {
    if (v == null) return '–';
    if (v < 59950) return (v / 1000).toFixed(1) + ' s';
    var t = Math.round(v / 1000), h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    var two = function (x) { return (x < 10 ? '0' : '') + x; };
    return h ? h + 'h ' + two(m) + 'm' : m + 'm ' + two(s) + 's';
  }
  function pct(v) { return v == null ? '–' : (v * 100).toFixed(1) + ' %'; }
  function amount(v) { return v == null ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: 2 }); }
  function num(v) { return v == null ? '–' : Number(v).toLocaleString('en-US'); }
  function when(t) { return t ? new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '–'; }
  function change(v) {
    if (v == null) return '<span class="muted">–</span>';
    return '<span class="' + (v >= 0 ? 'up' : 'down') + '">' + (v >= 0 ? '+' : '') + (v * 100).toFixed(0) + ' %</span>';
  }
  // a cell: the API value in data-v, shown formatted
  function cell(k, v, fmt, cls) {
    return '<td data-k="' + k + '" data-v="' + esc(v == null ? '' : v) + '"' + (cls ? ' class="' + cls + '"' : '') + '>' + (fmt ? fmt(v) : esc(v)) + '</td>';
  }
  function kpi(k, label, v, fmt) {
    return '<div class="kpi" data-k="' + k + '" data-v="' + esc(v == null ? '' : v) + '"><div class="v">' + (fmt ? fmt(v) : num(v)) + '</div><div class="l">' + label + '</div></div>';
  }
  function temp(t) { return '<span class="temp ' + esc(t) + '">' + esc(t) + '</span>'; }

  function route() {
    var h = location.hash.replace(/^#\/?/, '');
    var q = {};
    var i = h.indexOf('?');
    if (i >= 0) {
      new URLSearchParams(h.slice(i + 1)).forEach(function (v, k) { q[k] = v; });
      h = h.slice(0, i);
    }
    // a link cut or typed by hand (%E0%A4%A) is taken as it is, not thrown
    var parts = h.split('/').map(function (p) { try { return decodeURIComponent(p); } catch (e) { return p; } });
    return { page: parts[0] || '', id: parts[1] || '', q: q };
  }
  function go(page, id, q) {
    var s = new URLSearchParams();
    Object.keys(q || {}).forEach(function (k) { if (q[k]) s.set(k, q[k]); });
    location.hash = '#/' + page + (id ? '/' + encodeURIComponent(id) : '') + (s.toString() ? '?' + s : '');
  }
  function query(q, keys) {
    var s = new URLSearchParams();
    keys.forEach(function (k) { if (q[k]) s.set(k, q[k]); });
    return s.toString() ? '?' + s : '';
  }

  function chart(id, cfg) {
    if (!window.Chart) return;
    cfg.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: cfg.data.datasets.length > 1 } } }, cfg.options || {});
    charts.push(new window.Chart(document.getElementById(id), cfg));
  }

  function download(path, name) {
    fetch(path, { headers: { Authorization: 'Bearer ' + key(), Accept: 'text/csv' } })
      .then(function (r) { return r.blob(); })
      .then(function (b) {
        var a = document.createElement('a');
        a.href = URL.createObjectURL(b);
        a.download = name;
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
  }

  function filters(q, withMode) {
    return '<form class="filters" id="filters">' +
      '<label>From<input type="date" name="from" value="' + esc(q.from || '') + '"></label>' +
      '<label>To<input type="date" name="to" value="' + esc(q.to || '') + '"></label>' +
      (withMode ? '<label>Mode<select name="mode">' + ['all', 'self', 'live'].map(function (m) {
        return '<option' + ((q.mode || 'all') === m ? ' selected' : '') + '>' + m + '</option>';
      }).join('') + '</select></label>' : '') +
      '<button class="primary">Apply</button></form>';
  }
  function onFilters(r, extra) {
    var f = document.getElementById('filters');
    f.addEventListener('submit', function (e) {
      e.preventDefault();
      var q = Object.assign({}, r.q, extra || {});
      new FormData(f).forEach(function (v, k) { q[k] = v; });
      if (q.mode === 'all') delete q.mode;
      go(r.page, r.id, q);
    });
  }

  /* ---- pages ---- */

  function login(msg) {
    nav.innerHTML = '';
    document.getElementById('signout').hidden = true;
    main.innerHTML = '<form class="card login" id="login"><h1>Sign in</h1>' +
      '<p class="muted">Paste your deckpulse API key (it stays in this tab only).</p>' +
      '<input type="password" name="key" placeholder="API key" autocomplete="off" required>' +
      (msg ? '<p class="error">' + esc(msg) + '</p>' : '') +
      '<button class="primary">Sign in</button></form>';
    document.getElementById('login').addEventListener('submit', function (e) {
      e.preventDefault();
      var k = new FormData(e.target).get('key').trim();
      var h = { headers: { Authorization: 'Bearer ' + k } };
      var today = new Date().toISOString().slice(0, 10);
      Promise.all([fetch('/v1/materials?from=' + today + '&to=' + today, h), fetch('/v1/prospects?limit=1', h), fetch('/v1/webhooks', h)])
        .then(function (rs) {
          if (rs[0].status === 401) return login('That key is not valid.');
          sessionStorage.setItem('dp.key', k);
          sessionStorage.setItem('dp.roles', JSON.stringify({ marketing: rs[0].ok, sales: rs[1].ok, admin: rs[2].ok }));
          go(rs[0].ok ? 'materials' : 'prospects');
          render();
        });
    });
  }

  function signOut() {
    sessionStorage.removeItem('dp.key');
    sessionStorage.removeItem('dp.roles');
    location.hash = '#/';
    render();
  }

  function leaderboard(r) {
    var q = r.q;
    var path = '/v1/materials' + query(q, ['from', 'to', 'mode', 'sort', 'order']);
    return api(path, r).then(function (d) {
      var cols = [['material', 'Material', 'text'], ['views', 'Views'], ['sessions', 'Sessions'], ['viewers', 'Viewers'],
        ['dwell_ms_total', 'Total dwell'], ['dwell_ms_median', 'Median dwell'], ['completion_rate', 'Completion'],
        ['deals_influenced', 'Deals'], ['won', 'Won'], ['won_amount', 'Won amount'], ['win_rate', 'Win rate']];
      main.innerHTML = '<h1>Materials</h1>' + filters(Object.assign({ from: d.from, to: d.to }, q), true) +
        '<p class="muted">' + d.from + ' – ' + d.to + ', compared with ' + d.previous_from + ' – ' + d.previous_to +
        ' · <a href="#" id="csv">Download CSV</a></p>' +
        '<div class="scroll"><table id="leaderboard"><thead><tr>' + cols.map(function (c) {
          return '<th class="sort' + (c[2] ? ' text' : '') + '" data-sort="' + c[0] + '">' + c[1] + (d.sort === c[0] ? (d.order === 'desc' ? ' ▾' : ' ▴') : '') + '</th>';
        }).join('') + '<th>Views vs before</th></tr></thead><tbody>' + d.materials.map(function (m) {
          return '<tr data-material="' + esc(m.material) + '"><td class="text"><a href="#/material/' + encodeURIComponent(m.material) + query(q, ['from', 'to', 'mode']) + '">' + esc(m.title || m.material) + '</a></td>' +
            cell('views', m.views, num) + cell('sessions', m.sessions, num) + cell('viewers', m.viewers, num) +
            cell('dwell_ms_total', m.dwell_ms_total, ms) + cell('dwell_ms_median', m.dwell_ms_median, ms) +
            cell('completion_rate', m.completion_rate, pct) + cell('deals_influenced', m.deals_influenced, num) +
            cell('won', m.won, num) + cell('won_amount', m.won_amount, amount) + cell('win_rate', m.win_rate, pct) +
            '<td>' + change(m.change.views) + '</td></tr>';
        }).join('') + '</tbody></table></div>' +
        (d.truncated ? '<p class="muted" id="leaderboard-cut">The first ' + num(d.materials.length) + ' of ' +
          num(d.total) + ' materials, sorted over all of them; the CSV has every one.</p>' : '');
      onFilters(r);
      main.querySelectorAll('th[data-sort]').forEach(function (th) {
        th.addEventListener('click', function () {
          var s = th.getAttribute('data-sort');
          go('materials', '', Object.assign({}, q, { sort: s, order: d.sort === s && d.order === 'desc' ? 'asc' : 'desc' }));
        });
      });
      document.getElementById('csv').addEventListener('click', function (e) {
        e.preventDefault();
        download('/v1/materials.csv' + query(q, ['from', 'to', 'mode', 'sort', 'order']), 'materials.csv');
      });
    });
  }

  function material(r) {
    var q = r.q;
    var path = '/v1/materials/' + encodeURIComponent(r.id) + query(q, ['from', 'to', 'mode']);
    return api(path, r).then(function (d) {
      var versions = {};
      d.slides.forEach(function (s) { (versions[s.slide] = versions[s.slide] || []).push(s); });
      var multi = Object.keys(versions).filter(function (k) { return versions[k].length > 1; });
      main.innerHTML = '<h1>' + esc(d.title || d.material) + '</h1>' +
        filters(Object.assign({ from: d.from, to: d.to }, q), true) +
        '<div class="kpis">' + kpi('sessions', 'Sessions', d.sessions) + kpi('viewers', 'Viewers', d.viewers) +
        kpi('views', 'Views', d.views) + kpi('completion_rate', 'Completion', d.completion_rate, pct) +
        kpi('dwell_ms_total', 'Total dwell', d.dwell_ms_total, ms) + kpi('dwell_ms_median', 'Median dwell', d.dwell_ms_median, ms) +
        '</div><div class="kpis" id="deal-kpis">' + kpi('deals_influenced', 'Deals influenced', d.deals_influenced) + kpi('won', 'Won', d.won) +
        kpi('won_amount', 'Won amount', d.won_amount, amount) + kpi('won_amount_share', 'Share of won amount', d.won_amount_share, amount) +
        kpi('win_rate', 'Win rate', d.win_rate, pct) + kpi('win_rate_without', 'Win rate without it', d.win_rate_without, pct) +
        '</div><p class="muted rule">Attribution: ' + esc(d.attribution) + '.</p><div class="grid2"><div><h2>Daily trend</h2><div class="card chart"><canvas id="trend"></canvas></div></div>' +
        '<div><h2>Drop-off funnel</h2><div class="card chart"><canvas id="funnel"></canvas></div></div></div>' +
        '<h2>Slides <a class="btn" href="#" id="csv">Download CSV</a></h2><div class="scroll"><table id="slides"><thead><tr>' +
        '<th class="text">#</th><th class="text">Slide</th><th>Version</th><th>Views</th><th>Viewers</th><th>Avg dwell</th><th>Median</th><th>p90</th><th>Exits</th><th>Drop-off</th><th class="text">Actions</th><th>Deals</th><th>Won</th><th>Win rate</th></tr></thead><tbody>' +
        d.slides.map(function (s) {
          return '<tr data-slide="' + esc(s.slide) + '" data-version="' + s.version + '"><td class="text">' + (s.position == null ? '' : s.position + 1) + '</td><td class="text">' + esc(s.title || s.slide) + '</td>' +
            cell('version', s.version) + cell('views', s.views, num) + cell('viewers', s.viewers, num) +
            cell('dwell_ms_avg', s.dwell_ms_avg, ms) + cell('dwell_ms_median', s.dwell_ms_median, ms) + cell('dwell_ms_p90', s.dwell_ms_p90, ms) +
            cell('exits', s.exits, num) + cell('drop_off_rate', s.drop_off_rate, pct) +
            '<td class="text">' + Object.keys(s.actions).map(function (a) { return esc(a) + ' ' + s.actions[a]; }).join(', ') + '</td>' +
            cell('deals_influenced', s.deals_influenced, num) + cell('won', s.won, num) + cell('win_rate', s.win_rate, pct) + '</tr>';
        }).join('') + '</tbody></table></div>' +
        (multi.length ? '<h2>Versions compared</h2><div class="scroll"><table id="versions"><thead><tr><th class="text">Slide</th><th>Version</th><th>Views</th><th>Avg dwell</th><th>Median</th><th>Drop-off</th></tr></thead><tbody>' +
          multi.map(function (k) {
            return versions[k].map(function (s) {
              return '<tr><td class="text">' + esc(s.title || s.slide) + '</td>' + cell('version', s.version) + cell('views', s.views, num) +
                cell('dwell_ms_avg', s.dwell_ms_avg, ms) + cell('dwell_ms_median', s.dwell_ms_median, ms) + cell('drop_off_rate', s.drop_off_rate, pct) + '</tr>';
            }).join('');
          }).join('') + '</tbody></table></div>' : '') +
        (d.versions && d.versions.length ? '<h2>Which version keeps viewers</h2><div class="scroll"><table id="confidence"><thead><tr><th class="text">Slide</th><th>Versions</th><th>Drop-off A</th><th>Drop-off B</th><th>p</th><th class="text">Verdict</th></tr></thead><tbody>' +
          d.versions.map(function (v) {
            return '<tr data-slide="' + esc(v.slide) + '"><td class="text">' + esc(v.slide) + '</td><td>v' + v.a + ' / v' + v.b + '</td>' +
              cell('drop_off_a', v.drop_off_a, pct) + cell('drop_off_b', v.drop_off_b, pct) +
              cell('p_value', v.p_value, function (p) { return p < 0.001 ? '< 0.001' : p.toFixed(3); }) +
              '<td class="text verdict' + (v.significant ? ' significant' : '') + '">' + esc(v.summary) + '</td></tr>';
          }).join('') + '</tbody></table></div>' : '');
      onFilters(r);
      document.getElementById('csv').addEventListener('click', function (e) {
        e.preventDefault();
        download('/v1/materials/' + encodeURIComponent(d.material) + '.csv' + query(q, ['from', 'to', 'mode']), d.material + '.csv');
      });
      chart('trend', { type: 'line', data: { labels: d.days.map(function (x) { return x.date.slice(5); }),
        datasets: [{ label: 'Views', data: d.days.map(function (x) { return x.views; }), borderColor: '#3559e0', tension: .3 },
          { label: 'Sessions', data: d.days.map(function (x) { return x.sessions; }), borderColor: '#1f9d61', tension: .3 }] } });
      chart('funnel', { type: 'bar', data: { labels: d.funnel.map(function (f) { return 'Slide ' + (f.position + 1); }),
        datasets: [{ label: 'Share of sessions', data: d.funnel.map(function (f) { return f.share == null ? 0 : f.share * 100; }), backgroundColor: '#3559e0' }] },
        options: { scales: { y: { max: 100, ticks: { callback: function (v) { return v + ' %'; } } } } } });
    });
  }

  function prospectsPage(r) {
    var q = r.q;
    return api('/v1/prospects' + query(q, ['from', 'to', 'owner', 'account', 'campaign']), r).then(function (d) {
      main.innerHTML = '<h1>Hot prospects</h1><form class="filters" id="pf">' + ['owner', 'account', 'campaign'].map(function (k) {
        return '<label>' + k + '<input name="' + k + '" value="' + esc(q[k] || '') + '"></label>';
      }).join('') + '<button class="primary">Filter</button></form>' +
        '<div class="scroll"><table id="prospects"><thead><tr><th class="text">Prospect</th><th class="text">Account</th><th class="text">Owner</th><th>Score</th><th class="text">Temperature</th><th>Sessions</th><th>Dwell</th><th>Actions</th><th class="text">Last seen</th></tr></thead><tbody>' +
        d.prospects.map(function (p) {
          return '<tr data-prospect="' + esc(p.prospect) + '"><td class="text"><a href="#/prospect/' + encodeURIComponent(p.prospect) + '">' + esc(p.prospect) + '</a></td>' +
            '<td class="text">' + (p.account ? '<a href="#/account/' + encodeURIComponent(p.account) + '">' + esc(p.account) + '</a>' : '') + '</td><td class="text">' + esc(p.owner || '') + '</td>' +
            cell('score', p.score, function (v) { return v.toFixed(1); }) + '<td class="text">' + temp(p.temperature) + '</td>' +
            cell('sessions', p.sessions, num) + cell('dwell_ms_total', p.dwell_ms_total, ms) + cell('actions', p.actions, num) +
            '<td class="text">' + when(p.last_seen) + '</td></tr>';
        }).join('') + '</tbody></table></div>' + (d.prospects.length ? '' : '<p class="muted">Nobody in this range yet.</p>') +
        (d.truncated ? '<p class="muted" id="prospects-cut">Not every prospect active in the range could be read: the list may miss some.</p>' :
          d.total > d.prospects.length ? '<p class="muted" id="prospects-cut">The first ' + num(d.prospects.length) + ' of ' + num(d.total) + '.</p>' : '');
      document.getElementById('pf').addEventListener('submit', function (e) {
        e.preventDefault();
        var nq = Object.assign({}, q);
        new FormData(e.target).forEach(function (v, k) { nq[k] = v.trim(); });
        go('prospects', '', nq);
      });
    });
  }

  function prospect(r) {
    var q = r.q;
    return api('/v1/prospects/' + encodeURIComponent(r.id) + query(q, ['from', 'to', 'since']), r).then(function (b) {
      var ex = b.score_explained;
      var sinceDate = q.since ? new Date(+q.since).toISOString().slice(0, 10) : '';
      main.innerHTML = '<h1>' + esc(b.prospect) + ' ' + temp(b.temperature) + '</h1>' +
        '<p class="muted">' + (b.account ? 'Account <a href="#/account/' + encodeURIComponent(b.account) + '">' + esc(b.account) + '</a> · ' : '') +
        'owner ' + esc(b.owner || '–') + ' · campaign ' + esc(b.campaign || '–') + '</p>' +
        '<div class="kpis">' + kpi('score', 'Score', b.score, function (v) { return v.toFixed(1); }) +
        kpi('sessions', 'Sessions', b.sessions) + kpi('dwell_ms_total', 'Time reading', b.dwell_ms_total, ms) +
        kpi('last_seen', 'Last seen', b.last_seen, when) + kpi('first_seen', 'First seen', b.first_seen, when) + '</div>' +
        '<h2>Why this score</h2><div class="scroll"><table id="score"><thead><tr><th class="text">Part</th><th>Value</th><th>Weight</th><th>Points</th></tr></thead><tbody>' +
        ex.parts.map(function (p) {
          return '<tr><td class="text">' + esc(p.part.replace('_', ' ')) + '</td>' + cell('value', p.value, function (v) { return +v.toFixed(2); }) + cell('weight', p.weight) + cell('points', p.points, function (v) { return v.toFixed(1); }) + '</tr>';
        }).join('') + '<tr><td class="text">× decay (' + ex.age_days + ' days since last seen, half-life ' + ex.half_life_days + ')</td><td></td><td></td>' + cell('decay', ex.decay) + '</tr></tbody></table></div>' +
        '<h2>What they read</h2><div class="scroll"><table id="materials"><thead><tr><th class="text">Material</th><th>Time</th><th>Slides seen</th><th>Completed</th></tr></thead><tbody>' +
        b.materials.map(function (m) {
          return '<tr><td class="text">' + esc(m.title || m.material) + '</td>' + cell('dwell_ms_total', m.dwell_ms_total, ms) +
            '<td data-k="slides_seen" data-v="' + m.slides_seen + '">' + m.slides_seen + (m.slides_total ? ' / ' + m.slides_total : '') + '</td>' + cell('completed', m.completed, num) + '</tr>';
        }).join('') + '</tbody></table></div>' +
        '<div class="grid2"><div><h2>Slides by time</h2><div class="scroll"><table id="topslides"><thead><tr><th class="text">Slide</th><th>Views</th><th>Time</th></tr></thead><tbody>' +
        b.slides.slice(0, 15).map(function (s) {
          return '<tr><td class="text">' + esc(s.title || s.slide) + ' <span class="muted">v' + s.version + '</span></td>' + cell('views', s.views, num) + cell('dwell_ms_total', s.dwell_ms_total, ms) + '</tr>';
        }).join('') + '</tbody></table></div></div><div><h2>Skipped</h2><div class="card" id="skipped">' +
        (b.skipped.length ? b.skipped.map(function (s) { return esc(s.title || s.slide); }).join(', ') : '<span class="muted">Nothing: they saw every slide.</span>') + '</div>' +
        '<h2>Actions</h2><div class="card" id="actions">' + (Object.keys(b.actions).length ? Object.keys(b.actions).map(function (a) { return esc(a) + ': ' + b.actions[a]; }).join(', ') : '<span class="muted">None.</span>') + '</div></div></div>' +
        '<h2>New since the last contact</h2><form class="filters" id="since"><label>Last contact<input type="date" name="since" value="' + sinceDate + '"></label><button class="primary">Show</button></form>' +
        (b.new_since ? '<div class="kpis" id="new">' + kpi('events', 'Events', b.new_since.events) + kpi('sessions', 'Sessions', b.new_since.sessions) +
          kpi('views', 'Views', b.new_since.views) + kpi('dwell_ms_total', 'Time', b.new_since.dwell_ms_total, ms) + '</div>' : '') +
        (roles().admin ? '<form class="filters" id="alertme"><label>Alert me when ' + esc(b.prospect) + ' reads<input name="url" type="url" placeholder="https://hooks.slack.com/services/…" required></label>' +
          '<label>Format<select name="format"><option>slack</option><option>standard</option></select></label><button class="primary">Alert me</button></form><p class="muted" id="alertme-said"></p>' : '') +
        '<h2>Deals</h2><div class="card"><ul class="timeline" id="deals">' + (b.deals && b.deals.length ? b.deals.map(function (x) {
          return '<li data-deal="' + esc(x.deal) + '"><b>' + esc(x.deal) + '</b> ' + esc(x.stage) + (x.amount != null ? ' · ' + amount(x.amount) + ' ' + esc(x.currency || '') : '') +
            ' · ' + x.history.map(function (h) { return esc(h.stage) + ' ' + when(h.at); }).join(' → ') + '</li>';
        }).join('') : '<li class="muted">No deal names them yet.</li>') + '</ul></div>' +
        '<h2>Timeline</h2><div class="card"><ul class="timeline" id="timeline">' + b.timeline.slice(0, 50).map(function (e) {
          return '<li><span class="muted">' + when(e.at) + '</span> ' + esc(e.type) + ' ' + esc(e.material || '') + (e.slide ? ' / ' + esc(e.slide) : '') +
            (e.ms != null ? ' · ' + ms(e.ms) : '') + (e.name ? ' · ' + esc(e.name) : '') + '</li>';
        }).join('') + '</ul></div>';
      var am = document.getElementById('alertme');
      if (am) am.addEventListener('submit', function (e) {
        e.preventDefault();
        var f = new FormData(am);
        var body = { url: f.get('url'), format: f.get('format'), prospect: b.prospect,
          events: ['session.started', 'session.ended', 'prospect.returned', 'action'] };
        if (b.owner) body.owner = b.owner;
        post('/v1/webhooks', body).then(function (w) {
          document.getElementById('alertme-said').textContent = 'Done: ' + w.id + '. Its signing secret (shown once): ' + w.secret;
        }, function (err) { document.getElementById('alertme-said').textContent = err.message; });
      });
      document.getElementById('since').addEventListener('submit', function (e) {
        e.preventDefault();
        var v = new FormData(e.target).get('since');
        go('prospect', r.id, Object.assign({}, q, { since: v ? String(Date.parse(v + 'T00:00:00Z')) : '' }));
      });
    });
  }

  function account(r) {
    return api('/v1/accounts/' + encodeURIComponent(r.id) + query(r.q, ['from', 'to']), r).then(function (a) {
      main.innerHTML = '<h1>' + esc(a.account) + ' ' + temp(a.temperature) + '</h1><div class="kpis">' +
        kpi('score', 'Score', a.score, function (v) { return v.toFixed(1); }) + kpi('prospects_active', 'Active prospects', a.prospects_active) +
        kpi('sessions', 'Sessions', a.sessions) + kpi('dwell_ms_total', 'Time reading', a.dwell_ms_total, ms) + kpi('last_seen', 'Last seen', a.last_seen, when) + '</div>' +
        '<h2>Prospects</h2><div class="scroll"><table id="prospects"><thead><tr><th class="text">Prospect</th><th>Score</th><th class="text">Temperature</th><th>Sessions</th><th>Dwell</th></tr></thead><tbody>' +
        a.prospects.map(function (p) {
          return '<tr data-prospect="' + esc(p.prospect) + '"><td class="text"><a href="#/prospect/' + encodeURIComponent(p.prospect) + '">' + esc(p.prospect) + '</a></td>' +
            cell('score', p.score, function (v) { return v.toFixed(1); }) + '<td class="text">' + temp(p.temperature) + '</td>' + cell('sessions', p.sessions, num) + cell('dwell_ms_total', p.dwell_ms_total, ms) + '</tr>';
        }).join('') + '</tbody></table></div><h2>Materials</h2><div class="scroll"><table><thead><tr><th class="text">Material</th><th>Time</th><th>Completed</th></tr></thead><tbody>' +
        a.materials.map(function (m) { return '<tr><td class="text">' + esc(m.material) + '</td>' + cell('dwell_ms_total', m.dwell_ms_total, ms) + cell('completed', m.completed, num) + '</tr>'; }).join('') +
        '</tbody></table></div>';
    });
  }


  var GROUP_COLS = [['links', 'Links'], ['prospects', 'Prospects'], ['opened', 'Opened'], ['engaged', 'Engaged'],
    ['deals', 'Deals'], ['won', 'Won'], ['won_amount', 'Revenue', amount], ['win_rate', 'Win rate', pct]];

  // Campaigns and salespeople: one table each, each row a link to its page
  function groupsPage(r, kind) {
    var q = r.q, many = kind === 'campaign' ? 'campaigns' : 'owners';
    return api('/v1/' + many + query(q, ['from', 'to', 'mode']), r).then(function (d) {
      var cols = kind === 'campaign' ? GROUP_COLS.concat([['days_to_win_median', 'Days to win']]) :
        [['links', 'Decks sent'], ['prospects', 'Prospects'], ['opened', 'Opened'], ['engaged', 'Engaged'], ['hot', 'Hot'],
          ['live_sessions', 'Live sessions'], ['self_sessions', 'Self sessions'], ['completion_rate', 'Completion', pct],
          ['deals', 'Deals'], ['won', 'Won'], ['won_amount', 'Revenue', amount], ['win_rate', 'Win rate', pct]];
      main.innerHTML = '<h1>' + (kind === 'campaign' ? 'Campaigns' : 'Salespeople') + '</h1>' +
        filters(Object.assign({ from: d.from, to: d.to }, q), true) +
        '<p class="muted rule">' + (kind === 'campaign' ? 'Links sent → opened → engaged (warm or hot now) → deals → won. ' : '') +
        'Attribution: ' + esc(d.attribution) + '.</p>' +
        '<div class="scroll"><table id="' + many + '"><thead><tr><th class="text">' + (kind === 'campaign' ? 'Campaign' : 'Owner') + '</th>' +
        cols.map(function (c) { return '<th>' + c[1] + '</th>'; }).join('') + (kind === 'owner' ? '<th class="text">Cuts most</th>' : '') +
        '</tr></thead><tbody>' + d[many].map(function (g) {
          var id = g[kind];
          return '<tr data-' + kind + '="' + esc(id) + '"><td class="text"><a href="#/' + kind + '/' + encodeURIComponent(id) + query(q, ['from', 'to', 'mode']) + '">' + esc(id) + '</a></td>' +
            cols.map(function (c) { return cell(c[0], g[c[0]], c[2] || num); }).join('') + (kind === 'owner' ? '<td class="text cuts"></td>' : '') + '</tr>';
        }).join('') + '</tbody></table></div>' + (d[many].length ? '' : '<p class="muted">No ' + many + ' yet: mint links with a ' + kind + ', or post outcomes naming one.</p>') +
        (d.truncated ? '<p class="muted">The first ' + num(d[many].length) + ' of ' + num(d.total) + '.</p>' : '');
      onFilters(r);
      if (kind !== 'owner') return;
      // the slides each owner leaves out most, from their page
      return Promise.all(d.owners.slice(0, 50).map(function (g) {
        return api('/v1/owners/' + encodeURIComponent(g.owner) + query(q, ['from', 'to', 'mode']), r).then(function (o) {
          var td = main.querySelector('tr[data-owner="' + CSS.escape(g.owner) + '"] .cuts');
          if (td) td.innerHTML = o.cut_slides.slice(0, 3).map(function (c) { return esc(c.material + ' / ' + c.slide) + ' <span class="muted">×' + c.times + '</span>'; }).join(', ') || '<span class="muted">–</span>';
        });
      }));
    });
  }

  function groupPage(r, kind) {
    var q = r.q, many = kind === 'campaign' ? 'campaigns' : 'owners';
    return api('/v1/' + many + '/' + encodeURIComponent(r.id) + query(q, ['from', 'to', 'mode']), r).then(function (g) {
      main.innerHTML = '<h1>' + esc(g[kind]) + '</h1>' + filters(Object.assign({ from: g.from, to: g.to }, q), true) +
        '<div class="kpis">' + kpi('links', kind === 'campaign' ? 'Links' : 'Decks sent', g.links) + kpi('prospects', 'Prospects', g.prospects) +
        kpi('opened', 'Opened', g.opened) + kpi('engaged', 'Engaged', g.engaged) + kpi('hot', 'Hot', g.hot) +
        kpi('sessions', 'Sessions', g.sessions) + kpi('live_sessions', 'Live', g.live_sessions) + kpi('self_sessions', 'Self', g.self_sessions) +
        kpi('completion_rate', 'Completion', g.completion_rate, pct) + '</div><div class="kpis">' +
        kpi('deals', 'Deals', g.deals) + kpi('won', 'Won', g.won) + kpi('lost', 'Lost', g.lost) + kpi('won_amount', 'Revenue', g.won_amount, amount) +
        kpi('win_rate', 'Win rate', g.win_rate, pct) + kpi('days_to_win_median', 'Median days to win', g.days_to_win_median) + '</div>' +
        '<p class="muted rule">Attribution: ' + esc(g.attribution) + '.</p>' +
        '<h2>Materials</h2><div class="scroll"><table id="group-materials"><thead><tr><th class="text">Material</th><th>Sessions</th><th>Deals influenced</th><th>Won</th></tr></thead><tbody>' +
        g.materials.map(function (m) {
          return '<tr data-material="' + esc(m.material) + '"><td class="text">' + esc(m.material) + '</td>' + cell('sessions', m.sessions, num) +
            cell('deals_influenced', m.deals_influenced, num) + cell('won', m.won, num) + '</tr>';
        }).join('') + '</tbody></table></div>' +
        (kind === 'owner' ? '<h2>Slides left out of marketing\'s decks</h2><p class="muted">From ' + num(g.decks) + ' decks with their slides listed.</p>' +
          '<div class="scroll"><table id="cut-slides"><thead><tr><th class="text">Material</th><th class="text">Slide</th><th>Decks without it</th></tr></thead><tbody>' +
          g.cut_slides.map(function (c) {
            return '<tr><td class="text">' + esc(c.material) + '</td><td class="text">' + esc(c.slide) + '</td>' + cell('times', c.times, num) + '</tr>';
          }).join('') + '</tbody></table></div>' : '');
      onFilters(r);
    });
  }

  var EVENTS = ['session.started', 'session.ended', 'prospect.returned', 'prospect.temperature', 'presentation.forwarded', 'action'];

  // admins: the webhooks, their last deliveries, add and remove
  function webhooksPage(r) {
    return api('/v1/webhooks', r).then(function (d) {
      return Promise.all(d.webhooks.map(function (w) { return api('/v1/webhooks/' + encodeURIComponent(w.id) + '/deliveries', r); }))
        .then(function (logs) {
          main.innerHTML = '<h1>Webhooks</h1><p class="muted">Alerts pushed to your CRM, Slack or any URL, signed (Standard Webhooks), retried for three days.</p>' +
            '<form class="card" id="addhook"><label>URL<input name="url" type="url" required placeholder="https://crm.example/hooks/deckpulse"></label>' +
            '<div class="events">' + EVENTS.map(function (e) { return '<label><input type="checkbox" name="events" value="' + e + '" checked> ' + e + '</label>'; }).join(' ') + '</div>' +
            '<label>Owner<input name="owner" placeholder="only this salesperson\'s prospects"></label>' +
            '<label>Format<select name="format"><option>standard</option><option>slack</option></select></label>' +
            '<button class="primary">Add</button><p class="muted" id="added"></p></form>' +
            '<div class="scroll"><table id="webhooks"><thead><tr><th class="text">URL</th><th class="text">Events</th><th class="text">Owner</th><th class="text">Format</th><th>Pending</th><th>Dead</th><th></th></tr></thead><tbody>' +
            d.webhooks.map(function (w) {
              return '<tr data-webhook="' + esc(w.id) + '"><td class="text">' + esc(w.url) + '</td><td class="text">' + esc(w.events.join(', ')) + '</td><td class="text">' + esc(w.owner || '') +
                (w.prospect ? ' · ' + esc(w.prospect) : '') + '</td><td class="text">' + esc(w.format) + '</td>' + cell('pending', w.pending, num) + cell('dead', w.dead, num) +
                '<td><button class="remove" data-id="' + esc(w.id) + '">Remove</button></td></tr>';
            }).join('') + '</tbody></table></div>' + (d.webhooks.length ? '' : '<p class="muted">None yet.</p>') +
            d.webhooks.map(function (w, i) {
              return '<h2>' + esc(w.url) + '</h2><div class="scroll"><table id="deliveries-' + esc(w.id) + '"><thead><tr><th class="text">When</th><th>Attempt</th><th>Status</th><th>Latency</th><th class="text">Outcome</th><th class="text">Error</th></tr></thead><tbody>' +
                logs[i].deliveries.map(function (x) {
                  return '<tr><td class="text">' + when(x.at) + '</td>' + cell('attempt', x.attempt) + cell('status', x.status) + cell('latency_ms', x.latency_ms, function (v) { return v + ' ms'; }) +
                    '<td class="text">' + esc(x.outcome) + '</td><td class="text">' + esc(x.error || '') + '</td></tr>';
                }).join('') + '</tbody></table></div>';
            }).join('');
          var form = document.getElementById('addhook');
          form.addEventListener('submit', function (e) {
            e.preventDefault();
            var f = new FormData(form), body = { url: f.get('url'), events: f.getAll('events'), format: f.get('format') };
            if (f.get('owner')) body.owner = f.get('owner');
            post('/v1/webhooks', body).then(function (w) {
              document.getElementById('added').textContent = 'Added ' + w.id + '. Its signing secret, shown once: ' + w.secret;
            }, function (err) { document.getElementById('added').textContent = err.message; });
          });
          main.querySelectorAll('button.remove').forEach(function (b) {
            b.addEventListener('click', function () { post('/v1/webhooks/' + encodeURIComponent(b.getAttribute('data-id')), null, 'DELETE').then(render); });
          });
        });
    });
  }

  function livePage() {
    main.innerHTML = '<h1><span class="live-dot"></span>Viewing now</h1><p class="muted" id="livecount">Connecting…</p>' +
      '<div class="scroll"><table id="live"><thead><tr><th class="text">Prospect</th><th class="text">Presentation</th><th class="text">Slide</th><th>Slides seen</th><th class="text">Mode</th><th class="text">Last event</th></tr></thead><tbody></tbody></table></div>';
    // a short-lived ticket in the URL, never the key (proxies log URLs);
    // a new one whenever the stream has to be opened again
    var gen = shown;
    var open = function () {
      fetch('/v1/live/ticket', { method: 'POST', headers: { Authorization: 'Bearer ' + key() } })
        .then(function (res) { return res.json(); })
        .then(function (t) {
          if (gen !== shown || !t.ticket) return;
          live = new EventSource('/v1/live?ticket=' + encodeURIComponent(t.ticket));
          live.addEventListener('viewers', onViewers);
          live.onerror = function () {
            if (live && live.readyState === EventSource.CLOSED && gen === shown) {
              live.close();
              setTimeout(open, 2000);
            }
          };
        });
    };
    var onViewers = function (e) {
      var d = JSON.parse(e.data);
      document.getElementById('livecount').textContent = d.viewers.length + ' viewing now · updated ' + when(d.at);
      document.querySelector('#live tbody').innerHTML = d.viewers.map(function (v) {
        return '<tr data-session="' + esc(v.session) + '"><td class="text">' + (v.prospect ? '<a href="#/prospect/' + encodeURIComponent(v.prospect) + '">' + esc(v.prospect) + '</a>' : '<span class="muted">anonymous</span>') +
          (v.account ? ' <span class="muted">' + esc(v.account) + '</span>' : '') + '</td><td class="text">' + esc(v.presentation) + '</td>' +
          '<td class="text">' + esc(v.material || '') + (v.slide ? ' / ' + esc(v.slide) : '') + '</td>' + cell('seen', v.seen) +
          '<td class="text">' + esc(v.mode) + '</td><td class="text">' + when(v.last_seen) + '</td></tr>';
      }).join('');
    };
    open();
    return Promise.resolve();
  }

  function render() {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    if (live) { live.close(); live = null; }
    if (!key()) return login();
    var ro = roles();
    var r = route();
    r.gen = ++shown;
    if (!r.page) r.page = ro.marketing ? 'materials' : 'prospects';
    document.getElementById('signout').hidden = false;
    var links = (ro.marketing ? [['materials', 'Materials']] : []).concat(ro.marketing || ro.sales ? [['campaigns', 'Campaigns']] : [])
      .concat(ro.sales ? [['owners', 'Salespeople'], ['prospects', 'Prospects'], ['live', 'Live']] : [])
      .concat(ro.admin ? [['webhooks', 'Webhooks']] : []);
    nav.innerHTML = links.map(function (l) {
      var on = r.page === l[0] || (r.page + 's' === l[0]) || ((r.page === 'prospect' || r.page === 'account') && l[0] === 'prospects');
      return '<a href="#/' + l[0] + '"' + (on ? ' class="on"' : '') + '>' + l[1] + '</a>';
    }).join('');
    var pages = { materials: leaderboard, material: material, prospects: prospectsPage, prospect: prospect, account: account, live: livePage,
      campaigns: function (x) { return groupsPage(x, 'campaign'); }, campaign: function (x) { return groupPage(x, 'campaign'); },
      owners: function (x) { return groupsPage(x, 'owner'); }, owner: function (x) { return groupPage(x, 'owner'); },
      webhooks: webhooksPage };
    var page = pages[r.page];
    if (!page) { main.innerHTML = '<p>No such page.</p>'; return; }
    main.setAttribute('data-page', 'loading');
    page(r).then(function () {
      if (r.gen === shown) main.setAttribute('data-page', r.page);
    }, function (e) {
      if (e === STALE) return;
      main.innerHTML = '<p class="error">' + esc(e.message) + '</p>';
      main.setAttribute('data-page', 'error');
    });
  }

  document.getElementById('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', render);
  render();
})();
