import type { Routes } from '@angular/router';

export const routes: Routes = [
  {
    path: '',
    pathMatch: 'full',
    title: 'Traffic graph · Mesh console',
    loadComponent: () => import('./graph/graph-page').then((m) => m.GraphPage),
  },
  {
    path: 'config',
    title: 'Istio config · Mesh console',
    loadComponent: () => import('./config/config-page').then((m) => m.ConfigPage),
  },
  {
    path: 'explain',
    title: 'Explain a request · Mesh console',
    loadComponent: () => import('./explain/explain-page').then((m) => m.ExplainPage),
  },
  {
    path: 'mirrors',
    title: 'Mirror comparison · Mesh console',
    loadComponent: () => import('./mirrors/mirrors-page').then((m) => m.MirrorsPage),
  },
  { path: '**', redirectTo: '' },
];
