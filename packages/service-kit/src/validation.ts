import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

interface InputError {
  instancePath: string;
  keyword: string;
  message: string;
}

/**
 * TypeBox validation for Fastify. Query strings, params and headers arrive as text, so they get the
 * schema's defaults and are converted to its types; JSON bodies are checked as sent: `"300"` is not
 * a number, and a client learns that from a 400 instead of a silent coercion. Two rules hold for
 * every route: an integer sent as text is digits only (the converter would turn `1.5` into 1), and
 * no string carries a character PostgreSQL `text` cannot store (NUL, a lone surrogate), which would
 * otherwise surface as a 500 from the database.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const fromText = httpPart !== 'body';
  return (input) => {
    const textErrors = fromText ? integerTextErrors(schema, input) : [];
    if (textErrors.length > 0) return { error: textErrors as never };
    const value = fromText ? Value.Convert(schema, Value.Default(schema, Value.Clone(input))) : input;
    if (!check.Check(value)) return { error: [...check.Errors(value)] as never };
    const unstorable = unstorableStrings(value, '');
    if (unstorable.length > 0) return { error: unstorable as never };
    return { value };
  };
};

const INTEGER_TEXT = /^[+-]?\d{1,15}$/;

function integerTextErrors(schema: TSchema, input: unknown): InputError[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof input !== 'object' || input === null) return [];
  const errors: InputError[] = [];
  for (const [name, property] of Object.entries(properties)) {
    const text = (input as Record<string, unknown>)[name];
    if (property.type === 'integer' && typeof text === 'string' && !INTEGER_TEXT.test(text)) {
      errors.push({ instancePath: `/${name}`, keyword: 'type', message: 'must be an integer' });
    }
  }
  return errors;
}

function unstorableStrings(value: unknown, path: string): InputError[] {
  if (typeof value === 'string') {
    // A surrogate half without its pair is what makes a string not well-formed: it has no UTF-8.
    return value.includes('\u0000') || !value.isWellFormed()
      ? [{ instancePath: path, keyword: 'unstorable', message: 'contains a NUL or an unpaired surrogate' }]
      : [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const errors: InputError[] = [];
  for (const [key, item] of Object.entries(value)) errors.push(...unstorableStrings(item, `${path}/${key}`));
  return errors;
}
