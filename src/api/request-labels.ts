// The AWS action a request to the AWS-compatible endpoint ran (`ec2:DescribeVpcs`, `logs:FilterLogEvents`),
// noted by the endpoint once the request is authenticated, for the request counter of /metrics. Only
// actions the endpoint serves are noted, so the label's values stay a fixed set.
export const awsActionOf = new WeakMap<Request, string>();
