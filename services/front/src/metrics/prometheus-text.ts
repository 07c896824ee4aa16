/** One sample line of the Prometheus text exposition format. */
export interface PromSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * Parses the text format (version 0.0.4): `name{label="value",...} value [timestamp]`, with
 * `# HELP`/`# TYPE` comments ignored. A malformed line is skipped rather than losing the whole scrape.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (sample) samples.push(sample);
  }
  return samples;
}

function parseLine(line: string): PromSample | null {
  const name = NAME.exec(line)?.[0];
  if (!name) return null;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    if (!parsed) return null;
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  const [valueText, timestamp, ...extra] = rest.trim().split(/\s+/);
  if (!valueText || extra.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) return null;
  const value = parseValue(valueText);
  return value === null ? null : { name, labels, value };
}

/** Reads `{a="x",b="y\"z"}` from the start of `text`; how many characters it took. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | null {
  const labels: Record<string, string> = {};
  let i = 1;
  const skipSpaces = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skipSpaces();
    if (text[i] === '}') return { labels, length: i + 1 };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) return null;
    i += name.length;
    skipSpaces();
    if (text[i] !== '=') return null;
    i++;
    skipSpaces();
    if (text[i] !== '"') return null;
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return null;
      i++;
      if (c === '"') break;
      if (c === '\\') {
        const escaped = text[i++];
        if (escaped === undefined) return null;
        value += escaped === 'n' ? '\n' : escaped;
      } else {
        value += c;
      }
    }
    labels[name] = value;
    skipSpaces();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return null;
  }
}

function parseValue(text: string): number | null {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  const value = Number(text);
  return Number.isNaN(value) ? null : value;
}
