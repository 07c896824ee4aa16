import { type Static, type TObject, Type } from 'typebox';
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

/** The variables every service reads the same way; spread into a service's own schema. */
export function serviceEnvProperties(appName: string) {
  return {
    APP_NAME: Type.String({ default: appName, pattern: '^[a-z0-9-]+$' }),
    APP_VERSION: Type.String({ default: 'v1', pattern: '^v[0-9]+$' }),
    HOST: Type.String({ default: '0.0.0.0' }),
    PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
    DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
    BODY_LIMIT: Type.Integer({ default: 65_536, minimum: 1024 }),
    LOG_LEVEL: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
  };
}
