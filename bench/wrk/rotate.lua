-- Each request takes the next line of BENCH_LINES: "METHOD<TAB>PATH<TAB>AUTH<TAB>BODY<TAB>IDEMPOTENCY-KEY".
-- Lines are split between wrk's threads so that no two requests share a line.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local lines = {}
for line in io.lines(os.getenv("BENCH_LINES")) do lines[#lines + 1] = line end
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "2")

local position = nil
request = function()
  if position == nil then position = offset + 1 end
  local line = lines[((position - 1) % #lines) + 1]
  position = position + thread_count
  local method, path, auth, body, key = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t?([^\t]*)")
  local headers = {["Content-Type"] = "application/json"}
  if auth ~= "" then headers["Authorization"] = auth end
  if key and key ~= "" then headers["Idempotency-Key"] = key end
  if body == "" then body = nil end
  return wrk.format(method, path, headers, body)
end
