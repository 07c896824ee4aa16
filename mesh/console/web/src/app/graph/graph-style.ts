import type { StylesheetJson } from 'cytoscape';

/** Health colours (PatternFly's, as Kiali's): the table's marks use the same (styles.scss). */
export const healthColors = {
  healthy: '#3e8635',
  degraded: '#f0ab00',
  failure: '#c9190b',
  idle: '#8a8d90',
} as const;

const ink = '#151515';

/** Kiali's shapes: apps as rounded squares, workloads as circles, services as triangles; boxes around an app's versions. */
export const graphStyle: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      color: ink,
      'font-size': 11,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-wrap': 'wrap',
      'text-max-width': '140px',
      width: 30,
      height: 30,
      shape: 'ellipse',
      'background-color': '#ffffff',
      'border-width': 2,
      'border-color': healthColors.idle,
    },
  },
  { selector: 'node.kind-app', style: { shape: 'round-rectangle' } },
  { selector: 'node.kind-service', style: { shape: 'round-triangle' } },
  { selector: 'node.gateway', style: { shape: 'round-hexagon', 'background-color': '#e7f1fa' } },
  { selector: 'node.health-healthy', style: { 'border-color': healthColors.healthy } },
  { selector: 'node.health-degraded', style: { 'border-color': healthColors.degraded, 'border-width': 4 } },
  { selector: 'node.health-failure', style: { 'border-color': healthColors.failure, 'border-width': 4 } },
  {
    selector: 'node.kind-box',
    style: {
      shape: 'round-rectangle',
      'background-color': '#f5f5f5',
      'border-width': 1,
      'border-color': healthColors.idle,
      'text-valign': 'top',
      'text-margin-y': -4,
      'font-weight': 'bold',
      padding: '14px',
    },
  },
  {
    selector: 'edge',
    style: {
      width: 2,
      'curve-style': 'bezier',
      'target-arrow-shape': 'vee',
      'line-color': healthColors.idle,
      'target-arrow-color': healthColors.idle,
      label: 'data(label)',
      color: ink,
      'font-size': 9,
      // Not drawn while too small to read (a large graph fitted on screen): zooming in shows
      // them, and a redraw skips a hundred labels nobody could read.
      'min-zoomed-font-size': 7,
      // Along the edge, just above it: labels of edges that leave one node fan out instead of
      // piling up on each other.
      'text-rotation': 'autorotate',
      'text-margin-y': -8,
      'text-wrap': 'wrap',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.85,
      'text-background-padding': '2px',
    },
  },
  ...(['healthy', 'degraded', 'failure'] as const).map((health) => ({
    selector: `edge.health-${health}`,
    style: { 'line-color': healthColors[health], 'target-arrow-color': healthColors[health] },
  })),
  { selector: 'edge.tcp', style: { 'line-color': '#0066cc', 'target-arrow-color': '#0066cc' } },
  { selector: 'edge.mirror', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 4] } },
];
