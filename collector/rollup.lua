-- deckpulse rollup: applies a batch of events of one shard exactly once,
-- atomically (a Redis script runs alone and its writes land together).
-- Key layout: include/deckpulse/keys.h. Called by collector/rollup.c.
--
-- ARGV[1] key prefix "dp:{N}:"     ARGV[2] dedup/session ttl (ms)
-- ARGV[3] consumer group ("" = replay: no XACK)    ARGV[4] number of events
-- then W values per event, in the order of FIELDS below. KEYS[1] = stream.
-- Returns {applied, duplicates, unplaced views}.
--
-- Mode "retain": ARGV[4] "-2", ARGV[5] cutoff day, ARGV[6] budget: see below.
-- Mode "sweep": ARGV[1] prefix, ARGV[2] ttl, ARGV[3] "", ARGV[4] "-1",
-- ARGV[5] end sessions whose last event was received before this (ms),
-- ARGV[6] at most this many. Returns {ended}.

local call = redis.call
local P = ARGV[1]
local ttl = tonumber(ARGV[2])
local group = ARGV[3]
local n = tonumber(ARGV[4])

local FIELDS = {'id', 'session', 'seq', 'type', 'at', 'received', 'day', 'mode',
                'presentation', 'prospect', 'account', 'who', 'viewer', 'slides', 'material',
                'slide', 'version', 'index', 'ms', 'bucket', 'name', 'campaign', 'owner'}
local W = #FIELDS

local sessions = {} -- session id -> state table, written back at the end
local cur_day = ''  -- the day of the event being applied (sweeps: unused)
local unplaced = 0  -- views past the slides their session announced
local touched = {}  -- material -> true: its generation is bumped (report caches)

-- Counter increments are summed per (key, field) in the batch and applied
-- once each at the end (write_back): no script reads a counter it bumps,
-- and many events of a batch bump the same fields.
local incs = {}
local function hincr(key, field, n)
  local h = incs[key]
  if not h then
    h = {}
    incs[key] = h
  end
  h[field] = (h[field] or 0) + n
end

local function flush_incs()
  for key, h in pairs(incs) do
    for f, n in pairs(h) do
      if n ~= 0 then call('HINCRBY', key, f, n) end
    end
  end
  incs = {}
end

-- Keys that many events of a batch add the same members to (index sets,
-- HyperLogLogs whose answer is not needed) are gathered per key and written
-- with one SADD / PFADD each at the end (flush_adds).
local CHUNK = 500 -- arguments per command when a list is sent in parts
local adds = {SADD = {}, PFADD = {}}
local function add_later(cmd, key, member)
  local t = adds[cmd]
  local h = t[key]
  if not h then
    h = {set = {}, list = {}}
    t[key] = h
  end
  if not h.set[member] then
    h.set[member] = true
    h.list[#h.list + 1] = member
  end
end

-- cmd key a1 a2 ... with the values of list, in parts of at most CHUNK
local function call_list(cmd, key, list)
  for i = 1, #list, CHUNK do
    call(cmd, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end

local function flush_adds()
  for cmd, t in pairs(adds) do
    for key, h in pairs(t) do call_list(cmd, key, h.list) end
  end
  adds = {SADD = {}, PFADD = {}}
end

-- A session's small hashes and set (smat, ssv: hashes; sseen: a set) are
-- read once per batch into a table and what changed is written back once,
-- with their expiry, in write_back.
local function cached(kind, key)
  local raw = call(kind == 'set' and 'SMEMBERS' or 'HGETALL', key)
  local v = {}
  if kind == 'set' then
    for i = 1, #raw do v[raw[i]] = true end
  else
    for i = 1, #raw, 2 do v[raw[i]] = raw[i + 1] end
  end
  return {kind = kind, key = key, v = v, w = {}}
end

local function sub(s, sid, name, kind)
  local c = s[name]
  if not c then
    c = cached(kind, P .. name .. ':' .. sid)
    s[name] = c
  end
  return c
end

local function cset(c, field, value)
  c.v[field] = value
  c.w[#c.w + 1] = field
end

local function flush_cached(c)
  if not c or #c.w == 0 then return end
  local args, done = {}, {}
  for _, f in ipairs(c.w) do
    if not done[f] then
      done[f] = true
      args[#args + 1] = f
      if c.kind ~= 'set' then args[#args + 1] = c.v[f] end
    end
  end
  call_list(c.kind == 'set' and 'SADD' or 'HSET', c.key, args)
  call('PEXPIRE', c.key, ttl)
end

local function session(sid)
  local s = sessions[sid]
  if s then return s end
  local raw = call('HGETALL', P .. 'sess:' .. sid)
  s = {}
  for i = 1, #raw, 2 do s[raw[i]] = raw[i + 1] end
  s.isnew = (#raw == 0)
  sessions[sid] = s
  return s
end

local function split_last(last)
  -- "material|slide|version|day|mode"
  local m, sl, v, day, mode = string.match(last, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  return P .. 'slides:' .. m .. ':' .. day .. ':' .. mode, sl .. '|' .. v .. '|exits'
end

local function move_exit(old, new)
  if old and old ~= '' then
    local k, f = split_last(old)
    hincr(k, f, -1)
  end
  if new and new ~= '' then
    local k, f = split_last(new)
    hincr(k, f, 1)
  end
end

local function end_session(sid, s)
  if s.ended == '1' then return end
  s.ended = '1'
  s.dirty = true
  if s.last and s.last ~= '' then
    move_exit(nil, s.last)
    s.exit = s.last
    touched[string.match(s.last, '^[^|]+')] = true
  end
end

-- The session just became complete: count it for every material it viewed.
local function complete(sid, s)
  s.completed = '1'
  s.dirty = true
  for mat, day in pairs(sub(s, sid, 'smat', 'hash').v) do
    if string.sub(mat, 1, 2) ~= 'x|' then
      hincr(P .. 'mat:' .. mat .. ':' .. day .. ':' .. s.mode, 'completed', 1)
      if s.prospect and s.prospect ~= '' then
        hincr(P .. 'pd:' .. s.prospect .. ':' .. day .. ':' .. s.mode, 'm:' .. mat .. ':completed', 1)
      end
    end
  end
  hincr(P .. 'pres:' .. s.presentation, 'completed', 1)
  -- per day and mode too: the day of the event that completed it
  hincr(P .. 'presd:' .. s.presentation .. ':' .. cur_day .. ':' .. s.mode, 'completed', 1)
end

local function check_complete(sid, s)
  if s.completed ~= '1' and tonumber(s.slides or '0') > 0 and
     tonumber(s.maxidx or '-1') >= tonumber(s.slides) - 1 then
    complete(sid, s)
  end
end

-- Work done once per batch rather than once per event: first/last seen of
-- prospects and accounts, index sets, timeline trimming, presentation viewers.
local seen_range = {} -- hash key -> {first, last} received in this batch
local once = {}       -- "command|key|member" already issued in this batch
local timelines = {}  -- prospect -> true (trim at the end)
local prospects = {}  -- prospect -> true (re-rank at the end)

local function minmax(key, e)
  local r = tonumber(e.received)
  local m = seen_range[key]
  if not m then
    seen_range[key] = {r, r}
  else
    if r < m[1] then m[1] = r end
    if r > m[2] then m[2] = r end
  end
end

local function sadd_once(key, member)
  add_later('SADD', key, member)
end

local function pfadd_once(key, member)
  local k = 'P|' .. key .. '|' .. member
  if once[k] then return 0 end
  once[k] = true
  return call('PFADD', key, member)
end

local tl_adds = {}     -- prospect -> {score, member, ...} for its timeline

local function flush_batch_work()
  for pr, list in pairs(tl_adds) do call_list('ZADD', P .. 'ptl:' .. pr, list) end
  flush_adds()
  for key, m in pairs(seen_range) do
    local cur = call('HMGET', key, 'first_seen', 'last_seen')
    if not cur[1] or tonumber(cur[1]) > m[1] then call('HSET', key, 'first_seen', m[1]) end
    if not cur[2] or tonumber(cur[2]) < m[2] then call('HSET', key, 'last_seen', m[2]) end
  end
  for pr in pairs(prospects) do
    call('ZADD', P .. 'prospects', call('HGET', P .. 'prospect:' .. pr, 'last_seen'), pr)
  end
  for pr in pairs(timelines) do
    call('ZREMRANGEBYRANK', P .. 'ptl:' .. pr, 0, -201)
  end
end

local function apply(e)
  cur_day = e.day
  local sid = e.session
  local s = session(sid)
  local pr, acct = e.prospect, e.account
  local prk = pr ~= '' and (P .. 'prospect:' .. pr) or nil
  local ack = acct ~= '' and (P .. 'account:' .. acct) or nil
  if s.isnew then
    s.isnew = false
    s.dirty = true
    s.presentation, s.prospect, s.account, s.mode = e.presentation, pr, acct, e.mode
    s.maxidx, s.lastseq, s.slides, s.completed, s.ended = '-1', '-1', '0', '0', '0'
    hincr(P .. 'pres:' .. e.presentation, 'sessions', 1)
    hincr(P .. 'presd:' .. e.presentation .. ':' .. e.day .. ':' .. e.mode, 'sessions', 1)
    if prk then hincr(P .. 'pd:' .. pr .. ':' .. e.day .. ':' .. s.mode, 'sessions', 1) end
  end
  s.lastrecv = e.received
  s.dirty = true

  -- presentation: distinct browsers, forwarding
  local pres = e.presentation
  sadd_once(P .. 'presentations', pres)
  add_later('PFADD', P .. 'pv:' .. pres, e.viewer)
  local pvd = P .. 'pvd:' .. pres .. ':' .. e.day
  sadd_once(P .. 'pvdays:' .. pres, e.day)
  if pfadd_once(pvd, e.viewer) == 1 and call('PFCOUNT', pvd) > 1 then
    call('HSET', P .. 'pres:' .. pres, 'forwarded', 1)
  end

  if prk then
    minmax(prk, e)
    -- the link's account, campaign and owner, for filters (latest link wins)
    if not once['A|' .. pr] then
      once['A|' .. pr] = true
      call('HSET', prk, 'account', acct, 'campaign', e.campaign, 'owner', e.owner)
    end
    if ack then
      minmax(ack, e)
      sadd_once(P .. 'aprospects:' .. acct, pr)
    end
    sadd_once(P .. 'pdays:' .. pr, e.day)
    sadd_once(P .. 'ppres:' .. pr, pres)
    prospects[pr] = true
  end
  -- a prospect's counters, per day and mode
  local pdk = prk and (P .. 'pd:' .. pr .. ':' .. e.day .. ':' .. s.mode) or nil

  local t, m = e.type, e.material
  local value = ''
  if t == 'open' then
    if e.slides ~= '' then
      s.slides = e.slides
      value = e.slides
      check_complete(sid, s)
    end
  elseif t == 'view' or t == 'dwell' or t == 'action' then
    local sk = P .. 'slides:' .. m .. ':' .. e.day .. ':' .. e.mode
    local sv = e.slide .. '|' .. e.version .. '|'
    local mk = P .. 'mat:' .. m .. ':' .. e.day .. ':' .. e.mode
    sadd_once(P .. 'materials', m)
    sadd_once(P .. 'days:' .. m, e.day)
    touched[m] = true
    local ps = 's:' .. m .. '|' .. e.slide .. '|' .. e.version
    if t == 'view' then
      value = e.index
      -- a view past the slides its session announced (RELIABILITY row 23)
      -- is a view of its slide, but not a position: it moves neither the
      -- deepest position (funnel, completion) nor the slides seen
      local placed = tonumber(s.slides) == 0 or tonumber(e.index) < tonumber(s.slides)
      if not placed then unplaced = unplaced + 1 end
      hincr(sk, sv .. 'views', 1)
      add_later('PFADD', P .. 'sv:' .. m .. ':' .. e.slide .. ':' .. e.version .. ':' .. e.day .. ':' .. e.mode, e.who)
      hincr(mk, 'views', 1)
      add_later('PFADD', P .. 'mv:' .. m .. ':' .. e.day .. ':' .. e.mode, e.who)
      -- the session counts for the material on the day of its earliest view
      -- of it; x<k>: sessions whose deepest position in the material is k
      local smat = sub(s, sid, 'smat', 'hash')
      local had, deep = smat.v[m], smat.v['x|' .. m]
      local day = had
      if not had or e.day < had then
        day = e.day
        cset(smat, m, e.day)
        local msk = P .. 'mat:' .. m .. ':' .. e.day .. ':' .. s.mode
        hincr(msk, 'sessions', 1)
        if s.completed == '1' then hincr(msk, 'completed', 1) end
        if had then
          local old = P .. 'mat:' .. m .. ':' .. had .. ':' .. s.mode
          hincr(old, 'sessions', -1)
          if s.completed == '1' then hincr(old, 'completed', -1) end
          if deep then
            hincr(old, 'x' .. deep, -1)
            hincr(msk, 'x' .. deep, 1)
          end
        end
        if s.completed == '1' and prk then
          if had then
            hincr(P .. 'pd:' .. pr .. ':' .. had .. ':' .. s.mode, 'm:' .. m .. ':completed', -1)
          end
          hincr(pdk, 'm:' .. m .. ':completed', 1)
        end
      end
      if placed and (not deep or tonumber(e.index) > tonumber(deep)) then
        cset(smat, 'x|' .. m, e.index)
        local msk = P .. 'mat:' .. m .. ':' .. day .. ':' .. s.mode
        if deep then hincr(msk, 'x' .. deep, -1) end
        hincr(msk, 'x' .. e.index, 1)
      end
      -- sessions per slide version, on the day of the session's earliest view of it
      local ssv = sub(s, sid, 'ssv', 'hash')
      local svf = m .. '|' .. sv
      local shad = ssv.v[svf]
      if not shad or e.day < shad then
        cset(ssv, svf, e.day)
        hincr(sk, sv .. 'sessions', 1)
        if shad then
          hincr(P .. 'slides:' .. m .. ':' .. shad .. ':' .. e.mode, sv .. 'sessions', -1)
        end
      end
      if prk then
        hincr(pdk, 'views', 1)
        hincr(pdk, ps .. ':views', 1)
        sadd_once(P .. 'pseen:' .. pr .. ':' .. m, e.slide)
      end
      -- exit slide: the view with the highest seq
      if tonumber(e.seq) > tonumber(s.lastseq) then
        local new = m .. '|' .. e.slide .. '|' .. e.version .. '|' .. e.day .. '|' .. e.mode
        s.lastseq = e.seq
        if s.ended == '1' then
          move_exit(s.exit, new)
          s.exit = new
        end
        s.last = new
      end
      -- slides seen: distinct positions of the presentation viewed
      if placed then
        local sseen = sub(s, sid, 'sseen', 'set')
        if not sseen.v[e.index] then
          cset(sseen, e.index, true)
          s.seen = tostring(tonumber(s.seen or '0') + 1)
        end
      end
      if placed and tonumber(e.index) > tonumber(s.maxidx) then
        s.maxidx = e.index
        check_complete(sid, s)
      end
    elseif t == 'dwell' then
      value = e.ms
      hincr(sk, sv .. 'dwell_sum', e.ms)
      hincr(sk, sv .. 'dwell_n', 1)
      hincr(sk, sv .. 'h' .. e.bucket, 1)
      hincr(mk, 'dwell_sum', e.ms)
      hincr(mk, 'dwell_n', 1)
      hincr(mk, 'h' .. e.bucket, 1)
      if prk then
        hincr(pdk, 'dwell', e.ms)
        hincr(pdk, 'm:' .. m .. ':dwell', e.ms)
        hincr(pdk, ps .. ':dwell', e.ms)
      end
    else
      value = e.name
      hincr(sk, sv .. 'a:' .. e.name, 1)
      if prk then hincr(pdk, 'a:' .. e.name, 1) end
    end
  elseif t == 'close' then
    end_session(sid, s)
  end

  if prk then
    local tl = tl_adds[pr]
    if not tl then
      tl = {}
      tl_adds[pr] = tl
      timelines[pr] = true
    end
    tl[#tl + 1] = e.at
    tl[#tl + 1] = e.at .. '|' .. sid .. '|' .. e.seq .. '|' .. t .. '|' .. m .. '|' ..
                  e.slide .. '|' .. e.version .. '|' .. value
  end
end

local function write_back()
  flush_incs()
  for sid, s in pairs(sessions) do
    flush_cached(s.smat)
    flush_cached(s.ssv)
    flush_cached(s.sseen)
    if s.dirty then
      local k = P .. 'sess:' .. sid
      call('HSET', k, 'presentation', s.presentation, 'prospect', s.prospect or '',
           'account', s.account or '', 'mode', s.mode, 'slides', s.slides or '0',
           'maxidx', s.maxidx or '-1', 'seen', s.seen or '0', 'completed', s.completed or '0',
           'lastseq', s.lastseq or '-1', 'last', s.last or '', 'ended', s.ended or '0',
           'exit', s.exit or '', 'lastrecv', s.lastrecv or '0')
      call('PEXPIRE', k, ttl)
      if s.ended == '1' then
        call('ZREM', P .. 'open', sid)
      else
        call('ZADD', P .. 'open', s.lastrecv, sid)
      end
    end
  end
end

if n == -2 then
  -- retention: delete per-day aggregates of days before ARGV[5] (YYYY-MM-DD),
  -- at most ARGV[6] material- or prospect-days per call. Returns {removed, more}.
  local cutoff, budget, removed = ARGV[5], tonumber(ARGV[6]), 0
  for _, m in ipairs(call('SMEMBERS', P .. 'materials')) do
    for _, d in ipairs(call('SMEMBERS', P .. 'days:' .. m)) do
      if d < cutoff then
        if budget <= 0 then return {removed, 1} end
        for _, mode in ipairs({'self', 'live'}) do
          local sk = P .. 'slides:' .. m .. ':' .. d .. ':' .. mode
          for _, f in ipairs(call('HKEYS', sk)) do
            local sl, v, st = string.match(f, '^([^|]+)|([^|]+)|(.+)$')
            if st == 'views' then call('DEL', P .. 'sv:' .. m .. ':' .. sl .. ':' .. v .. ':' .. d .. ':' .. mode) end
          end
          call('DEL', sk, P .. 'mat:' .. m .. ':' .. d .. ':' .. mode, P .. 'mv:' .. m .. ':' .. d .. ':' .. mode)
        end
        call('SREM', P .. 'days:' .. m, d)
        removed = removed + 1
        budget = budget - 1
      end
    end
  end
  for _, pr in ipairs(call('ZRANGE', P .. 'prospects', 0, -1)) do
    for _, d in ipairs(call('SMEMBERS', P .. 'pdays:' .. pr)) do
      if d < cutoff then
        if budget <= 0 then return {removed, 1} end
        call('DEL', P .. 'pd:' .. pr .. ':' .. d .. ':self', P .. 'pd:' .. pr .. ':' .. d .. ':live')
        call('SREM', P .. 'pdays:' .. pr, d)
        removed = removed + 1
        budget = budget - 1
      end
    end
  end
  -- per-day viewers of presentations, through their index of days
  for _, p in ipairs(call('SMEMBERS', P .. 'presentations')) do
    for _, d in ipairs(call('SMEMBERS', P .. 'pvdays:' .. p)) do
      if d < cutoff then
        if budget <= 0 then return {removed, 1} end
        call('DEL', P .. 'pvd:' .. p .. ':' .. d, P .. 'presd:' .. p .. ':' .. d .. ':self',
             P .. 'presd:' .. p .. ':' .. d .. ':live')
        call('SREM', P .. 'pvdays:' .. p, d)
        removed = removed + 1
        budget = budget - 1
      end
    end
  end
  if removed > 0 then call('HINCRBY', P .. 'gen', '*', 1) end
  return {removed, 0}
end

if n < 0 then
  -- sweep: end sessions idle since before ARGV[5]
  local idle = call('ZRANGEBYSCORE', P .. 'open', '-inf', '(' .. ARGV[5], 'LIMIT', 0,
                    tonumber(ARGV[6]))
  for _, sid in ipairs(idle) do
    local s = session(sid)
    if s.isnew then
      call('ZREM', P .. 'open', sid) -- expired state: nothing left to end
      sessions[sid] = nil
    else
      end_session(sid, s)
    end
  end
  write_back()
  if #idle > 0 then
    call('HINCRBY', P .. 'gen', '*', 1)
    for m in pairs(touched) do call('HINCRBY', P .. 'gen', m, 1) end
  end
  return {#idle}
end

local applied, dups = 0, 0
local acks = {}
-- which (session, seq) were applied before: one SMISMEMBER per session
local events, seqs = {}, {}
for i = 0, n - 1 do
  local e = {}
  for j = 1, W do e[FIELDS[j]] = ARGV[4 + i * W + j] end
  events[i + 1] = e
  local l = seqs[e.session]
  if not l then
    l = {}
    seqs[e.session] = l
  end
  l[#l + 1] = e.seq
end
local known, fresh = {}, {} -- session -> {seq = true}; session -> seqs applied now
for sid, l in pairs(seqs) do
  local k = {}
  for i = 1, #l, CHUNK do
    local last = math.min(i + CHUNK - 1, #l)
    local r = call('SMISMEMBER', P .. 'seen:' .. sid, unpack(l, i, last))
    for j = 1, #r do
      if r[j] == 1 then k[l[i + j - 1]] = true end
    end
  end
  known[sid] = k
end
for _, e in ipairs(events) do
  local k = known[e.session]
  if not k[e.seq] then
    k[e.seq] = true
    local f = fresh[e.session]
    if not f then
      f = {}
      fresh[e.session] = f
    end
    f[#f + 1] = e.seq
    apply(e)
    applied = applied + 1
  else
    dups = dups + 1
  end
  if e.id ~= '' then acks[#acks + 1] = e.id end
end
for sid, f in pairs(fresh) do
  call_list('SADD', P .. 'seen:' .. sid, f)
  call('PEXPIRE', P .. 'seen:' .. sid, ttl)
end
write_back()
flush_batch_work()
if applied > 0 then
  -- report caches compare these to know whether what they hold is current
  call('HINCRBY', P .. 'gen', '*', 1)
  for m in pairs(touched) do call('HINCRBY', P .. 'gen', m, 1) end
end
if group ~= '' and #acks > 0 then
  call('XACK', KEYS[1], group, unpack(acks))
end
return {applied, dups, unplaced}
