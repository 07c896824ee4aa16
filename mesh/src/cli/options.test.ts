import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { formatOptions, parseOptions, positiveNumber } from './options.ts';

const table = {
  port: { type: 'string', short: 'p', description: 'ingress port' },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

describe('command options', () => {
  it('lists each option with its short flag and value, padded to a column', () => {
    expect(formatOptions(table, 22)).toEqual([
      '  -p, --port <value>    ingress port',
      '      --json            print JSON',
    ]);
  });

  it('parses known flags and turns unknown ones into a usage error', () => {
    expect(parseOptions(table, ['-p', '8080', '--json'])).toEqual({ port: '8080', json: true });
    expect(() => parseOptions(table, ['--bogus'])).toThrow(UsageError);
    expect(() => parseOptions(table, ['--bogus'])).toThrow(/see --help/);
  });

  it('reads positive numbers, with defaults, integers and required flags', () => {
    expect(positiveNumber('2.5', '--rps')).toBe(2.5);
    expect(positiveNumber(undefined, '--users', { default: 10 })).toBe(10);
    expect(() => positiveNumber(undefined, '--rps')).toThrow('--rps is required (see --help)');
    expect(() => positiveNumber('0', '--rps')).toThrow('--rps must be a positive number (got 0)');
    expect(() => positiveNumber('1.5', '--users', { integer: true })).toThrow(
      '--users must be a positive integer (got 1.5)',
    );
  });
});
