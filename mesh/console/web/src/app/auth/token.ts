/** What the page reads of the app's token: who it is for and until when (never checked here). */
export interface TokenClaims {
  readonly subject: string | undefined;
  /** Milliseconds since the epoch, from `exp`. */
  readonly expiresAt: number | undefined;
}

export function tokenClaims(token: string): TokenClaims | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; exp?: unknown };
    return {
      subject: typeof claims.sub === 'string' ? claims.sub : undefined,
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
    };
  } catch {
    return undefined;
  }
}

/** A token kept from an earlier visit is dropped once expired, rather than sent to be refused. */
export function tokenUsable(token: string, nowMs: number): boolean {
  const claims = tokenClaims(token);
  return claims !== undefined && (claims.expiresAt === undefined || claims.expiresAt > nowMs);
}

/** Only the console's own API gets the token: never another origin, never the pages themselves. */
export function isConsoleApi(url: string): boolean {
  return url.startsWith('/api/');
}
