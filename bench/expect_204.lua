-- wrk script of bench/auth_check.sh: counts every response that is not a 204 and prints one
-- line the shell script reads (requests/s, latency p50/p99, non-204 count, socket errors).
-- A run with any non-204 is a failed run: a fast 401 measures nothing.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  first_bad = 0
end

function response(status, headers, body)
  if status ~= 204 then
    bad = bad + 1
    if first_bad == 0 then
      first_bad = status
    end
  end
end

function done(summary, latency, requests)
  local bad_total, first = 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    if first == 0 then
      first = t:get("first_bad")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f non204=%d first_non204=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad_total, first, e.connect + e.read + e.write + e.timeout))
end
