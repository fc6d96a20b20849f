// Contract check: a response of the real app against the OpenAPI document the app serves — its
// status must be listed for the operation, and a JSON or problem+json body must match the schema
// listed for that status and content type (ajv, JSON Schema 2020-12, as OpenAPI 3.1 says).
// Only operations their modules describe are checked; the hand-kept supplement's are skipped.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';

type Json = Record<string, unknown>;
type Operation = { responses?: Record<string, Json>; 'x-error-codes'?: unknown };
export type OpenApiDoc = { paths: Record<string, Record<string, Operation>>; components: Json };

export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly matchers: { method: string; path: string; pattern: RegExp; operation: Operation }[] = [];
  /** Operations a response was checked against, as `METHOD /path`. */
  readonly covered = new Set<string>();

  constructor(doc: OpenApiDoc, describedOnly: (method: string, path: string) => boolean) {
    // Schemas refer to components (#/components/schemas/Problem …): register the document once.
    this.ajv.addSchema({ $id: 'openapi', components: doc.components } as never);
    for (const [path, item] of Object.entries(doc.paths)) {
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(item)) {
        if (describedOnly(method.toUpperCase(), path)) this.matchers.push({ method: method.toUpperCase(), path, pattern, operation });
      }
    }
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // Local refs point into the registered document.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
      validate = this.ajv.compile(rebased);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** Problems with this response (none: it matches), or null when no described operation matches. */
  async check(method: string, pathname: string, response: Response): Promise<string[] | null> {
    const match = this.matchers.find((m) => m.method === (method === 'HEAD' ? 'GET' : method) && m.pattern.test(pathname));
    if (!match) return null;
    const name = `${match.method} ${match.path}`;
    this.covered.add(name);
    const listed = match.operation.responses?.[String(response.status)];
    if (!listed) return [`${name}: status ${response.status} is not listed (${Object.keys(match.operation.responses ?? {}).join(', ')})`];
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const content = listed.content as Record<string, { schema?: unknown }> | undefined;
    const text = await response.clone().text();
    if (!content) return text === '' || method === 'HEAD' ? [] : [`${name} ${response.status}: listed without a body, answered ${type}`];
    const media = content[type];
    if (!media) return [`${name} ${response.status}: content type ${type || '(none)'} is not listed (${Object.keys(content).join(', ')})`];
    if (!type.endsWith('json') || !media.schema) return [];
    const validate = this.validator(`${name} ${response.status} ${type}`, media.schema);
    if (validate(JSON.parse(text))) return [];
    return (validate.errors ?? []).map((e) => `${name} ${response.status}: ${e.instancePath || '/'} ${e.message}`);
  }
}
