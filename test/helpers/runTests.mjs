// `npm test`'s last step: run tap with the project's config, and when it fails, end the output
// with the failing files and their failed assertions. CI keeps only the tail of a long TAP
// stream, so a failure must be named at the bottom, not 300,000 lines up.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const RESULTS = '.tap/test-results'
const started = Date.now()
const tap = spawn('npx', ['tap', ...process.argv.slice(2)], { stdio: 'inherit' })
tap.on('close', (code) => {
  if (code === 0) process.exit(0)
  summarise()
  process.exit(code ?? 1)
})

function resultFiles(dir) {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((e) => (e.isDirectory() ? resultFiles(join(dir, e.name)) : [join(dir, e.name)]))
}

/** The failed assertions of one file's raw TAP, each with the YAML block that follows it. */
function failures(lines) {
  const out = []
  for (let i = 0; i < lines.length; i++) {
    // a `todo` or `skip` assertion is reported "not ok … # TODO" but does not fail the run
    if (!/^\s*not ok /.test(lines[i]) || /#\s*(TODO|SKIP)\b/i.test(lines[i])) continue
    const block = [lines[i]]
    if (/^\s*---$/.test(lines[i + 1] ?? '')) {
      for (let j = i + 1; j < lines.length && block.length < 40; j++) {
        block.push(lines[j])
        if (/^\s*\.\.\.$/.test(lines[j])) break
      }
    }
    out.push(block.join('\n'))
  }
  return out
}

function summarise() {
  const ran = resultFiles(RESULTS).filter((f) => statSync(f).mtimeMs >= started - 1000)
  const failed = []
  for (const file of ran.sort()) {
    const lines = readFileSync(file, 'utf8').split('\n')
    const found = failures(lines)
    const planned = lines.some((l) => /^1\.\.\d+/.test(l))
    if (found.length > 0 || !planned) failed.push({ file: relative(RESULTS, file).replace(/\.tap$/, ''), found, planned })
  }
  console.log(`\n# ===== failure summary: ${failed.length} of ${ran.length} test files failed =====`)
  for (const { file, found, planned } of failed) {
    console.log(`\n# FAILED ${file}${planned ? '' : ' (ended without a plan: crashed or timed out)'}`)
    for (const block of found) console.log(block)
  }
}
