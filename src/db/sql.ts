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
  // With fragments: the text depends only on the call site and the fragments' texts, which are
  // nearly always the same (composed statements on hot paths): reuse it, and only gather values.
  // (A fragment's text fixes how many values it has: every Query is made by this tag.)
  const shape = values.map((value) => (isFragment(value) ? (value as Query | Raw).text : null));
  const cached = Object.isFrozen(strings) ? composedTexts.get(strings) : undefined;
  if (cached && sameShape(cached.shape, shape)) {
    const params: unknown[] = [];
    for (const value of values) {
      if (value instanceof Query) params.push(...value.values);
      else if (!(value instanceof Raw)) params.push(value);
    }
    return new Query(cached.text, params);
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
  if (Object.isFrozen(strings)) composedTexts.set(strings, { shape, text });
  return new Query(text, params);
}

/** Per call site with fragments: the last fragments' texts (null: a parameter) and the text they made. */
const composedTexts = new WeakMap<TemplateStringsArray, { shape: (string | null)[]; text: string }>();

function sameShape(a: (string | null)[], b: (string | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
