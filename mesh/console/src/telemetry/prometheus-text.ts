/** One sample of Prometheus' text exposition format: `name{label="value",...} 12`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * The samples of a text exposition (version 0.0.4) whose metric name `keep` accepts; comments,
 * blank lines and lines it cannot read are skipped, as a scrape tolerates them. Timestamps after
 * the value are ignored: the console stamps each scrape itself.
 */
export function parseExposition(text: string, keep: (name: string) => boolean): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace !== -1 && (space === -1 || brace < space) ? brace : space;
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!keep(name)) continue;
    let labels: Record<string, string> = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const value = Number(rest.trim().split(' ')[0]);
    if (!Number.isNaN(value)) samples.push({ name, labels, value });
  }
  return samples;
}

/** `{a="x",b="y\"z"}` from the start of `text`; undefined when it is not well formed. */
function parseLabels(text: string): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  while (i < text.length) {
    if (text[i] === '}') return { labels, end: i + 1 };
    if (text[i] === ',') {
      i++;
      continue;
    }
    const equals = text.indexOf('="', i);
    if (equals === -1) return undefined;
    const name = text.slice(i, equals).trim();
    let value = '';
    let j = equals + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\' && j + 1 < text.length) {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    if (j >= text.length) return undefined;
    labels[name] = value;
    i = j + 1;
  }
  return undefined;
}
