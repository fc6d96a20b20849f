// The console's HTML pages, imported by the first page a console request renders rather than at
// start-up: with the layout and the explanations they are ~100 kB of source (and their bytecode) that
// a service whose console is never opened would hold for nothing (docs/performance.md, "RSS"). The
// routes and their handler await `consolePages()` where they render; later calls await a settled promise.
type Pages = typeof import('./sign-in-pages.ts') &
  typeof import('./tenant-pages.ts') &
  typeof import('./shopper-page.ts') &
  typeof import('./request-page.ts') &
  typeof import('./confirm-page.ts') &
  typeof import('./webhook-pages.ts');

let pages: Promise<Pages> | undefined;

export function consolePages(): Promise<Pages> {
  pages ??= Promise.all([
    import('./sign-in-pages.ts'),
    import('./tenant-pages.ts'),
    import('./shopper-page.ts'),
    import('./request-page.ts'),
    import('./confirm-page.ts'),
    import('./webhook-pages.ts'),
  ]).then((modules) => Object.assign({}, ...modules) as Pages);
  return pages;
}
