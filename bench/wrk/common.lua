-- Shared by every scenario. Counts 5xx answers per thread and prints one JSON line in done()
-- that bench/scenarios.py reads. Scenario files define request() and may wrap setup().
threads = {}
server_errors = 0
offset = 0

function register_thread(thread)
  threads[#threads + 1] = thread
  thread:set("offset", #threads - 1)
end

setup = register_thread

function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
end

function done(summary, latency, requests)
  local fivexx = 0
  for _, thread in ipairs(threads) do fivexx = fivexx + (thread:get("server_errors") or 0) end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "non_2xx_3xx": %d, "server_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.connect + errors.read + errors.write, errors.timeout, errors.status, fivexx))
end
