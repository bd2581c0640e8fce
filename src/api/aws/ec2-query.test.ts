// EC2 Query parsing against request bodies captured from aws CLI 2.9.19 (toolbox §4), and XML
// serialization against the documented sample responses and error document (spec §5.1–5.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFlowLogItem } from '../../control/mapping.ts';
import type { FlowLog } from '../../model/index.ts';
import type { ControlPlane } from '../../control/index.ts';
import { parseEc2Query, ec2ResponseXml, ec2ErrorXml, runEc2Action, xmlEscape } from './ec2-query.ts';
import { AwsProtocolError } from './errors.ts';

const parse = (body: string) => parseEc2Query(new URLSearchParams(body));

function refuses(body: string, code: string, message?: RegExp): void {
  assert.throws(() => parse(body), (e: unknown) => {
    assert.ok(e instanceof AwsProtocolError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('CreateFlowLogs body captured from the aws CLI becomes the control plane request', () => {
  const captured = 'Action=CreateFlowLogs&Version=2016-11-15&ResourceId.1=vpc-0abc&ResourceId.2=vpc-0def&ResourceType=VPC&TrafficType=ALL&LogDestinationType=s3&LogDestination=arn%3Aaws%3As3%3A%3A%3Aflowlogs&LogFormat=%24%7Bversion%7D+%24%7Bsrcaddr%7D&TagSpecification.1.ResourceType=vpc-flow-log&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=x&MaxAggregationInterval=60';
  assert.deepEqual(parse(captured), {
    action: 'CreateFlowLogs',
    input: {
      ResourceIds: ['vpc-0abc', 'vpc-0def'], ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flowlogs',
      LogFormat: '${version} ${srcaddr}', TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'Name', Value: 'x' }] }], MaxAggregationInterval: 60,
    },
  });
});

test('DescribeFlowLogs filters, ids, paging and the other nested members', () => {
  assert.deepEqual(parse('Action=DescribeFlowLogs&Version=2016-11-15&Filter.1.Name=resource-id&Filter.1.Value.1=vpc-0abc').input, { Filter: [{ Name: 'resource-id', Values: ['vpc-0abc'] }] });
  // Members are ordered by index, numerically, and indexes need not be contiguous.
  const many = parse('Action=DescribeFlowLogs&Filter.10.Name=b&Filter.10.Value.1=2&Filter.2.Name=a&Filter.2.Value.3=z&Filter.2.Value.1=y&FlowLogId.1=fl-1&MaxResults=5&NextToken=abc&DryRun=false');
  assert.deepEqual(many.input, {
    Filter: [{ Name: 'a', Values: ['y', 'z'] }, { Name: 'b', Values: ['2'] }], FlowLogIds: ['fl-1'], MaxResults: 5, NextToken: 'abc', DryRun: false,
  });
  const create = parse('Action=CreateFlowLogs&ResourceType=NetworkInterface&ResourceId.1=eni-1&DestinationOptions.FileFormat=parquet&DestinationOptions.HiveCompatiblePartitions=true&DestinationOptions.PerHourPartition=FALSE&TagFieldSpecification.1.ResourceType=instance&TagFieldSpecification.1.TagKey.1=Team&TagFieldSpecification.1.TagKey.2=Env&ClientToken=tok&DryRun=true');
  assert.deepEqual(create.input, {
    ResourceType: 'NetworkInterface', ResourceIds: ['eni-1'], DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: false },
    TagFieldSpecifications: [{ ResourceType: 'instance', TagKeys: ['Team', 'Env'] }], ClientToken: 'tok', DryRun: true,
  });
  assert.deepEqual(parse('Action=DeleteFlowLogs&FlowLogId.1=fl-a&FlowLogId.2=fl-b').input, { FlowLogIds: ['fl-a', 'fl-b'] });
  assert.deepEqual(parse('Action=DeleteFlowLogs').input, {});
});

test('unknown actions and parameters, missing ones and malformed values get EC2 codes', () => {
  refuses('Version=2016-11-15', 'MissingAction');
  refuses('Action=DescribeImages', 'InvalidAction', /The action DescribeImages is not valid for this web service\./);
  refuses('Action=toString', 'InvalidAction');
  refuses('Action=DescribeFlowLogs&Version=2014-01-01', 'InvalidParameterValue', /2016-11-15/);
  refuses('Action=CreateFlowLogs&ResourceId.1=vpc-1&TrafficType=ALL', 'MissingParameter', /^The request must contain the parameter ResourceType$/);
  refuses('Action=CreateFlowLogs&ResourceType=VPC&TrafficType=ALL', 'MissingParameter', /^The request must contain the parameter ResourceId$/);
  refuses('Action=DescribeFlowLogs&Bogus=1', 'UnknownParameter', /The parameter Bogus is not recognized/);
  refuses('Action=DescribeFlowLogs&FlowLogIds.1=fl-1', 'UnknownParameter', /FlowLogIds/);
  refuses('Action=DescribeFlowLogs&FlowLogId.first=fl-1', 'UnknownParameter', /FlowLogId\.first/);
  refuses('Action=DescribeFlowLogs&FlowLogId.0=fl-1', 'UnknownParameter');
  refuses('Action=DescribeFlowLogs&Filter.1.Name=a&Filter.1.Values.1=b', 'UnknownParameter', /Filter\.1\.Values/);
  refuses('Action=CreateFlowLogs&ResourceType=VPC&ResourceId.1=v&DestinationOptions.Compression=gzip', 'UnknownParameter', /DestinationOptions\.Compression/);
  refuses('Action=DescribeFlowLogs&NextToken.1=x', 'UnknownParameter');
  refuses('Action=DescribeFlowLogs&FlowLogId=fl-1', 'InvalidParameterValue', /FlowLogId\.1/);
  refuses('Action=DescribeFlowLogs&MaxResults=ten', 'InvalidParameterValue', /MaxResults/);
  refuses('Action=DescribeFlowLogs&DryRun=yes', 'InvalidParameterValue', /DryRun/);
  refuses('Action=DescribeFlowLogs&MaxResults=5&MaxResults=6', 'InvalidParameterValue', /more than once/);
});

test('CreateFlowLogs response serializes like the documented sample, client token included', () => {
  const xml = ec2ResponseXml('CreateFlowLogs', { ClientToken: 'tok', FlowLogIds: ['fl-1a2b3c4d'], Unsuccessful: [] }, '2d96dae3-504b-4fc4-bf50-266EXAMPLE');
  assert.equal(xml,
    '<?xml version="1.0" encoding="UTF-8"?>\n<CreateFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    + '<requestId>2d96dae3-504b-4fc4-bf50-266EXAMPLE</requestId><clientToken>tok</clientToken>'
    + '<flowLogIdSet><item>fl-1a2b3c4d</item></flowLogIdSet><unsuccessful/></CreateFlowLogsResponse>');
  const partial = ec2ResponseXml('DeleteFlowLogs', { Unsuccessful: [{ Error: { Code: 'InvalidFlowLogId.NotFound', Message: 'These flow log ids in the input list are not found: [TotalCount: 1] fl-x' }, ResourceId: 'fl-x' }] }, 'r');
  assert.match(partial, /<DeleteFlowLogsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>r<\/requestId><unsuccessful><item><error><code>InvalidFlowLogId\.NotFound<\/code><message>These flow log ids in the input list are not found: \[TotalCount: 1\] fl-x<\/message><\/error><resourceId>fl-x<\/resourceId><\/item><\/unsuccessful><\/DeleteFlowLogsResponse>$/);
  assert.match(ec2ResponseXml('CreateFlowLogs', { FlowLogIds: [], Unsuccessful: [] }, 'r'), /<flowLogIdSet\/><unsuccessful\/>/);
});

test('every member of a DescribeFlowLogs item from the control plane is written under its documented XML name', () => {
  const flowLog: FlowLog = {
    flowLogId: 'fl-1234c5499532dbabc', accountId: '123456789101', region: 'us-east-1', resourceType: 'VPC', resourceId: 'vpc-001234183afc7cabc', trafficType: 'ALL',
    logDestinationType: 's3', logDestination: 'arn:aws:s3:::my-log-bucket/my-logs/', logFormat: '${version} ${srcaddr}', fields: ['version', 'srcaddr'], version: 2,
    maxAggregationInterval: 60, destinationOptions: { fileFormat: 'parquet', hiveCompatiblePartitions: true, perHourPartition: false },
    tags: [{ Key: 'Name', Value: 'FlowsForVpcA' }], creationTime: Date.UTC(2020, 1, 4, 11, 46, 13, 831), deliverLogsStatus: 'FAILED', deliverLogsErrorMessage: 'Access error',
    flowLogStatus: 'ACTIVE',
  };
  const cwl: FlowLog = { ...flowLog, flowLogId: 'fl-0abc1235983d13123', logDestinationType: 'cloud-watch-logs', logGroupName: 'FlowLogsForSubnetB', logDestination: 'arn:aws:logs:us-east-1:123456789101:log-group:FlowLogsForSubnetB', deliverLogsPermissionArn: 'arn:aws:iam::123456789101:role/flowlogsrole', destinationOptions: undefined, tags: [], deliverLogsStatus: 'SUCCESS', deliverLogsErrorMessage: undefined };
  const items = [describeFlowLogItem(flowLog), describeFlowLogItem(cwl)];
  const xml = ec2ResponseXml('DescribeFlowLogs', { FlowLogs: items, NextToken: 'eyJvIjoyfQ==' }, 'req-1');
  const first = xml.slice(xml.indexOf('<item>'), xml.indexOf('</item><item>') + 7);
  for (const element of [
    '<creationTime>2020-02-04T11:46:13.831Z</creationTime>', '<deliverLogsStatus>FAILED</deliverLogsStatus>', '<deliverLogsErrorMessage>Access error</deliverLogsErrorMessage>',
    '<flowLogId>fl-1234c5499532dbabc</flowLogId>', '<flowLogStatus>ACTIVE</flowLogStatus>', '<resourceId>vpc-001234183afc7cabc</resourceId>', '<trafficType>ALL</trafficType>',
    '<logDestinationType>s3</logDestinationType>', '<logDestination>arn:aws:s3:::my-log-bucket/my-logs/</logDestination>', '<logFormat>${version} ${srcaddr}</logFormat>',
    '<maxAggregationInterval>60</maxAggregationInterval>', '<tagSet><item><key>Name</key><value>FlowsForVpcA</value></item></tagSet>',
    '<destinationOptions><fileFormat>parquet</fileFormat><hiveCompatiblePartitions>true</hiveCompatiblePartitions><perHourPartition>false</perHourPartition></destinationOptions>',
  ]) assert.ok(first.includes(element), `missing ${element} in ${first}`);
  // One element per member the control plane produced: nothing it says is dropped on the way out.
  assert.equal(first.match(/<[a-zA-Z]+>/g)!.filter((t) => !['<item>', '<key>', '<value>', '<fileFormat>', '<hiveCompatiblePartitions>', '<perHourPartition>'].includes(t)).length, Object.keys(items[0]!).length);
  const second = xml.slice(xml.indexOf('</item><item>') + 7);
  for (const element of ['<logGroupName>FlowLogsForSubnetB</logGroupName>', '<deliverLogsPermissionArn>arn:aws:iam::123456789101:role/flowlogsrole</deliverLogsPermissionArn>', '<tagSet/>']) {
    assert.ok(second.includes(element), `missing ${element}`);
  }
  assert.ok(!second.includes('destinationOptions'));
  assert.ok(xml.endsWith('</flowLogSet><nextToken>eyJvIjoyfQ==</nextToken></DescribeFlowLogsResponse>'));
  assert.match(ec2ResponseXml('DescribeFlowLogs', { FlowLogs: [] }, 'r'), /<requestId>r<\/requestId><flowLogSet\/><\/DescribeFlowLogsResponse>$/);
});

test('text is XML-escaped and characters XML cannot carry are replaced', () => {
  assert.equal(xmlEscape(`a&b<c>"d'`), 'a&amp;b&lt;c&gt;&quot;d&apos;');
  assert.equal(xmlEscape('x\u0001y\u0000z\tw\nv\rq'), 'x\uFFFDy\uFFFDz\tw\nv&#xD;q');
  assert.equal(xmlEscape('emoji \u{1F600} ok, lone \uD800 not'), 'emoji \u{1F600} ok, lone \uFFFD not');
  const xml = ec2ResponseXml('CreateFlowLogs', { ClientToken: '<t&>', FlowLogIds: [], Unsuccessful: [] }, 'r');
  assert.ok(xml.includes('<clientToken>&lt;t&amp;&gt;</clientToken>'));
});

test('errors use the documented <Response><Errors> document with RequestID', () => {
  assert.equal(ec2ErrorXml('InvalidInstanceID.NotFound', "The instance ID 'i-1a2b3c4d' does not exist", 'ea966190-f9aa-478e-9ede-example'),
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID &apos;i-1a2b3c4d&apos; does not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>');
});

test('actions run on the control plane for the caller\'s account; DescribeFlowLogs honours DryRun', async () => {
  const calls: [string, string, Record<string, unknown>][] = [];
  const control = {
    createFlowLogs: async (a: string, r: Record<string, unknown>) => (calls.push(['create', a, r]), { FlowLogIds: [], Unsuccessful: [] }),
    describeFlowLogs: async (a: string, r: Record<string, unknown>) => (calls.push(['describe', a, r]), { FlowLogs: [] }),
    deleteFlowLogs: async (a: string, r: Record<string, unknown>) => (calls.push(['delete', a, r]), { Unsuccessful: [] }),
  } as unknown as ControlPlane;
  await runEc2Action(control, '111122223333', parse('Action=DescribeFlowLogs&FlowLogId.1=fl-1&DryRun=false'));
  await runEc2Action(control, '444455556666', parse('Action=DeleteFlowLogs&FlowLogId.1=fl-1'));
  assert.deepEqual(calls, [['describe', '111122223333', { FlowLogIds: ['fl-1'] }], ['delete', '444455556666', { FlowLogIds: ['fl-1'] }]]);
  await assert.rejects(runEc2Action(control, '111122223333', parse('Action=DescribeFlowLogs&DryRun=true')), (e: unknown) => e instanceof AwsProtocolError && e.code === 'DryRunOperation' && e.httpStatus === 412);
  assert.equal(calls.length, 2);
});
