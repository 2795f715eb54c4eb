-- A minimal stand-in for the part of lua-resty-http that the tollgate plugin calls (new, set_timeouts,
-- request_uri), over ngx.socket.tcp, for running the plugin in Debian's nginx + lua module, which has no
-- lua-resty-http package. Written for these tests: plain http only, one request per call, bodies delimited by
-- Content-Length or chunked encoding, connections kept alive in the cosocket pool. Kong ships the real library.
local tcp = ngx.socket.tcp
local concat = table.concat
local lower = string.lower

local Client = {}
Client.__index = Client

local M = {}

function M.new()
  return setmetatable({ connect_ms = 60000, send_ms = 60000, read_ms = 60000 }, Client)
end

function Client:set_timeouts(connect_ms, send_ms, read_ms)
  self.connect_ms, self.send_ms, self.read_ms = connect_ms, send_ms, read_ms
end

-- Header lookups in any case, as lua-resty-http's answers allow.
local function header_table()
  return setmetatable({}, { __index = function(t, name)
    if type(name) ~= "string" then
      return nil
    end
    for k, v in pairs(t) do
      if lower(k) == lower(name) then
        return v
      end
    end
  end })
end

local function read_chunked(sock)
  local parts = {}
  while true do
    local size_line, err = sock:receive("*l")
    if not size_line then
      return nil, err
    end
    local size = tonumber(size_line:match("^%s*(%x+)"), 16)
    if not size then
      return nil, "bad chunk size: " .. size_line
    end
    if size == 0 then
      repeat
        local trailer, terr = sock:receive("*l")
        if not trailer then
          return nil, terr
        end
      until trailer == ""
      return concat(parts)
    end
    local data, derr = sock:receive(size)
    if not data then
      return nil, derr
    end
    parts[#parts + 1] = data
    local _, cerr = sock:receive(2)
    if cerr then
      return nil, cerr
    end
  end
end

function Client:request_uri(uri, params)
  local host, port, path = uri:match("^http://([^/:]+):?(%d*)(.*)$")
  if not host then
    return nil, "this stand-in speaks plain http only: " .. uri
  end
  port = tonumber(port) or 80
  if path == "" then
    path = "/"
  end
  params = params or {}

  local sock = tcp()
  sock:settimeouts(self.connect_ms, self.send_ms, self.read_ms)
  local ok, err = sock:connect(host, port, { pool = host .. ":" .. port, pool_size = params.keepalive_pool })
  if not ok then
    return nil, err
  end

  local body = params.body
  local lines = { (params.method or "GET") .. " " .. path .. " HTTP/1.1", "Host: " .. host .. ":" .. port }
  for name, value in pairs(params.headers or {}) do
    lines[#lines + 1] = name .. ": " .. value
  end
  if body then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""
  local sent, serr = sock:send(concat(lines, "\r\n"))
  if not sent then
    sock:close()
    return nil, serr
  end

  local status_line, rerr = sock:receive("*l")
  if not status_line then
    sock:close()
    return nil, rerr
  end
  local version, status = status_line:match("^HTTP/(1%.[01]) (%d%d%d)")
  if not status then
    sock:close()
    return nil, "bad status line: " .. status_line
  end

  local headers = header_table()
  while true do
    local line, herr = sock:receive("*l")
    if not line then
      sock:close()
      return nil, herr
    end
    if line == "" then
      break
    end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      local existing = rawget(headers, name)
      if existing == nil then
        rawset(headers, name, value)
      elseif type(existing) == "table" then
        existing[#existing + 1] = value
      else
        rawset(headers, name, { existing, value })
      end
    end
  end

  local response_body, berr
  local length = tonumber(headers["Content-Length"])
  local reusable = version == "1.1" and lower(headers["Connection"] or "") ~= "close"
  if length then
    response_body, berr = length == 0 and "" or sock:receive(length)
  elseif lower(headers["Transfer-Encoding"] or "") == "chunked" then
    response_body, berr = read_chunked(sock)
  else
    response_body, berr = sock:receive("*a")
    reusable = false
  end
  if not response_body then
    sock:close()
    return nil, berr
  end

  if reusable and params.keepalive_timeout then
    sock:setkeepalive(params.keepalive_timeout, params.keepalive_pool)
  else
    sock:close()
  end
  return { status = tonumber(status), headers = headers, body = response_body }
end

return M
