/** Error codes raised by the core (both implementations raise the same ones). */
export const CORE_BAD_FRAME = 'CORE_BAD_FRAME'
/** an argument outside its documented domain (wrong size, bad kind, non-integer, ...) */
export const CORE_BAD_ARG = 'CORE_BAD_ARG'
/** the WASM memory could not grow to hold a call's data */
export const CORE_OUT_OF_MEMORY = 'CORE_OUT_OF_MEMORY'
