-- A stand-in for the Kong PDK functions the tollgate plugin (and the post-function recipe) call, recording what they
-- do: the headers set for the upstream, the response a call was ended with, the log lines. One request per `new`.
-- Also a scripted resty.http: each question is recorded, and answered by the next scripted answer, which may be a
-- response, an error, or a delay that the client's read timeout turns into a "timeout" error as lua-resty-http does.
local M = {}

local function lower_keys(headers)
  local out = {}
  for k, v in pairs(headers or {}) do
    out[k:lower()] = v
  end
  return out
end

--- A request as Kong's PDK shows it: `consumer` (a Consumer entity or nil), `headers`, `body` (raw string),
--- `body_error` (get_raw_body's error: the body was buffered to a file), `env` (what kong.vault.get sees).
function M.new(request)
  request = request or {}
  local headers = lower_keys(request.headers)
  local state = { upstream = lower_keys(request.headers), cleared = {}, logs = {}, exit = nil }

  local function log(level)
    return function(...)
      local parts = {}
      for i = 1, select("#", ...) do
        parts[i] = tostring((select(i, ...)))
      end
      state.logs[#state.logs + 1] = { level = level, message = table.concat(parts) }
    end
  end

  local kong = {
    client = {
      get_consumer = function() return request.consumer end,
    },
    request = {
      get_header = function(name) return headers[name:lower()] end,
      get_method = function() return request.method or "GET" end,
      get_raw_body = function()
        if request.body_error then
          return nil, request.body_error
        end
        return request.body or ""
      end,
    },
    service = {
      request = {
        set_header = function(name, value) state.upstream[name:lower()] = value end,
        clear_header = function(name)
          state.upstream[name:lower()] = nil
          state.cleared[#state.cleared + 1] = name
        end,
      },
    },
    response = {
      exit = function(status, body, response_headers)
        assert(state.exit == nil, "kong.response.exit called twice")
        state.exit = { status = status, body = body, headers = response_headers or {} }
      end,
    },
    vault = {
      get = function(reference)
        local name = reference:match("^{vault://env/([^}]+)}$")
        assert(name, "only env vault references are stood in for: " .. reference)
        return (request.env or {})[name:upper():gsub("-", "_")]
      end,
    },
    log = { err = log("err"), warn = log("warn"), notice = log("notice"), info = log("info"), debug = log("debug") },
  }
  return kong, state
end

--- Installs `kong` (and a minimal `ngx` if there is none) as globals for the duration of `fn`.
function M.with_globals(kong, fn)
  local saved_kong = _G.kong
  _G.kong = kong
  local ok, err = pcall(fn)
  _G.kong = saved_kong
  if not ok then
    error(err, 0)
  end
end

local function scripted(answers)
  local calls = {}
  local module = {}
  function module.new()
    local client = { timeouts = {} }
    function client:set_timeouts(connect, send, read)
      self.timeouts = { connect = connect, send = send, read = read }
    end
    function client:request_uri(uri, params)
      local call = { uri = uri, params = params, timeouts = self.timeouts }
      calls[#calls + 1] = call
      local answer = table.remove(answers, 1)
      assert(answer, "no scripted answer left for " .. uri)
      if answer.error then
        return nil, answer.error
      end
      if answer.delay_ms and answer.delay_ms > self.timeouts.read then
        return nil, "timeout"
      end
      -- lua-resty-http's headers answer lookups in any case
      local headers = setmetatable({}, { __index = function(t, name)
        for k, v in pairs(t) do
          if k:lower() == name:lower() then
            return v
          end
        end
      end })
      for k, v in pairs(answer.headers or {}) do
        rawset(headers, k, v)
      end
      return { status = answer.status, headers = headers, body = answer.body or "" }
    end
    return client
  end
  return module, calls
end

local current

--- What `require "resty.http"` returns while the specs run: each `new` is a client of the current script.
M.resty_http = {
  new = function()
    assert(current, "no script: call pdk.script(answers) first")
    return current.new()
  end,
}

--- Scripts billing-service's next answers; returns the list the questions are recorded in.
function M.script(answers)
  local module, calls = scripted(answers)
  current = module
  return calls
end

return M
