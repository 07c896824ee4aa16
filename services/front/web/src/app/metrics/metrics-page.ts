import { DecimalPipe, PercentPipe } from '@angular/common';
import { Component } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatCard, MatCardContent, MatCardHeader, MatCardTitle } from '@angular/material/card';
import { MatChip } from '@angular/material/chips';
import { MatProgressBar } from '@angular/material/progress-bar';
import { pollMetrics } from './metrics';

@Component({
  selector: 'app-metrics-page',
  imports: [
    DecimalPipe,
    MatCard,
    MatCardContent,
    MatCardHeader,
    MatCardTitle,
    MatChip,
    MatProgressBar,
    PercentPipe,
  ],
  templateUrl: './metrics-page.html',
  styleUrl: './metrics-page.scss',
})
export class MetricsPage {
  protected readonly metrics = toSignal(pollMetrics(), {
    initialValue: { services: undefined, error: undefined },
  });
}
