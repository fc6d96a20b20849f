-- wrk script for requests that differ one from the next (bench/lib/wrk.ts passes the arguments):
--   METHOD PATH BODY SOURCE THREADS [HEADER]
-- PATH, BODY (or "-" for none) and HEADER ("Name: value", optional) may contain {v}, replaced per
-- request by the next value of SOURCE:
--   email:RUN    a fresh address per request: bench-RUN-<thread>-<n>@example.com
--   once:FILE    the lines of FILE, each used once (threads take every n-th line); when they run
--                out, the value is "exhausted-<n>", which the server rejects: it shows as errors
--   cycle:FILE   the lines of FILE, round robin (e.g. many sessions)
-- Static headers come from wrk -H as usual. The report line at the end comes from wrk-report.lua.
-- With WRK_RETRY_AFTER_MS set (bench/lib/wrk.ts: retryAfterMs), the clients honour a 503: the next
-- request after one waits that long, as a client told `Retry-After` would (wrk measures latency
-- from the moment a request is written, so the wait is not counted as latency).
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*/)') or './'
dofile(here .. 'wrk-report.lua')

-- wrk calls setup() then init() for one thread before it sets up the next, so the thread count
-- comes as an argument.
local threads = 0
setup = function(thread)
  thread:set('thread_id', threads)
  threads = threads + 1
end

local method, path, body, header_name, header_value
local kind, values, count, n, run, id = nil, {}, 0, 0, nil, 0

local function load(file, stride, offset)
  local out, i = {}, 0
  for line in io.lines(file) do
    if line ~= '' then
      if i % stride == offset then table.insert(out, line) end
      i = i + 1
    end
  end
  return out
end

init = function(args)
  method, path, body = args[1], args[2], args[3]
  if body == '-' then body = nil end
  local source = args[4]
  local stride = tonumber(args[5]) or 1
  if args[6] then header_name, header_value = args[6]:match('^([^:]+):%s*(.*)$') end
  kind = source:match('^(%a+):')
  local rest = source:sub(#kind + 2)
  id = thread_id or 0
  if kind == 'email' then
    run = rest
  else
    values = load(rest, kind == 'once' and stride or 1, kind == 'once' and id or 0)
    count = #values
  end
end

local function nextValue()
  n = n + 1
  if kind == 'email' then return string.format('bench-%s-%d-%d@example.com', run, id, n) end
  if kind == 'once' then return values[n] or ('exhausted-' .. n) end
  return values[((n + id - 1) % count) + 1]
end

request = function()
  local v = nextValue():gsub('%%', '%%%%')
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  if header_name then headers[header_name] = header_value:gsub('{v}', v) end
  local b = body and body:gsub('{v}', v) or nil
  return wrk.format(method, (path:gsub('{v}', v)), headers, b)
end

local retry_after_ms = tonumber(os.getenv('WRK_RETRY_AFTER_MS') or '')
if retry_after_ms then
  local waits = 0
  response = function(status)
    if status == 503 then waits = waits + 1 end
  end
  delay = function()
    if waits == 0 then return 0 end
    waits = waits - 1
    return retry_after_ms
  end
end
