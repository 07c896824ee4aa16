import type { Routes } from '@angular/router';
import { adminGuard, authGuard } from './auth/guards';
import { Shell } from './shell/shell';

export const routes: Routes = [
  {
    path: 'login',
    title: 'Sign in · Music',
    loadComponent: () => import('./auth/login-page').then((m) => m.LoginPage),
  },
  {
    path: '',
    component: Shell,
    canActivate: [authGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'tracks' },
      {
        path: 'tracks',
        title: 'Tracks · Music',
        loadComponent: () => import('./tracks/track-list').then((m) => m.TrackList),
      },
      {
        path: 'tracks/new',
        title: 'New track · Music',
        loadComponent: () => import('./tracks/track-form').then((m) => m.TrackForm),
      },
      {
        path: 'tracks/:id/edit',
        title: 'Edit track · Music',
        loadComponent: () => import('./tracks/track-form').then((m) => m.TrackForm),
      },
      {
        path: 'admin/users',
        canActivate: [adminGuard],
        children: [
          {
            path: '',
            title: 'Users · Music',
            loadComponent: () => import('./users/user-list').then((m) => m.UserList),
          },
          {
            path: 'new',
            title: 'New user · Music',
            loadComponent: () => import('./users/user-form').then((m) => m.UserForm),
          },
          {
            path: ':login/edit',
            title: 'Edit user · Music',
            loadComponent: () => import('./users/user-form').then((m) => m.UserForm),
          },
        ],
      },
      {
        path: 'metrics',
        title: 'Metrics · Music',
        loadComponent: () => import('./metrics/metrics-page').then((m) => m.MetricsPage),
      },
      {
        path: 'access-denied',
        title: 'Access denied · Music',
        loadComponent: () => import('./auth/access-denied').then((m) => m.AccessDenied),
      },
    ],
  },
  { path: '**', redirectTo: '' },
];
