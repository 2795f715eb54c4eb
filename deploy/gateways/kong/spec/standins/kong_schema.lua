-- A stand-in for the part of Kong's schema library (kong.db.schema) that the tollgate plugin's schema uses, written
-- from Kong's documented rules: a missing field takes a copy of its default; a missing optional field is null; a
-- missing required record is built from its fields' defaults; then types, the validators (one_of, gt, between,
-- len_min, len_max, match, custom_validator) and the record-level custom_validator are checked. Errors come back as
-- a table keyed like Kong's ({config = {read_timeout = "..."}}). Real Kong runs the same schema under Pongo.
local M = {}

if not ngx then
  _G.ngx = { null = setmetatable({}, { __tostring = function() return "null" end }) }
end
M.null = ngx.null

-- Outside Kong, typedefs holds only what schema.lua takes from it.
if not pcall(require, "kong.db.schema.typedefs") then
  package.loaded["kong.db.schema.typedefs"] = {
    protocols_http = { type = "set", required = true, default = { "http", "https" },
                       elements = { type = "string", one_of = { "http", "https", "grpc", "grpcs", "ws", "wss" } } },
  }
end

local function copy(value)
  if type(value) ~= "table" then
    return value
  end
  local out = {}
  for k, v in pairs(value) do
    out[k] = copy(v)
  end
  return out
end

local function field_list(record)
  local list = {}
  for _, entry in ipairs(record.fields) do
    local name, field = next(entry)
    list[#list + 1] = { name = name, field = field }
  end
  return list
end

local function is_array(t)
  if type(t) ~= "table" then
    return false
  end
  local n = 0
  for _ in pairs(t) do
    n = n + 1
  end
  for i = 1, n do
    if t[i] == nil then
      return false
    end
  end
  return true
end

local fill

local function fill_field(field, value)
  if value == nil then
    if field.default ~= nil then
      return copy(field.default)
    end
    if field.required ~= true then
      return M.null
    end
    if field.type == "record" then
      return fill(field, {})
    end
    return nil
  end
  if field.type == "record" and type(value) == "table" then
    return fill(field, value)
  end
  return value
end

fill = function(record, value)
  local out = {}
  for k, v in pairs(value) do
    out[k] = v
  end
  for _, f in ipairs(field_list(record)) do
    out[f.name] = fill_field(f.field, value[f.name])
  end
  return out
end

local TYPE_CHECKS = {
  string = function(v) return type(v) == "string" end,
  number = function(v) return type(v) == "number" end,
  integer = function(v) return type(v) == "number" and v == math.floor(v) and v > -math.huge and v < math.huge end,
  boolean = function(v) return type(v) == "boolean" end,
  array = is_array,
  set = is_array,
  map = function(v) return type(v) == "table" end,
  record = function(v) return type(v) == "table" end,
}

local function length(v)
  if type(v) == "string" then
    return #v
  end
  local n = 0
  for _ in pairs(v) do
    n = n + 1
  end
  return n
end

local validate_value

local function validate_record(record, value)
  local errors, failed = {}, false
  local names = {}
  for _, f in ipairs(field_list(record)) do
    names[f.name] = true
    local err = validate_value(f.field, value[f.name])
    if err then
      errors[f.name] = err
      failed = true
    end
  end
  for k in pairs(value) do
    if not names[k] then
      errors[k] = "unknown field"
      failed = true
    end
  end
  if not failed and record.custom_validator then
    local ok, err = record.custom_validator(value)
    if not ok then
      errors["@entity"] = { err }
      failed = true
    end
  end
  return failed and errors or nil
end

validate_value = function(field, value)
  if value == nil or value == M.null then
    if field.required then
      return "required field missing"
    end
    return nil
  end
  if not TYPE_CHECKS[field.type](value) then
    return "expected " .. (field.type == "integer" and "an integer" or ("a " .. field.type))
  end
  if field.type == "record" then
    return validate_record(field, value)
  end
  if field.type == "array" or field.type == "set" then
    if field.len_min and #value < field.len_min then
      return "length must be at least " .. field.len_min
    end
    for i, element in ipairs(value) do
      local err = validate_value(field.elements, element)
      if err then
        return { [i] = err }
      end
    end
    return nil
  end
  if field.type == "map" then
    for k, v in pairs(value) do
      local err = validate_value(field.keys, k) or validate_value(field.values, v)
      if err then
        return { [k] = err }
      end
    end
    return nil
  end
  if field.one_of then
    local found = false
    for _, option in ipairs(field.one_of) do
      found = found or option == value
    end
    if not found then
      return "expected one of: " .. table.concat(field.one_of, ", ")
    end
  end
  if field.gt and not (value > field.gt) then
    return "value must be greater than " .. field.gt
  end
  if field.between and (value < field.between[1] or value > field.between[2]) then
    return ("value should be between %d and %d"):format(field.between[1], field.between[2])
  end
  if field.len_min and length(value) < field.len_min then
    return "length must be at least " .. field.len_min
  end
  if field.len_max and length(value) > field.len_max then
    return "length must be at most " .. field.len_max
  end
  if field.match and not value:match(field.match) then
    return "invalid value: " .. value
  end
  if field.custom_validator then
    local ok, err = field.custom_validator(value)
    if not ok then
      return err
    end
  end
  return nil
end

--- The plugin's `config` as Kong would hand it to the handler, or nil and the errors.
function M.process(schema, config)
  local config_field
  for _, f in ipairs(field_list(schema)) do
    if f.name == "config" then
      config_field = f.field
    end
  end
  local filled = fill(config_field, config or {})
  local errors = validate_record(config_field, filled)
  if errors then
    return nil, { config = errors }
  end
  return filled
end

return M
