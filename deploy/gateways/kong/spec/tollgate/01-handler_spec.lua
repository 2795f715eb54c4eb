-- The plugin's access phase against stand-ins for the Kong PDK and resty.http (spec/standins): what it asks
-- billing-service, and what the client and the upstream get for each answer.
local pdk = require "spec.standins.kong_pdk"
local kong_schema = require "spec.standins.kong_schema"
local cjson = require "cjson.safe"

local TOKEN = "tgd_3f9c2a"
local FUNDED = { id = "5c1b4a1e-8d4e-4b8e-9a51-0c8b7f2f1a10", custom_id = "acme", username = "acme-user" }

-- Bodies and headers as billing-service writes them (DenyBody, DecisionEndpoints).
local function deny(status, reason, title, detail, consumer)
  local body = ('{"type":"https://tollgate.dev/problems/%s","title":"%s","status":%d,"detail":"%s","reason":"%s"%s}')
    :format(reason:gsub("_", "-"), title, status, detail, reason,
      consumer and (',"consumer":"' .. consumer .. '","balance":"0.00","currency":"USD","asOf":"2026-11-21T10:00:00.250Z"'
        .. ',"topUpUrl":"https://billing.example/top-up/' .. consumer .. '"') or "")
  local headers = {
    ["Content-Type"] = "application/problem+json",
    ["X-Tollgate-Reason"] = reason,
    ["Content-Length"] = tostring(#body),
    ["Connection"] = "keep-alive",
    ["Date"] = "Sat, 21 Nov 2026 10:00:00 GMT",
  }
  if consumer then
    headers["X-Tollgate-Consumer"] = consumer
  end
  return { status = status, body = body, headers = headers }
end

local ALLOW = { status = 200, headers = { ["X-Tollgate-Consumer"] = "acme", ["X-Tollgate-Balance"] = "24.998",
                                          ["Content-Length"] = "0" } }

describe("tollgate plugin, access phase", function()
  local handler, schema
  local saved = {}

  setup(function()
    for _, name in ipairs({ "resty.http", "kong.plugins.tollgate.handler", "kong.plugins.tollgate.schema" }) do
      saved[name] = package.loaded[name]
    end
    package.loaded["resty.http"] = pdk.resty_http
    package.loaded["kong.plugins.tollgate.handler"] = nil
    handler = require "kong.plugins.tollgate.handler"
    schema = require "kong.plugins.tollgate.schema"
  end)

  teardown(function()
    for name, module in pairs(saved) do
      package.loaded[name] = module
    end
  end)

  local function run(config, request, answers)
    local conf = assert(kong_schema.process(schema, config))
    local calls = pdk.script(answers)
    local kong, state = pdk.new(request)
    pdk.with_globals(kong, function() handler:access(conf) end)
    return state, calls
  end

  local function sent(call, name)
    for k, v in pairs(call.params.headers) do
      if k:lower() == name:lower() then
        return v
      end
    end
    return nil
  end

  describe("allow", function()
    it("asks forward auth with the consumer and the gateway credential, and passes the X-Tollgate headers upstream", function()
      local state, calls = run({ url = "http://127.0.0.1:8090/v1/authorize", token = TOKEN,
                                 connect_timeout = 100, send_timeout = 150, read_timeout = 250,
                                 keepalive_timeout = 30000, keepalive_pool = 16 },
        { consumer = FUNDED }, { ALLOW })

      assert.is_nil(state.exit)
      assert.equals(1, #calls)
      assert.equals("http://127.0.0.1:8090/v1/authorize", calls[1].uri)
      assert.equals("GET", calls[1].params.method)
      assert.same({ ["X-Consumer-Id"] = "acme", ["Authorization"] = "Bearer " .. TOKEN }, calls[1].params.headers)
      assert.same({ connect = 100, send = 150, read = 250 }, calls[1].timeouts)
      assert.equals(30000, calls[1].params.keepalive_timeout)
      assert.equals(16, calls[1].params.keepalive_pool)
      assert.equals("acme", state.upstream["x-tollgate-consumer"])
      assert.equals("24.998", state.upstream["x-tollgate-balance"])
      assert.equals("allow", state.upstream["x-tollgate-decision"])
    end)

    it("removes X-Tollgate headers a client sent before asking", function()
      local state = run({ token = TOKEN }, { consumer = FUNDED, headers = {
        ["X-Tollgate-Balance"] = "1000000.00", ["X-Tollgate-Decision"] = "allow", ["X-Tollgate-Consumer"] = "someone" } },
        { { status = 200, headers = { ["X-Tollgate-Consumer"] = "acme" } } })

      assert.is_nil(state.upstream["x-tollgate-balance"])
      assert.equals("acme", state.upstream["x-tollgate-consumer"])
      assert.same({ "X-Tollgate-Consumer", "X-Tollgate-Balance", "X-Tollgate-Decision" }, state.cleared)
    end)

    it("sends no Authorization header when no token is configured", function()
      local _, calls = run({}, { consumer = FUNDED }, { ALLOW })

      assert.is_nil(sent(calls[1], "Authorization"))
    end)
  end)

  describe("the consumer", function()
    it("is the first non-empty configured field of Kong's consumer: custom_id, then id, then username by default", function()
      local _, calls = run({}, { consumer = { id = FUNDED.id, custom_id = ngx.null, username = "acme-user" } }, { ALLOW })
      assert.equals(FUNDED.id, sent(calls[1], "X-Consumer-Id"))

      _, calls = run({}, { consumer = { id = FUNDED.id, custom_id = "  ", username = "acme-user" } }, { ALLOW })
      assert.equals(FUNDED.id, sent(calls[1], "X-Consumer-Id"))

      _, calls = run({ consumer_identifier = { "username" } }, { consumer = FUNDED }, { ALLOW })
      assert.equals("acme-user", sent(calls[1], "X-Consumer-Id"))
    end)

    it("comes from the configured header when consumer_source is header, under the configured identity header", function()
      local _, calls = run({ consumer_source = "header", consumer_header = "X-Tenant", identity_header = "X-Consumer-Custom-Id" },
        { consumer = FUNDED, headers = { ["x-tenant"] = " tenant-7 " } }, { ALLOW })

      assert.same({ ["X-Consumer-Custom-Id"] = "tenant-7" }, calls[1].params.headers)
    end)

    it("is not sent when there is none, and billing-service's 401 reaches the client unchanged", function()
      local missing = deny(401, "missing_consumer", "Consumer not identified",
        "None of the identity headers is set: X-Consumer-Id, X-Consumer-Custom-Id, X-Consumer-Username.")
      local state, calls = run({ token = TOKEN }, {}, { missing })

      assert.same({ ["Authorization"] = "Bearer " .. TOKEN }, calls[1].params.headers)
      assert.equals(401, state.exit.status)
      assert.equals(missing.body, state.exit.body)
      assert.same({ ["Content-Type"] = "application/problem+json", ["X-Tollgate-Reason"] = "missing_consumer" },
        state.exit.headers)
      assert.equals(0, #state.logs)
    end)

    it("with control characters or over 256 characters gets a 400 without asking", function()
      for _, bad in ipairs({ "acme\tx", string.rep("a", 257) }) do
        local state, calls = run({}, { consumer = { custom_id = bad } }, {})

        assert.equals(0, #calls)
        assert.equals(400, state.exit.status)
        assert.equals("invalid_consumer", cjson.decode(state.exit.body).reason)
        assert.equals("application/problem+json", state.exit.headers["Content-Type"])
      end
    end)
  end)

  describe("a deny", function()
    local reasons = {
      { 402, "insufficient_credits", "Insufficient credits", "No credits remain." },
      { 402, "quota_exceeded", "Quota exceeded", "The hard limit of output_tokens is reached." },
      { 402, "spend_limit_reached", "Spend limit reached", "The spend limit of the period is reached." },
      { 402, "subscription_inactive", "Subscription inactive", "The subscription is suspended." },
      { 403, "unknown_consumer", "Unknown consumer", "No account for this consumer." },
    }
    for _, r in ipairs(reasons) do
      it(("%d %s reaches the client with billing-service's body and headers unchanged"):format(r[1], r[2]), function()
        local answer = deny(r[1], r[2], r[3], r[4], "acme")
        local state = run({ token = TOKEN, fail_open = true }, { consumer = FUNDED }, { answer })

        assert.equals(r[1], state.exit.status)
        assert.equals(answer.body, state.exit.body)
        assert.same({ ["Content-Type"] = "application/problem+json", ["X-Tollgate-Reason"] = r[2],
                      ["X-Tollgate-Consumer"] = "acme" }, state.exit.headers)
        assert.is_nil(state.upstream["x-tollgate-decision"])
      end)
    end

    it("401 for the gateway's credential is relayed and logged as a configuration error", function()
      local refused = deny(401, "invalid_token", "Invalid gateway credential", "Authorization: Bearer is missing or wrong.")
      local state = run({ token = "stale" }, { consumer = FUNDED }, { refused })

      assert.equals(401, state.exit.status)
      assert.equals(refused.body, state.exit.body)
      assert.equals("err", state.logs[1].level)
      assert.matches("TOLLGATE_DECISION_TOKENS", state.logs[1].message, 1, true)
    end)

    it("400 for an estimate billing-service refuses is relayed", function()
      local refused = deny(400, "invalid_estimate", "Invalid usage estimate", "X-Usage-Estimate: output_tokens over 10^12")
      local state = run({ estimate = { output_tokens = 2000000000000 } }, { consumer = FUNDED }, { refused })

      assert.equals(400, state.exit.status)
      assert.equals(refused.body, state.exit.body)
    end)
  end)

  describe("no decision", function()
    it("a timeout with fail_open off answers 503 problem+json and never reaches the upstream", function()
      local state, calls = run({ read_timeout = 200, fail_open = false }, { consumer = FUNDED }, { { delay_ms = 300, status = 200 } })

      assert.equals(200, calls[1].timeouts.read)
      assert.equals(503, state.exit.status)
      assert.same({ ["Content-Type"] = "application/problem+json", ["X-Tollgate-Reason"] = "decision_unavailable",
                    ["Retry-After"] = "1" }, state.exit.headers)
      assert.same({ type = "https://tollgate.dev/problems/decision-unavailable", title = "Decision unavailable",
                    status = 503, detail = "billing-service did not decide in time; try again.",
                    reason = "decision_unavailable" }, cjson.decode(state.exit.body))
      assert.equals("err", state.logs[1].level)
      assert.matches("did not answer: timeout", state.logs[1].message, 1, true)
    end)

    it("a timeout with fail_open on lets the call through, marked fail-open, with no balance", function()
      local state = run({ read_timeout = 200, fail_open = true }, { consumer = FUNDED,
        headers = { ["X-Tollgate-Balance"] = "99.00" } }, { { delay_ms = 300, status = 200 } })

      assert.is_nil(state.exit)
      assert.equals("fail-open", state.upstream["x-tollgate-decision"])
      assert.is_nil(state.upstream["x-tollgate-balance"])
      assert.is_nil(state.upstream["x-tollgate-consumer"])
      assert.equals("warn", state.logs[1].level)
    end)

    it("an answer within the read timeout is a decision", function()
      local state = run({ read_timeout = 200 }, { consumer = FUNDED }, { { delay_ms = 150, status = 200 } })

      assert.is_nil(state.exit)
      assert.equals("allow", state.upstream["x-tollgate-decision"])
    end)

    it("a refused connection and a 5xx follow fail_open too, and a 5xx body is never relayed", function()
      local closed = run({ fail_open = false }, { consumer = FUNDED }, { { error = "connection refused" } })
      assert.equals(503, closed.exit.status)

      local failing = run({ fail_open = false }, { consumer = FUNDED },
        { { status = 500, body = '{"title":"Internal error"}', headers = { ["Content-Type"] = "application/problem+json" } } })
      assert.equals(503, failing.exit.status)
      assert.equals("decision_unavailable", cjson.decode(failing.exit.body).reason)

      local open = run({ fail_open = true }, { consumer = FUNDED }, { { status = 502 } })
      assert.is_nil(open.exit)
      assert.equals("fail-open", open.upstream["x-tollgate-decision"])
    end)

    it("a 2xx other than 200 is not an allow", function()
      local state = run({ fail_open = false }, { consumer = FUNDED }, { { status = 204 } })

      assert.equals(503, state.exit.status)
    end)
  end)

  describe("the estimate", function()
    it("configured on the route is sent as X-Usage-Estimate, with the attributes as X-Usage-Attributes", function()
      local _, calls = run({ estimate = { requests = 1, input_tokens = 2000 }, attributes = { model = "gpt-4o", region = "eu" } },
        { consumer = FUNDED }, { ALLOW })

      assert.equals("input_tokens=2000,requests=1", sent(calls[1], "X-Usage-Estimate"))
      assert.equals("model=gpt-4o,region=eu", sent(calls[1], "X-Usage-Attributes"))
    end)

    it("is left out when none is configured and the body is not read", function()
      local _, calls = run({}, { consumer = FUNDED, body_error = "must not be read" }, { ALLOW })

      assert.is_nil(sent(calls[1], "X-Usage-Estimate"))
      assert.is_nil(sent(calls[1], "X-Usage-Attributes"))
    end)

    it("for an AI route comes from max_tokens in the body, with the model as attribute", function()
      local body = cjson.encode({ model = "gpt-4o-mini", max_tokens = 512,
                                  messages = { { role = "user", content = "Say hello" } } })
      local _, calls = run({ estimate = { requests = 1 }, ai_estimate = { enabled = true } },
        { consumer = FUNDED, body = body }, { ALLOW })

      assert.equals("output_tokens=512,requests=1", sent(calls[1], "X-Usage-Estimate"))
      assert.equals("model=gpt-4o-mini", sent(calls[1], "X-Usage-Attributes"))
    end)

    it("takes max_completion_tokens when max_tokens is absent, and guesses input tokens from the body size", function()
      local body = '{"model":"o3","max_completion_tokens":4096,"messages":[{"role":"user","content":"' .. string.rep("x", 300) .. '"}]}'
      local _, calls = run({ ai_estimate = { enabled = true, bytes_per_input_token = 4 } },
        { consumer = FUNDED, body = body }, { ALLOW })

      assert.equals(("input_tokens=%d,output_tokens=4096"):format(math.ceil(#body / 4)), sent(calls[1], "X-Usage-Estimate"))
      assert.equals("model=o3", sent(calls[1], "X-Usage-Attributes"))
    end)

    it("falls back to default_output_tokens when the bound is absent, not a whole number, or the body is not JSON", function()
      local config = { ai_estimate = { enabled = true, default_output_tokens = 1024 } }
      for _, body in ipairs({ '{"model":"gpt-4o"}', '{"max_tokens":-5}', '{"max_tokens":10.5}', '{"max_tokens":"512"}',
                              '{"max_tokens":1e300}', 'max_tokens=512', '' }) do
        local _, calls = run(config, { consumer = FUNDED, body = body }, { ALLOW })
        assert.equals("output_tokens=1024", sent(calls[1], "X-Usage-Estimate"), body)
      end
      local _, calls = run(config, { consumer = FUNDED, body_error = "request body did not fit into client body buffer" }, { ALLOW })
      assert.equals("output_tokens=1024", sent(calls[1], "X-Usage-Estimate"))
    end)

    it("keeps a configured model over the body's, and drops a body model the header cannot carry", function()
      local _, calls = run({ attributes = { model = "gpt-4o" }, ai_estimate = { enabled = true } },
        { consumer = FUNDED, body = '{"model":"gpt-3.5","max_tokens":5}' }, { ALLOW })
      assert.equals("model=gpt-4o", sent(calls[1], "X-Usage-Attributes"))

      _, calls = run({ ai_estimate = { enabled = true } },
        { consumer = FUNDED, body = '{"model":"a,b=c","max_tokens":5}' }, { ALLOW })
      assert.is_nil(sent(calls[1], "X-Usage-Attributes"))
      assert.equals("output_tokens=5", sent(calls[1], "X-Usage-Estimate"))
    end)

    it("reads other body fields and meters when configured", function()
      local _, calls = run({ ai_estimate = { enabled = true, max_tokens_fields = { "maxOutputTokens" },
                                             output_meter = "completion_tokens", model_field = "modelId" } },
        { consumer = FUNDED, body = '{"modelId":"gemini-2.0","maxOutputTokens":800,"max_tokens":1}' }, { ALLOW })

      assert.equals("completion_tokens=800", sent(calls[1], "X-Usage-Estimate"))
      assert.equals("model=gemini-2.0", sent(calls[1], "X-Usage-Attributes"))
    end)
  end)

  it("runs after Kong's authentication, ACL and rate-limiting plugins and before the request and AI transformers", function()
    assert.is_true(handler.PRIORITY < 1030)   -- hmac-auth, the lowest authentication plugin
    assert.is_true(handler.PRIORITY < 910)    -- rate-limiting
    assert.is_true(handler.PRIORITY > 801)    -- request-transformer
    assert.is_true(handler.PRIORITY > 777)    -- ai-request-transformer
  end)
end)
