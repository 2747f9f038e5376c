/**
 * The fuel rule (DESIGN §5): what a pair's counted bytes of one flow cycle owe in NB wei. One
 * pure function with two users that may not import each other: the checkpoint that burns the
 * fuel (consensus/povf/engine.ts) and the traffic agents whose payment-channel vouchers must
 * cover it (flowAgent/payment.ts). It imports nothing, so both may import it (docs/layout.md).
 */

/** the fuel price's unit: NB wei per 10^9 bytes */
const PRICE_UNIT_BYTES = 10n ** 9n

/**
 * Fuel owed for `bytes` at `fuelPricePerGb` NB wei per 10^9 bytes: ⌈bytes × price / 10^9⌉ NB
 * wei. Throws a RangeError on a negative argument (a caller's bug: counts and prices are ≥ 0).
 */
export function fuelOwed(bytes: bigint, fuelPricePerGb: bigint): bigint {
  if (typeof bytes !== 'bigint' || bytes < 0n) throw new RangeError(`fuelOwed: bytes must be a bigint ≥ 0, got ${String(bytes)}`)
  if (typeof fuelPricePerGb !== 'bigint' || fuelPricePerGb < 0n)
    throw new RangeError(`fuelOwed: fuelPricePerGb must be a bigint ≥ 0, got ${String(fuelPricePerGb)}`)
  return (bytes * fuelPricePerGb + PRICE_UNIT_BYTES - 1n) / PRICE_UNIT_BYTES
}
