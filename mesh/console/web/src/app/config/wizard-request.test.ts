import { describe, expect, it } from 'vitest';
import {
  downloadName,
  evenWeights,
  faultInjectionRequest,
  formProblem,
  requestTimeoutsRequest,
  trafficShiftingRequest,
  weightsProblem,
  weightsTotal,
} from './wizard-request';

const back = { namespace: 'music', service: 'back' };

describe('the traffic-shifting wizard’s weights', () => {
  it('starts from an even split that adds up to 100', () => {
    expect(evenWeights(['v1', 'v2'])).toEqual({ v1: 50, v2: 50 });
    expect(evenWeights(['v1', 'v2', 'v3'])).toEqual({ v1: 34, v2: 33, v3: 33 });
    expect(evenWeights(['v1'])).toEqual({ v1: 100 });
  });

  it('sums what is typed and names the field at fault in the API’s words', () => {
    expect(weightsTotal({ v1: 60, v2: 30 })).toBe(90);
    expect(weightsTotal({ v1: 60, v2: Number.NaN })).toBe(60);
    expect(weightsProblem({ v1: 60, v2: 30 })).toBe('weights: must add up to 100 (they add up to 90)');
    expect(weightsProblem({ v1: 50, v2: Number.NaN })).toBe('weights.v2: must be an integer from 0 to 100');
    expect(weightsProblem({ v1: 100.5 })).toBe('weights.v1: must be an integer from 0 to 100');
    expect(weightsProblem({})).toBe('weights: name at least one subset');
    expect(weightsProblem({ v1: 50, v2: 50 })).toBeUndefined();
  });
});

describe('the wizards’ request bodies', () => {
  it('sends the weights, and a mirror only when it is on', () => {
    const mirror = { enabled: false, subset: 'v2', percentage: 25 };
    expect(trafficShiftingRequest(back, { weights: { v1: 50, v2: 50 }, mirror })).toEqual({
      namespace: 'music',
      service: 'back',
      weights: { v1: 50, v2: 50 },
    });
    expect(
      trafficShiftingRequest(back, { weights: { v1: 100 }, mirror: { ...mirror, enabled: true } }).mirror,
    ).toEqual({ subset: 'v2', percentage: 25 });
  });

  it('sends a delay, an abort or both, and refuses neither before sending', () => {
    const form = {
      delay: { enabled: true, fixedDelay: ' 2s ', percentage: 10 },
      abort: { enabled: false, httpStatus: 503, percentage: 5 },
    };
    expect(faultInjectionRequest(back, form)).toEqual({
      ...back,
      delay: { fixedDelay: '2s', percentage: 10 },
    });
    const none = { ...form, delay: { ...form.delay, enabled: false } };
    expect(formProblem('fault-injection', none)).toBe('delay: give a delay, an abort or both');
    expect(formProblem('fault-injection', form)).toBeUndefined();
  });

  it('sends a timeout and retries, leaving out empty optional fields', () => {
    expect(
      requestTimeoutsRequest(back, {
        timeout: { enabled: true, value: '3s' },
        retries: { enabled: true, attempts: 2, perTryTimeout: '', retryOn: '5xx' },
      }),
    ).toEqual({ ...back, timeout: '3s', retries: { attempts: 2, retryOn: '5xx' } });
    expect(
      requestTimeoutsRequest(back, {
        timeout: { enabled: false, value: '3s' },
        retries: { enabled: false, attempts: 2, perTryTimeout: '1s', retryOn: '' },
      }),
    ).toEqual(back);
  });

  it('names the file to save after the Service and the wizard', () => {
    expect(downloadName('traffic-shifting', back)).toBe('music-back-traffic-shifting.yaml');
  });
});
