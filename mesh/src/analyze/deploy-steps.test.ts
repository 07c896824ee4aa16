import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readManifestSources } from '../control/client.ts';
import { formatMessage } from './messages.ts';
import { analyzeSources } from './sources.ts';

// The tutorial's steps in deploy/steps, analyzed as a user applies them: what `npm start` runs
// (deploy/kubernetes, deploy/istio), then every step up to the one at hand, later files replacing
// earlier ones. `npm run mesh -- analyze -f deploy/kubernetes -f deploy/istio -f deploy/steps/1-v1 ...`
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const steps = ['1-v1', '2-canary-v2', '3-mirror-v3', '4-split-v2-v3', '5-promote-v3'];

async function analyzeUpTo(step: number, extra: { file: string; text: string }[] = []) {
  const paths = [
    'deploy/kubernetes',
    'deploy/istio',
    ...steps.slice(0, step).map((s) => `deploy/steps/${s}`),
  ];
  return analyzeSources([...(await readManifestSources(paths, async () => '', repo)), ...extra]);
}

/** `v1:90 v2:10 mirror:v3` for a route rule of a VirtualService. */
function split(rule: {
  route: { destination: { subset?: string }; weight?: number }[];
  mirror?: { subset?: string };
}) {
  const parts = rule.route.map((r) => `${r.destination.subset}:${r.weight ?? 100}`);
  if (rule.mirror) parts.push(`mirror:${rule.mirror.subset}`);
  return parts.join(' ');
}

async function stepRoutes(step: string): Promise<{ gateway: string; mesh: string }> {
  const read = async (file: string) => {
    const [doc] = parseAllDocuments(await readFile(`${repo}deploy/steps/${step}/${file}`, 'utf8'));
    return doc?.toJS() as { spec: { http: { name: string; route: never[]; mirror?: never }[] } };
  };
  const gateway = (await read('back-gw-virtualservice.yaml')).spec.http.find((rule) => rule.name === 'back');
  const mesh = (await read('back-virtualservice.yaml')).spec.http[0];
  if (!gateway || !mesh) throw new Error(`${step}: no back route`);
  return { gateway: split(gateway), mesh: split(mesh) };
}

describe('the rollout steps in deploy/steps', () => {
  it('are the five folders the docs name, in order', async () => {
    expect((await readdir(`${repo}deploy/steps`)).sort()).toEqual(steps);
  });

  it.each(steps.map((step, index) => [step, index + 1] as const))(
    'analyze without an Error up to step %s',
    async (_step, upTo) => {
      const messages = await analyzeUpTo(upTo);
      expect(messages.filter((m) => m.level === 'Error').map(formatMessage)).toEqual([]);
      // Until step 3 deploys them, client and spotify-sandbox have a DestinationRule and no Service.
      const expected = upTo < 3 ? ['IST0174 client', 'IST0174 spotify-sandbox'] : [];
      expect(messages.map((m) => `${m.code} ${m.origin.name}`)).toEqual(expected);
    },
  );

  it('route browser traffic (the gateway VirtualService) and mesh traffic the same way at every step', async () => {
    const routes = Object.fromEntries(await Promise.all(steps.map(async (s) => [s, await stepRoutes(s)])));
    const expected = {
      '1-v1': 'v1:100',
      '2-canary-v2': 'v1:90 v2:10',
      '3-mirror-v3': 'v2:100 mirror:v3',
      '4-split-v2-v3': 'v2:30 v3:70',
      '5-promote-v3': 'v3:100',
    };
    for (const [step, split] of Object.entries(expected)) {
      expect(routes[step], step).toEqual({ gateway: split, mesh: split });
    }
  });

  it("report the tutorial's trap: its canary VirtualService over the gateway route without subsets (IST0140)", async () => {
    const canary = await readFile(
      `${repo}mesh/test/fixtures/tutorial/back-virtualservice-canary.yaml`,
      'utf8',
    );
    const sources = await readManifestSources(
      [
        'deploy/kubernetes',
        'deploy/istio',
        'deploy/steps/2-canary-v2/back-destination-rule.yaml',
        'deploy/steps/2-canary-v2/back-v2.yaml',
      ],
      async () => '',
      repo,
    );
    const codes = analyzeSources([...sources, { file: 'canary.yaml', text: canary }]).map((m) => m.code);
    expect(codes).toContain('IST0140');
    expect(codes).not.toContain('IST0101');
  });

  it('analyze a resource given twice as the later file leaves it', async () => {
    // Step 2's 90/10 replaces step 1's VirtualServices: analyzed alone, the canary's v2 subset
    // would be missing from deploy/istio's DestinationRule.
    const upToStep2 = await analyzeUpTo(2);
    expect(upToStep2.some((m) => m.code === 'IST0109')).toBe(false);
    const withoutTheRule = await readManifestSources(
      ['deploy/kubernetes', 'deploy/istio', 'deploy/steps/2-canary-v2/back-gw-virtualservice.yaml'],
      async () => '',
      repo,
    );
    expect(analyzeSources(withoutTheRule).map(formatMessage).join('\n')).toContain(
      'Referenced host+subset in destinationrule not found: "back+v2"',
    );
  });
});
