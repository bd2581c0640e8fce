import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_POLICY_BYTES, MalformedPolicyError, deliveryPolicy, parseBucketPolicy } from './bucket-policy.ts';

const B = '444455556666';
const C = '777788889999';

/** AWS's documented flow log bucket policy (VPC user guide, "Amazon S3 bucket permissions for flow logs"), filled in for account B. */
function awsDocumentedPolicy(folder = 'AWSLogs/444455556666/*'): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSLogDeliveryWrite', Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:PutObject',
        Resource: `arn:aws:s3:::shared-logs/${folder}`,
        Condition: { StringEquals: { 'aws:SourceAccount': B, 's3:x-amz-acl': 'bucket-owner-full-control' }, ArnLike: { 'aws:SourceArn': `arn:aws:logs:us-east-1:${B}:*` } },
      },
      {
        Sid: 'AWSLogDeliveryAclCheck', Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: ['s3:GetBucketAcl', 's3:ListBucket'],
        Resource: 'arn:aws:s3:::shared-logs',
        Condition: { StringEquals: { 'aws:SourceAccount': B }, ArnLike: { 'aws:SourceArn': `arn:aws:logs:us-east-1:${B}:*` } },
      },
    ],
  };
}

const parse = (doc: unknown) => parseBucketPolicy('shared-logs', typeof doc === 'string' ? doc : JSON.stringify(doc));

function malformed(doc: unknown, where: string, why: RegExp): void {
  assert.throws(() => parse(doc), (e: unknown) => {
    assert.ok(e instanceof MalformedPolicyError, String(e));
    assert.equal(e.code, 'MalformedPolicy');
    assert.equal(e.httpStatus, 400);
    assert.equal(e.where, where, e.message);
    assert.match(e.message, why);
    return true;
  });
}

test('AWS\'s documented flow log policy grants its account the AWSLogs folder, from its region', () => {
  assert.deepEqual(parse(awsDocumentedPolicy()), [{ grantee: B, keyPrefix: 'AWSLogs/444455556666/', region: 'us-east-1' }]);
  // Its Hive form and an optional folder in front.
  assert.deepEqual(parse(awsDocumentedPolicy('logs/AWSLogs/aws-account-id=444455556666/*')), [{ grantee: B, keyPrefix: 'logs/AWSLogs/aws-account-id=444455556666/', region: 'us-east-1' }]);
});

test('the common multi-account form (bucket/* with a list of source accounts) grants each listed account', () => {
  const grants = parse({
    Version: '2012-10-17',
    Statement: [{
      Sid: 'AWSLogDeliveryWrite', Effect: 'Allow', Principal: { Service: ['delivery.logs.amazonaws.com'] }, Action: ['s3:PutObject', 's3:ListBucket', 's3:GetBucketAcl'],
      Resource: ['arn:aws:s3:::shared-logs/*', 'arn:aws:s3:::shared-logs'],
      Condition: { StringEquals: { 'aws:SourceAccount': [B, C] }, ArnLike: { 'aws:SourceArn': [`arn:aws:logs:us-east-1:${B}:*`, `arn:aws:logs:*:${C}:*`] } },
    }],
  });
  assert.deepEqual(grants, [{ grantee: B, keyPrefix: '', region: 'us-east-1' }, { grantee: C, keyPrefix: '', region: null }]);
  // Without aws:SourceArn every region is allowed; condition keys are case-insensitive as in IAM.
  assert.deepEqual(parse({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 'S3:PUTOBJECT', Resource: 'arn:aws:s3:::shared-logs/team-b/*', Condition: { StringEquals: { 'AWS:SourceAccount': B } } } }),
    [{ grantee: B, keyPrefix: 'team-b/', region: null }]);
});

test('a policy that grants nothing to anyone is valid (the ACL check alone)', () => {
  const doc = awsDocumentedPolicy();
  doc.Statement = [(doc.Statement as unknown[])[1]];
  assert.deepEqual(parse(doc), []);
});

test('every refusal names the member at fault', () => {
  const withStatement = (over: Record<string, unknown>, drop: string[] = []) => {
    const doc = awsDocumentedPolicy();
    const st = { ...(doc.Statement as Record<string, unknown>[])[0]!, ...over };
    for (const k of drop) delete st[k];
    doc.Statement = [st];
    return doc;
  };
  malformed('{"Version": ', 'Policy', /^Policy: is not valid JSON: /);
  malformed('[]', 'Policy', /JSON object/);
  malformed({ Version: '2012-10-17', Statement: [], Extra: 1 }, 'Extra', /not a policy member/);
  malformed({ Statement: [] }, 'Version', /must be "2012-10-17", got null/);
  malformed({ Version: '2012-10-17' }, 'Statement', /missing/);
  malformed({ Version: '2012-10-17', Statement: [] }, 'Statement', /at least one/);
  malformed(withStatement({ Effect: 'Deny' }), 'Statement[0].Effect', /Deny is not supported/);
  malformed(withStatement({ Effect: 'allow' }), 'Statement[0].Effect', /must be "Allow"/);
  malformed(withStatement({ Principal: '*' }), 'Statement[0].Principal', /"\*" is not supported; the Principal must be \{"Service": "delivery\.logs\.amazonaws\.com"\}/);
  malformed(withStatement({ Principal: { AWS: `arn:aws:iam::${B}:root` } }), 'Statement[0].Principal', /not supported/);
  malformed(withStatement({ Principal: { Service: 'logs.amazonaws.com' } }), 'Statement[0].Principal.Service', /"logs\.amazonaws\.com" is not supported/);
  malformed(withStatement({ NotAction: 's3:GetObject' }), 'Statement[0].NotAction', /not supported; use Action/);
  malformed(withStatement({ Actions: 's3:PutObject' }), 'Statement[0].Actions', /not a statement member/);
  malformed(withStatement({ Action: ['s3:PutObject', 's3:*'] }), 'Statement[0].Action[1]', /"s3:\*" is not supported/);
  malformed(withStatement({ Action: [] }), 'Statement[0].Action', /empty list/);
  malformed(withStatement({ Sid: 'has space' }), 'Statement[0].Sid', /letters and digits/);
  malformed(withStatement({ Resource: 'arn:aws:s3:::other-bucket/*' }), 'Statement[0].Resource', /names bucket "other-bucket"; the policy of bucket "shared-logs" can only name/);
  malformed(withStatement({ Resource: 'arn:aws:s3:::shared-logs/AWSLogs/444455556666' }), 'Statement[0].Resource', /must end in a single '\*'/);
  malformed(withStatement({ Resource: 'arn:aws:s3:::shared-logs/*/AWSLogs/*' }), 'Statement[0].Resource', /no other wildcard/);
  malformed(withStatement({ Resource: ['arn:aws:s3:::shared-logs/*', 'bucket/*'] }), 'Statement[0].Resource[1]', /not an S3 resource/);
  malformed(withStatement({ Resource: 'arn:aws:s3:::shared-logs' }), 'Statement[0]', /^Statement\[0\]: Action does not apply to any resource\(s\) in statement/);
  malformed(withStatement({ Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } } }), 'Statement[0].Condition', /must name the accounts it allows/);
  malformed(withStatement({}, ['Condition']), 'Statement[0].Condition', /aws:SourceAccount/);
  malformed(withStatement({ Condition: { StringEquals: { 'aws:SourceAccount': '4444' } } }), 'Statement[0].Condition.StringEquals.aws:SourceAccount', /"4444" is not a 12-digit account id/);
  malformed(withStatement({ Condition: { StringLike: { 'aws:SourceAccount': B } } }), 'Statement[0].Condition.StringLike', /not supported/);
  malformed(withStatement({ Condition: { StringEquals: { 'aws:SourceAccount': B, 'aws:PrincipalOrgID': 'o-1' } } }), 'Statement[0].Condition.StringEquals.aws:PrincipalOrgID', /not supported under StringEquals/);
  malformed(withStatement({ Condition: { StringEquals: { 'aws:SourceAccount': B, 's3:x-amz-acl': 'private' } } }), 'Statement[0].Condition.StringEquals.s3:x-amz-acl', /"private" is not supported/);
  malformed(withStatement({ Condition: { StringEquals: { 'aws:SourceAccount': B }, ArnLike: { 'aws:SourceArn': 'arn:aws:logs:us-east-1:*' } } }), 'Statement[0].Condition.ArnLike.aws:SourceArn', /not a log delivery source/);
  malformed(withStatement({ Condition: { StringEquals: { 'aws:SourceAccount': B }, ArnLike: { 'aws:SourceArn': `arn:aws:logs:us-east-1:${C}:*` } } }), 'Statement[0].Condition.ArnLike.aws:SourceArn', /names account 777788889999, which aws:SourceAccount does not list/);
  malformed(withStatement({ Condition: { StringEquals: { 'aws:SourceAccount': [B, C] }, ArnLike: { 'aws:SourceArn': `arn:aws:logs:us-east-1:${B}:*` } } }), 'Statement[0].Condition', /aws:SourceAccount 777788889999 has no aws:SourceArn of its own/);
  const twice = awsDocumentedPolicy();
  (twice.Statement as Record<string, unknown>[])[1]!.Sid = 'AWSLogDeliveryWrite';
  malformed(twice, 'Statement[1].Sid', /"AWSLogDeliveryWrite" is used by another statement/);
});

test('size and grant count are bounded', () => {
  malformed(' '.repeat(MAX_POLICY_BYTES + 1), 'Policy', /is 20481 bytes; a bucket policy may have at most 20480/);
  assert.throws(() => parseBucketPolicy('shared-logs', { Version: '2012-10-17' }), /must be the policy document as JSON text/);
  const accounts = Array.from({ length: 40 }, (_, i) => String(100000000000 + i));
  const resources = Array.from({ length: 26 }, (_, i) => `arn:aws:s3:::shared-logs/${String.fromCharCode(97 + i)}/*`);
  malformed({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:PutObject', Resource: resources, Condition: { StringEquals: { 'aws:SourceAccount': accounts } } }] },
    'Statement', /more than 1000/);
});

test('deliveryPolicy writes AWS\'s documented shape, granting each account its folders in both layouts', () => {
  const text = deliveryPolicy('shared-logs', [B, C], 'team/');
  const doc = JSON.parse(text) as { Statement: { Sid: string; Resource: unknown }[] };
  assert.deepEqual(doc.Statement.map((s) => s.Sid), ['AWSLogDeliveryWrite', 'AWSLogDeliveryAclCheck']);
  const grants = parseBucketPolicy('shared-logs', text).filter((g) => g.keyPrefix.includes(g.grantee));
  assert.deepEqual(grants, [
    { grantee: B, keyPrefix: `team/AWSLogs/${B}/`, region: null },
    { grantee: B, keyPrefix: `team/AWSLogs/aws-account-id=${B}/`, region: null },
    { grantee: C, keyPrefix: `team/AWSLogs/${C}/`, region: null },
    { grantee: C, keyPrefix: `team/AWSLogs/aws-account-id=${C}/`, region: null },
  ]);
  assert.deepEqual(JSON.parse(deliveryPolicy('shared-logs', [B])).Statement[0].Resource, [`arn:aws:s3:::shared-logs/AWSLogs/${B}/*`, `arn:aws:s3:::shared-logs/AWSLogs/aws-account-id=${B}/*`]);
});
