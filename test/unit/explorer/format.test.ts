/** format.ts and decode.ts with plain values. */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { AbiCoder, Interface } from 'ethers'
import {
  abbreviate,
  big,
  blockTimeMs,
  clip,
  fit,
  formatAge,
  formatBps,
  formatBytes,
  formatGwei,
  formatNb,
  formatNfc,
  formatLocalTime,
  formatTimeAndAge,
  thousands,
} from '../../../src/explorer/format.js'
import { createDecoder, loadAbiFile } from '../../../src/explorer/decode.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { probeContract } from '../../helpers/inProcessNode.js'

t.test('amounts', async (t) => {
  t.equal(formatNfc('0x0'), '0 NFC')
  t.equal(formatNfc(15n * 10n ** 17n), '1.5 NFC')
  t.equal(formatNfc(10_000n * 10n ** 18n), '10,000 NFC')
  t.equal(formatNfc(1n), '<0.000001 NFC', 'a dust amount does not read as zero')
  t.equal(formatNb(25n * 10n ** 17n), '2.5 NB', 'NB: 18 decimals like NFC, its own unit')
  t.equal(formatNb(12_345n * 10n ** 18n), '12,345 NB')
  t.equal(formatNb(1n), '<0.000001 NB', 'NB dust does not read as zero')
  t.equal(formatNb('0x0'), '0 NB')
  t.equal(formatNfc(1n, 0), '<1 NFC')
  t.equal(formatNfc(1n, 18), '0.000000000000000001 NFC', 'exact with 18 decimals')
  t.equal(formatNfc(123_456_789n * 10n ** 12n, 2), '123.45 NFC', 'cut, not rounded up')
  t.equal(formatNfc(-(2n * 10n ** 18n)), '-2 NFC')
  t.equal(formatNfc(undefined), '—')
  t.equal(formatNfc('garbage'), '—')
  t.equal(formatGwei(1_500_000_000n), '1.5 gwei')
  t.equal(thousands(1234567n), '1,234,567')
  t.equal(big('0x10'), 16n)
  t.equal(big(null), undefined)
})

t.test('hashes fit the width', async (t) => {
  const h = '0x' + 'a1'.repeat(32)
  t.equal(abbreviate(h, 66), h, 'whole when it fits')
  const short = abbreviate(h, 20)
  t.equal(short.length, 20)
  t.match(short, /^0xa1a1a1a1.*….*a1$/)
  t.ok(abbreviate(h, 3).length >= 7, 'never shorter than 0x12…ef')
  t.equal(abbreviate(null, 10), '—')
  t.equal(fit('abcdef', 4), 'abc…')
  t.equal(fit('ab', 4, 'right'), '  ab')
  t.equal(clip('abc', 10), 'abc')
})

t.test('times', async (t) => {
  t.equal(formatAge(5_000), '5s')
  t.equal(formatAge(62_000), '1m 02s')
  t.equal(formatAge(2 * 3600_000 + 5 * 60_000), '2h 05m')
  t.equal(formatAge(3 * 86400_000 + 4 * 3600_000), '3d 04h')
  t.equal(formatAge(-5), '0s')
  const ms = new Date(2024, 0, 31, 13, 5, 9).getTime()
  t.equal(formatLocalTime(ms), '2024-01-31 13:05:09', 'local time')
  t.equal(formatTimeAndAge(ms, ms + 12_000), '2024-01-31 13:05:09 (12s ago)')
  t.equal(blockTimeMs({ timestamp: '0x65', timestampMs: '0x18c2' }), 0x18c2, 'the chain’s ms slot time first')
  t.equal(blockTimeMs({ timestamp: '0x65' }), 0x65 * 1000, 'else the eth seconds')
  t.equal(formatBytes(1_500_000_000n), '1.50 GB')
  t.equal(formatBytes(512), '512 B')
  t.equal(formatBps(1250), '12.5%')
  t.equal(formatBps(2000), '20%')
})

t.test('decoder: system contracts, --abi, logs, revert data', async (t) => {
  const probe = probeContract()
  const d = createDecoder([{ name: 'Probe', abi: probe.abi as never }])
  const staking = new Interface(JSON.parse(fs.readFileSync('src/execution/system/abi/IStaking.json', 'utf8')))
  const who = '0x' + '11'.repeat(20)
  const call = d.input(SYSTEM_CONTRACTS.staking, staking.encodeFunctionData('vote', [who, 5n]))
  t.same(call, {
    contract: 'Staking',
    name: 'vote',
    signature: 'vote(address,uint256)',
    args: [
      { name: 'candidate', type: 'address', value: '0x1111111111111111111111111111111111111111' },
      { name: 'amount', type: 'uint256', value: '5' },
    ],
  })
  t.equal(
    d.input(SYSTEM_CONTRACTS.nodeRegistry, staking.encodeFunctionData('vote', [who, 5n])),
    undefined,
    'a Staking selector sent to NodeRegistry is not decoded as Staking',
  )
  const probeIface = new Interface(probe.abi as never)
  t.match(
    d.input('0x' + '22'.repeat(20), probeIface.encodeFunctionData('store', [9n])),
    { contract: 'Probe', name: 'store', args: [{ value: '9' }] },
    'user ABI at any address',
  )
  t.equal(d.input('0x' + '22'.repeat(20), '0xdeadbeef'), undefined, 'unknown selector')
  t.equal(d.input(null, '0x'), undefined, 'no input')
  const ev = probeIface.encodeEventLog('Ping', [3n])
  t.match(d.log({ address: '0x' + '22'.repeat(20), topics: ev.topics, data: ev.data }), { contract: 'Probe', name: 'Ping', args: [{ name: 'x', value: '3' }] })
  t.equal(d.log({ address: '0x' + '22'.repeat(20), topics: ['0x' + '00'.repeat(32)], data: '0x' }), undefined)
  t.equal(d.contractName(SYSTEM_CONTRACTS.flowRewards), 'FlowRewards')
  t.equal(d.contractName('0x' + '22'.repeat(20)), undefined)
  const coder = AbiCoder.defaultAbiCoder()
  t.equal(d.revert('0x08c379a0' + coder.encode(['string'], ['too low']).slice(2)), 'too low', 'Error(string)')
  t.equal(d.revert('0x4e487b71' + coder.encode(['uint256'], [0x11]).slice(2)), 'panic 0x11', 'Panic(uint256)')
  t.equal(d.revert('0x'), undefined)
  t.equal(d.revert('0x12345678'), '0x12345678', 'unknown data raw')
})

t.test('loadAbiFile: arrays and artifacts; clear errors', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-abi-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const abi = probeContract().abi
  fs.writeFileSync(path.join(dir, 'Probe.json'), JSON.stringify(abi))
  fs.writeFileSync(path.join(dir, 'artifact.json'), JSON.stringify({ contractName: 'ProbeArtifact', abi }))
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"nope": 1}')
  fs.writeFileSync(path.join(dir, 'broken.json'), '[{')
  t.equal(loadAbiFile(path.join(dir, 'Probe.json')).name, 'Probe')
  t.equal(loadAbiFile(path.join(dir, 'artifact.json')).name, 'ProbeArtifact')
  t.throws(() => loadAbiFile(path.join(dir, 'bad.json')), /is not an ABI/)
  t.throws(() => loadAbiFile(path.join(dir, 'broken.json')), /cannot read ABI file/)
  t.throws(() => loadAbiFile(path.join(dir, 'missing.json')), /cannot read ABI file/)
})
