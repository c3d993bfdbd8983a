-- specway rate limiter: every policy of one request, checked and recorded in one round trip.
--
-- KEYS[i]  the state of policy i (all keys of a request share one {hash tag})
-- ARGV[1]  the request's cost (units)
-- ARGV[2]  per policy, space-separated: algorithm (1 = GCRA, 2 = sliding-window counter),
--          limit, window (ms); e.g. "1 100 60000 2 1000 3600000"
--
-- Reply: {allowed_all, now_ms, then per policy: allowed, remaining, reset_ms, retry_ms}.
-- Nothing is written unless every policy admits the request, so a rejection consumes nothing.
-- The clock is Redis TIME, so app servers with skewed clocks agree. Mirrors algorithms.py.

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local cost = tonumber(ARGV[1])
local spec = {}
for number in string.gmatch(ARGV[2], '%S+') do
  spec[#spec + 1] = tonumber(number)
end
local EPSILON = 1e-9

local function gcra_slack(interval)
  return math.min(1, interval / 2)
end

local function gcra_remaining(tat, window, interval)
  return math.max(0, math.floor((window + gcra_slack(interval) - (tat - now)) / interval))
end

local function floor_remaining(value)
  return math.max(0, math.floor(value + EPSILON))
end

local reply = {1, math.floor(now)}
local writes = {}
local all_allowed = true

for i = 1, #KEYS do
  local key = KEYS[i]
  local algorithm = spec[3 * i - 2]
  local limit = spec[3 * i - 1]
  local window = spec[3 * i]
  local allowed, remaining, reset, retry = 0, 0, 0, 0

  if algorithm == 1 then
    local interval = window / limit
    local slack = gcra_slack(interval)
    local tat = tonumber(redis.call('GET', key))
    local base = now
    if tat ~= nil and tat > now then base = tat end
    local new_tat = base + cost * interval
    if cost > limit then
      remaining, retry = gcra_remaining(base, window, interval), -1
    elseif new_tat - now > window + slack then
      remaining = gcra_remaining(base, window, interval)
      reset = math.ceil(base - now)
      retry = math.ceil(new_tat - window - slack - now)
    else
      allowed = 1
      remaining = gcra_remaining(new_tat, window, interval)
      reset = math.ceil(new_tat - now)
      writes[#writes + 1] = {1, key, new_tat, math.max(1, math.ceil(new_tat - now))}
    end
  else
    local index = math.floor(now / window)
    local state = redis.call('HMGET', key, 'w', 'c', 'p')
    local current, previous = 0, 0
    local stored = tonumber(state[1])
    if stored == index then
      current, previous = tonumber(state[2]) or 0, tonumber(state[3]) or 0
    elseif stored == index - 1 then
      previous = tonumber(state[2]) or 0
    end
    local elapsed = now - index * window
    reset = math.ceil(window - elapsed)
    local estimate = current + previous * (window - elapsed) / window
    local room = limit - cost
    remaining = floor_remaining(limit - estimate)
    if cost > limit then
      retry = -1
    elseif estimate + cost > limit + EPSILON then
      if current <= room then
        local t = window * (1 - (room - current) / previous)
        retry = math.max(1, math.ceil(t - elapsed))
      else
        local t_next = window * (1 - room / current)
        retry = math.max(1, math.ceil(window - elapsed + t_next))
      end
    else
      allowed = 1
      remaining = floor_remaining(limit - estimate - cost)
      writes[#writes + 1] = {2, key, index, current + cost, previous, (index + 2) * window}
    end
  end

  if allowed == 0 then all_allowed = false end
  reply[#reply + 1] = allowed
  reply[#reply + 1] = remaining
  reply[#reply + 1] = reset
  reply[#reply + 1] = retry
end

if not all_allowed then
  reply[1] = 0
  -- Nothing is recorded: policies that admitted still have the units they counted as spent.
  for i = 1, #KEYS do
    local at = 2 + 4 * (i - 1)
    if reply[at + 1] == 1 then
      reply[at + 2] = math.min(spec[3 * i - 1], reply[at + 2] + cost)
    end
  end
elseif cost > 0 then
  for _, w in ipairs(writes) do
    if w[1] == 1 then
      redis.call('SET', w[2], string.format('%.17g', w[3]), 'PX', w[4])
    else
      redis.call('HSET', w[2], 'w', w[3], 'c', w[4], 'p', w[5])
      redis.call('PEXPIREAT', w[2], math.ceil(w[6]))
    end
  end
end

return reply
