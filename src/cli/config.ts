/**
 * A command's settings from its flags, `NFC_*` environment variables and a TOML config file
 * (`--config FILE`, or `NFC_CONFIG`), in that order of precedence, then the flags' defaults.
 *
 * The file and the environment name flags, nothing else: a file key is a flag's long name without
 * `--` (`max-peers = 50`), a variable is `NFC_` and the name in upper case with `_` for `-`
 * (`NFC_MAX_PEERS=50`). A key or variable that names no flag is an error. Values are not
 * checked here beyond their TOML type: they become the strings a flag would carry and go through
 * the command's own flag parsing, whose errors `explain` then points at the file line or the
 * variable the value came from.
 */
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { parse as parseToml, TomlError } from 'smol-toml'
import { UsageError } from './io.js'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>
type OptionConfig = OptionsConfig[string]

/** What `parseArgs` gives for these options (strict): the type the command works with. */
export type FlagValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']

/** Where a setting came from (defaults have none). */
export type SettingSource = { kind: 'flag' } | { kind: 'env'; name: string } | { kind: 'file'; file: string; line: number | null }

export const ENV_PREFIX = 'NFC_'

/**
 * `NFC_*` variables that are not flags and so not errors: the secp256k1 backend switch
 * (src/crypto/secp256k1.ts) and the knobs of the benchmarks and fuzz tests, whose children
 * inherit them.
 */
export const NON_FLAG_VARIABLES: readonly string[] = ['NFC_SECP256K1']
export const NON_FLAG_PREFIXES: readonly string[] = ['NFC_BENCH_', 'NFC_LOAD_', 'NFC_FUZZ_', 'NFC_P2P_FUZZ_']

/** Options that never come from the file or the environment. */
const FLAG_ONLY = new Set(['help'])

/** The variable of flag `name`: `max-peers` → `NFC_MAX_PEERS`. */
export const envName = (name: string): string => ENV_PREFIX + name.toUpperCase().replace(/-/g, '_')

/** The flag name a variable stands for: `NFC_MAX_PEERS` → `max-peers`. */
const flagOfEnv = (variable: string): string => variable.slice(ENV_PREFIX.length).toLowerCase().replace(/_/g, '-')

export const isNonFlagVariable = (variable: string): boolean => NON_FLAG_VARIABLES.includes(variable) || NON_FLAG_PREFIXES.some((p) => variable.startsWith(p))

/**
 * `env` without the variables that set flags: for a command's child processes that get every
 * setting on their command line (`nfc devnet`'s nodes), so none of them takes the parent's
 * variables as its own.
 */
export function withoutFlagVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([variable]) => !variable.startsWith(ENV_PREFIX) || isNonFlagVariable(variable)))
}

export interface SettingsSpec<O extends OptionsConfig> {
  /** the command, for messages: `node` */
  command: string
  argv: string[]
  /** the parseArgs options of the command, with `config` and `help` among them */
  options: O
  /** string flags that take a comma-separated list, so a TOML array may give them */
  lists?: readonly string[]
  env?: NodeJS.ProcessEnv
}

export interface Settings<O extends OptionsConfig> {
  values: FlagValues<O>
  /** where each setting that is not a default came from */
  sources: ReadonlyMap<string, SettingSource>
  /** the config file read, if any */
  configFile: string | undefined
  /**
   * `message` (a flag parser's error) with the origin of each `--flag` it names that was not
   * given on the command line: `--max-peers wants … (max-peers in node.toml line 3)`.
   */
  explain(message: string): string
}

/**
 * The settings of a command. Throws parseArgs' own error for a bad command line and a
 * UsageError for a bad file or variable. With --help, neither the file nor the environment is
 * read (help must work with a broken config).
 */
export function loadSettings<O extends OptionsConfig>(spec: SettingsSpec<O>): Settings<O> {
  const defaults: Record<string, unknown> = {}
  const bare: OptionsConfig = {}
  for (const [name, option] of Object.entries(spec.options)) {
    const { default: value, ...rest } = option
    if (value !== undefined) defaults[name] = value
    bare[name] = rest
  }
  const flags = parseArgs({ args: spec.argv, options: bare, strict: true }).values as Record<string, unknown>
  const sources = new Map<string, SettingSource>(Object.keys(flags).map((k) => [k, { kind: 'flag' }]))
  let configFile: string | undefined
  let fromFile: Record<string, unknown> = {}
  let fromEnv: Record<string, unknown> = {}
  if (flags.help !== true) {
    const env = spec.env ?? process.env
    fromEnv = envSettings(spec, env, sources)
    configFile = (flags.config ?? fromEnv.config) as string | undefined
    if (configFile !== undefined) fromFile = fileSettings(spec, configFile, sources)
  }
  const values = { ...defaults, ...fromFile, ...fromEnv, ...flags } as FlagValues<O>
  return { values, sources, configFile, explain: (message) => explainSources(message, sources) }
}

function envSettings<O extends OptionsConfig>(spec: SettingsSpec<O>, env: NodeJS.ProcessEnv, sources: Map<string, SettingSource>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || value === undefined || isNonFlagVariable(variable)) continue
    const name = flagOfEnv(variable)
    const option = envName(name) === variable ? optionOf(spec, name) : undefined
    if (option === undefined) {
      throw new UsageError(
        `unknown environment variable ${variable}: nfc ${spec.command} has no --${name} (NFC_* variables set its flags, e.g. ${exampleVariables(spec)})`,
      )
    }
    out[name] = envValue(variable, value, option)
    if (!sources.has(name)) sources.set(name, { kind: 'env', name: variable })
  }
  return out
}

/** The option a file key or variable may set: the command's own (not Object's), not a flag-only one. */
function optionOf<O extends OptionsConfig>(spec: SettingsSpec<O>, name: string): OptionConfig | undefined {
  return Object.hasOwn(spec.options, name) && !FLAG_ONLY.has(name) ? spec.options[name] : undefined
}

function envValue(variable: string, value: string, option: OptionConfig): unknown {
  if (option.type === 'boolean') {
    if (/^(1|true|yes)$/i.test(value)) return true
    if (/^(0|false|no)$/i.test(value)) return false
    throw new UsageError(`${variable} wants true or false (or 1 or 0), got "${value}"`)
  }
  return option.multiple === true ? value.split(',').map((s) => s.trim()) : value
}

function exampleVariables<O extends OptionsConfig>(spec: SettingsSpec<O>): string {
  return Object.keys(spec.options)
    .filter((k) => k !== 'config' && !FLAG_ONLY.has(k))
    .slice(0, 3)
    .map(envName)
    .join(', ')
}

function fileSettings<O extends OptionsConfig>(spec: SettingsSpec<O>, file: string, sources: Map<string, SettingSource>): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
  } catch (e) {
    throw new UsageError(`cannot read config file ${file}: ${(e as Error).message}`)
  }
  let table: Record<string, unknown>
  try {
    table = parseToml(text)
  } catch (e) {
    if (e instanceof TomlError) {
      const what = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')
      throw new UsageError(`config file ${file} line ${e.line}, column ${e.column}: not valid TOML: ${what}\n${e.codeblock.trimEnd()}`)
    }
    throw e
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(table)) {
    const line = lineOfKey(text, key)
    const at = `${file}${line === null ? '' : ` line ${line}`}`
    if (key === 'config') throw new UsageError(`config file ${at}: "config" cannot be set in a config file`)
    const option = optionOf(spec, key)
    if (option === undefined) {
      const dashed = key.replace(/_/g, '-')
      const hint = dashed !== key && optionOf(spec, dashed) !== undefined ? `; did you mean ${dashed}?` : ''
      throw new UsageError(`config file ${at}: unknown key "${key}": nfc ${spec.command} has no --${key}${hint} (keys are flag names without --)`)
    }
    out[key] = fileValue(key, value, option, (spec.lists ?? []).includes(key), at)
    if (!sources.has(key)) sources.set(key, { kind: 'file', file, line })
  }
  return out
}

/** A TOML value as the flag would carry it: a boolean, a string, or the strings of a list. */
function fileValue(key: string, value: unknown, option: OptionConfig, list: boolean, at: string): unknown {
  const wrong = (wanted: string) => new UsageError(`config file ${at}: ${key} wants ${wanted}, got ${describeToml(value)}`)
  if (option.type === 'boolean') {
    if (typeof value !== 'boolean') throw wrong('true or false')
    return value
  }
  const scalar = (v: unknown): string => {
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'bigint') return String(v)
    throw wrong(list || option.multiple === true ? 'strings or numbers' : 'a string or a number')
  }
  if (!Array.isArray(value)) return option.multiple === true ? [scalar(value)] : scalar(value)
  if (option.multiple === true) return value.map(scalar)
  if (list) return value.map(scalar).join(',')
  throw wrong('one value (it is not a list)')
}

function describeToml(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a date'
  if (typeof value === 'object' && value !== null) return 'a table'
  return JSON.stringify(value)
}

/**
 * The line of a top-level key (they all come before the first [table] header), or null for a
 * key written in a way this does not find (dotted keys).
 */
function lineOfKey(text: string, key: string): number | null {
  const lines = text.split(/\r?\n/)
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const keyLine = new RegExp(`^\\s*(?:${escaped}|"${escaped}"|'${escaped}')\\s*=`)
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i]!)) return null
    if (keyLine.test(lines[i]!)) return i + 1
  }
  return null
}

function describeSource(name: string, source: SettingSource): string | undefined {
  if (source.kind === 'env') return `from ${source.name}`
  if (source.kind === 'file') return `${name} in ${source.file}${source.line === null ? '' : ` line ${source.line}`}`
  return undefined
}

function explainSources(message: string, sources: ReadonlyMap<string, SettingSource>): string {
  const names = [...new Set([...message.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))]
  const origins = names.flatMap((name) => {
    const source = sources.get(name)
    const origin = source === undefined ? undefined : describeSource(name, source)
    return origin === undefined ? [] : [origin]
  })
  return origins.length === 0 ? message : `${message} (${origins.join('; ')})`
}
