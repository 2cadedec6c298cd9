-- GET one path (BENCH_PATH), optionally with an Authorization header (BENCH_AUTH).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local path = os.getenv("BENCH_PATH")
local auth = os.getenv("BENCH_AUTH")

request = function()
  local headers = {}
  if auth and auth ~= "" then headers["Authorization"] = auth end
  return wrk.format("GET", path, headers)
end
