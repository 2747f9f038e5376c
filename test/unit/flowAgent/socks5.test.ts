/**
 * The provider's SOCKS5 parser (RFC 1928): greetings and CONNECT requests of every address type,
 * byte by byte (incomplete until the last byte), and each malformed request refused with its code
 * and the reply code the client gets.
 */
import t, { type Test } from 'tap'
import {
  encodeReply,
  METHOD_NONE_ACCEPTABLE,
  parseGreeting,
  parseRequest,
  Reply,
  replyForError,
  type Parsed,
  type SocksTarget,
} from '../../../src/flowAgent/socks5.js'

const b = (...x: number[]) => Uint8Array.of(...x)

/** every proper prefix parses as incomplete, the whole as `ok` */
function wholeOnly<T>(t: Test, parse: (buf: Uint8Array) => Parsed<T>, buf: Uint8Array): T {
  for (let i = 0; i < buf.length; i++) t.same(parse(buf.subarray(0, i)), { kind: 'incomplete' }, `incomplete at ${i} of ${buf.length} bytes`)
  const r = parse(buf)
  if (r.kind !== 'ok') throw new Error('not ok')
  t.equal(r.used, buf.length, 'uses exactly the message')
  return r.value
}

t.test('greetings', async (t) => {
  t.same(wholeOnly(t, parseGreeting, b(5, 2, 2, 0)), [2, 0], 'no-auth among others')
  const r = parseGreeting(b(5, 1, 0, 5, 1))
  t.same(r, { kind: 'ok', value: [0], used: 3 }, 'bytes after the greeting are left for the request')
  t.throws(() => parseGreeting(b(4, 1, 0)), { code: 'SOCKS_BAD_VERSION' }, 'SOCKS4 is refused')
  t.throws(
    () => parseGreeting(b(5, 1, 2)),
    { code: 'SOCKS_NO_ACCEPTABLE_METHOD', meta: { methodReply: METHOD_NONE_ACCEPTABLE } },
    'username/password only: 0xFF',
  )
  t.throws(() => parseGreeting(b(5, 0)), { code: 'SOCKS_NO_ACCEPTABLE_METHOD' }, 'no methods at all')
})

t.test('CONNECT requests: IPv4, IPv6, domain name', async (t) => {
  t.same(wholeOnly<SocksTarget>(t, parseRequest, b(5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90)), { host: '127.0.0.1', port: 8080, atyp: 1 })
  const v6 = b(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80)
  t.same(wholeOnly<SocksTarget>(t, parseRequest, v6), { host: '2001:db8:0:0:0:0:0:1', port: 80, atyp: 4 })
  const name = Buffer.from('example.org')
  t.same(wholeOnly<SocksTarget>(t, parseRequest, b(5, 1, 0, 3, name.length, ...name, 1, 187)), { host: 'example.org', port: 443, atyp: 3 })
})

t.test('malformed requests: the error and the reply code', async (t) => {
  t.throws(() => parseRequest(b(4, 1, 0, 1, 1, 2, 3, 4, 0, 80)), { code: 'SOCKS_BAD_VERSION', meta: { reply: Reply.GENERAL_FAILURE } }, 'bad version')
  t.throws(() => parseRequest(b(5, 2, 0, 1, 1, 2, 3, 4, 0, 80)), { code: 'SOCKS_UNSUPPORTED_COMMAND', meta: { reply: Reply.COMMAND_NOT_SUPPORTED } }, 'BIND')
  t.throws(
    () => parseRequest(b(5, 3, 0, 1, 1, 2, 3, 4, 0, 80)),
    { code: 'SOCKS_UNSUPPORTED_COMMAND', meta: { reply: Reply.COMMAND_NOT_SUPPORTED } },
    'UDP ASSOCIATE',
  )
  t.throws(() => parseRequest(b(5, 9, 0, 1)), { code: 'SOCKS_UNSUPPORTED_COMMAND' }, 'an unknown command')
  t.throws(
    () => parseRequest(b(5, 1, 0, 2, 1, 2, 3, 4, 0, 80)),
    { code: 'SOCKS_BAD_ADDRESS', meta: { reply: Reply.ADDRESS_TYPE_NOT_SUPPORTED } },
    'address type 2',
  )
  t.throws(
    () => parseRequest(b(5, 1, 0, 3, 0, 0, 80)),
    { code: 'SOCKS_BAD_ADDRESS', meta: { reply: Reply.ADDRESS_TYPE_NOT_SUPPORTED } },
    'an empty domain name',
  )
  t.throws(() => parseRequest(b(5, 1, 0, 3, 3, 0x61, 0x20, 0x62, 0, 80)), { code: 'SOCKS_BAD_ADDRESS' }, 'a domain name with a space')
  t.same(parseRequest(b(5, 1, 0, 3, 200, 0x61)), { kind: 'incomplete' }, 'a truncated domain name waits for more')
  t.same(parseRequest(b(5, 1, 0, 1, 1, 2, 3, 4, 0)), { kind: 'incomplete' }, 'a truncated port waits for more')
  const domain = (name: string) => b(5, 1, 0, 3, name.length, ...Buffer.from(name, 'latin1'), 0, 80)
  const unreachable = { code: 'SOCKS_BAD_ADDRESS', meta: { reply: Reply.HOST_UNREACHABLE } }
  t.throws(() => parseRequest(domain('a'.repeat(254))), unreachable, 'a 254-character name (DNS holds 253): refused, not looked up')
  t.throws(() => parseRequest(domain('a'.repeat(64) + '.example')), unreachable, 'a 64-character label (DNS holds 63)')
  const longest = [61, 63, 63, 63].map((n) => 'a'.repeat(n)).join('.')
  t.equal(longest.length, 253)
  t.match(parseRequest(domain(longest)), { kind: 'ok', value: { host: longest } }, 'the longest name DNS holds is served')
  t.match(parseRequest(domain(longest + '.')), { kind: 'ok' }, 'and with its root dot')
})

t.test('replies', async (t) => {
  t.same([...encodeReply(Reply.SUCCEEDED, { address: '127.0.0.1', port: 1080 })], [5, 0, 0, 1, 127, 0, 0, 1, 4, 56], 'IPv4 bound address')
  t.same([...encodeReply(Reply.CONNECTION_REFUSED)], [5, 5, 0, 1, 0, 0, 0, 0, 0, 0], 'a failure: 0.0.0.0:0')
  const v6 = encodeReply(Reply.SUCCEEDED, { address: '::1', port: 2 })
  t.same([...v6], [5, 0, 0, 4, ...new Array(15).fill(0), 1, 0, 2], 'IPv6 bound address')
  t.equal(replyForError('ECONNREFUSED'), Reply.CONNECTION_REFUSED)
  t.equal(replyForError('ENOTFOUND'), Reply.HOST_UNREACHABLE)
  t.equal(replyForError('ENETUNREACH'), Reply.NETWORK_UNREACHABLE)
  t.equal(replyForError('ETIMEDOUT'), Reply.TTL_EXPIRED)
  t.equal(replyForError('EWHATEVER'), Reply.GENERAL_FAILURE)
})
