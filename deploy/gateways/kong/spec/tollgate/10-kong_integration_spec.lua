-- The plugin inside real Kong, with key-auth naming the consumer and a stand-in billing-service (an nginx server
-- block Kong's test harness starts). Needs Kong's spec.helpers: run with Pongo (README.md). Without them this file
-- only marks itself pending; it has not been run on the machine this was written on, which has no Docker.
local has_helpers, helpers = pcall(require, "spec.helpers")
if not has_helpers then
  describe("tollgate plugin in real Kong", function()
    pending("needs Kong's spec.helpers: run `pongo run` (README.md)")
  end)
  return
end

local cjson = require "cjson"

local BILLING_PORT = helpers.get_available_port()

local BILLING = [[
  server {
    server_name tollgate_billing;
    listen ]] .. BILLING_PORT .. [[;
    location = /v1/authorize {
      content_by_lua_block {
        local consumer = ngx.var.http_x_consumer_id
        if ngx.var.http_authorization ~= "Bearer tgd-kong-spec" then
          ngx.status = 401
          ngx.header["Content-Type"] = "application/problem+json"
          ngx.header["X-Tollgate-Reason"] = "invalid_token"
          return ngx.print('{"status":401,"reason":"invalid_token"}')
        end
        if consumer == "slow" then
          ngx.sleep(1)
        end
        if consumer == "broke" then
          ngx.status = 402
          ngx.header["Content-Type"] = "application/problem+json"
          ngx.header["X-Tollgate-Reason"] = "insufficient_credits"
          ngx.header["X-Tollgate-Consumer"] = consumer
          return ngx.print('{"type":"https://tollgate.dev/problems/insufficient-credits","status":402,'
            .. '"reason":"insufficient_credits","consumer":"broke","balance":"0.00"}')
        end
        ngx.header["X-Tollgate-Consumer"] = consumer
        ngx.header["X-Tollgate-Balance"] = "24.998"
        ngx.header["X-Echo-Estimate"] = ngx.var.http_x_usage_estimate
        ngx.header["X-Echo-Attributes"] = ngx.var.http_x_usage_attributes
      }
    }
  }
]]

for _, strategy in helpers.each_strategy() do
  describe("tollgate plugin in real Kong [#" .. strategy .. "]", function()
    local client

    lazy_setup(function()
      local bp = helpers.get_db_utils(strategy == "off" and "postgres" or strategy, nil, { "tollgate" })
      local url = "http://127.0.0.1:" .. BILLING_PORT .. "/v1/authorize"

      local function route(host, config)
        local r = bp.routes:insert({ hosts = { host } })
        bp.plugins:insert({ name = "key-auth", route = { id = r.id } })
        config.url = url
        config.token = "tgd-kong-spec"
        bp.plugins:insert({ name = "tollgate", route = { id = r.id }, config = config })
      end
      route("closed.test", { read_timeout = 300, fail_open = false })
      route("open.test", { read_timeout = 300, fail_open = true })
      route("ai.test", { ai_estimate = { enabled = true } })

      for _, name in ipairs({ "acme", "broke", "slow" }) do
        local consumer = bp.consumers:insert({ username = name .. "-user", custom_id = name })
        bp.keyauth_credentials:insert({ key = "key-" .. name, consumer = { id = consumer.id } })
      end

      assert(helpers.start_kong({
        database = strategy,
        nginx_conf = "spec/fixtures/custom_nginx.template",
        plugins = "bundled,tollgate",
        declarative_config = strategy == "off" and helpers.make_yaml_file() or nil,
      }, nil, nil, { http_mock = { tollgate_billing = BILLING } }))
    end)

    lazy_teardown(function()
      helpers.stop_kong(nil, true)
    end)

    before_each(function()
      client = helpers.proxy_client()
    end)

    after_each(function()
      if client then
        client:close()
      end
    end)

    local function get(host, key, body)
      return assert(client:send({
        method = body and "POST" or "GET",
        path = "/request",
        headers = { host = host, apikey = key, ["Content-Type"] = body and "application/json" or nil },
        body = body,
      }))
    end

    it("passes a funded consumer to the upstream with the X-Tollgate headers", function()
      local res = get("closed.test", "key-acme")
      assert.response(res).has.status(200)
      local echoed = cjson.decode(assert(res:read_body())).headers
      assert.equal("acme", echoed["x-tollgate-consumer"])
      assert.equal("24.998", echoed["x-tollgate-balance"])
      assert.equal("allow", echoed["x-tollgate-decision"])
    end)

    it("relays billing-service's 402 body and headers", function()
      local res = get("closed.test", "key-broke")
      assert.response(res).has.status(402)
      assert.equal("application/problem+json", res.headers["Content-Type"])
      assert.equal("insufficient_credits", res.headers["X-Tollgate-Reason"])
      assert.equal('{"type":"https://tollgate.dev/problems/insufficient-credits","status":402,'
        .. '"reason":"insufficient_credits","consumer":"broke","balance":"0.00"}', res:read_body())
    end)

    it("answers 503 after the read timeout when fail_open is off, and passes when it is on", function()
      local closed = get("closed.test", "key-slow")
      assert.response(closed).has.status(503)
      assert.equal("decision_unavailable", closed.headers["X-Tollgate-Reason"])

      local open = get("open.test", "key-slow")
      assert.response(open).has.status(200)
      assert.equal("fail-open", cjson.decode(assert(open:read_body())).headers["x-tollgate-decision"])
    end)

    it("reads the estimate and the model of an AI call from its body", function()
      local res = get("ai.test", "key-acme", '{"model":"gpt-4o","max_tokens":512,"messages":[]}')
      assert.response(res).has.status(200)
      local echoed = cjson.decode(assert(res:read_body())).headers
      assert.equal("allow", echoed["x-tollgate-decision"])
    end)
  end)
end
