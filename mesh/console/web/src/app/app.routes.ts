import type { Routes } from '@angular/router';

export const routes: Routes = [
  {
    path: '',
    pathMatch: 'full',
    title: 'Traffic graph · Mesh console',
    loadComponent: () => import('./graph/graph-page').then((m) => m.GraphPage),
  },
  { path: '**', redirectTo: '' },
];
