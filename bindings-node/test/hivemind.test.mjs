// Tests of the Node binding against the built module (`npm run build` first).
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import { Hivemind } from '../index.js'

const temps = []
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary folder used as both the home and the project. */
function tempHome() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hivemind-node-'))
  temps.push(dir)
  return dir
}

async function open(extra = {}) {
  const home = extra.home ?? tempHome()
  return Hivemind.open({ home, project: home, workspace: 'acme', noLlm: true, ...extra })
}

/** Asserts that `fn` throws (or its promise rejects with) an Error with `code`. */
async function assertCode(fn, code, messagePart) {
  let caught
  try {
    await fn()
  } catch (e) {
    caught = e
  }
  assert.ok(caught instanceof Error, `expected an Error with code ${code}, got ${caught}`)
  assert.equal(caught.code, code, caught.message)
  if (messagePart) assert.match(caught.message, messagePart)
  return caught
}

const EVERY_KIND = [
  { kind: 'session_start', source: 'startup', cwd: '/work/shop' },
  { kind: 'prompt', text: 'add zod to the project' },
  { kind: 'tool_call', tool: 'Bash', call_id: 't1', input: { command: 'npm install zod' } },
  { kind: 'tool_result', tool: 'Bash', call_id: 't1', output: { stdout: 'added 1 package' }, is_error: true },
  { kind: 'response', text: 'Installed zod.' },
  { kind: 'interrupt', reason: 'user pressed escape' },
  { kind: 'file_edited', path: 'src/schema.ts', snippet: 'import { z } from "zod"' },
  { kind: 'session_end', reason: 'exit' },
]

test('captures every event kind and reads each back unchanged', async () => {
  const hm = await open()
  assert.equal(hm.workspace, 'acme')
  for (const [i, e] of EVERY_KIND.entries()) {
    const agent = i % 2 === 0 ? undefined : 'claude-code'
    assert.equal(hm.capture({ session: 'roundtrip', agent, ...e }), undefined)
  }
  assert.equal(await hm.flush(), EVERY_KIND.length)
  assert.equal(await hm.flush(), 0, 'nothing left to flush')

  const stored = await hm.sessionEvents('roundtrip')
  assert.equal(stored.length, EVERY_KIND.length)
  for (const [i, e] of EVERY_KIND.entries()) {
    const got = stored[i]
    assert.equal(got.seq, i + 1)
    assert.equal(got.session, 'roundtrip')
    assert.equal(got.workspace, 'acme')
    assert.equal(got.agent, i % 2 === 0 ? 'custom' : 'claude-code')
    assert.match(got.id, /^[0-9a-f-]{36}$/)
    assert.ok(!Number.isNaN(Date.parse(got.at)))
    const { id, seq, at, session, workspace, agent, ...fields } = got
    assert.deepEqual(fields, e, `event ${i} (${e.kind})`)
  }
  assert.deepEqual(await hm.sessionEvents('other-session'), [])
  await hm.close()
})

test('nested tool input and output are stored as JSON.stringify sees them', async () => {
  const hm = await open()
  const at = new Date('2024-05-01T10:00:00Z')
  hm.capture({
    session: 'json',
    kind: 'tool_call',
    tool: 'Edit',
    input: { file_path: 'a.ts', when: at, skip: undefined, nested: [1, 'two', { three: null }], n: 1.5 },
  })
  hm.capture({ session: 'json', kind: 'tool_result', tool: 'Edit', output: 'plain text output' })
  hm.capture({ session: 'json', kind: 'tool_result', tool: 'Edit', output: null, is_error: false })
  const [call, text, nil] = await hm.sessionEvents('json')
  assert.deepEqual(call.input, { file_path: 'a.ts', when: '2024-05-01T10:00:00.000Z', nested: [1, 'two', { three: null }], n: 1.5 })
  assert.equal(text.output, 'plain text output')
  assert.equal(nil.output, null)

  const cycle = { a: 1 }
  cycle.self = cycle
  await assertCode(
    () => hm.capture({ session: 'json', kind: 'tool_call', tool: 'X', input: cycle }),
    'HIVEMIND_INVALID_INPUT',
    /input/,
  )
  await assertCode(
    () => hm.capture({ session: 'json', kind: 'tool_call', tool: 'X', input: { big: 10n } }),
    'HIVEMIND_INVALID_INPUT',
    /input/,
  )
  assert.equal((await hm.sessionEvents('json')).length, 3)
  await hm.close()
})

test('capture redacts secrets before anything is written', async () => {
  const hm = await open()
  const secret = 'sk-ant-api03-' + 'a'.repeat(90)
  hm.capture({ session: 'redact', kind: 'prompt', text: `use the key ${secret}` })
  const [e] = await hm.sessionEvents('redact')
  assert.ok(!e.text.includes(secret), e.text)
  await hm.close()
})

test('captureMany captures a batch, and nothing of a batch with a malformed event', async () => {
  const hm = await open()
  const events = EVERY_KIND.map((e) => ({ session: 'batch', ...e }))
  assert.equal(hm.captureMany(events), EVERY_KIND.length)
  assert.equal(hm.captureMany([]), 0)
  await assertCode(
    () => hm.captureMany([events[0], events[1], { session: 'batch', kind: 'prompt' }]),
    'HIVEMIND_INVALID_INPUT',
    /events\[2\].*text/,
  )
  assert.equal(await hm.flush(), EVERY_KIND.length)
  assert.equal((await hm.sessionEvents('batch')).length, EVERY_KIND.length)
  await hm.close()
})

test('recordCorrection stores a structured correction that corrections() lists and filters', async () => {
  const hm = await open()
  const c = await hm.recordCorrection({
    session: 's1',
    produced: 'npm install zod',
    accepted: 'pnpm add zod',
    reason: 'we use pnpm in this repo',
    target: { type: 'tool', value: 'Bash' },
  })
  assert.match(c.id, /^[0-9a-f-]{36}$/)
  assert.equal(c.kind, 'explicit')
  assert.equal(c.session_id, 's1')
  assert.equal(c.workspace, 'acme')
  assert.deepEqual(c.target, { type: 'tool', value: 'Bash' })
  assert.equal(c.produced, 'npm install zod')
  assert.equal(c.accepted, 'pnpm add zod')
  assert.equal(c.reason, 'we use pnpm in this repo')
  assert.equal(c.confidence, 1)
  assert.match(c.diff, /^-npm install zod$/m)
  assert.match(c.diff, /^\+pnpm add zod$/m)

  const plain = await hm.recordCorrection({ produced: 'tabs', reason: 'never use tabs' })
  assert.equal(plain.session_id, 'api')
  assert.equal(plain.accepted, null)
  assert.deepEqual(plain.target, { type: 'response' })

  const all = await hm.corrections()
  assert.deepEqual(
    all.map((x) => x.id),
    [c.id, plain.id],
  )
  assert.deepEqual(all[0], c)
  assert.deepEqual((await hm.corrections({ session: 's1' })).map((x) => x.id), [c.id])
  assert.equal((await hm.corrections({ kind: 'followup' })).length, 0)
  assert.equal((await hm.corrections({ limit: 1 })).length, 1)
  assert.equal((await hm.corrections({ since: new Date(Date.now() + 60_000).toISOString() })).length, 0)
  await hm.close()
})

test('skillify turns three similar corrections into a skill with lineage, and contextFor injects it', async () => {
  const home = tempHome()
  const hm = await open({ home })
  assert.equal((await hm.skills()).length, 0)
  const before = await hm.contextFor({ session: 'early', prompt: 'install the clsx package' })
  assert.equal(before.text, '', 'nothing to inject before any skill exists')

  const ids = []
  for (const [i, pkg] of ['zod', 'lodash', 'date-fns'].entries()) {
    const c = await hm.recordCorrection({
      session: `session-${i}`,
      produced: `npm install ${pkg}`,
      accepted: `pnpm add ${pkg}`,
      reason: 'we use pnpm in this repo, not npm',
      target: { type: 'tool', value: 'Bash' },
    })
    ids.push(c.id)
  }
  const report = await hm.skillify()
  assert.equal(report.corrections, 3)
  assert.equal(report.created.length, 1, JSON.stringify(report))
  const skill = report.created[0]
  assert.match(skill.name, /^[a-z0-9-]{1,64}$/)
  assert.equal(skill.version, 1)
  assert.equal(skill.workspace, 'acme')
  assert.deepEqual([...skill.provenance.corrections].sort(), [...ids].sort())
  assert.deepEqual([...skill.provenance.sessions].sort(), ['session-0', 'session-1', 'session-2'])
  assert.match(skill.body, /pnpm/)

  const skills = await hm.skills()
  assert.equal(skills.length, 1)
  assert.equal(skills[0].name, skill.name)
  const file = path.join(home, '.claude', 'skills', skill.name, 'SKILL.md')
  assert.ok(fs.existsSync(file), `${file} was written`)
  assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`^---\\nname: ${skill.name}\\n`))

  const again = await hm.skillify()
  assert.equal(again.created.length, 0, 'idempotent')
  assert.equal(again.updated.length, 0, 'idempotent')

  const ctx = await hm.contextFor({ session: 'next', prompt: 'install the clsx package' })
  assert.match(ctx.text, /pnpm/)
  assert.ok(ctx.full.includes(skill.name), JSON.stringify(ctx))
  const repeat = await hm.contextFor({ session: 'next', prompt: 'install the clsx package' })
  assert.ok(!repeat.full.includes(skill.name), 'a session is not given the same skill twice')
  const tiny = await hm.contextFor({ session: 'tiny', prompt: 'install clsx', budgetTokens: 1 })
  assert.ok(tiny.text.length <= 4, `a budget of one token holds at most 4 characters: ${tiny.text}`)
  await hm.close()
})

test('bad input is rejected with typed errors', async () => {
  const home = tempHome()
  await assertCode(() => Hivemind.open({ home, workspace: '../etc' }), 'HIVEMIND_INVALID_INPUT', /workspace id/)
  await assertCode(() => Hivemind.open({ home, workspace: 'a b' }), 'HIVEMIND_INVALID_INPUT', /workspace id/)
  await assertCode(() => Hivemind.open({ home, hom: '/tmp' }), 'HIVEMIND_INVALID_INPUT', /unknown field `hom`/)
  await assertCode(() => Hivemind.open({ home, noLlm: 'yes' }), 'HIVEMIND_INVALID_INPUT', /noLlm|boolean/)

  const file = path.join(home, 'not-a-folder')
  fs.writeFileSync(file, 'x')
  await assertCode(() => Hivemind.open({ home: file, workspace: 'acme' }), 'HIVEMIND_IO', /not-a-folder/)
  const corrupt = path.join(home, 'corrupt')
  fs.mkdirSync(corrupt)
  fs.writeFileSync(path.join(corrupt, 'hivemind.db'), 'this is not a database, '.repeat(100))
  await assertCode(() => Hivemind.open({ home: corrupt, workspace: 'acme' }), 'HIVEMIND_STORAGE')

  const hm = await open({ home })
  const bad = [
    [{ session: 'a b', kind: 'prompt', text: 'x' }, /session id/],
    [{ kind: 'prompt', text: 'x' }, /session/],
    [{ session: 's', kind: 'nope' }, /unknown variant `nope`/],
    [{ session: 's', kind: 'prompt' }, /missing field `text`/],
    [{ session: 's', kind: 'prompt', text: 'x', agent: '' }, /agent/],
    [{ session: 42, kind: 'prompt', text: 'x' }, /session/],
    ['prompt', /object/],
    [null, /object/],
  ]
  for (const [event, message] of bad) {
    await assertCode(() => hm.capture(event), 'HIVEMIND_INVALID_INPUT', message)
  }
  await assertCode(() => hm.recordCorrection({ produced: '', reason: '  ' }), 'HIVEMIND_INVALID_INPUT', /at least one/)
  await assertCode(() => hm.recordCorrection({ accepted: 'x' }), 'HIVEMIND_INVALID_INPUT', /produced/)
  await assertCode(
    () => hm.recordCorrection({ produced: 'x', target: { type: 'folder', value: 'a' } }),
    'HIVEMIND_INVALID_INPUT',
    /folder/,
  )
  await assertCode(() => hm.corrections({ kind: 'sideways' }), 'HIVEMIND_INVALID_INPUT', /sideways/)
  await assertCode(() => hm.corrections({ since: 'yesterday' }), 'HIVEMIND_INVALID_INPUT')
  await assertCode(() => hm.contextFor({ session: 's' }), 'HIVEMIND_INVALID_INPUT', /prompt/)
  await assertCode(() => hm.sessionEvents('../x'), 'HIVEMIND_INVALID_INPUT', /session id/)
  assert.equal(await hm.flush(), 0, 'no malformed event was captured')
  await hm.close()
})

test('two handles on one home share the database, workspaces stay apart', async () => {
  const home = tempHome()
  const a = await open({ home })
  const b = await open({ home })
  const other = await open({ home, workspace: 'elsewhere' })

  const c = await a.recordCorrection({ session: 's', produced: 'var x', accepted: 'let x', reason: 'no var' })
  assert.deepEqual((await b.corrections()).map((x) => x.id), [c.id])
  assert.deepEqual(await other.corrections(), [])

  a.capture({ session: 'shared', kind: 'prompt', text: 'from a' })
  b.capture({ session: 'shared', kind: 'prompt', text: 'from b' })
  await a.flush()
  await b.flush()
  const seen = await b.sessionEvents('shared')
  assert.deepEqual(
    seen.map((e) => [e.seq, e.text]),
    [
      [1, 'from a'],
      [2, 'from b'],
    ],
  )
  assert.deepEqual(await other.sessionEvents('shared'), [])

  // Concurrent work from both handles.
  await Promise.all([
    ...Array.from({ length: 10 }, (_, i) => a.recordCorrection({ produced: `a${i}`, reason: 'r' })),
    ...Array.from({ length: 10 }, (_, i) => b.recordCorrection({ produced: `b${i}`, reason: 'r' })),
  ])
  assert.equal((await a.corrections()).length, 21)
  await Promise.all([a.close(), b.close(), other.close()])
})

test('close flushes, closing twice is fine, and a closed handle refuses work', async () => {
  const home = tempHome()
  const hm = await open({ home })
  hm.capture({ session: 'c', kind: 'prompt', text: 'buffered, not flushed' })
  await hm.close()
  await hm.close()
  await assertCode(() => hm.capture({ session: 'c', kind: 'prompt', text: 'late' }), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.captureMany([]), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.recordCorrection({ produced: 'x', reason: 'y' }), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.corrections(), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.skills(), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.skillify(), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.contextFor({ session: 'c', prompt: 'p' }), 'HIVEMIND_CLOSED')
  await assertCode(() => hm.sessionEvents('c'), 'HIVEMIND_CLOSED')

  const reopened = await open({ home })
  assert.deepEqual((await reopened.sessionEvents('c')).map((e) => e.text), ['buffered, not flushed'])
  await reopened.close()
})
