/**
 * Loads the tests' TypeScript with tsx (esbuild): `node --import ./test/helpers/tsx.mjs file.ts`.
 * tsconfig.test.json widens tsconfig.json's include to test/, so .tsx test files get the same
 * JSX transform (react-jsx) as src/. tap uses it through package.json "node-arg".
 */
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.test.json', import.meta.url)) })
