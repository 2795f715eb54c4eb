-- A thin shim that runs the tollgate plugin's handler.lua (and the post-function recipe) inside plain nginx with the
-- lua module: the `kong` PDK calls they make are mapped onto ngx.*, a stand-in for key-auth puts the consumer of an
-- `apikey` where Kong keeps the authenticated consumer (ngx.ctx), and plugin configurations are completed and
-- checked with the schema, as Kong does before handing them to a handler. Used by KongPluginIT.
--
-- init_by_lua:   require("kong_shim").init("/path/to/routes.json")
-- access_by_lua: require("kong_shim").access("route-name")
--
-- routes.json: {"consumers": {"<apikey>": {"id": ..., "custom_id": ..., "username": ...}},
--               "routes": {"<name>": {"plugin": {<tollgate config>}} | {"recipe": "<post-function code>"}}}
local cjson = require "cjson.safe"
local kong_schema = require "spec.standins.kong_schema"
local sandbox = require "spec.standins.kong_sandbox"

local M = {}

local consumers = {}
local routes = {}
local handler

local LOG_LEVELS = { err = ngx.ERR, warn = ngx.WARN, notice = ngx.NOTICE, info = ngx.INFO, debug = ngx.DEBUG }

local function env_reference(value)
  local name = type(value) == "string" and value:match("^{vault://env/([^}]+)}$")
  if not name then
    return value
  end
  return os.getenv((name:upper():gsub("-", "_")))
end

local pdk = {
  client = {
    get_consumer = function() return ngx.ctx.authenticated_consumer end,
  },
  request = {
    get_header = function(name)
      local value = ngx.req.get_headers()[name]
      if type(value) == "table" then
        return value[1]
      end
      return value
    end,
    get_method = function() return ngx.req.get_method() end,
    get_raw_body = function()
      ngx.req.read_body()
      local body = ngx.req.get_body_data()
      if body then
        return body
      end
      if ngx.req.get_body_file() then
        return nil, "request body did not fit into client body buffer, consider raising 'client_body_buffer_size'"
      end
      return ""
    end,
  },
  service = {
    request = {
      set_header = function(name, value) ngx.req.set_header(name, value) end,
      clear_header = function(name) ngx.req.clear_header(name) end,
    },
  },
  response = {
    exit = function(status, body, headers)
      ngx.status = status
      for name, value in pairs(headers or {}) do
        ngx.header[name] = value
      end
      if body then
        ngx.print(body)
      end
      return ngx.exit(status)
    end,
  },
  vault = {
    get = function(reference) return env_reference(reference) end,
  },
  log = {},
}
for name, level in pairs(LOG_LEVELS) do
  pdk.log[name] = function(...) ngx.log(level, ...) end
end

function M.init(path)
  local file = assert(io.open(path))
  local config = assert(cjson.decode(file:read("*a")))
  file:close()
  _G.kong = pdk
  handler = require "kong.plugins.tollgate.handler"
  local schema = require "kong.plugins.tollgate.schema"
  consumers = config.consumers or {}
  for name, route in pairs(config.routes) do
    if route.plugin then
      local plugin = route.plugin
      plugin.token = env_reference(plugin.token)
      local conf, errors = kong_schema.process(schema, plugin)
      if not conf then
        error("route " .. name .. ": invalid tollgate configuration: " .. cjson.encode(errors))
      end
      routes[name] = { conf = conf }
    else
      routes[name] = { recipe = assert(route.recipe, "route " .. name .. " has neither plugin nor recipe") }
    end
  end
end

-- key-auth's part: the consumer whose key is in `apikey`, kept where Kong keeps it; the key is not passed upstream.
local function authenticate()
  local key = ngx.req.get_headers()["apikey"]
  if type(key) == "string" and consumers[key] then
    ngx.ctx.authenticated_consumer = consumers[key]
  end
  ngx.req.clear_header("apikey")
end

function M.access(name)
  local route = assert(routes[name], "no route " .. name)
  authenticate()
  if route.conf then
    return handler:access(route.conf)
  end
  if not route.per_request then
    route.per_request = sandbox.run_chunk(route.recipe, { "resty.http" }, pdk, ngx)
  end
  return route.per_request()
end

return M
