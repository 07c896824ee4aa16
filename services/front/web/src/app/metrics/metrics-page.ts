import { DatePipe, DecimalPipe, PercentPipe } from '@angular/common';
import { Component } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButton } from '@angular/material/button';
import { MatCard, MatCardContent, MatCardHeader, MatCardTitle } from '@angular/material/card';
import { MatChip } from '@angular/material/chips';
import { MatProgressBar } from '@angular/material/progress-bar';
import { pollMetrics, type ServiceMetrics } from './metrics';

@Component({
  selector: 'app-metrics-page',
  imports: [
    DatePipe,
    DecimalPipe,
    MatButton,
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
    initialValue: { answer: undefined, error: undefined },
  });

  /** The card's readings do not span the window yet (front started, or the source is new). */
  protected filling(service: ServiceMetrics, windowSeconds: number): boolean {
    return service.windowSeconds < windowSeconds * 0.9;
  }

  /** Whose requests a card counts, so a reader knows what its figures cover. */
  protected sourceNote(service: ServiceMetrics): string {
    switch (service.source) {
      case 'mesh':
        return 'Istio metrics, all replicas';
      case 'self':
        return "This front replica's own counters";
      case 'endpoint': {
        const seen = service.replicasSeen ?? 0;
        return `${seen} ${seen === 1 ? 'replica' : 'replicas'} seen through the Service`;
      }
      case null:
        return 'Not read yet';
    }
  }
}
