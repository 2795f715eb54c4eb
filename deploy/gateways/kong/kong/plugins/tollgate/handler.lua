-- Tollgate decisions for Kong: before a call is proxied, ask billing-service's forward auth (SPEC §6) whether the
-- consumer may make it. 200 lets it through with X-Tollgate-* headers for the upstream; any 4xx (402 and its
-- problem+json body above all) goes back to the client exactly as billing-service wrote it; no answer in time, a
-- connection error or a 5xx is "no decision", which the route's fail_open turns into a pass or a 503.
local http = require "resty.http"
local cjson = require "cjson.safe"

local ipairs = ipairs
local pairs = pairs
local type = type
local tostring = tostring
local concat = table.concat
local sort = table.sort
local floor = math.floor
local ceil = math.ceil
local format = string.format
local lower = string.lower

local MAX_UNITS = 9007199254740991
local MAX_CONSUMER_LENGTH = 256

-- Headers of billing-service's answer that describe its connection, not the decision; Kong writes its own.
local NOT_RELAYED = {
  ["connection"] = true, ["keep-alive"] = true, ["transfer-encoding"] = true, ["content-length"] = true,
  ["te"] = true, ["trailer"] = true, ["upgrade"] = true, ["proxy-connection"] = true, ["date"] = true,
  ["server"] = true,
}

-- Set for the upstream by this plugin only: a client's own copies are removed first.
local UPSTREAM_HEADERS = { "X-Tollgate-Consumer", "X-Tollgate-Balance", "X-Tollgate-Decision" }

local TollgateHandler = {
  -- Below every authentication plugin (the lowest, hmac-auth, is 1030), ip-restriction (990), acl (950) and
  -- rate-limiting (910), so the consumer is known and a call those refuse never costs a question; above
  -- request-transformer (801) and the AI plugins (770s), so the body read for the estimate is the client's own.
  PRIORITY = 905,
  VERSION = "0.1.0",
}

local function present(value)
  return value ~= nil and value ~= ngx.null
end

local function text(value)
  if type(value) ~= "string" then
    return nil
  end
  value = value:match("^%s*(.-)%s*$")
  if value == "" then
    return nil
  end
  return value
end

local function consumer_of(conf)
  if conf.consumer_source == "header" then
    local value = kong.request.get_header(conf.consumer_header)
    if type(value) == "table" then
      value = value[1]
    end
    return text(value)
  end
  local consumer = kong.client.get_consumer()
  if not consumer then
    return nil
  end
  for _, field in ipairs(conf.consumer_identifier) do
    local value = text(consumer[field])
    if value then
      return value
    end
  end
  return nil
end

local function whole_units(value)
  if type(value) == "number" and value >= 0 and value <= MAX_UNITS and value == floor(value) then
    return value
  end
  return nil
end

local function attribute_value(value)
  if type(value) == "string" and #value >= 1 and #value <= 256 and not value:find("[,=%c]") then
    return value
  end
  return nil
end

-- The JSON object of the request body, or nil (no body, not JSON, too large to be buffered), and its size.
local function json_body()
  local raw, err = kong.request.get_raw_body()
  if not raw then
    kong.log.debug("tollgate: body not read for the estimate: ", err)
    return nil, 0
  end
  local decoded = cjson.decode(raw)
  if type(decoded) ~= "table" then
    return nil, #raw
  end
  return decoded, #raw
end

local function usage_of(conf)
  local units, attributes = {}, {}
  if present(conf.estimate) then
    for meter, n in pairs(conf.estimate) do
      units[meter] = n
    end
  end
  if present(conf.attributes) then
    for name, value in pairs(conf.attributes) do
      attributes[name] = value
    end
  end
  local ai = conf.ai_estimate
  if ai and ai.enabled then
    local body, size = json_body()
    local output
    if body then
      for _, field in ipairs(ai.max_tokens_fields) do
        output = whole_units(body[field])
        if output then
          break
        end
      end
      if attributes.model == nil then
        attributes.model = attribute_value(body[ai.model_field])
      end
    end
    if not output and present(ai.default_output_tokens) then
      output = ai.default_output_tokens
    end
    if output then
      units[ai.output_meter] = output
    end
    if present(ai.bytes_per_input_token) and size > 0 then
      units[ai.input_meter] = ceil(size / ai.bytes_per_input_token)
    end
  end
  return units, attributes
end

-- "a=1,b=2" in a stable order, as X-Usage-Estimate and X-Usage-Attributes take it.
local function pairs_header(map, render)
  local names = {}
  for name in pairs(map) do
    names[#names + 1] = name
  end
  if #names == 0 then
    return nil
  end
  sort(names)
  local parts = {}
  for i, name in ipairs(names) do
    parts[i] = name .. "=" .. render(map[name])
  end
  return concat(parts, ",")
end

local function integer_text(n)
  return format("%d", n)
end

local function problem(status, reason, title, detail)
  local body = cjson.encode({
    type = "https://tollgate.dev/problems/" .. reason:gsub("_", "-"),
    title = title,
    status = status,
    detail = detail,
    reason = reason,
  })
  return kong.response.exit(status, body, {
    ["Content-Type"] = "application/problem+json",
    ["X-Tollgate-Reason"] = reason,
  })
end

local function clear_upstream_headers()
  for _, name in ipairs(UPSTREAM_HEADERS) do
    kong.service.request.clear_header(name)
  end
end

local function no_decision(conf, why)
  if conf.fail_open then
    kong.log.warn("tollgate: ", why, "; fail_open lets the call through")
    kong.service.request.set_header("X-Tollgate-Decision", "fail-open")
    return
  end
  kong.log.err("tollgate: ", why, "; answering 503 (fail_open is off)")
  local body = cjson.encode({
    type = "https://tollgate.dev/problems/decision-unavailable",
    title = "Decision unavailable",
    status = 503,
    detail = "billing-service did not decide in time; try again.",
    reason = "decision_unavailable",
  })
  return kong.response.exit(503, body, {
    ["Content-Type"] = "application/problem+json",
    ["X-Tollgate-Reason"] = "decision_unavailable",
    ["Retry-After"] = "1",
  })
end

local function relayed_headers(headers)
  local out = {}
  for name, value in pairs(headers or {}) do
    if type(name) == "string" and not NOT_RELAYED[lower(name)] then
      out[name] = value
    end
  end
  return out
end

local function allow(res)
  for name, value in pairs(res.headers or {}) do
    if type(name) == "string" and lower(name):find("^x%-tollgate%-") then
      kong.service.request.set_header(name, value)
    end
  end
  kong.service.request.set_header("X-Tollgate-Decision", "allow")
end

function TollgateHandler:access(conf)
  clear_upstream_headers()

  local consumer = consumer_of(conf)
  if consumer and (#consumer > MAX_CONSUMER_LENGTH or consumer:find("%c")) then
    return problem(400, "invalid_consumer", "Invalid consumer",
      "The consumer id must be 1 to 256 printable characters.")
  end

  local headers = {}
  if consumer then
    headers[conf.identity_header] = consumer
  end
  if present(conf.token) then
    headers["Authorization"] = "Bearer " .. conf.token
  end
  local units, attributes = usage_of(conf)
  headers["X-Usage-Estimate"] = pairs_header(units, integer_text)
  headers["X-Usage-Attributes"] = pairs_header(attributes, tostring)

  local httpc = http.new()
  httpc:set_timeouts(conf.connect_timeout, conf.send_timeout, conf.read_timeout)
  local res, err = httpc:request_uri(conf.url, {
    method = "GET",
    headers = headers,
    keepalive_timeout = conf.keepalive_timeout,
    keepalive_pool = conf.keepalive_pool,
  })

  if not res then
    return no_decision(conf, "billing-service at " .. conf.url .. " did not answer: " .. tostring(err))
  end
  local status = res.status
  if status == 200 then
    return allow(res)
  end
  if status < 400 or status >= 500 then
    return no_decision(conf, "billing-service answered " .. status)
  end
  if status == 401 and consumer then
    kong.log.err("tollgate: billing-service refused this gateway's credential (401 with a consumer named): ",
      "check config.token against TOLLGATE_DECISION_TOKENS")
  end
  return kong.response.exit(status, res.body, relayed_headers(res.headers))
end

return TollgateHandler
