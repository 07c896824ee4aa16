import { Component, computed, input } from '@angular/core';
import type { Trace } from './panel-api';
import { formatTraceMs, waterfallBars } from './waterfall';

/** Every hop of one request on its time line: who reported it, from where to where, and how it ended. */
@Component({
  selector: 'mc-trace-waterfall',
  template: `
    <ol class="hops" [attr.aria-label]="'Hops of request ' + trace().requestId">
      @for (hop of trace().hops; track $index; let i = $index) {
        <li class="hop" [class.mirror]="hop.mirror" [attr.data-status]="hop.status">
          <div class="track" aria-hidden="true">
            <span class="bar" [style.left.%]="bars()[i]?.left" [style.width.%]="bars()[i]?.width"></span>
          </div>
          <p>
            <strong>{{ hop.source }} → {{ hop.destination ?? hop.service ?? 'unknown' }}</strong>
            @if (hop.mirror) {
              {{ ' ' }}<span class="tag">mirror copy</span>
            }
            · {{ hop.reporter }} proxy · status {{ hop.status }}
            @if (hop.responseFlags !== '-') {
              · flags {{ hop.responseFlags }}
            }
            · {{ ms(hop.durationMs) }} at +{{ ms(hop.startOffsetMs) }}
          </p>
          <p class="muted">
            route {{ hop.route ?? '—' }} · cluster {{ hop.cluster ?? '—' }}
          </p>
        </li>
      }
    </ol>
  `,
  styleUrl: './trace-waterfall.scss',
})
export class TraceWaterfall {
  readonly trace = input.required<Trace>();
  protected readonly bars = computed(() => waterfallBars(this.trace()));
  protected readonly ms = formatTraceMs;
}
