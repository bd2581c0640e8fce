// The HTTP API: vpcflow's native JSON API (AWS-shaped requests and responses) served by Hono.
export { createApi, type ApiDeps } from './native.ts';
