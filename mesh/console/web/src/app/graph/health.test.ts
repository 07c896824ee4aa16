import { describe, expect, it } from 'vitest';
import { health } from './health';

const rates = (total: number, http4xx: number, http5xx: number) => health({ total, http4xx, http5xx });

describe('health with Kiali’s default thresholds', () => {
  it('is healthy without errors and idle without requests', () => {
    expect(rates(10, 0, 0)).toBe('healthy');
    expect(rates(0, 0, 0)).toBe('idle');
  });

  it('marks any 5xx degraded and 10% 5xx a failure', () => {
    expect(rates(1000, 0, 1)).toBe('degraded');
    expect(rates(100, 0, 9.9)).toBe('degraded');
    expect(rates(100, 0, 10)).toBe('failure');
    expect(rates(220, 0, 20)).toBe('degraded');
    expect(rates(40, 0, 20)).toBe('failure');
  });

  it('lets 4xx below 10% pass, marks 10% degraded and 20% a failure', () => {
    expect(rates(100, 9.9, 0)).toBe('healthy');
    expect(rates(100, 10, 0)).toBe('degraded');
    expect(rates(100, 19.9, 0)).toBe('degraded');
    expect(rates(100, 20, 0)).toBe('failure');
  });

  it('takes the worse of the two', () => {
    expect(rates(100, 25, 1)).toBe('failure');
    expect(rates(100, 12, 0.5)).toBe('degraded');
  });
});
