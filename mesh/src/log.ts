export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The runtime's only way to speak; the CLI decides where the lines go. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line printed by a workload, shown as `<source> | <line>`. */
  output(source: string, line: string): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return value in rank;
}

export function createLogger(write: (line: string) => void, level: LogLevel = 'info'): Logger {
  const min = rank[level];
  const at = (lvl: LogLevel, prefix: string) =>
    rank[lvl] >= min ? (message: string) => write(`${prefix}${message}`) : () => {};
  return {
    debug: at('debug', 'mesh  | debug: '),
    info: at('info', 'mesh  | '),
    warn: at('warn', 'mesh  | warning: '),
    error: at('error', 'mesh  | error: '),
    output: (source, line) => write(`${source} | ${line}`),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  output() {},
};
