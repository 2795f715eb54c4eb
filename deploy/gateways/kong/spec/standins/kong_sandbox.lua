-- Loads serverless-function code as Kong's sandbox (untrusted_lua = sandbox) does, for the specs: the code sees only
-- the standard functions Kong's sandbox lists (kong/tools/sandbox/environment/lua.lua), `kong`, `ngx`, and a
-- `require` that refuses every module not named in untrusted_lua_sandbox_requires.
local M = {}

local ALLOWED = [[
_VERSION assert error ipairs next pairs pcall print select tonumber tostring type unpack xpcall
math.abs math.ceil math.floor math.huge math.max math.min math.fmod math.random
os.clock os.date os.difftime os.time
string.byte string.char string.find string.format string.gmatch string.gsub string.len string.lower string.match
string.rep string.reverse string.sub string.upper
table.concat table.insert table.remove table.sort
]]

local function environment()
  local env = {}
  for name in ALLOWED:gmatch("%S+") do
    local namespace, member = name:match("^(%w+)%.(%w+)$")
    if namespace then
      env[namespace] = env[namespace] or {}
      env[namespace][member] = _G[namespace][member]
    else
      env[name] = _G[name]
    end
  end
  return env
end

--- Compiles `code` and runs it once, as post-function does on its first call; returns what the chunk returns.
function M.run_chunk(code, requires, kong_global, ngx_global)
  local allowed = {}
  for _, name in ipairs(requires) do
    allowed[name] = true
  end
  local env = environment()
  env.kong = kong_global
  env.ngx = ngx_global
  env.require = function(name)
    if not allowed[name] then
      error(("require '%s' not allowed within sandbox"):format(name), 2)
    end
    return require(name)
  end
  local chunk = assert(load(code, "=post-function", "t", env))
  return chunk()
end

return M
