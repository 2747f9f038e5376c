/** The fixed protocol addresses live in src/chain/systemAddresses.ts (consensus needs them too). */
export * from '../chain/systemAddresses.js'
