// Capture cost from JavaScript against the same loop through the Rust API, in one run.
//
//   cd bindings-node && npm run build && node bench/capture.mjs [events] [rounds]
//
// Each round captures `events` events (even: a prompt, odd: a Bash tool call, so every
// call validates and redacts a realistic payload) into a fresh SQLite home. The Rust loop
// is `benchRustCapture` (hivemind-core's `Hivemind::capture` called from Rust with the
// same events); the binding's cost per call is the difference. Two settings:
//
// - buffered: `batchSize` above `events`, so the loop is capture alone (validate, redact,
//   buffer) and the one `flush()` after it, timed apart, writes everything;
// - end-to-end: the default batch of 512, so the loop also writes a batch to SQLite every
//   512 events (on the calling thread), then a final `flush()`.
//
// Rounds alternate JS and Rust; medians are reported, and the fastest round of each path
// beside them (the least disturbed by other processes on a shared machine). A third loop
// only builds the same event objects in JavaScript (no call), so the binding's own cost
// (JavaScript loop − Rust loop − building the objects) is reported apart.
// BENCH_CHECK=1 fails the run when the binding's own cost is 5 µs or more per call
// (buffered setting, medians).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { Hivemind, benchRustCapture } from '../index.js'

const N = Number(process.argv[2] ?? 100_000)
const ROUNDS = Number(process.argv[3] ?? 5)

function withHome(f) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hivemind-bench-'))
  const done = () => fs.rmSync(home, { recursive: true, force: true })
  return f({ home, project: home, workspace: 'bench', noLlm: true }).finally(done)
}

function jsRound(n, batchSize) {
  return withHome(async (options) => {
    const hm = await Hivemind.open({ ...options, batchSize })
    const session = 'bench-js'
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        hm.capture({ session, kind: 'prompt', text: `install the zod package, turn ${i}` })
      } else {
        hm.capture({ session, kind: 'tool_call', tool: 'Bash', input: { command: `npm install zod # ${i}` } })
      }
    }
    const t1 = process.hrtime.bigint()
    await hm.flush()
    const t2 = process.hrtime.bigint()
    await hm.close()
    return { captureNs: Number(t1 - t0), flushNs: Number(t2 - t1) }
  })
}

// Building the same events in JavaScript without handing them to hivemind: the share
// of the JavaScript loop that is the caller's own work, not the binding's.
let sink
function buildRound(n) {
  const session = 'bench-js'
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      sink = { session, kind: 'prompt', text: `install the zod package, turn ${i}` }
    } else {
      sink = { session, kind: 'tool_call', tool: 'Bash', input: { command: `npm install zod # ${i}` } }
    }
  }
  return Promise.resolve({ captureNs: Number(process.hrtime.bigint() - t0), flushNs: 0, last: sink })
}

function rustRound(n, batchSize) {
  return withHome(async (options) => benchRustCapture(n, { ...options, batchSize }))
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const us = (ns) => (ns / 1000).toFixed(2)
const perSec = (nsPerCall) => Math.round(1e9 / nsPerCall).toLocaleString('en-US')

async function setting(name, batchSize) {
  await jsRound(5_000, batchSize) // warm-up: JIT, page cache, SQLite
  await rustRound(5_000, batchSize)
  const js = []
  const rust = []
  const build = []
  for (let r = 0; r < ROUNDS; r++) {
    js.push(await jsRound(N, batchSize))
    rust.push(await rustRound(N, batchSize))
    build.push(await buildRound(N))
  }
  const m = (runs, key) => median(runs.map((x) => x[key]))
  const min = (runs) => Math.min(...runs.map((x) => x.captureNs)) / N
  const res = {
    name,
    js: { capture: m(js, 'captureNs') / N, best: min(js), flush: m(js, 'flushNs') },
    rust: { capture: m(rust, 'captureNs') / N, best: min(rust), flush: m(rust, 'flushNs') },
    build: { capture: m(build, 'captureNs') / N, best: min(build) },
    rounds: { js: js.map((x) => x.captureNs), rust: rust.map((x) => x.captureNs) },
  }
  res.overhead = res.js.capture - res.rust.capture
  res.overheadBest = res.js.best - res.rust.best
  res.own = res.overhead - res.build.capture
  res.ownBest = res.overheadBest - res.build.best
  return res
}

const results = [await setting('buffered', N + 1), await setting('end-to-end', undefined)]

console.log(`capture of ${N.toLocaleString('en-US')} events, median of ${ROUNDS} rounds per path`)
console.log('')
console.log('| setting | path | per `capture` call (median) | events/s (median) | fastest round | final `flush()` |')
console.log('|---|---|---:|---:|---:|---:|')
for (const r of results) {
  for (const [label, x] of [['JavaScript `hm.capture(event)`', r.js], ['Rust `Hivemind::capture`', r.rust]]) {
    console.log(`| ${r.name} | ${label} | ${us(x.capture)} µs | ${perSec(x.capture)} | ${us(x.best)} µs | ${(x.flush / 1e6).toFixed(1)} ms |`)
  }
}
console.log('')
for (const r of results) {
  const rounds = (xs) => xs.map((x) => (x / 1e6).toFixed(0)).join('/')
  console.log(`${r.name}: JavaScript minus Rust: ${us(r.overhead)} µs per call (medians; fastest rounds: ${us(r.overheadBest)} µs). Loop ms per round: js ${rounds(r.rounds.js)}; rust ${rounds(r.rounds.rust)}`)
  console.log(`${r.name}: of which building the event objects in JavaScript: ${us(r.build.capture)} µs (fastest ${us(r.build.best)} µs); the binding itself: ${us(r.own)} µs (fastest rounds: ${us(r.ownBest)} µs)`)
}
const buffered = results[0]
if (process.env.BENCH_CHECK && buffered.own >= 5000) {
  console.error(`binding overhead ${us(buffered.own)} µs is over the 5 µs budget`)
  process.exit(1)
}
