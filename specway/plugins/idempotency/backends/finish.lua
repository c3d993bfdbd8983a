-- Store the response of a reserved record if the caller still owns it.
-- KEYS[1] record key; ARGV[1] owner token, ARGV[2] sealed response, ARGV[3] TTL (ms).
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'response', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
