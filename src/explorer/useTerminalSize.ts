/** The terminal's size, following resizes (the layout uses all the room there is). */
import { useEffect, useState } from 'react'
import { useStdout } from 'ink'

export interface TerminalSize {
  columns: number
  rows: number
}

// 80×24 when the stream does not know (a pipe, a test stdout without rows)
const read = (s: NodeJS.WriteStream): TerminalSize => ({
  columns: s.columns > 0 ? s.columns : 80,
  rows: s.rows > 0 ? s.rows : 24,
})

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout()
  const [size, setSize] = useState(() => read(stdout))
  useEffect(() => {
    const onResize = () =>
      setSize((old) => {
        const next = read(stdout)
        return next.columns === old.columns && next.rows === old.rows ? old : next
      })
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return size
}
