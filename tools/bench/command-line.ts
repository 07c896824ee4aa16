import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * node:util's parseArgs for the benchmarks' command lines: an unknown option, or a value given to
 * a flag, ends the run with one line naming it and exit 2 instead of a stack trace.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  tool: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    process.stderr.write(`${tool}: ${(error as Error).message} (see --help)\n`);
    process.exit(2);
  }
}
