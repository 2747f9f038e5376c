/**
 * Full 43-year block-reward check: sums blockReward over every slot of 43 years at a given
 * interval (default 3,600,000 ms = 376,680 blocks; `--interval-ms 1000` walks all 1.36e9
 * one-second slots, hours of CPU) and compares with Pb/2, printing a progress line.
 * Usage: node dist/tools/sim/rewards43.js [--interval-ms N]
 */
import { BLOCK_HALF_LIFE_MS, BLOCK_POOL_WEI, blockReward } from '../../src/consensus/dpos/rewards.js'

function main(): void {
  const i = process.argv.indexOf('--interval-ms')
  const interval = i >= 0 ? BigInt(process.argv[i + 1] ?? '3600000') : 3_600_000n
  if (interval <= 0n || BLOCK_HALF_LIFE_MS % interval !== 0n) {
    process.stderr.write('interval must divide 43 years in ms\n')
    process.exit(2)
  }
  const blocks = BLOCK_HALF_LIFE_MS / interval
  const step = blocks / 100n > 0n ? blocks / 100n : 1n
  const started = Date.now()
  let sum = 0n
  let prev = -1n
  let increases = 0n
  for (let s = 0n; s < blocks; s++) {
    const r = blockReward(s, interval)
    if (prev >= 0n && r > prev) increases++
    sum += r
    prev = r
    if (s % step === 0n) process.stderr.write(`\r${(s * 100n) / blocks}%  slot ${s}/${blocks}  ${Date.now() - started} ms`)
  }
  const half = BLOCK_POOL_WEI / 2n
  const diff = sum > half ? sum - half : half - sum
  process.stderr.write('\n')
  process.stdout.write(
    JSON.stringify({
      intervalMs: interval.toString(),
      blocks: blocks.toString(),
      sum: sum.toString(),
      half: half.toString(),
      diffWei: diff.toString(),
      withinOneWeiPerBlock: diff <= blocks,
      increases: increases.toString(),
      ms: Date.now() - started,
    }) + '\n',
  )
  if (diff > blocks || increases > 0n) process.exit(1)
}
main()
