/**
 * Error codes of the system contracts' host side. A contract's own refusals are EVM reverts with
 * an Error(string) reason (what wallets show), never these; these mean the node is mis-wired.
 */
export const SystemErrorCode = {
  /** a system contract ran on an EVM without installSystemHooks (a VM builder bug) */
  HooksMissing: 'SYSTEM_HOOKS_MISSING',
} as const
export type SystemErrorCode = (typeof SystemErrorCode)[keyof typeof SystemErrorCode]
