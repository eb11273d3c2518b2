/**
 * The Lua scripts of `ValkeyLimitStore`. Each runs atomically in Valkey/Redis (no other command interleaves),
 * so one `admit` checks and records every limit of every scope in one step, across all replicas.
 *
 * Keys per scope (all passed in KEYS, so the scripts are also correct under a cluster hash tag):
 * - `rpm`: sorted set, member = ticket id, score = admission ms (the sliding log).
 * - `tpm`: hash of 1 s buckets (`<second>` → tokens) plus `t` (total of the live buckets), `s` (the oldest
 *   bucket not yet evicted) and `n` (the newest bucket written).
 * - `par`: sorted set, member = ticket id, score = when the slot expires.
 * - `spend`: hash `spend` (nano-USD), `spend_tokens`, `reserved` (nano-USD), `reserved_tokens`; the key
 *   carries the budget period.
 * - `resv`: sorted set of reservations, member = `<ticket>|<nano-USD>|<tokens>`, score = expiry ms.
 *
 * Numbers are integers (ms, tokens, nano-USD) and are written with `%d`, never Lua's default `%.14g`.
 */

const LIBRARY = /* lua */ `
local WINDOW = 60000
local BUCKETS = 60

local function int(x) return string.format('%d', x) end

-- Evicts TPM buckets older than the window; returns the tokens in the window and the newest bucket.
local function tpmLoad(key, nowSec)
  local v = redis.call('HMGET', key, 't', 's', 'n')
  local total, s, n = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
  if not total or not s then return 0, nil, nil end
  local minB = nowSec - BUCKETS + 1
  if s >= minB then return total, n, s end
  if minB - s > BUCKETS or (n and n < minB) then
    redis.call('DEL', key)
    return 0, nil, nil
  end
  while s < minB do
    local field = int(s)
    local x = redis.call('HGET', key, field)
    if x then
      total = total - tonumber(x)
      redis.call('HDEL', key, field)
    end
    s = s + 1
  end
  if total <= 0 then
    redis.call('DEL', key)
    return 0, nil, nil
  end
  redis.call('HSET', key, 't', int(total), 's', int(s))
  return total, n, s
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

local function tpmAdd(key, nowSec, amount)
  local _, n, s = tpmLoad(key, nowSec)
  local b = nowSec
  if s and b < s then b = s end
  redis.call('HINCRBY', key, int(b), amount)
  redis.call('HINCRBY', key, 't', amount)
  if not s then redis.call('HSET', key, 's', int(b)) end
  if not n or b > n then redis.call('HSET', key, 'n', int(b)) end
  redis.call('PEXPIRE', key, int(WINDOW + 1000))
end

-- Seeds the spend counter when absent and drops expired reservations.
local function budgetLoad(spendKey, resvKey, nowMs, seedSpend, seedTokens, idleTtl)
  redis.call('HSETNX', spendKey, 'spend', seedSpend)
  redis.call('HSETNX', spendKey, 'spend_tokens', seedTokens)
  local expired = redis.call('ZRANGEBYSCORE', resvKey, '-inf', int(nowMs), 'LIMIT', 0, 1000)
  for _, member in ipairs(expired) do
    local cost, tokens = string.match(member, '|(%d+)|(%d+)$')
    redis.call('HINCRBY', spendKey, 'reserved', int(-tonumber(cost)))
    redis.call('HINCRBY', spendKey, 'reserved_tokens', int(-tonumber(tokens)))
    redis.call('ZREM', resvKey, member)
  end
  local v = redis.call('HMGET', spendKey, 'spend', 'reserved', 'spend_tokens', 'reserved_tokens')
  local reserved, reservedTokens = tonumber(v[2]) or 0, tonumber(v[4]) or 0
  if (reserved ~= 0 or reservedTokens ~= 0) and redis.call('ZCARD', resvKey) == 0 then
    -- No reservation is left, so nothing is reserved (heals a reservation set that expired on its own).
    redis.call('HSET', spendKey, 'reserved', '0', 'reserved_tokens', '0')
    reserved, reservedTokens = 0, 0
  end
  if idleTtl then redis.call('PEXPIRE', spendKey, int(idleTtl)) end
  return tonumber(v[1]) or 0, reserved, tonumber(v[3]) or 0, reservedTokens
end
`;

/**
 * KEYS: per scope `rpm`, `tpm`, `par`, `spend`, `resv` (5 each).
 * ARGV: now ms, ticket id, worst-case nano-USD, worst-case tokens, in-flight TTL ms, budget idle TTL ms, then
 * per scope (7 each) rpm, tpm, max parallel, max budget nano-USD, max budget tokens, seed spend nano-USD,
 * seed spend tokens; `-1` means no limit.
 * Returns `{1, reqLimit, reqRemaining, reqNewestMs, tokLimit, tokRemaining, tokNewestSec}` when admitted, or
 * `{0, reqLimit, reqRemaining, reqNewestMs, tokLimit, tokRemaining, tokNewestSec, scopeIndex, kind, limit,
 * current, requested, retryMs}` when not; remaining figures are before this request, `-1` means none.
 */
export const ADMIT_SCRIPT = `${LIBRARY}
local now = tonumber(ARGV[1])
local ticket = ARGV[2]
local cost = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local inFlightTtl = tonumber(ARGV[5])
local idleTtl = tonumber(ARGV[6])
local nowSec = math.floor(now / 1000)
local n = #KEYS / 5

local reqLimit, reqRemaining, reqNewest = -1, 0, -1
local tokLimit, tokRemaining, tokNewest = -1, 0, -1
local fail = nil

for i = 0, n - 1 do
  local k, a = i * 5, 6 + i * 7
  local rpm = tonumber(ARGV[a + 1])
  local tpm = tonumber(ARGV[a + 2])
  local par = tonumber(ARGV[a + 3])
  local maxBudget = tonumber(ARGV[a + 4])
  local maxTokens = tonumber(ARGV[a + 5])

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
      reqLimit, reqRemaining, reqNewest = rpm, rpm - count, -1
      if count > 0 then reqNewest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2]) end
    end
  end

  if tpm >= 0 then
    local key = KEYS[k + 2]
    local used, newest = tpmLoad(key, nowSec)
    if used >= tpm and not fail then
      fail = {i, 'tpm', tpm, used, 0, tpmRetryMs(key, used, tpm, now, nowSec)}
    end
    if tokLimit < 0 or tpm - used < tokRemaining then
      tokLimit, tokRemaining, tokNewest = tpm, tpm - used, newest or -1
    end
  end

  if par >= 0 then
    local key = KEYS[k + 3]
    redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now))
    local count = redis.call('ZCARD', key)
    if count >= par and not fail then fail = {i, 'parallel', par, count, 1, 1000} end
  end

  if maxBudget >= 0 or maxTokens >= 0 then
    local spend, reserved, spendTokens, reservedTokens =
      budgetLoad(KEYS[k + 4], KEYS[k + 5], now, ARGV[a + 6], ARGV[a + 7], idleTtl)
    if not fail then
      if maxBudget >= 0 and spend + reserved + cost > maxBudget then
        fail = {i, 'budget', maxBudget, spend + reserved, cost, -1}
      elseif maxTokens >= 0 and spendTokens + reservedTokens + tokens > maxTokens then
        fail = {i, 'budget_tokens', maxTokens, spendTokens + reservedTokens, tokens, -1}
      end
    end
  end
end

local figures = {reqLimit, reqRemaining, reqNewest, tokLimit, tokRemaining, tokNewest}
if fail then
  local reply = {0}
  for _, x in ipairs(figures) do reply[#reply + 1] = x end
  reply[#reply + 1] = fail[1]
  reply[#reply + 1] = fail[2]
  reply[#reply + 1] = int(fail[3])
  reply[#reply + 1] = int(fail[4])
  reply[#reply + 1] = int(fail[5])
  reply[#reply + 1] = fail[6]
  return reply
end

for i = 0, n - 1 do
  local k, a = i * 5, 6 + i * 7
  if tonumber(ARGV[a + 1]) >= 0 then
    redis.call('ZADD', KEYS[k + 1], int(now), ticket)
    redis.call('PEXPIRE', KEYS[k + 1], int(WINDOW))
  end
  if tonumber(ARGV[a + 3]) >= 0 then
    redis.call('ZADD', KEYS[k + 3], int(now + inFlightTtl), ticket)
    redis.call('PEXPIRE', KEYS[k + 3], int(inFlightTtl))
  end
  if (tonumber(ARGV[a + 4]) >= 0 or tonumber(ARGV[a + 5]) >= 0) and (cost > 0 or tokens > 0) then
    redis.call('ZADD', KEYS[k + 5], int(now + inFlightTtl), ticket .. '|' .. ARGV[3] .. '|' .. ARGV[4])
    redis.call('PEXPIRE', KEYS[k + 5], int(idleTtl))
    redis.call('HINCRBY', KEYS[k + 4], 'reserved', ARGV[3])
    redis.call('HINCRBY', KEYS[k + 4], 'reserved_tokens', ARGV[4])
  end
end
local reply = {1}
for _, x in ipairs(figures) do reply[#reply + 1] = x end
return reply
`;

/**
 * KEYS: per scope `tpm`, `par`, `spend`, `resv` (4 each).
 * ARGV: now ms, ticket id, reservation member, actual nano-USD, actual tokens, budget idle TTL ms, then per
 * scope (5 each) has TPM, has parallel, has budget (`1`/`0`), seed spend nano-USD, seed spend tokens.
 */
export const SETTLE_SCRIPT = `${LIBRARY}
local now = tonumber(ARGV[1])
local ticket = ARGV[2]
local member = ARGV[3]
local cost = tonumber(ARGV[4])
local tokens = tonumber(ARGV[5])
local idleTtl = tonumber(ARGV[6])
local nowSec = math.floor(now / 1000)
local n = #KEYS / 4

for i = 0, n - 1 do
  local k, a = i * 4, 6 + i * 5
  if ARGV[a + 1] == '1' and tokens > 0 then tpmAdd(KEYS[k + 1], nowSec, ARGV[5]) end
  if ARGV[a + 2] == '1' then redis.call('ZREM', KEYS[k + 2], ticket) end
  if ARGV[a + 3] == '1' then
    local spendKey, resvKey = KEYS[k + 3], KEYS[k + 4]
    redis.call('HSETNX', spendKey, 'spend', ARGV[a + 4])
    redis.call('HSETNX', spendKey, 'spend_tokens', ARGV[a + 5])
    if redis.call('ZREM', resvKey, member) == 1 then
      local reservedCost, reservedTokens = string.match(member, '|(%d+)|(%d+)$')
      redis.call('HINCRBY', spendKey, 'reserved', int(-tonumber(reservedCost)))
      redis.call('HINCRBY', spendKey, 'reserved_tokens', int(-tonumber(reservedTokens)))
    end
    if redis.call('ZCARD', resvKey) == 0 then
      redis.call('HSET', spendKey, 'reserved', '0', 'reserved_tokens', '0')
    end
    if cost > 0 then redis.call('HINCRBY', spendKey, 'spend', ARGV[4]) end
    if tokens > 0 then redis.call('HINCRBY', spendKey, 'spend_tokens', ARGV[5]) end
    redis.call('PEXPIRE', spendKey, int(idleTtl))
  end
end
return 1
`;

/**
 * KEYS: `rpm`, `tpm`, `par`, `spend`, `resv` of one scope. ARGV: now ms.
 * Returns `{requests, tokens, inFlight, spend or -1, reserved, spendTokens or -1, reservedTokens}`.
 */
export const USAGE_SCRIPT = `${LIBRARY}
local now = tonumber(ARGV[1])
local requests = redis.call('ZCOUNT', KEYS[1], '(' .. int(now - WINDOW), '+inf')
local tokens = tpmLoad(KEYS[2], math.floor(now / 1000))
local inFlight = redis.call('ZCOUNT', KEYS[3], '(' .. int(now), '+inf')
if redis.call('EXISTS', KEYS[4]) == 0 then return {requests, tokens, inFlight, -1, 0, -1, 0} end
local spend, reserved, spendTokens, reservedTokens = budgetLoad(KEYS[4], KEYS[5], now, '0', '0', nil)
return {requests, tokens, inFlight, int(spend), int(reserved), int(spendTokens), int(reservedTokens)}
`;
