-- The post-function recipe exactly as kong-post-function.yml ships it, loaded the way Kong's sandbox loads it
-- (untrusted_lua = sandbox, untrusted_lua_sandbox_requires = resty.http), against the PDK and resty.http stand-ins.
local lyaml = require "lyaml"
local cjson = require "cjson.safe"
local pdk = require "spec.standins.kong_pdk"
local sandbox = require "spec.standins.kong_sandbox"

local function shipped_recipe()
  local file = assert(io.open("kong-post-function.yml"))
  local config = lyaml.load(file:read("*a"))
  file:close()
  local plugin = config.services[1].routes[1].plugins[1]
  assert.equals("post-function", plugin.name)
  assert.equals(1, #plugin.config.access)
  return plugin.config.access[1]
end

describe("post-function recipe", function()
  local code
  local saved_http

  setup(function()
    code = shipped_recipe()
    saved_http = package.loaded["resty.http"]
    package.loaded["resty.http"] = pdk.resty_http
  end)

  teardown(function()
    package.loaded["resty.http"] = saved_http
  end)

  local function run(request, answers, edit)
    local calls = pdk.script(answers)
    local kong, state = pdk.new(request)
    local source = edit and edit(code) or code
    pdk.with_globals(kong, function()
      local per_request = sandbox.run_chunk(source, { "resty.http" }, kong, ngx)
      assert.equals("function", type(per_request))
      per_request()
    end)
    return state, calls
  end

  local ACME = { id = "5c1b4a1e-8d4e-4b8e-9a51-0c8b7f2f1a10", custom_id = "acme", username = "acme-user" }

  it("needs resty.http, and nothing else, in untrusted_lua_sandbox_requires", function()
    pdk.script({})
    local kong = pdk.new({})
    assert.has_error(function() sandbox.run_chunk(code, {}, kong, ngx) end,
      "require 'resty.http' not allowed within sandbox")
    assert.equals("function", type(sandbox.run_chunk(code, { "resty.http" }, kong, ngx)))
  end)

  it("asks forward auth with the consumer, the estimate and the token from the env vault, and passes an allow", function()
    local state, calls = run({ consumer = ACME, env = { TOLLGATE_DECISION_TOKEN = "tgd_1" },
                               headers = { ["X-Tollgate-Balance"] = "1000.00" } },
      { { status = 200, headers = { ["x-tollgate-consumer"] = "acme", ["x-tollgate-balance"] = "24.998" } } })

    assert.equals("http://127.0.0.1:8090/v1/authorize", calls[1].uri)
    assert.same({ ["X-Consumer-Id"] = "acme", ["Authorization"] = "Bearer tgd_1", ["X-Usage-Estimate"] = "requests=1" },
      calls[1].params.headers)
    assert.same({ connect = 200, send = 200, read = 500 }, calls[1].timeouts)
    assert.is_nil(state.exit)
    assert.equals("acme", state.upstream["x-tollgate-consumer"])
    assert.equals("24.998", state.upstream["x-tollgate-balance"])
    assert.equals("allow", state.upstream["x-tollgate-decision"])
  end)

  it("relays a 402 with billing-service's body and headers", function()
    local body = '{"type":"https://tollgate.dev/problems/insufficient-credits","title":"Insufficient credits","status":402,'
      .. '"detail":"No credits remain.","reason":"insufficient_credits","consumer":"broke","balance":"0.00"}'
    local state = run({ consumer = { id = "c2", custom_id = "broke" } }, { { status = 402, body = body, headers = {
      ["Content-Type"] = "application/problem+json", ["X-Tollgate-Reason"] = "insufficient_credits",
      ["X-Tollgate-Consumer"] = "broke", ["Content-Length"] = tostring(#body) } } })

    assert.equals(402, state.exit.status)
    assert.equals(body, state.exit.body)
    assert.same({ ["Content-Type"] = "application/problem+json", ["X-Tollgate-Reason"] = "insufficient_credits",
                  ["X-Tollgate-Consumer"] = "broke" }, state.exit.headers)
  end)

  it("answers 503 when billing-service does not answer within READ_MS, and passes when FAIL_OPEN is set", function()
    local closed = run({ consumer = ACME }, { { delay_ms = 600, status = 200 } })
    assert.equals(503, closed.exit.status)
    assert.equals("decision_unavailable", cjson.decode(closed.exit.body).reason)
    assert.equals("1", closed.exit.headers["Retry-After"])

    local open = run({ consumer = ACME }, { { delay_ms = 600, status = 200 } },
      function(source) return (source:gsub("local FAIL_OPEN = false", "local FAIL_OPEN = true")) end)
    assert.is_nil(open.exit)
    assert.equals("fail-open", open.upstream["x-tollgate-decision"])
  end)
end)
