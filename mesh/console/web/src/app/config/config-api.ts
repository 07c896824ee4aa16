/** The config API's answer as the page reads it (mesh/console/src/control-routes.ts). */
export type Level = 'Error' | 'Warning' | 'Info';

export interface Finding {
  readonly code: string;
  readonly level: Level;
  readonly message: string;
  readonly hint?: string | undefined;
  readonly field?: string | undefined;
  readonly line?: number | undefined;
}

/** An object as applied, as JSON: the page reads `spec` only. */
export interface Manifest {
  readonly spec?: unknown;
  readonly [field: string]: unknown;
}

export interface ConfigObject {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly file: string;
  readonly line?: number | undefined;
  readonly yaml: string;
  readonly manifest: Manifest;
  readonly findings: readonly Finding[];
}

export interface ConfigAnswer {
  readonly objects: readonly ConfigObject[];
}

/** What the runtime did with each object a wizard applied (`kubectl apply`'s words). */
export interface ChangeResult {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly display: string;
  readonly action: string;
}

export interface WizardAnswer {
  readonly yaml: string;
  readonly results?: readonly ChangeResult[];
}

export function configQuery(namespace: string): string {
  return `/api/istio/config?${new URLSearchParams({ namespaces: namespace })}`;
}

export function wizardUrl(wizard: string, apply: boolean): string {
  return `/api/wizards/${wizard}${apply ? '?apply=true' : ''}`;
}
