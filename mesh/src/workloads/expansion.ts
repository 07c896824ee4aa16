/**
 * Kubernetes' `$(VAR)` expansion, as the kubelet applies it to env values, command and args
 * (kubernetes `third_party/forked/golang/expansion/expand.go`): `$(NAME)` becomes the variable's
 * value, or stays `$(NAME)` when there is none; `$$` is a literal `$`; any other `$` is kept.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  if (!input.includes('$')) return input;
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        // An unfinished reference is kept as written.
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      out += `$${next}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** The names an input refers to with `$(NAME)`, in order (escaped `$$(NAME)` left out). */
export function references(input: string): string[] {
  const found: string[] = [];
  expand(input, (name) => {
    found.push(name);
    return undefined;
  });
  return found;
}
