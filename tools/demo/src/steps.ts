/** The tutorial's story, one step per folder of deploy/steps. */
export interface Step {
  readonly number: number;
  /** Folder under deploy/steps. */
  readonly folder: string;
  readonly title: string;
  /** What Istio does at this step, a few short lines. */
  readonly explanation: readonly string[];
  /** Share of answers per back version the route asks for. */
  readonly expected: Readonly<Record<string, number>>;
  /** Version that gets a copy of every request, if the route mirrors. */
  readonly mirror?: string;
}

export const steps: readonly Step[] = [
  {
    number: 1,
    folder: '1-v1',
    title: 'v1 only',
    explanation: [
      'The Istio ingress gateway receives every request. VirtualService back-gw-virtualservice sends',
      '/back to Service back, subset v1 (DestinationRule back: pods labelled version: v1).',
      'One Deployment, back-v1, answers everything.',
    ],
    expected: { v1: 1 },
  },
  {
    number: 2,
    folder: '2-canary-v2',
    title: 'canary v2, 90/10',
    explanation: [
      'A second Deployment, back-v2, joins Service back (label version: v2, subset v2).',
      'The route now has weights: 90 to subset v1, 10 to subset v2. Kubernetes alone would split by',
      'replica count; Envoy picks a subset per request by weight, whatever the replicas.',
    ],
    expected: { v1: 0.9, v2: 0.1 },
  },
  {
    number: 3,
    folder: '3-mirror-v3',
    title: 'v2 answers, v3 mirrored',
    explanation: [
      'back-v3 arrives with the services it calls (client, spotify-sandbox). Every request goes to v2,',
      'and Envoy sends a copy to v3 (mirror): fire and forget, to host back-shadow, answer discarded.',
      'Users see v2 only; v3 gets real traffic, counted by its sidecar in istio_requests_total.',
    ],
    expected: { v2: 1 },
    mirror: 'v3',
  },
  {
    number: 4,
    folder: '4-split-v2-v3',
    title: 'split v2/v3, 30/70',
    explanation: [
      'No more mirror: v3 answers users now, 70 % of them, v2 the other 30 %.',
      'A problem in v3 would show here as errors on that share only.',
    ],
    expected: { v2: 0.3, v3: 0.7 },
  },
  {
    number: 5,
    folder: '5-promote-v3',
    title: 'promote v3',
    explanation: [
      'The route sends everything to subset v3: v3 is the release. The older Deployments get no',
      'traffic from the gateway and can be scaled down.',
    ],
    expected: { v3: 1 },
  },
];

/** `1,3-5` → [1, 3, 4, 5]. */
export function parseStepList(text: string, known: readonly number[]): number[] {
  const chosen = new Set<number>();
  for (const part of text.split(',').map((item) => item.trim())) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw new RangeError(`steps must look like 1,2 or 2-4 (got ${text})`);
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    for (let n = from; n <= to; n++) {
      if (!known.includes(n)) throw new RangeError(`there is no step ${n} (steps are ${known.join(', ')})`);
      chosen.add(n);
    }
  }
  return [...chosen].sort((a, b) => a - b);
}
