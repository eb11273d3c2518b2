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
 * `%d`, never Lua's default `%.14g`. Every `redis.call` costs Valkey CPU (1–4 µs), so the common path keeps
 * them few: admit = 4 per RPM scope, 1 per TPM scope, 3 per parallel scope, 2 per budget scope; settle = 2
 * per TPM scope, 1 per parallel scope, 3 per budget scope. TTLs of hashes are refreshed only when the time
 * kept in their `x` field says so.
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

-- The TTL (90 s) is refreshed at most every 30 s: the key outlives its last write by at least 60 s.
local function tpmAdd(key, now, nowSec, amount)
  local total, n, s, current, x = tpmLoad(key, nowSec, int(nowSec))
  local b = nowSec
  if s and b < s then
    -- Another replica's clock is ahead: count the tokens in the oldest live bucket.
    b = s
    current = tonumber(redis.call('HGET', key, int(b)))
  end
  if not n or b > n then n = b end
  if stale(x, now, WINDOW / 2) then
    redis.call('HSET', key, int(b), int((current or 0) + amount), 't', int(total + amount), 's', int(s or b), 'n', int(n),
      'x', int(now))
    redis.call('PEXPIRE', key, int(WINDOW * 3 / 2))
  else
    redis.call('HSET', key, int(b), int((current or 0) + amount), 't', int(total + amount), 's', int(s or b), 'n', int(n))
  end
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
 * first, then the admits, each applied in order as if sent one by one (a later admit sees an earlier
 * settle's freed slot and an earlier admit's reservation). Valkey runs the whole call atomically.
 *
 * ARGV: in-flight TTL ms, budget idle TTL ms, the number of settles, then the settles, then the admits.
 * Each entry: now ms, ticket id, nano-USD, tokens (actual for a settle, worst case for an admit), the
 * number of its scopes, and one string per scope:
 * - settle: `<has TPM><has parallel><has budget> <seed spend nano-USD> <seed spend tokens>` (flags `1`/`0`);
 * - admit: `<rpm> <tpm> <max parallel> <max budget nano-USD> <max budget tokens> <seed spend nano-USD>
 *   <seed spend tokens>`, `-1` for no limit.
 * KEYS, entry after entry: per scope `tpm`, `par`, `spend` for a settle; `rpm`, `tpm`, `par`, `spend` for an admit.
 *
 * Returns one reply per admit: `{1, reqLimit, reqRemaining, reqNewestMs, tokLimit, tokRemaining,
 * tokNewestSec}` when admitted, or the same followed by `scopeIndex, kind, limit, current, requested,
 * retryMs` with a leading 0 when not; remaining figures are before this request, `-1` means none.
 */
export const BATCH_SCRIPT = `${LIBRARY}
local inFlightTtl = tonumber(ARGV[1])
local idleTtl = tonumber(ARGV[2])
local settleCount = tonumber(ARGV[3])

-- The head of an entry at ARGV[a]: now ms, ticket id, nano-USD, tokens, its number of scopes, and now's second.
local function entryHead(a)
  local now = tonumber(ARGV[a])
  return now, ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), math.floor(now / 1000)
end

local function settleOne(a, k)
  local now, ticket, cost, tokens, n, nowSec = entryHead(a)
  for i = 0, n - 1 do
    local hasTpm, hasPar, hasBudget, seedSpend, seedTokens = string.match(ARGV[a + 5 + i], '^(.)(.)(.) (%S+) (%S+)$')
    if hasTpm == '1' and tokens > 0 then tpmAdd(KEYS[k + 1], now, nowSec, tokens) end
    if hasPar == '1' then redis.call('ZREM', KEYS[k + 2], ticket) end
    if hasBudget == '1' then
      local key = KEYS[k + 3]
      local field = 'r:' .. ticket
      local v = redis.call('HMGET', key, 'spend', 'spend_tokens', 'reserved', 'reserved_tokens', field)
      local reserved, reservedTokens = tonumber(v[3]) or 0, tonumber(v[4]) or 0
      if v[5] then
        local reservedCost, reservedTok = string.match(v[5], '^(%d+)|(%d+)|')
        reserved = math.max(0, reserved - tonumber(reservedCost))
        reservedTokens = math.max(0, reservedTokens - tonumber(reservedTok))
        redis.call('HDEL', key, field)
      end
      local spend = (tonumber(v[1]) or tonumber(seedSpend)) + cost
      local spendTokens = (tonumber(v[2]) or tonumber(seedTokens)) + tokens
      redis.call('HSET', key, 'spend', int(spend), 'spend_tokens', int(spendTokens),
        'reserved', int(reserved), 'reserved_tokens', int(reservedTokens))
      if not v[1] then
        redis.call('HSET', key, 'x', int(now))
        redis.call('PEXPIRE', key, int(idleTtl))
      end
    end
    k = k + 3
  end
  return a + 5 + n, k
end

local function admitOne(a, k0)
  local now, ticket, cost, tokens, n, nowSec = entryHead(a)
  local nextA, nextK = a + 5 + n, k0 + 4 * n

  local reqLimit, reqRemaining, reqNewest, reqKey, reqCount = -1, 0, -1, nil, 0
  local tokLimit, tokRemaining, tokNewest = -1, 0, -1
  local fail = nil
  local limits = {}
  local budgets = {}

  for i = 0, n - 1 do
    local k = k0 + i * 4
    local rpm, tpm, par, maxBudget, maxTokens, seedSpend, seedTokens =
      string.match(ARGV[a + 5 + i], '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
    rpm, tpm, par, maxBudget, maxTokens = tonumber(rpm), tonumber(tpm), tonumber(par), tonumber(maxBudget), tonumber(maxTokens)
    limits[i] = {rpm, par, maxBudget >= 0 or maxTokens >= 0}

    if rpm >= 0 then
      local key = KEYS[k + 1]
      redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - WINDOW))
      local count = redis.call('ZCARD', key)
      if count >= rpm and not fail then
        local retry = WINDOW
        if rpm > 0 then
          local entry = redis.call('ZRANGE', key, count - rpm, count - rpm, 'WITHSCORES')
          if entry[2] then retry = tonumber(entry[2]) + WINDOW - now end
        end
        fail = {i, 'rpm', rpm, count, 1, retry}
      end
      if reqLimit < 0 or rpm - count < reqRemaining then
        reqLimit, reqRemaining, reqKey, reqCount = rpm, rpm - count, key, count
      end
    end

    if tpm >= 0 then
      local key = KEYS[k + 2]
      local used, newest = tpmLoad(key, nowSec, nil)
      if used >= tpm and not fail then
        fail = {i, 'tpm', tpm, used, 0, tpmRetryMs(key, used, tpm, now, nowSec)}
      end
      if tokLimit < 0 or tpm - used < tokRemaining then
        tokLimit, tokRemaining, tokNewest = tpm, tpm - used, newest or -1
      end
    end

    if par >= 0 then
      local key = KEYS[k + 3]
      local count = redis.call('ZCARD', key)
      if count >= par then
        redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now))
        count = redis.call('ZCARD', key)
      end
      if count >= par and not fail then fail = {i, 'parallel', par, count, 1, 1000} end
    end

    if maxBudget >= 0 or maxTokens >= 0 then
      local key = KEYS[k + 4]
      local v = redis.call('HMGET', key, 'spend', 'spend_tokens', 'reserved', 'reserved_tokens', 'e', 'x')
      local spend, spendTokens, refreshedAt = tonumber(v[1]), tonumber(v[2]), tonumber(v[6])
      if not spend or not spendTokens then
        -- Seed only what is absent: the shared counter wins over a replica's (possibly stale) database value.
        spend, spendTokens = spend or tonumber(seedSpend), spendTokens or tonumber(seedTokens)
        redis.call('HSET', key, 'spend', int(spend), 'spend_tokens', int(spendTokens), 'x', int(now))
        redis.call('PEXPIRE', key, int(idleTtl))
        refreshedAt = now
      end
      local reserved, reservedTokens, earliest = tonumber(v[3]) or 0, tonumber(v[4]) or 0, tonumber(v[5])
      local function over()
        if maxBudget >= 0 and spend + reserved + cost > maxBudget then return 'budget' end
        if maxTokens >= 0 and spendTokens + reservedTokens + tokens > maxTokens then return 'budget_tokens' end
        return nil
      end
      if not fail then
        local kind = over()
        if kind and earliest and earliest <= now then
          reserved, reservedTokens, earliest = sweepReservations(key, now)
          kind = over()
        end
        if kind == 'budget' then
          fail = {i, 'budget', maxBudget, spend + reserved, cost, -1}
        elseif kind == 'budget_tokens' then
          fail = {i, 'budget_tokens', maxTokens, spendTokens + reservedTokens, tokens, -1}
        end
      end
      budgets[i] = {reserved, reservedTokens, earliest, refreshedAt}
    end
  end

  local reply = {fail and 0 or 1}
  if fail and reqKey and reqCount > 0 then
    reqNewest = tonumber(redis.call('ZRANGE', reqKey, -1, -1, 'WITHSCORES')[2])
  end
  for _, x in ipairs({reqLimit, reqRemaining, reqNewest, tokLimit, tokRemaining, tokNewest}) do reply[#reply + 1] = x end
  if fail then
    reply[#reply + 1] = fail[1]
    reply[#reply + 1] = fail[2]
    reply[#reply + 1] = int(fail[3])
    reply[#reply + 1] = int(fail[4])
    reply[#reply + 1] = int(fail[5])
    reply[#reply + 1] = fail[6]
    return reply, nextA, nextK
  end

  local expiresAt = int(now + inFlightTtl)
  for i = 0, n - 1 do
    local k = k0 + i * 4
    local limit = limits[i]
    if limit[1] >= 0 then
      redis.call('ZADD', KEYS[k + 1], int(now), ticket)
      redis.call('PEXPIRE', KEYS[k + 1], int(WINDOW))
    end
    if limit[2] >= 0 then
      redis.call('ZADD', KEYS[k + 3], expiresAt, ticket)
      redis.call('PEXPIRE', KEYS[k + 3], int(inFlightTtl))
    end
    if limit[3] then
      local key = KEYS[k + 4]
      local b = budgets[i]
      if cost > 0 or tokens > 0 then
        local earliest = b[3]
        if not earliest or now + inFlightTtl < earliest then earliest = now + inFlightTtl end
        redis.call('HSET', key, 'reserved', int(b[1] + cost), 'reserved_tokens', int(b[2] + tokens), 'e', int(earliest),
          'r:' .. ticket, ARGV[a + 2] .. '|' .. ARGV[a + 3] .. '|' .. expiresAt)
      end
      -- The idle TTL is refreshed at most every tenth of it, not on every request.
      if stale(b[4], now, idleTtl / 10) then
        redis.call('HSET', key, 'x', int(now))
        redis.call('PEXPIRE', key, int(idleTtl))
      end
    end
  end
  return reply, nextA, nextK
end

local a, k = 4, 0
for _ = 1, settleCount do a, k = settleOne(a, k) end
local replies = {}
while a <= #ARGV do
  local reply
  reply, a, k = admitOne(a, k)
  replies[#replies + 1] = reply
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
