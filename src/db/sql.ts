// Our own tiny `sql` tag: compiles to (text, $n params) so the same query runs on postgres.js and PGlite.
// Dynamic parts are only ever parameters or nested `sql` fragments — never string concatenation.

export class Query {
  constructor(
    readonly text: string,
    readonly values: readonly unknown[],
  ) {}
}

/** A fragment whose text is inlined as-is; only for identifiers we control (never user input). */
export class Raw {
  constructor(readonly text: string) {}
}

// A call site's template strings are one frozen array for the life of the process, so a query made
// only of parameters has one text per call site: built once, and then the very same string each
// time, which keeps the driver's prepared-statement lookup (keyed by text) from re-hashing ~2 KB.
const plainTexts = new WeakMap<TemplateStringsArray, string>();

function isFragment(value: unknown): boolean {
  return value instanceof Query || value instanceof Raw;
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Query {
  if (!values.some(isFragment)) {
    let text = plainTexts.get(strings);
    if (text === undefined) {
      text = strings[0]!;
      for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
      if (Object.isFrozen(strings)) plainTexts.set(strings, text); // real template literals only
    }
    return new Query(text, values);
  }
  let text = strings[0]!;
  const params: unknown[] = [];
  values.forEach((value, i) => {
    if (value instanceof Query) {
      // Renumber the fragment's placeholders after ours.
      const offset = params.length;
      text += value.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      params.push(...value.values);
    } else if (value instanceof Raw) {
      text += value.text;
    } else {
      params.push(value);
      text += `$${params.length}`;
    }
    text += strings[i + 1]!;
  });
  return new Query(text, params);
}
