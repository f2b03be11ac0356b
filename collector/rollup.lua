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
  local mats = call('HGETALL', P .. 'smat:' .. sid)
  for i = 1, #mats, 2 do
    if string.sub(mats[i], 1, 2) ~= 'x|' then
      hincr(P .. 'mat:' .. mats[i] .. ':' .. mats[i + 1] .. ':' .. s.mode, 'completed', 1)
      if s.prospect and s.prospect ~= '' then
        hincr(P .. 'pd:' .. s.prospect .. ':' .. mats[i + 1] .. ':' .. s.mode,
             'm:' .. mats[i] .. ':completed', 1)
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
  local k = 'S|' .. key .. '|' .. member
  if not once[k] then
    once[k] = true
    call('SADD', key, member)
  end
end

local function pfadd_once(key, member)
  local k = 'P|' .. key .. '|' .. member
  if once[k] then return 0 end
  once[k] = true
  return call('PFADD', key, member)
end

local function flush_batch_work()
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
  pfadd_once(P .. 'pv:' .. pres, e.viewer)
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
      pfadd_once(P .. 'sv:' .. m .. ':' .. e.slide .. ':' .. e.version .. ':' .. e.day .. ':' .. e.mode, e.who)
      hincr(mk, 'views', 1)
      pfadd_once(P .. 'mv:' .. m .. ':' .. e.day .. ':' .. e.mode, e.who)
      -- the session counts for the material on the day of its earliest view
      -- of it; x<k>: sessions whose deepest position in the material is k
      local smat = P .. 'smat:' .. sid
      local st = call('HMGET', smat, m, 'x|' .. m)
      local had, deep = st[1], st[2]
      local day = had
      if not had or e.day < had then
        day = e.day
        call('HSET', smat, m, e.day)
        if not once['E|' .. smat] then
          once['E|' .. smat] = true
          call('PEXPIRE', smat, ttl)
        end
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
        call('HSET', smat, 'x|' .. m, e.index)
        local msk = P .. 'mat:' .. m .. ':' .. day .. ':' .. s.mode
        if deep then hincr(msk, 'x' .. deep, -1) end
        hincr(msk, 'x' .. e.index, 1)
      end
      -- sessions per slide version, on the day of the session's earliest view of it
      local ssv = P .. 'ssv:' .. sid
      local svf = m .. '|' .. sv
      local shad = call('HGET', ssv, svf)
      if not shad or e.day < shad then
        call('HSET', ssv, svf, e.day)
        if not once['E|' .. ssv] then
          once['E|' .. ssv] = true
          call('PEXPIRE', ssv, ttl)
        end
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
      local sseen = P .. 'sseen:' .. sid
      if placed and call('SADD', sseen, e.index) == 1 then
        s.seen = tostring(tonumber(s.seen or '0') + 1)
        if not once['E|' .. sseen] then
          once['E|' .. sseen] = true
          call('PEXPIRE', sseen, ttl)
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
    local tl = P .. 'ptl:' .. pr
    call('ZADD', tl, e.at, e.at .. '|' .. sid .. '|' .. e.seq .. '|' .. t .. '|' .. m .. '|' ..
         e.slide .. '|' .. e.version .. '|' .. value)
    timelines[pr] = true
  end
end

local function write_back()
  flush_incs()
  for sid, s in pairs(sessions) do
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
for i = 0, n - 1 do
  local e = {}
  for j = 1, W do e[FIELDS[j]] = ARGV[4 + i * W + j] end
  local seen = P .. 'seen:' .. e.session
  if call('SADD', seen, e.seq) == 1 then
    if not once['E|' .. seen] then
      once['E|' .. seen] = true
      call('PEXPIRE', seen, ttl)
    end
    apply(e)
    applied = applied + 1
  else
    dups = dups + 1
  end
  if e.id ~= '' then acks[#acks + 1] = e.id end
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
