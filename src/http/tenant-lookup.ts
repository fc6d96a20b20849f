// What the HTTP layer needs to know of a tenant, declared here so http/ never imports the tenants
// feature (platform code stays below features). The tenants feature's `Tenant` and
// `TenantDirectory` satisfy these shapes structurally; callers pass them as they are.

/** A tenant as CORS, CSRF and tenant resolution see it: who it is and where its pages are served. */
export type HttpTenant = {
  readonly id: string;
  readonly handle: string;
  /** scheme://host[:port]; the first is the public origin. */
  readonly origins: readonly string[];
  readonly hosts: readonly string[];
};

/** Finds the tenant of a request by its host, the `handle` it names, or its Origin; null when none. */
export interface TenantLookup<T extends HttpTenant = HttpTenant> {
  forHost(hostname: string): Promise<T | null>;
  forHandle(handle: string): Promise<T | null>;
  forOrigin(origin: string): Promise<T | null>;
}
