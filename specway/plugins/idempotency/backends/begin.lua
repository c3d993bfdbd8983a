-- Reserve an idempotency record, or return the one already there.
-- KEYS[1] record key; ARGV[1] body fingerprint, ARGV[2] owner token, ARGV[3] lock TTL (ms).
-- Returns nil when reserved, else {fingerprint, response-or-nil}.
local found = redis.call('HMGET', KEYS[1], 'fp', 'response')
if found[1] then
  return found
end
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nil
