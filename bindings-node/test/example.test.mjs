// The Node example (examples/node/agent-loop.mjs) runs against the built module and the
// fake model stops making the corrected mistake once the skill is in its context.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'node', 'agent-loop.mjs')

test('the agent-loop example learns from three corrections', () => {
  const out = execFileSync(process.execPath, [example], { encoding: 'utf8' })
  assert.match(out, /turn 3: .*\n(?:.*\n)*?\s+new skill "[a-z0-9-]+" from 3 corrections/)
  assert.match(out, /turn 4: "install the clsx package"\n\s+lessons in context: [a-z0-9-]+\n\s+agent ran: pnpm add clsx\n\s+user accepted it/)
  assert.match(out, /^name: [a-z0-9-]+$/m)
})
