import { MeshError } from '../../errors.ts';

/**
 * A message that breaks HTTP/1.1's framing or character rules. `httpStatus` is what a server answers
 * it with (400, 431, 501, 505); a client gets the same error and calls it an upstream protocol
 * error. The code is llhttp's, which the rest of the proxy has always read.
 */
export class Http1Error extends MeshError {
  constructor(status: number, message: string) {
    super('HPE_INVALID', message, { httpStatus: status });
  }
}
