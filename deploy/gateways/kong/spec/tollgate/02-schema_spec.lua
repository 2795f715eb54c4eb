-- The plugin's schema through the stand-in of Kong's schema rules (spec/standins/kong_schema.lua): the defaults a
-- handler sees, each invalid configuration refused with the field named, and the shipped kong.yml accepted.
local lyaml = require "lyaml"
local kong_schema = require "spec.standins.kong_schema"

describe("tollgate plugin schema", function()
  local schema

  setup(function()
    schema = require "kong.plugins.tollgate.schema"
  end)

  it("fills the defaults: the local stack's billing-service, fail closed, consumer custom_id then id then username", function()
    local conf = assert(kong_schema.process(schema, {}))

    assert.equals("http://127.0.0.1:8090/v1/authorize", conf.url)
    assert.equals(ngx.null, conf.token)
    assert.equals("consumer", conf.consumer_source)
    assert.same({ "custom_id", "id", "username" }, conf.consumer_identifier)
    assert.equals("X-Consumer-Id", conf.identity_header)
    assert.same({ 500, 500, 1000, 60000, 64 },
      { conf.connect_timeout, conf.send_timeout, conf.read_timeout, conf.keepalive_timeout, conf.keepalive_pool })
    assert.is_false(conf.fail_open)
    assert.equals(ngx.null, conf.estimate)
    assert.is_false(conf.ai_estimate.enabled)
    assert.equals("output_tokens", conf.ai_estimate.output_meter)
    assert.equals("input_tokens", conf.ai_estimate.input_meter)
    assert.equals("model", conf.ai_estimate.model_field)
    assert.equals(ngx.null, conf.ai_estimate.bytes_per_input_token)
  end)

  local invalid = {
    { "an ftp URL", { url = "ftp://billing:8090/v1/authorize" }, { url = "must be an http:// or https:// URL" } },
    { "a URL without host", { url = "http:///v1/authorize" }, { url = "must name a host (and an optional port), without user info" } },
    { "a URL with user info", { url = "http://user:pw@billing:8090/" }, { url = "must name a host (and an optional port), without user info" } },
    { "a port out of range", { url = "http://billing:70000/v1/authorize" }, { url = "port must be between 1 and 65535" } },
    { "an empty port", { url = "http://billing:/v1/authorize" }, { url = "port must be between 1 and 65535" } },
    { "a zero read timeout", { read_timeout = 0 }, { read_timeout = "value must be greater than 0" } },
    { "a negative connect timeout", { connect_timeout = -5 }, { connect_timeout = "value must be greater than 0" } },
    { "a fractional send timeout", { send_timeout = 1.5 }, { send_timeout = "expected an integer" } },
    { "a zero keepalive pool", { keepalive_pool = 0 }, { keepalive_pool = "value must be greater than 0" } },
    { "a timeout given as text", { read_timeout = "500" }, { read_timeout = "expected an integer" } },
    { "an unknown consumer source", { consumer_source = "query" }, { consumer_source = "expected one of: consumer, header" } },
    { "an unknown consumer field", { consumer_identifier = { "email" } },
      { consumer_identifier = { "expected one of: custom_id, id, username" } } },
    { "no consumer field", { consumer_identifier = {} }, { consumer_identifier = "length must be at least 1" } },
    { "a header source without its header", { consumer_source = "header" },
      { ["@entity"] = { "consumer_header is required when consumer_source is 'header'" } } },
    { "an identity header with a space", { identity_header = "X Consumer" }, { identity_header = "invalid value: X Consumer" } },
    { "fail_open as text", { fail_open = "yes" }, { fail_open = "expected a boolean" } },
    { "negative estimated units", { estimate = { input_tokens = -1 } },
      { estimate = { input_tokens = "value should be between 0 and 9007199254740991" } } },
    { "a meter name the header cannot carry", { estimate = { ["input tokens"] = 1 } },
      { estimate = { ["input tokens"] = "invalid value: input tokens" } } },
    { "an attribute value with a comma", { attributes = { model = "a,b" } }, { attributes = { model = "invalid value: a,b" } } },
    { "a zero bytes per input token", { ai_estimate = { bytes_per_input_token = 0 } },
      { ai_estimate = { bytes_per_input_token = "value must be greater than 0" } } },
    { "an unknown field", { fail_closed = true }, { fail_closed = "unknown field" } },
  }
  for _, case in ipairs(invalid) do
    it("refuses " .. case[1] .. ", naming the field", function()
      local conf, errors = kong_schema.process(schema, case[2])

      assert.is_nil(conf)
      assert.same({ config = case[3] }, errors)
    end)
  end

  it("accepts https URLs, IPv6 hosts and a header source with its header", function()
    assert.truthy(kong_schema.process(schema, { url = "https://billing.internal/v1/authorize" }))
    assert.truthy(kong_schema.process(schema, { url = "http://[::1]:8090/v1/authorize" }))
    assert.truthy(kong_schema.process(schema, { consumer_source = "header", consumer_header = "X-Tenant-Id" }))
  end)

  for file_name, count in pairs({ ["kong.yml"] = 2, ["kong-enterprise.yml"] = 2 }) do
    it("accepts every tollgate configuration in the shipped " .. file_name, function()
      local file = assert(io.open(file_name))
      local declarative = lyaml.load(file:read("*a"))
      file:close()
      local checked = 0
      for _, service in ipairs(declarative.services) do
        for _, plugin in ipairs(service.plugins or {}) do
          if plugin.name == "tollgate" then
            local conf, errors = kong_schema.process(schema, plugin.config)
            assert.is_nil(errors, service.name)
            assert.truthy(conf)
            checked = checked + 1
          end
        end
      end
      assert.equals(count, checked)
    end)
  end
end)
