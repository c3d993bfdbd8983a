-- Drop a reservation that has no response yet, if the caller owns it.
-- KEYS[1] record key; ARGV[1] owner token.
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'response') == 0 then
  return redis.call('DEL', KEYS[1])
end
return 0
