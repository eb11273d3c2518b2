/**
 * The Lua scripts of `ValkeyLimitStore`. Each runs atomically in Valkey/Redis (no other command interleaves),
 * so one `admit` checks and records every limit of every scope in one step, across all replicas.
 *
 * Keys per scope (all passed in KEYS, so the scripts also work on a cluster under one hash tag):
 * - `rpm`: sorted set, member = ticket id, score = admission ms (the sliding log).
 * - `tpm`: hash of 1 s buckets (`<second>` → tokens) plus `t` (the total of the live buckets), `s` (the
 *   oldest bucket not yet evicted), `n` (the newest bucket written) and `x` (when its TTL was last set).
 * - `par`: sorted set, member = ticket id, score = when the slot expires; expired slots are dropped when
 *   the limit is reached.
 * - `spend`: hash `spend` (nano-USD), `spend_tokens`, `reserved` (nano-USD), `reserved_tokens`, one field
 *   `r:<ticket>` = `<nano-USD>|<tokens>|<expiry ms>` per reservation, `e` (no reservation expires before
 *   it) and `x` (when its TTL was last set). The key carries the budget period. Expired reservations are dropped, and `reserved` recomputed from
 *   the `r:` fields, when a check would fail and `e` has passed.
 *
 * Numbers are integers (ms, tokens, nano-USD), exact in Lua's doubles up to 2^53 and always written with
 * `%d`, never Lua's default `%.14g`. Every `redis.call` costs Valkey CPU (1–4 µs, most of it crossing
 * between Lua and the server), so they are counted per scope a call touches, not per request: an RPM scope
 * costs 4 (trim, count, one ZADD of all the call's admits, TTL), a TPM scope 1 to read and 1 to write when
 * a settle added tokens, a parallel scope 1 to count, 1 ZREM of all settled slots and 2 to add slots, a budget
 * scope 1 read (with the reservations being settled) and 1–2 writes. TTLs of hashes are refreshed only
 * when the time kept in their `x` field says so.
 */

const LIBRARY = /* lua */ `
local WINDOW = 60000
local BUCKETS = 60

local function int(x) return string.format('%d', x) end

-- Evicts TPM buckets older than the window. Returns the tokens in the window, the newest bucket, the
-- oldest live bucket, the value of bucket \`field\` (when asked) and when the key's TTL was last set.
local function tpmLoad(key, nowSec, field)
  local v = redis.call('HMGET', key, 't', 's', 'n', 'x', field or 't')
  local total, s, n, x = tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), tonumber(v[4])
  if not total or not s then return 0, nil, nil, nil, nil end
  local minB = nowSec - BUCKETS + 1
  if s >= minB then return total, n, s, field and tonumber(v[5]), x end
  if minB - s > BUCKETS or (n and n < minB) then
    redis.call('DEL', key)
    return 0, nil, nil, nil, nil
  end
  while s < minB do
    local name = int(s)
    local x = redis.call('HGET', key, name)
    if x then
      total = total - tonumber(x)
      redis.call('HDEL', key, name)
    end
    s = s + 1
  end
  if total <= 0 then
    redis.call('DEL', key)
    return 0, nil, nil, nil, nil
  end
  redis.call('HSET', key, 't', int(total), 's', int(s))
  return total, n, s, field and tonumber(redis.call('HGET', key, field)), x
end

-- Whether a key's TTL, last set at \`x\`, is due for a refresh (also when the clock jumped back).
local function stale(x, now, every)
  return not x or math.abs(now - x) >= every
end

-- When usage drops below the limit, in ms from now (only called when it is not below).
local function tpmRetryMs(key, used, limit, nowMs, nowSec)
  local remaining = used
  for b = nowSec - BUCKETS + 1, nowSec do
    local x = redis.call('HGET', key, int(b))
    if x then
      remaining = remaining - tonumber(x)
      if remaining < limit then return (b + BUCKETS) * 1000 - nowMs end
    end
  end
  return WINDOW
end

-- Drops expired reservations and recomputes what is reserved from the ones left.
local function sweepReservations(key, now)
  local all = redis.call('HGETALL', key)
  local reserved, reservedTokens, earliest = 0, 0, nil
  local expired = {}
  for j = 1, #all, 2 do
    local field = all[j]
    if string.sub(field, 1, 2) == 'r:' then
      local cost, tokens, expiresAt = string.match(all[j + 1], '^(%d+)|(%d+)|(%d+)$')
      expiresAt = tonumber(expiresAt)
      if expiresAt <= now then
        expired[#expired + 1] = field
      else
        reserved = reserved + tonumber(cost)
        reservedTokens = reservedTokens + tonumber(tokens)
        if not earliest or expiresAt < earliest then earliest = expiresAt end
      end
    end
  end
  for j = 1, #expired, 500 do
    redis.call('HDEL', key, unpack(expired, j, math.min(j + 499, #expired)))
  end
  if earliest then
    redis.call('HSET', key, 'reserved', int(reserved), 'reserved_tokens', int(reservedTokens), 'e', int(earliest))
  else
    redis.call('HSET', key, 'reserved', '0', 'reserved_tokens', '0')
    redis.call('HDEL', key, 'e')
  end
  return reserved, reservedTokens, earliest
end
`;

/**
 * One call carries every settle and admit a replica queued in one turn of its event loop: the settles
 * first, then the admits, each decided in order as if sent one by one (a later admit sees an earlier
 * settle's freed slot and an earlier admit's reservation). Valkey runs the whole call atomically.
 *
 * Each scope's state is read once per call, when an entry first needs it, kept in the script's memory
 * while the entries are decided, and written back once at the end (a failing admit's retry time and the
 * reservation sweep write it first, then read the stored form). So a call costs a few `redis.call`s per
 * scope it touches, not per request: under load, one call carries the limit work of many requests.
 * Within one call, the RPM window is trimmed at the first entry's time: a later entry of the same call
 * (milliseconds later) may count a request that left the window in between, never miss one.
 *
 * ARGV: in-flight TTL ms, budget idle TTL ms, the number of scope slots, the number of scope lists, the
 * lists, the number of settles, then the settles and the admits.
 * - A slot is one scope's state; KEYS holds 4 per slot: `rpm`, `tpm`, `par`, `spend`.
 * - A list is the number of its scopes, then one string per scope: `<slot> <rpm> <tpm> <max parallel>
 *   <max budget nano-USD> <max budget tokens> <seed spend nano-USD> <seed spend tokens>`, `-1` for no limit.
 *   Two lists may share a slot (a key and another key of the same team).
 * - An entry (settle or admit): now ms, ticket id, nano-USD, tokens (actual for a settle, worst case for
 *   an admit) and the number of its list (from 1). A settle settles the scopes of its list that keep
 *   state after the call (TPM, parallel slots, budget).
 *
 * Returns one reply per admit: `{1, reqLimit, reqRemaining, reqNewestMs, tokLimit, tokRemaining,
 * tokNewestSec}` when admitted, or the same followed by `scopeIndex, kind, limit, current, requested,
 * retryMs` with a leading 0 when not; remaining figures are before this request, `-1` means none.
 */
export const BATCH_SCRIPT = `${LIBRARY}
local inFlightTtl = tonumber(ARGV[1])
local idleTtl = tonumber(ARGV[2])
local slotCount = tonumber(ARGV[3])
local listCount = tonumber(ARGV[4])

local a = 5
local lists = {}
for l = 1, listCount do
  local n = tonumber(ARGV[a])
  a = a + 1
  local list = {}
  for i = 1, n do
    local slot, rpm, tpm, par, maxBudget, maxTokens, seedSpend, seedTokens =
      string.match(ARGV[a], '^(%d+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
    maxBudget, maxTokens = tonumber(maxBudget), tonumber(maxTokens)
    list[i] = {slot = tonumber(slot), rpm = tonumber(rpm), tpm = tonumber(tpm), par = tonumber(par), maxBudget = maxBudget,
      maxTokens = maxTokens, budgeted = maxBudget >= 0 or maxTokens >= 0, seedSpend = tonumber(seedSpend),
      seedTokens = tonumber(seedTokens)}
    a = a + 1
  end
  lists[l] = list
end
local settleCount = tonumber(ARGV[a])
a = a + 1

local slots = {}
local function slotOf(s)
  local st = slots[s]
  if not st then
    local k = (s - 1) * 4
    st = {rpmKey = KEYS[k + 1], tpmKey = KEYS[k + 2], parKey = KEYS[k + 3], spendKey = KEYS[k + 4]}
    slots[s] = st
  end
  return st
end

-- The head of an entry at ARGV[i]: now ms, ticket id, nano-USD, tokens, its list.
local function entryHead(i)
  return tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), lists[tonumber(ARGV[i + 4])]
end

-- RPM: the sliding log, trimmed once; admits of this call wait in \`adds\` (score, member, ...).
local function rpmLoad(st, now)
  if st.rpm then return st.rpm end
  redis.call('ZREMRANGEBYSCORE', st.rpmKey, '-inf', int(now - WINDOW))
  local stored = redis.call('ZCARD', st.rpmKey)
  st.rpm = {stored = stored, count = stored, adds = {}}
  return st.rpm
end

-- The admission time of the request at 0-based position \`index\` in the log (stored entries first).
local function rpmScoreAt(st, index)
  local r = st.rpm
  if index < r.stored then
    local entry = redis.call('ZRANGE', st.rpmKey, index, index, 'WITHSCORES')
    return tonumber(entry[2])
  end
  return r.adds[(index - r.stored) * 2 + 1]
end

-- TPM: the window's total and the bucket this call's settles add to.
local function tpmState(st, now)
  if st.tpm then return st.tpm end
  local nowSec = math.floor(now / 1000)
  local total, n, s, current, x = tpmLoad(st.tpmKey, nowSec, int(nowSec))
  local b = nowSec
  if s and b < s then
    -- Another replica's clock is ahead: count the tokens in the oldest live bucket.
    b = s
    current = tonumber(redis.call('HGET', st.tpmKey, int(b)))
  end
  st.tpm = {used = total, newest = n, s = s, x = x, bucket = b, current = current or 0, add = 0, now = now}
  return st.tpm
end

-- Adds the settled tokens to their bucket. The TTL (90 s) is refreshed at most every 30 s: the key
-- outlives its last write by at least 60 s.
local function tpmWrite(st)
  local t = st.tpm
  if not t or t.add == 0 then return end
  local n = t.newest
  if not n or t.bucket > n then n = t.bucket end
  local key = st.tpmKey
  if stale(t.x, t.now, WINDOW / 2) then
    redis.call('HSET', key, int(t.bucket), int(t.current + t.add), 't', int(t.used + t.add), 's', int(t.s or t.bucket),
      'n', int(n), 'x', int(t.now))
    redis.call('PEXPIRE', key, int(WINDOW * 3 / 2))
    t.x = t.now
  else
    redis.call('HSET', key, int(t.bucket), int(t.current + t.add), 't', int(t.used + t.add), 's', int(t.s or t.bucket), 'n', int(n))
  end
  t.used, t.current, t.add, t.s, t.newest = t.used + t.add, t.current + t.add, 0, t.s or t.bucket, n
end

-- Counts a member admitted by this call into an RPM log or parallel-slot state; it is written at the end.
local function addPending(state, score, member)
  state.adds[#state.adds + 1] = score
  state.adds[#state.adds + 1] = member
  state.count = state.count + 1
end

-- Parallel slots: the stored count, plus this call's admits waiting in \`adds\` (expiry, member, ...).
local function parState(st)
  if st.par then return st.par end
  local stored = redis.call('ZCARD', st.parKey)
  st.par = {count = stored, adds = {}}
  return st.par
end

-- Budget: the counters, and the reservation fields to write and delete. \`fields\` are reservation
-- fields read along (for settles); their values are returned.
local function budgetLoad(st, scope, now, fields)
  local v = redis.call('HMGET', st.spendKey, 'spend', 'spend_tokens', 'reserved', 'reserved_tokens', 'e', 'x', unpack(fields))
  local spend, spendTokens = tonumber(v[1]), tonumber(v[2])
  local b = {spend = spend or scope.seedSpend, spendTokens = spendTokens or scope.seedTokens, reserved = tonumber(v[3]) or 0,
    reservedTokens = tonumber(v[4]) or 0, e = tonumber(v[5]), x = tonumber(v[6]), set = {}, del = {}, dirty = false,
    touch = false, now = now}
  -- Seed only what is absent: the shared counter wins over a replica's (possibly stale) database value.
  if not spend or not spendTokens then
    b.dirty, b.touch = true, true
    b.x = nil
  end
  st.budget = b
  return b, v
end

local function budgetWrite(st)
  local b = st.budget
  if not b then return end
  local key = st.spendKey
  -- The idle TTL is refreshed when the scope is used (also by calls that reserve nothing), at most every
  -- tenth of it, not on every request.
  local refresh = b.touch and stale(b.x, b.now, idleTtl / 10)
  if b.dirty or refresh then
    local args = {'spend', int(b.spend), 'spend_tokens', int(b.spendTokens), 'reserved', int(b.reserved),
      'reserved_tokens', int(b.reservedTokens)}
    if b.e then
      args[#args + 1] = 'e'
      args[#args + 1] = int(b.e)
    end
    for i = 1, #b.set do args[#args + 1] = b.set[i] end
    if refresh then
      args[#args + 1] = 'x'
      args[#args + 1] = int(b.now)
      redis.call('HSET', key, unpack(args))
      redis.call('PEXPIRE', key, int(idleTtl))
      b.x = b.now
    else
      redis.call('HSET', key, unpack(args))
    end
  end
  for i = 1, #b.del, 500 do
    redis.call('HDEL', key, unpack(b.del, i, math.min(i + 499, #b.del)))
  end
  b.set, b.del, b.dirty, b.touch = {}, {}, false, false
end

-- Settles: gather per slot, then apply with one read per slot.
local settleSlots = {}
for _ = 1, settleCount do
  local now, ticket, cost, tokens, list = entryHead(a)
  a = a + 5
  for i = 1, #list do
    local scope = list[i]
    if scope.tpm >= 0 or scope.par >= 0 or scope.budgeted then
      local st = slotOf(scope.slot)
      local g = settleSlots[scope.slot]
      if not g then
        g = {st = st, scope = scope, tokens = 0, now = now, parTickets = {}, budget = {}}
        settleSlots[scope.slot] = g
      end
      if now > g.now then g.now = now end
      if scope.tpm >= 0 and tokens > 0 then g.tokens = g.tokens + tokens end
      if scope.par >= 0 then g.parTickets[#g.parTickets + 1] = ticket end
      if scope.budgeted then g.budget[#g.budget + 1] = {ticket, cost, tokens} end
    end
  end
end
for s = 1, slotCount do
  local g = settleSlots[s]
  if g then
    local st = g.st
    if g.tokens > 0 then
      local t = tpmState(st, g.now)
      t.add = t.add + g.tokens
      if g.now > t.now then t.now = g.now end
    end
    for i = 1, #g.parTickets, 500 do
      redis.call('ZREM', st.parKey, unpack(g.parTickets, i, math.min(i + 499, #g.parTickets)))
    end
    if #g.budget > 0 then
      local fields = {}
      for i = 1, #g.budget do fields[i] = 'r:' .. g.budget[i][1] end
      local b, v = budgetLoad(st, g.scope, g.now, fields)
      for i = 1, #g.budget do
        local entry = g.budget[i]
        local reservation = v[6 + i]
        if reservation then
          local reservedCost, reservedTokens = string.match(reservation, '^(%d+)|(%d+)|')
          b.reserved = math.max(0, b.reserved - tonumber(reservedCost))
          b.reservedTokens = math.max(0, b.reservedTokens - tonumber(reservedTokens))
          b.del[#b.del + 1] = fields[i]
        end
        b.spend = b.spend + entry[2]
        b.spendTokens = b.spendTokens + entry[3]
      end
      b.dirty = true
    end
  end
end

local NO_FIELDS = {}

-- Which budget of a scope an admit of \`cost\` and \`tokens\` would exceed, if any.
local function overBudget(b, scope, cost, tokens)
  if scope.maxBudget >= 0 and b.spend + b.reserved + cost > scope.maxBudget then return 'budget' end
  if scope.maxTokens >= 0 and b.spendTokens + b.reservedTokens + tokens > scope.maxTokens then return 'budget_tokens' end
  return nil
end

local function admitOne(now, ticket, cost, tokens, list, costText, tokensText)
  local nowSec = math.floor(now / 1000)
  local reqLimit, reqRemaining, reqNewest, reqSlot, reqCount = -1, 0, -1, nil, 0
  local tokLimit, tokRemaining, tokNewest = -1, 0, -1
  local fail = nil

  for i = 1, #list do
    local scope = list[i]
    local st = slotOf(scope.slot)
    local rpm, tpm, par = scope.rpm, scope.tpm, scope.par

    if rpm >= 0 then
      local r = rpmLoad(st, now)
      local count = r.count
      if count >= rpm and not fail then
        local retry = WINDOW
        if rpm > 0 then
          local score = rpmScoreAt(st, count - rpm)
          if score then retry = score + WINDOW - now end
        end
        fail = {i - 1, 'rpm', rpm, count, 1, retry}
      end
      if reqLimit < 0 or rpm - count < reqRemaining then
        reqLimit, reqRemaining, reqSlot, reqCount = rpm, rpm - count, st, count
      end
    end

    if tpm >= 0 then
      local t = tpmState(st, now)
      local used = t.used + t.add
      if used >= tpm and not fail then
        tpmWrite(st)
        fail = {i - 1, 'tpm', tpm, used, 0, tpmRetryMs(st.tpmKey, used, tpm, now, nowSec)}
      end
      if tokLimit < 0 or tpm - used < tokRemaining then
        local newest = t.newest
        if t.add > 0 and (not newest or t.bucket > newest) then newest = t.bucket end
        tokLimit, tokRemaining, tokNewest = tpm, tpm - used, newest or -1
      end
    end

    if par >= 0 then
      local p = parState(st)
      if p.count >= par and (not p.trimmedAt or now > p.trimmedAt) then
        redis.call('ZREMRANGEBYSCORE', st.parKey, '-inf', int(now))
        p.count = redis.call('ZCARD', st.parKey) + #p.adds / 2
        p.trimmedAt = now
      end
      if p.count >= par and not fail then fail = {i - 1, 'parallel', par, p.count, 1, 1000} end
    end

    if scope.budgeted then
      local b = st.budget or budgetLoad(st, scope, now, NO_FIELDS)
      if not fail then
        local kind = overBudget(b, scope, cost, tokens)
        if kind and b.e and b.e <= now then
          -- Reservations of calls that never settled have expired: write what this call changed, then sweep.
          budgetWrite(st)
          b.reserved, b.reservedTokens, b.e = sweepReservations(st.spendKey, now)
          kind = overBudget(b, scope, cost, tokens)
        end
        if kind == 'budget' then
          fail = {i - 1, 'budget', scope.maxBudget, b.spend + b.reserved, cost, -1}
        elseif kind == 'budget_tokens' then
          fail = {i - 1, 'budget_tokens', scope.maxTokens, b.spendTokens + b.reservedTokens, tokens, -1}
        end
      end
    end
  end

  if fail then
    if reqSlot and reqCount > 0 then reqNewest = rpmScoreAt(reqSlot, reqCount - 1) or -1 end
    return {0, reqLimit, reqRemaining, reqNewest, tokLimit, tokRemaining, tokNewest, fail[1], fail[2], int(fail[3]), int(fail[4]),
      int(fail[5]), fail[6]}
  end

  local expiresAt = now + inFlightTtl
  for i = 1, #list do
    local scope = list[i]
    local st = slotOf(scope.slot)
    if scope.rpm >= 0 then addPending(st.rpm, now, ticket) end
    if scope.par >= 0 then addPending(st.par, expiresAt, ticket) end
    if scope.budgeted then
      local b = st.budget
      if cost > 0 or tokens > 0 then
        b.reserved = b.reserved + cost
        b.reservedTokens = b.reservedTokens + tokens
        if not b.e or expiresAt < b.e then b.e = expiresAt end
        b.set[#b.set + 1] = 'r:' .. ticket
        b.set[#b.set + 1] = costText .. '|' .. tokensText .. '|' .. int(expiresAt)
        b.dirty = true
      end
      b.touch = true
      if now > b.now then b.now = now end
    end
  end
  return {1, reqLimit, reqRemaining, reqNewest, tokLimit, tokRemaining, tokNewest}
end

local replies = {}
while a <= #ARGV do
  local now, ticket, cost, tokens, list = entryHead(a)
  replies[#replies + 1] = admitOne(now, ticket, cost, tokens, list, ARGV[a + 2], ARGV[a + 3])
  a = a + 5
end

-- Adds a sorted set's pending members (score, member, ...) and sets its TTL.
local function zaddAll(key, adds, ttl)
  if #adds == 0 then return end
  for i = 1, #adds, 2 do adds[i] = int(adds[i]) end
  for i = 1, #adds, 1000 do redis.call('ZADD', key, unpack(adds, i, math.min(i + 999, #adds))) end
  redis.call('PEXPIRE', key, int(ttl))
end

-- Write back every slot this call touched.
for s = 1, slotCount do
  local st = slots[s]
  if st then
    if st.rpm then zaddAll(st.rpmKey, st.rpm.adds, WINDOW) end
    tpmWrite(st)
    if st.par then zaddAll(st.parKey, st.par.adds, inFlightTtl) end
    budgetWrite(st)
  end
end
return replies
`;

/**
 * KEYS: `rpm`, `tpm`, `par`, `spend` of one scope. ARGV: now ms.
 * Returns `{requests, tokens, inFlight, spend or -1, reserved, spendTokens or -1, reservedTokens}`.
 */
export const USAGE_SCRIPT = `${LIBRARY}
local now = tonumber(ARGV[1])
local requests = redis.call('ZCOUNT', KEYS[1], '(' .. int(now - WINDOW), '+inf')
local tokens = tpmLoad(KEYS[2], math.floor(now / 1000), nil)
local inFlight = redis.call('ZCOUNT', KEYS[3], '(' .. int(now), '+inf')
local v = redis.call('HMGET', KEYS[4], 'spend', 'spend_tokens', 'reserved', 'reserved_tokens', 'e')
if not v[1] then return {requests, tokens, inFlight, -1, 0, -1, 0} end
local reserved, reservedTokens, earliest = tonumber(v[3]) or 0, tonumber(v[4]) or 0, tonumber(v[5])
if earliest and earliest <= now then reserved, reservedTokens = sweepReservations(KEYS[4], now) end
return {requests, tokens, inFlight, v[1], int(reserved), v[2] or -1, int(reservedTokens)}
`;
