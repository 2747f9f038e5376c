/**
 * `nfc storage`: every flag's bad value is a usage error with a clear message, checked before
 * anything runs (no node needed): --days and --periods, --max-bytes, --price, --collateral,
 * --listen and --advertise, --provider, --client, the DEAL id, flags of another subcommand.
 * The commands themselves run against real processes in test/slow/storageDeals.test.ts.
 */
import t from 'tap'
import { parseStorageArgs, parseTerm, storageCommand } from '../../../src/cli/storageCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'

const KEY = ['--key', 'k.json']
const PROVIDE = ['--dir', 'd', '--listen', '127.0.0.1:0', ...KEY]

t.test('--days / --periods', async (t) => {
  t.same(parseTerm({ days: '1' }), { days: 1 })
  t.same(parseTerm({ periods: '100000' }), { periods: 100_000 })
  t.same(parseTerm({}), { days: 30 }, 'default 30 days')
  for (const bad of ['0', '1.5', 'x', '', '1d', '100000']) {
    expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--days', bad]), /--days wants a whole number of days, 1 or more/)
  }
  for (const bad of ['0', '100001', '2.5', 'ten'])
    expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--periods', bad]), /--periods wants a whole number from 1 to 100000/)
  expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--days', '1', '--periods', '2']), /--days or --periods, not both/)
  expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--days', '-1']), /--days/)
  expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--size', '1']), /Unknown option '--size'/)
})

t.test('put and get arguments', async (t) => {
  expectUsageError(t, () => parseStorageArgs('put', [...KEY]), /needs the FILE/)
  expectUsageError(t, () => parseStorageArgs('put', ['f']), /nfc storage put needs --key/)
  expectUsageError(t, () => parseStorageArgs('put', ['f', 'g', ...KEY]), /unexpected argument "g"/)
  expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--provider', 'Not_A_Name']), /--provider wants an address .* or a registered name/)
  t.equal(parseStorageArgs('put', ['f', ...KEY, '--provider', 'my-store']).values.provider, 'my-store', 'a name is taken')
  expectUsageError(t, () => parseStorageArgs('put', ['f', ...KEY, '--out', 'x']), /--out is not an option of nfc storage put/)
  expectUsageError(t, () => parseStorageArgs('get', ['--out', 'x']), /needs the DEAL id/)
  for (const bad of ['0', 'abc', '01']) expectUsageError(t, () => parseStorageArgs('get', [bad, '--out', 'x']), /the DEAL id is a whole number from 1/)
  expectUsageError(t, () => parseStorageArgs('get', ['1']), /needs --out/)
  expectUsageError(t, () => parseStorageArgs('get', ['1', '--out', 'x', '--rpc', 'ftp://h']), /--rpc wants an http/)
})

t.test('provide arguments', async (t) => {
  t.equal(parseStorageArgs('provide', PROVIDE).sub, 'provide')
  expectUsageError(t, () => parseStorageArgs('provide', ['--listen', '127.0.0.1:0', ...KEY]), /needs --dir/)
  expectUsageError(t, () => parseStorageArgs('provide', ['--dir', 'd', ...KEY]), /needs --listen/)
  expectUsageError(t, () => parseStorageArgs('provide', ['--dir', 'd', '--listen', 'nowhere', ...KEY]), /--listen wants HOST:PORT/)
  expectUsageError(t, () => parseStorageArgs('provide', ['--dir', 'd', '--listen', '0.0.0.0:9000', ...KEY]), /wildcard address: give --advertise/)
  t.equal(
    parseStorageArgs('provide', ['--dir', 'd', '--listen', '0.0.0.0:9000', '--advertise', 'http://store.example:9000', ...KEY]).values.advertise,
    'http://store.example:9000',
  )
  expectUsageError(t, () => parseStorageArgs('provide', [...PROVIDE, '--advertise', 'tcp://h:1']), /--advertise wants http:\/\/HOST:PORT/)
  for (const bad of ['0', 'x', '1.5'])
    expectUsageError(t, () => parseStorageArgs('provide', [...PROVIDE, '--max-bytes', bad]), /--max-bytes wants a whole number of bytes/)
  expectUsageError(t, () => parseStorageArgs('provide', [...PROVIDE, '--max-bytes', String(2 ** 40 + 1)]), /--max-bytes wants/)
  for (const bad of ['0', 'x', '1.'])
    expectUsageError(t, () => parseStorageArgs('provide', [...PROVIDE, '--price', bad]), /--price (wants an amount of NB|must be more than 0 NB)/)
  for (const bad of ['0', 'lots'])
    expectUsageError(t, () => parseStorageArgs('provide', [...PROVIDE, '--collateral', bad]), /--collateral wants an amount of NFC above 0/)
  expectUsageError(t, () => parseStorageArgs('provide', [...PROVIDE, '--days', '1']), /--days is not an option of nfc storage provide/)
})

t.test('deals arguments', async (t) => {
  expectUsageError(t, () => parseStorageArgs('deals', ['--provider', '0x12']), /--provider wants an address/)
  expectUsageError(t, () => parseStorageArgs('deals', ['--client', 'bob']), /--client wants an address/)
  expectUsageError(t, () => parseStorageArgs('deals', ['--client', '0x' + '1'.repeat(40), '--provider', '0x' + '2'.repeat(40)]), /not both/)
})

t.test('the command: a usage error is exit 2, an unknown subcommand too', async (t) => {
  const writes: string[] = []
  const orig = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((s: string) => {
    writes.push(s)
    return true
  }) as typeof process.stderr.write
  try {
    t.equal(await storageCommand(['put', 'f', ...KEY, '--days', 'x']), 2)
    t.equal(await storageCommand(['fetch']), 2)
  } finally {
    process.stderr.write = orig
  }
  t.match(writes.join(''), /nfc storage put: --days wants a whole number of days/)
  t.match(writes.join(''), /nfc storage: unknown subcommand "fetch"/)
})
