"""The lane steps of redis_lanes.py as Lua: each one atomic, one round trip, on Redis's clock.

They do what book.py and pace.py do in Python (the tests hold both backends to the same
cases). Keys of a lane ``m``, under the store's prefix P: ``P..lane:m:q`` (jobs waiting, by
priority then arrival), ``:later`` (jobs waiting for their time), ``:meta`` (job -> "priority|
seq|recipients|reserve"), ``:s`` (next slot, pause, kick), ``:stamps`` and ``:day`` (the
slots granted), ``:runners`` (runner -> expiry), ``:held`` (jobs of a held batch) and
``:parked`` (those of them out of the lane, by their time; redis_batches.py). Times are seconds on Redis's TIME, so
workers on several hosts share one clock; delays are returned as strings (Lua numbers would
come back as integers).
"""
from __future__ import annotations

COMMON = r"""
local function now()
  local t = redis.call('time')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function split(meta)
  local p, s, r, x = string.match(meta, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return tonumber(p), tonumber(s), tonumber(r), tonumber(x)
end
-- pace.slot_for: the earliest hand-over with room in the moving minute and day
local function slot_for(s, stamps, day, t, rcpt, window, per, daylimit)
  rcpt = math.min(rcpt, daylimit)
  local slot = math.max(t, tonumber(redis.call('hget', s, 'next') or '0'))
  local recent = redis.call('zrangebyscore', stamps, '(' .. (slot - window), '+inf', 'WITHSCORES')
  local n = #recent / 2
  if n >= per then slot = math.max(slot, tonumber(recent[(n - per) * 2 + 2]) + window) end
  local used = redis.call('zrangebyscore', day, '(' .. (slot - 86400), '+inf', 'WITHSCORES')
  local total = rcpt
  for i = 1, #used, 2 do total = total + tonumber(string.match(used[i], '|(%d+)$')) end
  local i = 1
  while total > daylimit and i <= #used do
    total = total - tonumber(string.match(used[i], '|(%d+)$'))
    slot = math.max(slot, tonumber(used[i + 1]) + 86400)
    i = i + 2
  end
  return slot
end
-- pace.commit
local function commit(s, stamps, day, t, slot, id, rcpt, window, per, interval)
  redis.call('zadd', stamps, slot, slot .. ':' .. id)
  redis.call('zremrangebyscore', stamps, '-inf', t - window)
  redis.call('zremrangebyrank', stamps, 0, -(per + 1))
  redis.call('zadd', day, slot, id .. '|' .. rcpt)
  redis.call('zremrangebyscore', day, '-inf', t - 86400)
  local nxt = tonumber(redis.call('hget', s, 'next') or '0')
  redis.call('hset', s, 'next', tostring(math.max(nxt, slot + interval)))
end
local function enqueue(q, meta, id)
  local p, seq = split(redis.call('hget', meta, id))
  redis.call('zadd', q, p * 1e13 + seq, id)
end
-- a job back in its lane: its place kept (its meta), or a new one; parked while its batch is
-- held (a paused merge), waiting for later if not_before
local function put_back(q, later, meta, lanes, held, parked, id, prio, rcpt, reserve, not_before,
                        mailbox, t)
  if not redis.call('hget', meta, id) then
    redis.call('hset', meta, id, prio .. '|' .. (t * 1000) .. '|' .. rcpt .. '|' .. reserve)
  end
  if redis.call('sismember', held, id) == 1 then
    redis.call('zadd', parked, not_before, id)
  elseif tonumber(not_before) > t then
    redis.call('zadd', later, not_before, id)
  else
    enqueue(q, meta, id)
  end
  redis.call('sadd', lanes, mailbox)
end
"""

# KEYS: job, q, later, meta, s, runners, lanes, jobs-of, jobs-in, notify, taken, held, parked,
#       stamps, day, [huey's queue]
# ARGV: record, id, priority, recipients, reserve, not_before, ttl, lease, mailbox, has owner,
#       keep listed, replaceable states (comma list), window, per, daylimit, [the kick's queue
#       member, its score: added to huey's queue when the lane needs a runner]
# Returns {made, found record, kick, due}: due (book.due_in) is the seconds until the job's
# slot when it is first in its lane and the lane is not paused, else ''.
SUBMIT = COMMON + r"""
local found = redis.call('get', KEYS[1])
if found then
  local state = cjson.decode(found)['state']
  if not string.find(',' .. ARGV[12] .. ',', ',' .. state .. ',', 1, true) then
    return {0, found, 0, ''}
  end
end
local t = now()
redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[7])
redis.call('del', KEYS[10])
redis.call('hdel', KEYS[11], ARGV[2])
redis.call('hset', KEYS[4], ARGV[2], ARGV[3] .. '|' .. (t * 1000) .. '|' .. ARGV[4] .. '|' .. ARGV[5])
local held = redis.call('sismember', KEYS[12], ARGV[2]) == 1
if held then
  redis.call('zadd', KEYS[13], ARGV[6], ARGV[2])
elseif tonumber(ARGV[6]) > t then
  redis.call('zadd', KEYS[3], ARGV[6], ARGV[2])
else
  enqueue(KEYS[2], KEYS[4], ARGV[2])
end
redis.call('sadd', KEYS[7], ARGV[9])
local keep = tonumber(ARGV[11])
for _, listed in ipairs(ARGV[10] == '1' and {KEYS[8], KEYS[9]} or {KEYS[9]}) do
  redis.call('zadd', listed, t, ARGV[2])
  redis.call('zremrangebyrank', listed, 0, -(keep + 1))
  redis.call('expire', listed, ARGV[7])
end
if held then return {1, '', 0, ''} end
local due = ''
if redis.call('zrange', KEYS[2], 0, 0)[1] == ARGV[2]
    and tonumber(redis.call('hget', KEYS[5], 'paused') or '0') <= t then
  local slot = slot_for(KEYS[5], KEYS[14], KEYS[15], t, tonumber(ARGV[4]), tonumber(ARGV[13]),
                        tonumber(ARGV[14]), tonumber(ARGV[15]))
  due = tostring(math.max(0, slot - t))
end
redis.call('zremrangebyscore', KEYS[6], '-inf', t)
if redis.call('zcard', KEYS[6]) == 0 and tonumber(redis.call('hget', KEYS[5], 'kicked') or '0') <= t then
  redis.call('hset', KEYS[5], 'kicked', tostring(t + tonumber(ARGV[8])))
  if KEYS[16] then redis.call('zadd', KEYS[16], ARGV[17], ARGV[16]) end
  return {1, '', 1, due}
end
return {1, '', 0, due}
"""

# KEYS: q, later, meta, s, runners, stamps, day, taken, lanes
# ARGV: runner, lease, concurrency, horizon, window, per, interval, daylimit, token, prefix,
#       mailbox, ttl
TAKE = COMMON + r"""
local t, lease, conc, horizon = now(), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('zremrangebyscore', KEYS[5], '-inf', t)
if not redis.call('zscore', KEYS[5], ARGV[1]) and redis.call('zcard', KEYS[5]) >= conc then
  return {'full'}
end
redis.call('zadd', KEYS[5], t + lease, ARGV[1])
redis.call('hset', KEYS[4], 'kicked', '0')
for _, id in ipairs(redis.call('zrangebyscore', KEYS[2], '-inf', t)) do
  redis.call('zrem', KEYS[2], id)
  enqueue(KEYS[1], KEYS[3], id)
end
local paused = tonumber(redis.call('hget', KEYS[4], 'paused') or '0')
if paused > t then return {'wait', tostring(paused - t)} end
local first = redis.call('zrange', KEYS[1], 0, 0)
if #first == 0 then
  local soon = redis.call('zrange', KEYS[2], 0, 0, 'WITHSCORES')
  if #soon > 0 then return {'wait', tostring(tonumber(soon[2]) - t)} end
  redis.call('zrem', KEYS[5], ARGV[1])
  redis.call('srem', KEYS[9], ARGV[11])
  return {'idle'}
end
local id = first[1]
local _, _, rcpt, reserve = split(redis.call('hget', KEYS[3], id))
local handing = ARGV[10] .. 'handing:' .. id
local before = redis.call('get', handing) or ''
local delay = 0
if reserve == 1 then
  local slot = slot_for(KEYS[4], KEYS[6], KEYS[7], t, rcpt, tonumber(ARGV[5]), tonumber(ARGV[6]),
                        tonumber(ARGV[8]))
  if slot - t > horizon then return {'wait', tostring(slot - t - horizon)} end
  commit(KEYS[4], KEYS[6], KEYS[7], t, slot, id, rcpt, tonumber(ARGV[5]), tonumber(ARGV[6]),
         tonumber(ARGV[7]))
  redis.call('set', handing, tostring(slot), 'EX', ARGV[12])
  delay = slot - t
else
  local nxt = tonumber(redis.call('hget', KEYS[4], 'next') or '0')
  if nxt - t > horizon then return {'wait', tostring(nxt - t - horizon)} end
end
redis.call('zrem', KEYS[1], id)
redis.call('hset', KEYS[8], id, tostring(t))
redis.call('set', ARGV[10] .. 'lease:job:' .. id, ARGV[9], 'PX', math.floor(lease * 1000))
local left = redis.call('zcard', KEYS[1])
-- another runner only while this one uploads files: a small job is done long before its slot
local more = (left > 0 and reserve == 0 and redis.call('zcard', KEYS[5]) < conc) and 1 or 0
return {'go', id, tostring(delay), more, before, redis.call('get', ARGV[10] .. 'job:' .. id) or ''}
"""

# KEYS: s, stamps, day, handing   ARGV: recipients, max wait, window, per, interval,
#                                       daylimit, id, ttl
RESERVE = COMMON + r"""
local t = now()
local slot = slot_for(KEYS[1], KEYS[2], KEYS[3], t, tonumber(ARGV[1]), tonumber(ARGV[3]),
                      tonumber(ARGV[4]), tonumber(ARGV[6]))
if slot - t > tonumber(ARGV[2]) then return {'wait', tostring(slot - t)} end
commit(KEYS[1], KEYS[2], KEYS[3], t, slot, ARGV[7], tonumber(ARGV[1]), tonumber(ARGV[3]),
       tonumber(ARGV[4]), tonumber(ARGV[5]))
redis.call('set', KEYS[4], tostring(slot), 'EX', ARGV[8])
return {'ok', tostring(slot - t)}
"""

# KEYS: job, lease, taken, notify, meta, q, later, runners, notices, handing
# ARGV: token, record, ttl, id, notice, runner, keep notices
FINISH = r"""
if redis.call('get', KEYS[2]) ~= ARGV[1] then return 'lost' end
redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('del', KEYS[2], KEYS[10])
redis.call('hdel', KEYS[3], ARGV[4])
redis.call('hdel', KEYS[5], ARGV[4])
redis.call('rpush', KEYS[4], '1', '1', '1')  -- a token for each of a few waiting requests
redis.call('expire', KEYS[4], 60)
if ARGV[5] == '1' then
  redis.call('lrem', KEYS[9], 0, ARGV[4])
  redis.call('lpush', KEYS[9], ARGV[4])
  redis.call('ltrim', KEYS[9], 0, tonumber(ARGV[7]) - 1)
  redis.call('expire', KEYS[9], ARGV[3])
end
if ARGV[6] == '' then return 'more' end
if redis.call('zcard', KEYS[6]) == 0 and redis.call('zcard', KEYS[7]) == 0 then
  redis.call('zrem', KEYS[8], ARGV[6])
  return 'idle'
end
return 'more'
"""

# KEYS: job, lease, taken, q, later, meta, lanes, handing, held, parked
# ARGV: token, record, ttl, id, priority, recipients, reserve, not_before, mailbox, handed
REQUEUE = COMMON + r"""
if redis.call('get', KEYS[2]) ~= ARGV[1] then return 0 end
local t = now()
redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('del', KEYS[2])
if ARGV[10] ~= '1' then redis.call('del', KEYS[8]) end
redis.call('hdel', KEYS[3], ARGV[4])
put_back(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[9], KEYS[10], ARGV[4], ARGV[5], ARGV[6], ARGV[7],
         ARGV[8], ARGV[9], t)
return 1
"""

# KEYS: job, q, later, meta, parked, held   ARGV: the record as read, the record cancelled,
#                                                ttl, id
CANCEL = r"""
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
local was = redis.call('zrem', KEYS[2], ARGV[4]) + redis.call('zrem', KEYS[3], ARGV[4]) +
            redis.call('zrem', KEYS[5], ARGV[4])
if was == 0 then return 0 end
redis.call('hdel', KEYS[4], ARGV[4])
redis.call('srem', KEYS[6], ARGV[4])
redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""

# KEYS: s   ARGV: seconds
PAUSE = COMMON + r"""
local until_ = now() + tonumber(ARGV[1])
local paused = tonumber(redis.call('hget', KEYS[1], 'paused') or '0')
redis.call('hset', KEYS[1], 'paused', tostring(math.max(paused, until_)))
return 1
"""

# KEYS: runners   ARGV: runner, lease
RENEW_RUNNER = COMMON + r"""
local t = now()
local expiry = redis.call('zscore', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= t then return 0 end
redis.call('zadd', KEYS[1], t + tonumber(ARGV[2]), ARGV[1])
return 1
"""

# KEYS: q, later, s, runners, lanes   ARGV: lease, mailbox
KICK_DUE = COMMON + r"""
local t = now()
local due = redis.call('zcard', KEYS[1]) + redis.call('zcount', KEYS[2], '-inf', t)
if due == 0 then
  if redis.call('zcard', KEYS[2]) == 0 then redis.call('srem', KEYS[5], ARGV[2]) end
  return 0
end
if redis.call('zcount', KEYS[4], '(' .. t, '+inf') > 0 then return 0 end
if tonumber(redis.call('hget', KEYS[3], 'kicked') or '0') > t then return 0 end
redis.call('hset', KEYS[3], 'kicked', tostring(t + tonumber(ARGV[1])))
return 1
"""

# KEYS: job, taken, jobs-of, jobs-in   ARGV: record, id, ttl, replaceable (comma list),
#                                            has owner, keep listed
CLAIM = COMMON + r"""
local found = redis.call('get', KEYS[1])
if found then
  local state = cjson.decode(found)['state']
  if not string.find(',' .. ARGV[4] .. ',', ',' .. state .. ',', 1, true) then return {0, found} end
end
local t = now()
redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('hset', KEYS[2], ARGV[2], tostring(t))
for _, listed in ipairs(ARGV[5] == '1' and {KEYS[3], KEYS[4]} or {KEYS[4]}) do
  redis.call('zadd', listed, t, ARGV[2])
  redis.call('zremrangebyrank', listed, 0, -(tonumber(ARGV[6]) + 1))
  redis.call('expire', listed, ARGV[3])
end
return {1, ''}
"""

# KEYS: lease, taken, q, later, meta, lanes, held, parked   ARGV: id, priority, recipients,
#                                                   reserve, not_before, mailbox, has record
ORPHAN = COMMON + r"""
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('hdel', KEYS[2], ARGV[1])
if ARGV[7] ~= '1' then return 1 end
put_back(KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], ARGV[1], ARGV[2], ARGV[3], ARGV[4],
         ARGV[5], ARGV[6], now())
return 1
"""
