-- wrk script for bench/load.py: GET /ping, the week page, or an answer posted as static/quiz.js posts it.
--
-- BENCH_MODE    ping | page | answer
-- BENCH_DATA    a Lua file bench/load.py writes: { {cookie=..., answers={ {path=..., fields={{name, value}, ...}}, ...}}, ... }
-- BENCH_ACKED   where done() writes the form token of every answer the server acknowledged (HTTP 200), one a line
--
-- Run with as many threads as connections (-t 32 -c 32): each thread then has one connection, so its
-- response() always belongs to the request it sent last, and the token it acknowledges is that request's.

local mode = os.getenv("BENCH_MODE") or "ping"
local students = dofile(os.getenv("BENCH_DATA"))
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local next_student, sent_token
acked = {}

function init(args)
  math.randomseed(os.time() * 1000 + id)
  next_student = id
end

local function fresh_token()
  -- what the page puts in each form: 16 random bytes, URL-safe base64 (22 characters)
  local parts = {}
  for i = 1, 22 do
    local k = math.random(1, #TOKEN_CHARS)
    parts[i] = TOKEN_CHARS:sub(k, k)
  end
  return table.concat(parts)
end

local function form_urlencoded(fields)
  -- new URLSearchParams(new FormData(form)) as fetch() sends it: name=value pairs joined by "&", each
  -- byte outside A-Z a-z 0-9 * - . _ as %XX and a space as "+"
  local function escape(text)
    return (text:gsub("[^%w%*%-%._ ]", function(c) return string.format("%%%02X", c:byte()) end):gsub(" ", "+"))
  end
  local pairs_ = {}
  for _, field in ipairs(fields) do
    pairs_[#pairs_ + 1] = escape(field[1]) .. "=" .. escape(field[2])
  end
  return table.concat(pairs_, "&")
end

function request()
  if mode == "ping" then
    return wrk.format("GET", "/ping")
  end
  local student = students[(next_student - 1) % #students + 1]
  next_student = next_student + tonumber(os.getenv("BENCH_THREADS") or "1")
  if mode == "page" then
    return wrk.format("GET", "/weeks/" .. student.week, {
      ["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      ["Cookie"] = student.cookie,
    })
  end
  local answer = student.answers[math.random(1, #student.answers)]
  sent_token = fresh_token()
  local fields = { { "csrf_token", student.csrf }, { "token", sent_token } }
  for _, field in ipairs(answer.fields) do
    fields[#fields + 1] = field
  end
  return wrk.format("POST", answer.path, {
    ["Accept"] = "application/json",
    ["Cookie"] = student.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8",
  }, form_urlencoded(fields))
end

not_ok = 0

function response(status, headers, body)
  -- every phase expects 200: a redirect to the log-in page is a failure, not a fast answer
  if status ~= 200 then
    not_ok = not_ok + 1
  elseif sent_token ~= nil then
    acked[#acked + 1] = sent_token
  end
  sent_token = nil
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_ACKED"), "w")
  for _, thread in ipairs(threads) do
    local tokens = thread:get("acked")
    if tokens ~= nil then
      for _, token in ipairs(tokens) do
        out:write(token, "\n")
      end
    end
  end
  out:close()
  local errors = summary.errors
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("not_ok") or 0)
  end
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f not_ok=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad, errors.connect, errors.read, errors.write, errors.timeout))
end
