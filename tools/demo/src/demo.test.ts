import { describe, expect, it } from 'vitest';
import type { LoadReport } from '../../load/src/load.ts';
import { judge } from './demo.ts';
import { answered, delta, gatewayToBack, mirrored } from './metrics.ts';
import { parseStepList, type Step, steps } from './steps.ts';

const line = (
  reporter: string,
  version: string,
  value: number,
  source = 'istio-ingressgateway',
  service = 'back',
) =>
  `istio_requests_total{reporter="${reporter}",source_workload="${source}",source_canonical_service="x",` +
  `destination_version="${version}",destination_service="${service}.music.svc.cluster.local",` +
  `destination_service_name="${service}",response_code="200",response_flags="-"} ${value}`;

const step = (n: number): Step => steps.find((s) => s.number === n) as Step;

function report(split: Record<string, number>, errors = 0): LoadReport {
  const count = Object.values(split).reduce((a, b) => a + b, 0) + errors;
  return {
    split,
    total: { count, errorRate: count === 0 ? 0 : errors / count, clientErrorRate: 0 },
  } as unknown as LoadReport;
}

describe('istio_requests_total from the gateway to back', () => {
  it('sums per reporter and version, ignoring other sources and services', () => {
    const text = [
      '# TYPE istio_requests_total counter',
      line('source', 'v2', 100),
      line('destination', 'v2', 100),
      line('destination', 'v3', 98),
      line('source', 'v1', 7, 'front-v1'),
      line('source', 'unknown', 3, 'istio-ingressgateway', 'front'),
      'istio_request_bytes_sum{reporter="source"} 5',
    ].join('\n');
    const counts = gatewayToBack(text);
    expect(counts).toEqual({ source: { v2: 100 }, destination: { v2: 100, v3: 98 } });
    expect(mirrored(counts)).toEqual({ v3: 98 });
  });

  it('measures a step as the difference of two scrapes', () => {
    const before = gatewayToBack([line('source', 'v1', 50), line('destination', 'v1', 50)].join('\n'));
    const after = gatewayToBack(
      [line('source', 'v1', 140), line('destination', 'v1', 140), line('source', 'v2', 10)].join('\n'),
    );
    const step = delta(before, after);
    expect(answered(step)).toEqual({ v1: 90, v2: 10 });
    expect(mirrored(step)).toEqual({});
  });
});

describe('judging a step', () => {
  const measuredOf = (source: Record<string, number>, destination = source) => ({ source, destination });

  it('passes a canary near 90/10 by both measures', () => {
    const result = judge(step(2), report({ v1: 455, v2: 45 }), measuredOf({ v1: 455, v2: 45 }), 4, 0.01);
    expect(result.ok).toBe(true);
  });

  it('fails when the split is off, or errors exceed the limit', () => {
    expect(judge(step(2), report({ v1: 250, v2: 250 }), measuredOf({ v1: 250, v2: 250 }), 4, 0.01).ok).toBe(
      false,
    );
    const errors = judge(step(1), report({ v1: 480 }, 20), measuredOf({ v1: 480 }), 4, 0.01);
    expect(errors.errorOk).toBe(false);
    expect(errors.reasons).toEqual(['errors over 1%']);
    expect(errors.ok).toBe(false);
  });

  it('wants every answer mirrored to v3 in step 3, and no copies elsewhere', () => {
    const good = judge(step(3), report({ v2: 300 }), measuredOf({ v2: 300 }, { v2: 300, v3: 299 }), 4, 0.01);
    expect(good.mirrorRatio).toBeCloseTo(299 / 300, 6);
    expect(good.ok).toBe(true);
    const none = judge(step(3), report({ v2: 300 }), measuredOf({ v2: 300 }), 4, 0.01);
    expect(none.mirrorOk).toBe(false);
    const stray = judge(
      step(4),
      report({ v2: 90, v3: 210 }),
      measuredOf({ v2: 90, v3: 210 }, { v2: 390, v3: 210 }),
      4,
      0.01,
    );
    expect(stray.mirrorOk).toBe(false);
  });
});

describe('parseStepList', () => {
  it('reads lists and ranges, and refuses unknown steps', () => {
    expect(parseStepList('1,3-5', [1, 2, 3, 4, 5])).toEqual([1, 3, 4, 5]);
    expect(parseStepList('2, 1', [1, 2, 3])).toEqual([1, 2]);
    expect(() => parseStepList('6', [1, 2, 3, 4, 5])).toThrow(/no step 6/);
    expect(() => parseStepList('a', [1])).toThrow(/look like/);
  });
});
