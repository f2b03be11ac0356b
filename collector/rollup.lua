-- deckpulse rollup maintenance: the work on a shard that reads many keys
-- and must see them unchanged while it writes (a script runs alone). The
-- events themselves are applied by the collector (collector/rollup_apply.c),
-- which writes session state in the same layout (include/deckpulse/keys.h).
--
-- Mode "sweep": ARGV[1] prefix "dp:{N}:", ARGV[2] session ttl (ms), ARGV[3] "",
-- ARGV[4] "-1", ARGV[5] end sessions whose last event was received before
-- this (ms), ARGV[6] at most this many. Returns {ended}.
-- Mode "retain": ARGV[4] "-2", ARGV[5] cutoff day, ARGV[6] budget: see below.

local call = redis.call
local P = ARGV[1]
local ttl = tonumber(ARGV[2])
local n = tonumber(ARGV[4])

local sessions = {} -- session id -> state table, written back at the end
local touched = {}  -- material -> true: its generation is bumped (report caches)

-- Counter increments are summed per (key, field) and applied once each at
-- the end (write_back).
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

-- session.ended for the notifier, in the layout of collector/rollup_alerts.c
-- (one line an alert, one stream entry for all of a call's)
local alerts = {}
local function alert_ended(sid, s, at)
  if s.al ~= '1' or (s.prospect or '') == '' then return end
  local data = string.format('{"material":"%s","slides_seen":%d,"slides":%d,"dwell_ms":%d,' ..
    '"completed":%s,"actions":%d,"mode":"%s"}', s.fm or '', tonumber(s.seen or '0'),
    tonumber(s.slides or '0'), tonumber(s.dw or '0'), s.completed == '1' and 'true' or 'false',
    tonumber(s.na or '0'), s.mode or '')
  alerts[#alerts + 1] = table.concat({'session.ended', at, table.concat({sid,
    s.presentation or '', s.prospect, s.account or '', s.cp or '', s.ow or ''}, '|'), data}, '\t')
end

local function end_session(sid, s)
  if s.ended == '1' then return end
  s.ended = '1'
  s.dirty = true
  alert_ended(sid, s, s.lastrecv or '0')
  if s.last and s.last ~= '' then
    move_exit(nil, s.last)
    s.exit = s.last
    touched[string.match(s.last, '^[^|]+')] = true
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
        call('ZREM', P .. 'openl', sid)
      else
        call('ZADD', P .. 'open', s.lastrecv, sid)
        if (s.prospect or '') ~= '' then call('ZADD', P .. 'openl', s.lastrecv, sid) end
      end
    end
  end
end

if n == -2 then
  -- retention: delete per-day aggregates of days before ARGV[5] (YYYY-MM-DD),
  -- at most ARGV[6] material- or prospect-days per call. Returns {removed, more}.
  local cutoff, budget, removed = ARGV[5], tonumber(ARGV[6]), 0
  -- the cutoff day's first millisecond (days from the civil date)
  local y, mo, dd = tonumber(cutoff:sub(1, 4)), tonumber(cutoff:sub(6, 7)), tonumber(cutoff:sub(9, 10))
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + dd - 1
  local cutoff_ms = (era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468) * 86400000
  for _, m in ipairs(call('SMEMBERS', P .. 'materials')) do
    for _, d in ipairs(call('SMEMBERS', P .. 'days:' .. m)) do
      if d < cutoff then
        if budget <= 0 then return {removed, 1} end
        for _, mode in ipairs({'self', 'live'}) do
          local sk = P .. 'slides:' .. m .. ':' .. d .. ':' .. mode
          for _, f in ipairs(call('HKEYS', sk)) do
            local sl, v, st = string.match(f, '^([^|]+)|([^|]+)|(.+)$')
            if st == 'views' then call('DEL', P .. 'sv:' .. m .. ':' .. string.gsub(sl, ':', '|') .. ':' .. v .. ':' .. d .. ':' .. mode) end
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
        -- its first views of that day or before go with it
        call('ZREMRANGEBYSCORE', P .. 'pfv:' .. pr, '-inf', '(' .. cutoff_ms)
        removed = removed + 1
        budget = budget - 1
      end
    end
  end
  -- sessions per owner and campaign (od:, cd:), through their days
  for _, g in ipairs({{'owners', 'odays:', 'od:'}, {'campaigns', 'cdays:', 'cd:'}}) do
    for _, id in ipairs(call('SMEMBERS', P .. g[1])) do
      for _, d in ipairs(call('SMEMBERS', P .. g[2] .. id)) do
        if d < cutoff then
          if budget <= 0 then return {removed, 1} end
          call('DEL', P .. g[3] .. id .. ':' .. d .. ':self', P .. g[3] .. id .. ':' .. d .. ':live')
          call('SREM', P .. g[2] .. id, d)
          removed = removed + 1
          budget = budget - 1
        end
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
      call('ZREM', P .. 'openl', sid)
      sessions[sid] = nil
    else
      end_session(sid, s)
    end
  end
  write_back()
  if #alerts > 0 then
    call('XADD', P .. 'alerts', 'MAXLEN', '~', '100000', '*', 'n', #alerts, 'a',
         table.concat(alerts, '\n') .. '\n')
  end
  if #idle > 0 then
    call('HINCRBY', P .. 'gen', '*', 1)
    for m in pairs(touched) do call('HINCRBY', P .. 'gen', m, 1) end
  end
  return {#idle}
end

return redis.error_reply('rollup.lua: unknown mode ' .. tostring(ARGV[4]))
