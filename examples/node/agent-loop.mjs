// A minimal agent loop on @deeplake/hivemind: before each turn it asks hivemind for the
// lessons relevant to the prompt, lets a (fake, offline) model act with them in context,
// captures the whole turn, and records the user's correction when the model got it wrong.
// After three corrections of the same kind hivemind mines a skill, and from then on the
// lesson is in the model's context before it acts: the mistake stops.
//
//   cd bindings-node && npm ci && npm run build && cd .. && node examples/node/agent-loop.mjs
//
// No network, no model: `fakeModel` stands in for one. Everything lives in a temporary
// folder (the hivemind home and the project the SKILL.md files are written into).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// In an installed project: `import { Hivemind } from '@deeplake/hivemind'`.
const here = path.dirname(fileURLToPath(import.meta.url))
const { Hivemind } = await import(path.join(here, '..', '..', 'bindings-node', 'index.js'))

/**
 * The "model": installs packages with npm unless its context says this project uses
 * pnpm. A real loop would send `context + prompt` to an LLM.
 */
function fakeModel(prompt, context) {
  const pkg = prompt.match(/install (?:the )?(\S+)/)?.[1] ?? 'something'
  const usePnpm = /pnpm/.test(context)
  const command = usePnpm ? `pnpm add ${pkg}` : `npm install ${pkg}`
  return { tool: 'Bash', input: { command }, text: `Installed ${pkg} with \`${command}\`.` }
}

/** The "user": wants pnpm, and says so when the agent uses npm. */
function userReview(command) {
  if (!command.startsWith('npm ')) return null
  return {
    accepted: command.replace(/^npm install /, 'pnpm add '),
    reason: 'we use pnpm in this repo, not npm',
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hivemind-agent-loop-'))
const hm = await Hivemind.open({ home: path.join(dir, 'home'), project: dir, workspace: 'example/shop', noLlm: true })

try {
  const tasks = ['install the zod package', 'install lodash', 'install date-fns', 'install the clsx package']
  for (const [turn, prompt] of tasks.entries()) {
    const session = `session-${turn + 1}`
    // 1. Read the lessons before acting.
    const ctx = await hm.contextFor({ session, prompt, budgetTokens: 1000 })

    // 2. Act, capturing every step of the turn.
    hm.capture({ session, agent: 'my-agent', kind: 'session_start', source: 'startup', cwd: dir })
    hm.capture({ session, agent: 'my-agent', kind: 'prompt', text: prompt })
    const out = fakeModel(prompt, ctx.text)
    hm.capture({ session, agent: 'my-agent', kind: 'tool_call', tool: out.tool, call_id: `call-${turn}`, input: out.input })
    hm.capture({ session, agent: 'my-agent', kind: 'tool_result', tool: out.tool, call_id: `call-${turn}`, output: 'ok' })
    hm.capture({ session, agent: 'my-agent', kind: 'response', text: out.text })

    console.log(`turn ${turn + 1}: "${prompt}"`)
    console.log(`  lessons in context: ${ctx.full.length ? ctx.full.join(', ') : '(none)'}`)
    console.log(`  agent ran: ${out.input.command}`)

    // 3. The user's correction, as structured data.
    const fix = userReview(out.input.command)
    if (fix) {
      await hm.recordCorrection({
        session,
        produced: out.input.command,
        accepted: fix.accepted,
        reason: fix.reason,
        target: { type: 'tool', value: out.tool },
      })
      console.log(`  user corrected it: ${fix.accepted} (${fix.reason})`)
    } else {
      console.log('  user accepted it')
    }
    hm.capture({ session, agent: 'my-agent', kind: 'session_end', reason: 'done' })
    console.log(`  captured ${await hm.flush()} events`)

    // 4. Mine recurring corrections into skills (idempotent; a real loop might do this
    //    every N turns or at the end of a session).
    const report = await hm.skillify()
    for (const s of report.created) {
      console.log(`  new skill "${s.name}" from ${s.provenance.corrections.length} corrections`)
    }
  }

  const [skill] = await hm.skills()
  if (skill) {
    console.log(`\nSKILL.md written to ${path.join(dir, '.claude', 'skills', skill.name, 'SKILL.md')}:\n`)
    console.log(fs.readFileSync(path.join(dir, '.claude', 'skills', skill.name, 'SKILL.md'), 'utf8'))
  }
} finally {
  await hm.close()
  fs.rmSync(dir, { recursive: true, force: true })
}
