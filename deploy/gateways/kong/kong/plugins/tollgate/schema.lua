-- Configuration of the tollgate plugin: where billing-service answers, with which gateway credential, whom to ask
-- about, what the call is expected to cost, and what to do when billing-service does not answer.
local typedefs = require "kong.db.schema.typedefs"

local MAX_UNITS = 9007199254740991 -- 2^53 - 1: the largest integer a Lua number holds exactly
local METER_NAME = "^%a[%w_%.%-]*$" -- metering-ingest's rule for meter names
local ATTRIBUTE_NAME = "^%a[%w_%.%-]*$"
local HEADER_NAME = "^[%w!#%$%%&'%*%+%-%.%^_`|~]+$" -- an RFC 9110 token

local function absent(value)
  return value == nil or value == ngx.null
end

local function http_url(value)
  local scheme, rest = value:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme or (scheme:lower() ~= "http" and scheme:lower() ~= "https") then
    return nil, "must be an http:// or https:// URL"
  end
  local authority = rest:match("^([^/?#]*)")
  local host, port = authority:match("^(%[[%x:.]+%]):?(%d*)$")
  if not host then
    host, port = authority:match("^([^:@%s]+):?(%d*)$")
  end
  if not host then
    return nil, "must name a host (and an optional port), without user info"
  end
  if port ~= "" then
    local number = tonumber(port)
    if number < 1 or number > 65535 then
      return nil, "port must be between 1 and 65535"
    end
  elseif authority:find(":", #host + 1, true) then
    return nil, "port must be between 1 and 65535"
  end
  return true
end

local function milliseconds(default, description)
  return { type = "integer", required = true, default = default, gt = 0, description = description }
end

local function meter(default, description)
  return { type = "string", required = true, default = default, len_max = 64, match = METER_NAME,
           description = description }
end

local function units(description)
  return { type = "integer", between = { 0, MAX_UNITS }, description = description }
end

local function header_name(default, description)
  return { type = "string", required = default ~= nil, default = default, len_max = 256, match = HEADER_NAME,
           description = description }
end

return {
  name = "tollgate",
  fields = {
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { url = { type = "string", required = true, default = "http://127.0.0.1:8090/v1/authorize",
                    custom_validator = http_url,
                    description = "billing-service's forward-auth endpoint (SPEC §6)." } },
          { token = { type = "string", len_min = 1, encrypted = true, referenceable = true,
                      description = "Gateway credential sent as `Authorization: Bearer <token>`: one of "
                        .. "billing-service's TOLLGATE_DECISION_TOKENS. Leave unset only when none are configured." } },
          { consumer_source = { type = "string", required = true, default = "consumer",
                                one_of = { "consumer", "header" },
                                description = "`consumer`: Kong's authenticated consumer; `header`: the request header "
                                  .. "named by consumer_header." } },
          { consumer_identifier = { type = "array", required = true, len_min = 1,
                                    default = { "custom_id", "id", "username" },
                                    elements = { type = "string", one_of = { "custom_id", "id", "username" } },
                                    description = "Consumer fields tried in order; the first non-empty one names the "
                                      .. "consumer. The default is the order metering-ingest reads Kong logs in." } },
          { consumer_header = header_name(nil, "Request header naming the consumer when consumer_source is `header`.") },
          { identity_header = header_name("X-Consumer-Id",
              "Header carrying the consumer to billing-service: one of its identity headers.") },
          { connect_timeout = milliseconds(500, "Milliseconds to connect to billing-service.") },
          { send_timeout = milliseconds(500, "Milliseconds to send the question.") },
          { read_timeout = milliseconds(1000, "Milliseconds to wait for the answer.") },
          { keepalive_timeout = milliseconds(60000, "Milliseconds an idle connection is kept in the pool.") },
          { keepalive_pool = { type = "integer", required = true, default = 64, gt = 0,
                               description = "Idle connections kept per worker." } },
          { fail_open = { type = "boolean", required = true, default = false,
                          description = "When billing-service does not answer in time, cannot be reached or answers "
                            .. "5xx: true lets the call through, false answers 503." } },
          { estimate = { type = "map", keys = { type = "string", len_max = 64, match = METER_NAME },
                         values = units("Units of the meter."),
                         description = "Expected usage of every call on this route, e.g. {input_tokens: 2000}." } },
          { attributes = { type = "map", keys = { type = "string", len_max = 64, match = ATTRIBUTE_NAME },
                           values = { type = "string", len_min = 1, len_max = 256, match = "^[^,=%c]+$" },
                           description = "Attributes that select the rate line (SPEC §9), e.g. {model: gpt-4o}." } },
          { ai_estimate = {
              type = "record", required = true,
              fields = {
                { enabled = { type = "boolean", required = true, default = false,
                              description = "Read the estimate from the JSON request body of an LLM call." } },
                { max_tokens_fields = { type = "array", required = true, len_min = 1,
                                        default = { "max_tokens", "max_completion_tokens", "max_output_tokens" },
                                        elements = { type = "string", len_min = 1 },
                                        description = "Body fields bounding the output tokens; the first present wins." } },
                { output_meter = meter("output_tokens", "Meter the output-token bound is declared in.") },
                { default_output_tokens = units("Output tokens to declare when the body names no bound.") },
                { input_meter = meter("input_tokens", "Meter the input-token guess is declared in.") },
                { bytes_per_input_token = { type = "integer", gt = 0,
                                            description = "When set, input tokens are guessed as body bytes / this." } },
                { model_field = { type = "string", required = true, default = "model", len_min = 1,
                                  description = "Body field naming the model, sent as attribute `model`." } },
              },
          } },
        },
        custom_validator = function(config)
          if config.consumer_source == "header" and absent(config.consumer_header) then
            return nil, "consumer_header is required when consumer_source is 'header'"
          end
          return true
        end,
    } },
  },
}
