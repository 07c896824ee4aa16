/** Base of every error the console answers itself: a code and an HTTP status, as problem+json. */
export class ConsoleError extends Error {
  readonly code: string;
  readonly httpStatus: number;

  constructor(code: string, httpStatus: number, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** A request the console refuses, naming the parameter or field at fault first. */
export class ConsoleRequestError extends ConsoleError {}
