import { Component, computed, input, output, signal, type WritableSignal } from '@angular/core';
import {
  formatMs,
  formatPercent,
  formatRate,
  type GraphView,
  type ViewEdge,
  type ViewNode,
} from './graph-view';
import { type Health, healthLabels, healthRank } from './health';
import { edgeTitle, type Selection } from './panel-target';

interface Column<Row> {
  readonly key: string;
  readonly label: string;
  readonly value: (row: Row) => string | number;
  readonly numeric?: boolean;
}

interface Sort {
  readonly key: string;
  readonly ascending: boolean;
}

const kindLabels: Readonly<Record<ViewNode['kind'], string>> = {
  app: 'App',
  service: 'Service',
  workload: 'Workload',
  box: 'App box',
  unknown: 'Unknown',
};

const nodeColumns: readonly Column<ViewNode>[] = [
  { key: 'name', label: 'Name', value: (node) => node.name },
  { key: 'kind', label: 'Type', value: (node) => kindLabels[node.kind] },
  { key: 'in', label: 'Received', value: (node) => node.inRate, numeric: true },
  { key: 'out', label: 'Sent', value: (node) => node.outRate, numeric: true },
  { key: 'errors', label: 'Errors received', value: (node) => node.errorPercent ?? -1, numeric: true },
  { key: 'health', label: 'Health', value: (node) => healthRank[node.health], numeric: true },
];

const edgeColumns: readonly Column<ViewEdge>[] = [
  { key: 'from', label: 'From', value: (edge) => edge.sourceName },
  { key: 'to', label: 'To', value: (edge) => edge.targetName },
  { key: 'kind', label: 'Traffic', value: (edge) => trafficLabel(edge) },
  { key: 'rate', label: 'Rate', value: (edge) => edge.rate, numeric: true },
  { key: 'share', label: 'Share of source', value: (edge) => edge.share ?? -1, numeric: true },
  { key: 'errors', label: 'Errors', value: (edge) => edge.errorPercent ?? -1, numeric: true },
  { key: 'p95', label: 'p95', value: (edge) => edge.p95Ms ?? -1, numeric: true },
  { key: 'health', label: 'Health', value: (edge) => healthRank[edge.health], numeric: true },
];

function trafficLabel(edge: ViewEdge): string {
  return `${edge.protocol.toUpperCase()}${edge.mirror ? ' mirror' : ''}`;
}

function sorted<Row>(rows: readonly Row[], columns: readonly Column<Row>[], sort: Sort | undefined): Row[] {
  const column = columns.find((c) => c.key === sort?.key);
  if (!column || !sort) return [...rows];
  const direction = sort.ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    return (
      (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) *
      direction
    );
  });
}

/** The graph's nodes and edges with their figures, as tables a keyboard or a screen reader can read. */
@Component({
  selector: 'mc-graph-table',
  templateUrl: './graph-table.html',
  styleUrl: './graph-table.scss',
})
export class GraphTable {
  readonly view = input.required<GraphView>();
  /** "the last 1m", "the last 12 s": what the rates cover. */
  readonly over = input.required<string>();
  /** The element whose side panel is open. */
  readonly selected = input<Selection | undefined>();
  /** A row's Details button: opens the side panel (the way in for keyboards and screen readers). */
  readonly details = output<Selection>();

  protected readonly nodeColumns = nodeColumns;
  protected readonly edgeColumns = edgeColumns;
  protected readonly nodeSort = signal<Sort | undefined>(undefined);
  protected readonly edgeSort = signal<Sort | undefined>(undefined);
  protected readonly healthLabels = healthLabels;
  protected readonly kindLabels = kindLabels;
  protected readonly trafficLabel = trafficLabel;
  protected readonly edgeTitle = edgeTitle;

  protected readonly nodes = computed(() =>
    sorted(
      this.view().nodes.filter((node) => node.kind !== 'box'),
      nodeColumns,
      this.nodeSort(),
    ),
  );
  protected readonly edges = computed(() => sorted(this.view().edges, edgeColumns, this.edgeSort()));

  protected toggle(sort: WritableSignal<Sort | undefined>, key: string): void {
    const current = sort();
    sort.set({ key, ascending: current?.key === key ? !current.ascending : true });
  }

  protected ariaSort(sort: Sort | undefined, key: string): string | null {
    if (sort?.key !== key) return null;
    return sort.ascending ? 'ascending' : 'descending';
  }

  protected rate(value: number, protocol: 'http' | 'tcp' | undefined): string {
    return protocol ? formatRate(value, protocol) : '—';
  }

  protected percent(value: number | undefined): string {
    return value === undefined ? '—' : formatPercent(value);
  }

  protected ms(value: number | undefined): string {
    return value === undefined ? '—' : formatMs(value);
  }

  protected isSelected(kind: Selection['kind'], id: string): boolean {
    const selected = this.selected();
    return selected?.kind === kind && selected.id === id;
  }

  protected healthClass(health: Health): string {
    return `health health-${health}`;
  }
}
