package = "kong-plugin-tollgate"
version = "0.1.0-1"

source = {
  url = "file://.", -- luarocks make in this folder builds from the files here
}

description = {
  summary = "Tollgate decisions for Kong: asks billing-service before proxying and relays its 402.",
  detailed = [[
    Access-phase plugin (priority 905, after Kong's authentication, ACL and rate-limiting plugins) that asks
    Tollgate's billing-service forward auth whether the authenticated consumer may make the call, with an estimate
    configured per route or read from an LLM request body, and relays a deny (402 problem+json) unchanged.
  ]],
}

-- resty.http and cjson ship with Kong.
dependencies = {
  "lua ~> 5.1",
}

build = {
  type = "builtin",
  modules = {
    ["kong.plugins.tollgate.handler"] = "kong/plugins/tollgate/handler.lua",
    ["kong.plugins.tollgate.schema"] = "kong/plugins/tollgate/schema.lua",
  },
}
