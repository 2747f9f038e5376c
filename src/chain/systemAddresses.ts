/**
 * Fixed addresses of protocol accounts. Pools are ordinary accounts whose balance is the pool,
 * so `eth_getBalance` shows them; system contracts (issues 4/5) live in the 0x…1000 range.
 * Chosen above every Ethereum precompile (0x01–0x11, 0x100).
 */
export const SYSTEM_CONTRACTS = {
  staking: '0x0000000000000000000000000000000000001000',
  nodeRegistry: '0x0000000000000000000000000000000000001001',
  flowRewards: '0x0000000000000000000000000000000000001002',
  nb: '0x0000000000000000000000000000000000001003',
  evidence: '0x0000000000000000000000000000000000001004',
  paymentChannels: '0x0000000000000000000000000000000000001005',
  governance: '0x0000000000000000000000000000000000001006',
  names: '0x0000000000000000000000000000000000001007',
  storageDeals: '0x0000000000000000000000000000000000001008',
} as const

export const POOLS = {
  /** Shared pool: half the excess gas fee, 10% of block rewards, 4% of traffic rewards. */
  shared: '0x0000000000000000000000000000000000002000',
  /** Block-mining pool Pb (336,000,000 NFC at genesis). */
  blockMining: '0x0000000000000000000000000000000000002001',
  /** Traffic-mining pool Pf (1,344,000,000 NFC at genesis). */
  trafficMining: '0x0000000000000000000000000000000000002002',
  /** Team allocation under vesting (315,000,000 NFC: 1-year cliff, then linear over 6 years). */
  teamVesting: '0x0000000000000000000000000000000000002003',
} as const

/** Where burned NFC goes (DESIGN §6): its balance is the burned total. */
export const BURN_ADDRESS = '0x0000000000000000000000000000000000000000'

/** 1 NFC in wei (18 decimals). */
export const NFC = 10n ** 18n
/** Fixed total supply: 2,100,000,000 NFC. */
export const TOTAL_SUPPLY = 2_100_000_000n * NFC
