-- Shared by every scenario. Counts 5xx answers per thread and prints one JSON line in done()
-- that bench/scenarios.py reads. Scenario files define request() and may wrap setup().
threads = {}
statuses = {}
offset = 0

function register_thread(thread)
  threads[#threads + 1] = thread
  thread:set("offset", #threads - 1)
end

setup = register_thread

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local fivexx, totals = 0, {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      totals[status] = (totals[status] or 0) + count
      if status >= 500 then fivexx = fivexx + count end
    end
  end
  local parts = {}
  for status, count in pairs(totals) do parts[#parts + 1] = string.format('"%d": %d', status, count) end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "non_2xx_3xx": %d, "server_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.connect + errors.read + errors.write, errors.timeout, errors.status, fivexx, table.concat(parts, ", ")))
end
