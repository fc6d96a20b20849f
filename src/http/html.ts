// Server-rendered HTML: a tagged template that escapes every interpolation unless it is already
// Html, plus the one page layout (tenant-branded, mobile-first, no scripts, no third-party assets).

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f6f5f2;color:#1d1d1f}main{max-width:28rem;margin:0 auto;padding:2.5rem 1.25rem}
.card{background:#fff;border-radius:14px;padding:1.75rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.brand{font-weight:600;letter-spacing:.02em;color:#555;margin-bottom:1.25rem}h1{font-size:1.4rem;margin:0 0 .75rem}
p{margin:.5rem 0 1rem}button,input{font:inherit}input{width:100%;padding:.7rem .8rem;border:1px solid #ccc;
border-radius:10px;margin:.25rem 0 1rem}button{width:100%;padding:.8rem;border:0;border-radius:10px;background:#1d1d1f;
color:#fff;font-weight:600;cursor:pointer}button.secondary{background:#e9e7e2;color:#1d1d1f}
.ref{margin-top:1.5rem;font-size:.85rem;color:#666;border-top:1px solid #eee;padding-top:1rem}
code{background:#f0eee9;padding:.1rem .35rem;border-radius:6px;font-size:.9em}ul{padding-left:1.2rem}`;

export function page(options: { brand: string; title: string; body: Html; code?: string; requestId: string }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${options.title} · ${options.brand}</title>
<style>${new Html(STYLE)}</style></head>
<body><main><div class="card"><div class="brand">${options.brand}</div>
<h1>${options.title}</h1>${options.body}
<div class="ref">${options.code ? html`Error code <code>${options.code}</code> · ` : ''}Reference <code>${options.requestId}</code>
— quote it if you contact support.</div></div></main></body></html>`.value;
}
