// Requests for AWS services vpcflow does not serve (STS, CloudWatch metrics, S3 on the API port, …):
// recognized by the service a request names before any signature check (its SigV4 credential
// scope, else its X-Amz-Target) and answered "… is not implemented by vpcflow" in the error shape
// that service's clients parse, so `aws sts get-caller-identity --endpoint-url …` prints that
// sentence instead of an authentication failure.

import { xmlEscape } from './ec2-query.ts';
import { parseAuthorization } from './sigv4.ts';

/** Services the AWS-compatible endpoint serves, by credential-scope name. */
export const SERVED_SERVICES: ReadonlySet<string> = new Set(['ec2', 'logs']);

export interface NamedService {
  /** The credential scope's service, or the X-Amz-Target prefix when the request is unsigned. */
  name: string;
  via: 'credential scope' | 'X-Amz-Target';
}

export interface UnimplementedAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Services whose clients speak the Query protocol (XML <ErrorResponse> errors); everything else
// that is not S3 is answered in JSON, which the JSON and REST-JSON protocols both read.
const QUERY_SERVICES: ReadonlySet<string> = new Set([
  'sts', 'monitoring', 'iam', 'sns', 'autoscaling', 'elasticloadbalancing', 'cloudformation', 'rds', 'elasticache', 'redshift', 'ses', 'sdb', 'elasticbeanstalk', 'importexport',
]);

const NAMES: ReadonlyMap<string, string> = new Map([
  ['sts', 'AWS STS (sts)'],
  ['monitoring', 'CloudWatch metrics (monitoring)'],
  ['s3', 'Amazon S3 (s3)'],
  ['iam', 'IAM (iam)'],
  ['sns', 'Amazon SNS (sns)'],
  ['sqs', 'Amazon SQS (sqs)'],
  ['dynamodb', 'DynamoDB (dynamodb)'],
  ['lambda', 'AWS Lambda (lambda)'],
  ['kms', 'AWS KMS (kms)'],
]);

// Where to look instead, for the services vpcflow covers in its own way.
const HINTS: ReadonlyMap<string, string> = new Map([
  ['monitoring', "; the metrics of metric filters are read with 'vpcflow metrics get' (native POST /v1/metrics/GetMetricStatistics)"],
  ['s3', "; archive files are written to the server's --data-dir s3/ folder or to the S3 server named by 'vpcflow serve --s3-endpoint'"],
  ['vpcflow', "; requests scoped to 'vpcflow' belong to the native API under /v1/ (what the vpcflow CLI speaks)"],
]);

const SHORT = 64;
const clip = (text: string): string => (text.length > SHORT ? `${text.slice(0, SHORT)}…` : text);

/**
 * The service a request names, read without checking its signature: the credential scope of a
 * parseable Authorization header, else the prefix of X-Amz-Target (`DynamoDB_20120810.ListTables`).
 */
export function namedService(authorization: string | undefined, target: string | undefined): NamedService | undefined {
  if (authorization !== undefined && authorization !== '') {
    try {
      return { name: parseAuthorization(authorization).scope.service, via: 'credential scope' };
    } catch {
      // A malformed header is the signature check's to refuse, with its own precise message.
      return undefined;
    }
  }
  if (target !== undefined && target !== '') {
    const dot = target.indexOf('.');
    return { name: dot < 0 ? target : target.slice(0, dot), via: 'X-Amz-Target' };
  }
  return undefined;
}

export function unimplementedMessage(service: NamedService): string {
  const name = NAMES.get(service.name) ?? `the service '${clip(service.name)}' (named by the request's ${service.via})`;
  return `${name} is not implemented by vpcflow: its AWS-compatible endpoint serves EC2 (ec2: flow logs and the network) and CloudWatch Logs (logs) only${HINTS.get(service.name) ?? ''}`;
}

/** The refusal in the shape the service's clients parse: S3's XML, the Query protocol's XML, or JSON. */
export function unimplementedAnswer(service: NamedService, req: { path: string; contentType: string | undefined; target: string | undefined }, requestId: string): UnimplementedAnswer {
  const code = 'NotImplemented';
  const message = unimplementedMessage(service);
  const contentType = req.contentType?.toLowerCase() ?? '';
  if (service.name === 's3') {
    // S3's own answer for a feature it lacks is NotImplemented with 501.
    return {
      status: 501,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(clip(req.path))}</Resource><RequestId>${xmlEscape(requestId)}</RequestId></Error>`,
    };
  }
  const json = req.target !== undefined || contentType.includes('json');
  if (!json && (contentType.includes('x-www-form-urlencoded') || QUERY_SERVICES.has(service.name))) {
    return {
      status: 400,
      headers: { 'content-type': 'text/xml', 'x-amzn-RequestId': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${xmlEscape(requestId)}</RequestId></ErrorResponse>`,
    };
  }
  return {
    status: 400,
    headers: {
      'content-type': contentType.includes('x-amz-json-1.0') ? 'application/x-amz-json-1.0' : contentType.includes('x-amz-json') ? 'application/x-amz-json-1.1' : 'application/json',
      'x-amzn-RequestId': requestId,
      // REST-JSON clients read the code from this header.
      'x-amzn-ErrorType': code,
    },
    body: JSON.stringify({ __type: code, message }),
  };
}
