import type { Static, TObject } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigError } from './errors.ts';

/**
 * Parses environment variables against a TypeBox object schema: strings are converted to the
 * schema's types, defaults applied, and the first bad variable stops start-up with its name.
 * The result is frozen; nothing else in a service reads `process.env`.
 */
export function parseEnv<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<Static<S>> {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') known[key] = value;
  }
  const value = Value.Convert(schema, Value.Default(schema, known));
  const [error] = Value.Errors(schema, value);
  if (error) {
    const variable = variableOf(error) ?? 'environment';
    throw new ConfigError(variable, error.message);
  }
  return Object.freeze(value as Static<S>);
}

function variableOf(error: { instancePath: string; keyword: string; params: object }): string | undefined {
  if (error.keyword === 'required' && 'requiredProperties' in error.params) {
    const [name] = error.params.requiredProperties as string[];
    return name;
  }
  return error.instancePath.split('/')[1];
}
