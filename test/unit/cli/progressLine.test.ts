/** Long commands' progress: rewritten in place on a terminal, one line per phase elsewhere. */
import t from 'tap'
import { progressLine } from '../../../src/cli/io.js'

const stream = (isTTY: boolean) => {
  const out: string[] = []
  return { out, s: { isTTY, write: (x: string) => out.push(x) } }
}

t.test('not a terminal (a file, a pipe, CI): one line per phase, not one per update', async (t) => {
  const { out, s } = stream(false)
  const p = progressLine(s)
  for (let i = 30; i > 0; i--) p.update(`traffic: ${i * 3} receipts accepted, ${i}s left`)
  p.update('funding: 1/4 mined')
  p.update('funding: 2/4 mined')
  p.update('traffic: again')
  p.done()
  t.same(out, ['traffic: 90 receipts accepted, 30s left\n', 'funding: 1/4 mined\n', 'traffic: again\n'])
})

t.test('a terminal: every update rewrites the line, done() clears it', async (t) => {
  const { out, s } = stream(true)
  const p = progressLine(s)
  p.update('traffic: 1s left')
  p.update('traffic: 0s left')
  p.done()
  t.same(out, ['\r\x1b[Ktraffic: 1s left', '\r\x1b[Ktraffic: 0s left', '\r\x1b[K'])
  const { out: quiet, s: s2 } = stream(true)
  progressLine(s2).done()
  t.same(quiet, [], 'nothing to clear when nothing was shown')
})
