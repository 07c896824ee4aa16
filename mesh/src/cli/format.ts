import { stringify } from 'yaml';
import type { ResourceItem } from '../control/client.ts';
import type { PodStatus } from '../workloads/supervisor.ts';

/** kubectl's columns: left-aligned, three spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** kubectl's AGE: 42s, 3m12s, 45m, 5h, 3d. */
export function age(since: number, now = Date.now()): string {
  if (!since) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60}s`;
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

type Spec = Record<string, unknown>;
const spec = (item: ResourceItem): Spec => (item.manifest.spec ?? {}) as Spec;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The default `mesh get` table of a kind; with `allNamespaces` (`-A`), NAMESPACE first, as kubectl. */
export function resourceTable(
  kind: string,
  items: readonly (ResourceItem | PodStatus)[],
  options: { readonly now?: number; readonly allNamespaces?: boolean } = {},
): string {
  const { header, rows } = columns(kind, items, options.now ?? Date.now());
  if (!options.allNamespaces || kind === 'Namespace') return table(header, rows);
  return table(
    ['NAMESPACE', ...header],
    rows.map((row, i) => [items[i]?.namespace ?? '', ...row]),
  );
}

interface Columns {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

function columns(kind: string, items: readonly (ResourceItem | PodStatus)[], now: number): Columns {
  if (kind === 'Pod') {
    const pods = items as PodStatus[];
    return {
      header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'ADDRESS'],
      rows: pods.map((pod) => [
        pod.name,
        pod.ready ? '1/1' : '0/1',
        pod.phase,
        String(pod.restarts),
        age(pod.createdAt, now),
        pod.address.replace(/^[a-z]+:\/\//, ''),
      ]),
    };
  }
  const resources = items as ResourceItem[];
  const named = (header: readonly string[], cells: (item: ResourceItem) => string[]): Columns => ({
    header: ['NAME', ...header, 'AGE'],
    rows: resources.map((item) => [item.name, ...cells(item), age(item.createdAt, now)]),
  });
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
      return named(['READY', 'UP-TO-DATE', 'AVAILABLE'], (item) => {
        const status = item.status as { ready?: number; desired?: number; upToDate?: number } | undefined;
        const desired = status?.desired ?? Number(spec(item).replicas ?? 1);
        return [
          `${status?.ready ?? 0}/${desired}`,
          String(status?.upToDate ?? 0),
          String(status?.ready ?? 0),
        ];
      });
    case 'Service':
      return named(['TYPE', 'PORT(S)', 'ENDPOINTS'], (item) => {
        const ports = list(spec(item).ports).map(
          (port) => `${(port as Spec).port}/${(port as Spec).protocol ?? 'TCP'}`,
        );
        const endpoints = (item.status as { endpoints?: string[] } | undefined)?.endpoints ?? [];
        return [
          String(spec(item).type ?? 'ClusterIP'),
          ports.join(',') || '<none>',
          endpoints.map((origin) => origin.replace(/^[a-z]+:\/\//, '')).join(',') || '<none>',
        ];
      });
    case 'VirtualService':
      return named(['GATEWAYS', 'HOSTS'], (item) => [
        JSON.stringify(list(spec(item).gateways)).replaceAll(',', ', '),
        JSON.stringify(list(spec(item).hosts)).replaceAll(',', ', '),
      ]);
    case 'DestinationRule':
      return named(['HOST'], (item) => [String(spec(item).host ?? '')]);
    default:
      return named([], () => []);
  }
}

/** `-o yaml|json`: the manifests as applied (pods: their status), one object or a List. */
export function resourceOutput(
  format: 'yaml' | 'json',
  items: readonly (ResourceItem | PodStatus)[],
  single: boolean,
): string {
  const objects = items.map((item) => ('manifest' in item ? item.manifest : item));
  const value =
    single && objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd();
}

/** The parts of the data plane's Explanation (mesh/src/proxy/explain.ts) the CLI prints. */
interface ExplanationView {
  context: string;
  source: { workload: string; namespace: string } | null;
  authority: string;
  path: string;
  method: string;
  gateways: string[];
  /** The Gateway server port the request arrived on (gateway context). */
  gatewayPort?: number | null;
  virtualHost: { name: string; virtualServices: string[] } | null;
  matched: boolean;
  responseFlag: string | null;
  reason: string | null;
  routes: { name: string; matched: boolean; failedCondition: string | null }[];
  route: {
    name: string;
    virtualService: string | null;
    action: string;
    timeout: string;
    destinations: {
      service: string;
      subset: string | null;
      port: number | null;
      percent: number;
      endpoints: string[] | null;
      problem: string | null;
    }[];
    mirrors: { host: string; subset: string | null; percent: number }[];
    retries: { attempts: number; retryOn: string } | null;
    fault: { delayMs: number; delayPercent: number; abortStatus: number; abortPercent: number } | null;
  } | null;
}

function isExplanation(value: unknown): value is ExplanationView {
  return (
    !!value && typeof value === 'object' && 'routes' in value && 'matched' in value && 'context' in value
  );
}

function explanationLines(e: ExplanationView): string[] {
  const from =
    e.context === 'gateway'
      ? `through the ingress gateway${e.gatewayPort ? ` port ${e.gatewayPort}` : ''} (${e.gateways.join(', ') || 'no Gateway'})`
      : `from ${e.source ? `${e.source.namespace}/${e.source.workload}` : 'a workload'} (mesh)`;
  const lines = [`${e.method} ${e.authority}${e.path}  ${from}`];
  lines.push(
    e.virtualHost
      ? `virtual host ${e.virtualHost.name}: ${e.virtualHost.virtualServices.join(', ') || 'no VirtualService'}`
      : 'no virtual host for this authority',
  );
  for (const check of e.routes) {
    lines.push(
      `  ${check.matched ? '✔' : '✘'} ${check.name}${check.failedCondition ? `: ${check.failedCondition}` : ''}`,
    );
  }
  const route = e.route;
  if (!e.matched || !route) {
    lines.push(`not routed${e.responseFlag ? ` (${e.responseFlag})` : ''}${e.reason ? `: ${e.reason}` : ''}`);
    return lines;
  }
  lines.push(
    `route ${route.name}${route.virtualService ? ` of ${route.virtualService}` : ''}: ${route.action}`,
  );
  for (const d of route.destinations) {
    const target = `${d.service}${d.port ? `:${d.port}` : ''}${d.subset ? ` subset ${d.subset}` : ''}`;
    const endpoints = d.endpoints ? ` endpoints: ${d.endpoints.join(', ') || 'none'}` : '';
    lines.push(`  → ${target} ${d.percent}%${endpoints}${d.problem ? `  ⚠ ${d.problem}` : ''}`);
  }
  for (const m of route.mirrors)
    lines.push(`  ⇉ mirror ${m.host}${m.subset ? ` subset ${m.subset}` : ''} ${m.percent}%`);
  const extras = [`timeout ${route.timeout}`];
  if (route.retries) extras.push(`retries ${route.retries.attempts} on ${route.retries.retryOn}`);
  if (route.fault) {
    if (route.fault.delayPercent > 0)
      extras.push(`delay ${route.fault.delayMs} ms for ${route.fault.delayPercent}%`);
    if (route.fault.abortPercent > 0)
      extras.push(`abort ${route.fault.abortStatus} for ${route.fault.abortPercent}%`);
  }
  lines.push(`  ${extras.join(', ')}`);
  if (e.reason) lines.push(e.reason);
  return lines;
}

/** `mesh explain`: the data plane's explanation, readable (YAML when its shape is unknown). */
export function explanationText(explanation: unknown): string {
  if (isExplanation(explanation)) return explanationLines(explanation).join('\n');
  if (typeof explanation === 'string') return explanation;
  if (explanation && typeof explanation === 'object') {
    const { text, lines } = explanation as { text?: unknown; lines?: unknown };
    if (typeof text === 'string') return text;
    if (Array.isArray(lines) && lines.every((line) => typeof line === 'string')) return lines.join('\n');
  }
  return stringify(explanation).trimEnd();
}
