// The HTTP API: vpcflow's native JSON API (AWS-shaped requests and responses) served by Hono,
// signed with SigV4 like the AWS endpoint (account keys, or the operator key for host actions).
export { createApi, type ApiDeps } from './native.ts';
export {
  NATIVE_SIGNING_SERVICE, OperatorKeyError, loadOrCreateOperatorKey, newOperatorKey, type NativeCaller, type OperatorKey,
} from './native-auth.ts';
