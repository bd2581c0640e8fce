// The AWS-compatible endpoint: EC2 Query (flow logs and the network's VPCs, subnets, instances,
// interfaces, security groups, network ACLs and tags) and CloudWatch Logs JSON (log groups, events,
// metric filters) on `POST /`, authenticated with SigV4 against per-account access keys, so the aws
// CLI and SDKs can drive vpcflow.
export { mountAwsEndpoint, serviceFromHeaders, DEFAULT_MAX_BODY_BYTES, type AwsEndpointDeps, type AwsService } from './endpoint.ts';
export { AccountStore, MasterKeyError, SecretDecryptionError, type AccessKeyInfo, type AccountStoreOptions, type NewAccessKey } from './accounts.ts';
export {
  verifySigV4, parseAuthorization, authorizationFor, authErrorFor, canonicalRequest, canonicalUri, canonicalQuery, stringToSign, signingKey, signatureOf,
  SigV4Error, MAX_CLOCK_SKEW_MS, SIGV4_ALGORITHM,
  type IncomingSignedRequest, type CredentialScope, type ParsedAuthorization, type SigV4FailureKind, type VerifiedCaller, type KeyLookup, type AuthErrorShape,
} from './sigv4.ts';
export { parseEc2Query, runEc2Action, ec2ResponseXml, ec2ErrorXml, xmlEscape, EC2_ACTIONS, EC2_API_VERSION, EC2_XML_NAMESPACE, type Ec2Request } from './ec2-query.ts';
export { parseLogsRequest, runLogsOperation, logsErrorBody, LOGS_OPERATIONS, LOGS_TARGET_PREFIX, type LogsRequest, type LogsServices } from './logs-json.ts';
export { AwsProtocolError, toAwsError, type AwsErrorShape } from './errors.ts';
