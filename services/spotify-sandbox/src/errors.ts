/**
 * A Web API error as Spotify sends it: `{ "error": { "status", "message" } }`. The message is
 * Spotify's own wording, since clients written against Spotify may match on it.
 */
export class WebApiError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'WebApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.headers = headers;
  }

  toJSON() {
    return { error: { status: this.statusCode, message: this.message } };
  }
}

export class InvalidTokenError extends WebApiError {
  constructor(message: 'No token provided' | 'Invalid access token' | 'The access token expired') {
    super(401, 'INVALID_TOKEN', message, {
      'www-authenticate': `Bearer realm="spotify", error="invalid_token", error_description="${message}"`,
    });
  }
}

export class RateLimitError extends WebApiError {
  constructor(retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', 'API rate limit exceeded', { 'retry-after': String(retryAfterSeconds) });
  }
}

/**
 * An accounts-service error, shaped by OAuth 2.0 (RFC 6749 §5.2) rather than like the Web API's:
 * `{ "error": "invalid_client", "error_description": "..." }`.
 */
export class OAuthError extends Error {
  readonly code: string;
  readonly statusCode = 400;

  constructor(code: 'invalid_client' | 'unsupported_grant_type' | 'invalid_request', description: string) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
  }

  toJSON() {
    return { error: this.code, error_description: this.message };
  }
}
