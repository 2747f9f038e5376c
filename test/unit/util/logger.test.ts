/**
 * The logger's two formats (text for people, json for log shippers) and the one way values are
 * written in both: bytes as 0x hex even inside arrays and objects (a double-production report
 * once printed raw byte arrays), bigints as decimal strings, errors as their message.
 */
import t from 'tap'
import { createLogger, loggable } from '../../../src/util/logger.js'

const capture = (format?: 'text' | 'json', level?: 'debug' | 'info' | 'warn' | 'error') => {
  const lines: string[] = []
  return { lines, log: createLogger({ format, level, module: 'node', write: (l) => lines.push(l) }) }
}

t.test('loggable: bytes as hex at any depth, bigints as strings, errors as messages', async (t) => {
  const header = { number: 7n, producer: Uint8Array.of(0xab, 0x01), parts: [Uint8Array.of(1), { deep: Uint8Array.of(0xff) }] }
  t.same(loggable(header), { number: '7', producer: '0xab01', parts: ['0x01', { deep: '0xff' }] })
  t.equal(loggable(new Error('disk full')), 'disk full')
  t.same(loggable(new Map([[1, 2n]])), { 1: '2' })
  t.same(loggable(new Set([Uint8Array.of(2)])), ['0x02'])
  const sub = new Uint8Array([9, 8, 7, 6]).subarray(1, 3)
  t.equal(loggable(sub), '0x0807', 'a view is written as its own bytes, not its whole buffer')
  let nested: Record<string, unknown> = { leaf: 1 }
  for (let i = 0; i < 10; i++) nested = { nested }
  t.match(JSON.stringify(loggable(nested)), /"…"/, 'deep structures are cut, not followed forever')
})

t.test('text: time LEVEL [module] message key=value, values readable', async (t) => {
  const { lines, log } = capture()
  log.child('p2p').warn('double production', { producer: Uint8Array.of(0xaa, 0xbb), slot: 12n, a: { hash: Uint8Array.of(1) }, why: 'two blocks', empty: '' })
  t.equal(lines.length, 1)
  t.match(lines[0], /^\d\d:\d\d:\d\d\.\d{3} WARN  \[node\/p2p\] double production producer=0xaabb slot=12 a=\{"hash":"0x01"\} why="two blocks" empty=""$/)
})

t.test('json: one object a line with time, level, module, msg and the fields', async (t) => {
  const { lines, log } = capture('json')
  log.child('chain').error('import failed', { number: 5n, hash: Uint8Array.of(0xde, 0xad), error: new Error('bad root'), msg: 'a field named msg' })
  t.equal(lines.length, 1)
  const o = JSON.parse(lines[0])
  t.match(o, { level: 'error', module: 'node/chain', msg: 'import failed', number: '5', hash: '0xdead', error: 'bad root', 'field.msg': 'a field named msg' })
  t.ok(!Number.isNaN(Date.parse(o.time)) && o.time.endsWith('Z'), 'a full ISO time')
})

t.test('levels: lines below the minimum are not written', async (t) => {
  const { lines, log } = capture('json', 'warn')
  log.debug('d')
  log.info('i')
  log.warn('w')
  log.error('e')
  t.same(
    lines.map((l) => JSON.parse(l).level),
    ['warn', 'error'],
  )
})
