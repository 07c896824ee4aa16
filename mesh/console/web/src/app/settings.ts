import { DOCUMENT } from '@angular/common';
import { InjectionToken, inject } from '@angular/core';

/** What the server that serves the pages tells them (mesh/console/src/static.ts). */
export interface ConsoleSettings {
  /** Where to send requests (the runtime's ingress), for the empty graph's hint. */
  readonly ingressUrl: string | undefined;
  /** The namespace the graph shows. */
  readonly namespace: string;
}

/** The settings embedded in index.html as `<script id="console-settings" type="application/json">`. */
export const CONSOLE_SETTINGS = new InjectionToken<ConsoleSettings>('console settings', {
  providedIn: 'root',
  factory: () => {
    const text = inject(DOCUMENT).getElementById('console-settings')?.textContent ?? '{}';
    let raw: { ingressUrl?: unknown; namespace?: unknown } = {};
    try {
      raw = JSON.parse(text) as typeof raw;
    } catch {
      // The defaults below: a page opened from `ng serve` has no settings.
    }
    return {
      ingressUrl: typeof raw.ingressUrl === 'string' ? raw.ingressUrl : undefined,
      namespace: typeof raw.namespace === 'string' && raw.namespace !== '' ? raw.namespace : 'music',
    };
  },
});
