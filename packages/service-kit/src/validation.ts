import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/**
 * TypeBox validation for Fastify. Query strings, params and headers arrive as text, so they get the
 * schema's defaults and are converted to its types; JSON bodies are checked as sent: `"300"` is not
 * a number, and a client learns that from a 400 instead of a silent coercion.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  const fromText = httpPart !== 'body';
  return (input) => {
    const value = fromText ? Value.Convert(schema, Value.Default(schema, Value.Clone(input))) : input;
    if (check.Check(value)) return { value };
    return { error: [...check.Errors(value)] as never };
  };
};
