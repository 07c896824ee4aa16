import {
  afterRenderEffect,
  Component,
  DestroyRef,
  type ElementRef,
  inject,
  input,
  output,
  viewChild,
} from '@angular/core';
import cytoscape, { type Core, type LayoutOptions } from 'cytoscape';
import dagre from 'cytoscape-dagre';
import type { EdgeLabelMode } from './graph-api';
import { graphStyle, healthColors } from './graph-style';
import { cytoscapeElements, type GraphView } from './graph-view';
import type { Selection } from './panel-target';
import { type Flow, flowOf, TrafficDots } from './traffic-dots';

cytoscape.use(dagre);

const layoutPadding = 40;

// Left to right, as Kiali lays out its graph with dagre.
const layout = {
  name: 'dagre',
  rankDir: 'LR',
  nodeSep: 60,
  rankSep: 140,
  padding: layoutPadding,
  fit: true,
  animate: false,
} as LayoutOptions;

/**
 * The graph drawn with cytoscape. A refresh with the same nodes updates figures and colours in
 * place, so nodes stay where they are (or where the user dragged them); other nodes lay the
 * graph out again. Traffic is animated on a canvas over it. A click on a node or an edge selects
 * it (the page opens its side panel); where each one is drawn is kept on the element
 * (`data-positions`, by name) for tests to click.
 */
@Component({
  selector: 'mc-graph-canvas',
  template: `
    <div #graph class="graph" role="img" [attr.aria-label]="description()"></div>
    <canvas #dots class="dots" aria-hidden="true"></canvas>
  `,
  styleUrl: './graph-canvas.scss',
})
export class GraphCanvas {
  readonly view = input.required<GraphView>();
  /** Traffic animation (the page turns it off when the user prefers reduced motion). */
  readonly animate = input(true);
  /** What the edges say (Kiali's "Edge labels"). */
  readonly edgeLabels = input<EdgeLabelMode>('all');
  /** The element whose side panel is open, highlighted. */
  readonly selected = input<Selection | undefined>();
  readonly select = output<Selection>();

  private readonly graph = viewChild.required<ElementRef<HTMLDivElement>>('graph');
  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('dots');
  private cy: Core | undefined;
  private readonly traffic = new TrafficDots();
  private frame: number | undefined;
  private lastFrame = 0;

  constructor() {
    afterRenderEffect({ write: () => this.draw(this.view(), this.edgeLabels()) });
    afterRenderEffect({ write: () => (this.animate() ? this.startAnimation() : this.stopAnimation()) });
    afterRenderEffect({ write: () => this.highlight(this.selected()) });
    // The side panel narrows the graph: cytoscape only notices the window's own resizes, and the
    // graph is fitted again so that no node is left outside.
    const resized = new ResizeObserver(() => this.cy?.resize().fit(undefined, layoutPadding));
    afterRenderEffect({ write: () => resized.observe(this.graph().nativeElement) });
    inject(DestroyRef).onDestroy(() => {
      resized.disconnect();
      this.stopAnimation();
      this.cy?.destroy();
    });
  }

  protected description(): string {
    const { nodes, edges } = this.view();
    const count = nodes.filter((node) => node.kind !== 'box').length;
    return `Traffic graph: ${count} nodes and ${edges.length} edges, listed in the table below.`;
  }

  private draw(view: GraphView, labels: EdgeLabelMode): void {
    const started = performance.now();
    this.timeDraw(started);
    const elements = cytoscapeElements(view, labels);
    const flows = new Map<string, Flow>();
    for (const edge of view.edges) {
      const flow = flowOf(edge);
      if (flow) flows.set(edge.id, flow);
    }
    this.traffic.setFlows(flows);
    const cy = this.cy;
    if (!cy) {
      this.cy = cytoscape({
        container: this.graph().nativeElement,
        elements: elements.map((element) => ({ ...element, data: { ...element.data } })),
        style: [
          ...graphStyle,
          {
            selector: '.chosen',
            style: { 'overlay-color': '#0066cc', 'overlay-opacity': 0.18, 'overlay-padding': 6 },
          },
        ],
        minZoom: 0.2,
        maxZoom: 3,
        boxSelectionEnabled: false,
        // The page decides what is selected (the URL), not cytoscape's own taps.
        autounselectify: true,
      });
      this.listen(this.cy);
      this.layOut(this.cy);
      this.highlight(this.selected());
      return;
    }
    const nodeIds = new Set(elements.filter((e) => e.group === 'nodes').map((e) => e.data.id));
    const shown = cy.nodes().map((node) => node.id());
    const sameNodes = shown.length === nodeIds.size && shown.every((id) => nodeIds.has(id));
    cy.batch(() => {
      if (!sameNodes) {
        cy.elements().remove();
        cy.add(elements.map((element) => ({ ...element, data: { ...element.data } })));
        return;
      }
      const edgeIds = new Set(elements.filter((e) => e.group === 'edges').map((e) => e.data.id));
      cy.edges()
        .filter((edge) => !edgeIds.has(edge.id()))
        .remove();
      for (const element of elements) {
        const existing = cy.getElementById(element.data.id);
        if (existing.empty()) cy.add({ ...element, data: { ...element.data } });
        else existing.data(element.data).classes(element.classes);
      }
    });
    if (!sameNodes) this.layOut(cy);
    this.highlight(this.selected());
  }

  private listen(cy: Core): void {
    cy.on('tap', 'node, edge', (event) => {
      const element = event.target as cytoscape.SingularElementArgument;
      if (element.isNode() && element.hasClass('kind-box')) return;
      this.select.emit({ kind: element.isNode() ? 'node' : 'edge', id: element.id() });
    });
    cy.on('layoutstop viewport resize', () => this.notePositions(cy));
  }

  private highlight(selection: Selection | undefined): void {
    const cy = this.cy;
    if (!cy) return;
    cy.elements('.chosen').removeClass('chosen');
    if (selection) cy.getElementById(selection.id).addClass('chosen');
  }

  /** Where each node and edge is drawn, by name (`back v2`, `back → back v2`), in CSS pixels. */
  private notePositions(cy: Core): void {
    const positions: Record<string, [number, number]> = {};
    const at = ({ x, y }: { x: number; y: number }): [number, number] => [Math.round(x), Math.round(y)];
    cy.nodes().forEach((node) => {
      positions[String(node.data('name'))] = at(node.renderedPosition());
    });
    cy.edges().forEach((edge) => {
      const name = `${edge.source().data('name')} → ${edge.target().data('name')}${edge.hasClass('mirror') ? ' (mirror)' : ''}`;
      positions[name] = at(edge.renderedMidpoint());
    });
    this.graph().nativeElement.setAttribute('data-positions', JSON.stringify(positions));
  }

  /**
   * How long the draw took until the frame after it was painted, on the element
   * (`data-draw-ms`), for the benchmark to read: a task queued from the next frame runs after
   * that frame's paint.
   */
  private timeDraw(started: number): void {
    const element = this.graph().nativeElement;
    requestAnimationFrame(() =>
      setTimeout(() => element.setAttribute('data-draw-ms', (performance.now() - started).toFixed(1))),
    );
  }

  /** Lays the graph out, counting the layouts on the element (`data-layouts`) for tests to see. */
  private layOut(cy: Core): void {
    cy.layout(layout).run();
    const element = this.graph().nativeElement;
    element.setAttribute('data-layouts', String(Number(element.getAttribute('data-layouts') ?? 0) + 1));
  }

  private startAnimation(): void {
    if (this.frame !== undefined) return;
    this.lastFrame = performance.now();
    const step = (now: number) => {
      this.traffic.advance((now - this.lastFrame) / 1000);
      this.lastFrame = now;
      this.paintDots();
      this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }

  private stopAnimation(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    const canvas = this.canvas().nativeElement;
    canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  }

  /** Each dot on its edge's curve: the quadratic Bézier through the edge's ends and midpoint. */
  private paintDots(): void {
    const cy = this.cy;
    const canvas = this.canvas().nativeElement;
    const context = canvas.getContext('2d');
    if (!cy || !context) return;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    const radius = Math.min(Math.max(2.5 * cy.zoom(), 1.5), 5);
    // One path per colour, filled once: a fill per dot made the animation the page's costliest
    // work on a graph of a hundred edges.
    const ok = new Path2D();
    const failed = new Path2D();
    for (const id of this.traffic.ids()) {
      const edge = cy.getElementById(id);
      if (edge.empty() || !edge.visible()) continue;
      const from = edge.renderedSourceEndpoint();
      const to = edge.renderedTargetEndpoint();
      const mid = edge.renderedMidpoint();
      const control = { x: 2 * mid.x - (from.x + to.x) / 2, y: 2 * mid.y - (from.y + to.y) / 2 };
      for (const dot of this.traffic.dots(id)) {
        const t = dot.at;
        const x = (1 - t) ** 2 * from.x + 2 * (1 - t) * t * control.x + t ** 2 * to.x;
        const y = (1 - t) ** 2 * from.y + 2 * (1 - t) * t * control.y + t ** 2 * to.y;
        const path = dot.error ? failed : ok;
        path.moveTo(x + radius, y);
        path.arc(x, y, radius, 0, 2 * Math.PI);
      }
    }
    context.fillStyle = '#1f1f1f';
    context.fill(ok);
    context.fillStyle = healthColors.failure;
    context.fill(failed);
  }
}
