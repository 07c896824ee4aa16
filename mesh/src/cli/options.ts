import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

/** One option of a command: what node:util's parseArgs takes, plus the line --help shows. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The values of `args` (default: the process's) against `table`; a bad flag is a UsageError. */
export function parseOptions<const T extends OptionTable>(table: T, args?: string[]) {
  try {
    return parseArgs({ options: table, strict: true, allowPositionals: false, ...(args ? { args } : {}) })
      .values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help)`);
  }
}

/** --help's lines for `table`, in its order: `  -p, --port <value>  description`, flags padded to `width`. */
export function formatOptions(table: OptionTable, width = 28): string[] {
  return Object.entries(table).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(width)}${option.description}`;
  });
}

/**
 * `value` of `flag` (`--rps`) as a positive number (with `integer`, a positive integer); when the
 * flag was not given, `default`, or a UsageError saying it is required.
 */
export function positiveNumber(
  value: string | undefined,
  flag: string,
  options: { default?: number; integer?: boolean } = {},
): number {
  if (value === undefined) {
    if (options.default === undefined) throw new UsageError(`${flag} is required (see --help)`);
    return options.default;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (options.integer && !Number.isInteger(number)))
    throw new UsageError(
      `${flag} must be a positive ${options.integer ? 'integer' : 'number'} (got ${value})`,
    );
  return number;
}
