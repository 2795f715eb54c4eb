-- wrk script: each request names one of 10,000 consumers (c0..c9999) at random; prints one RESULT line.
local ids = {}
for i = 0, 9999 do ids[i] = "c" .. i end
math.randomseed(os.time())

request = function()
  return wrk.format("GET", "/v1/authorize", { ["X-Consumer-Id"] = ids[math.random(0, 9999)] })
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.0f p50_us=%d p99_us=%d p999_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency.max, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
