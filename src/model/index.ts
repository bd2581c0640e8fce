// The network model (VPCs, subnets, instances, interfaces, security groups, network ACLs) read
// from a user's document with AWS's validation rules, its ids, declarative apply with change
// lists, lookups, and flow-log resources with their EC2 API validation. Pure code, no I/O.

export { type ApplyPlan, accountOfDocument, compileNetwork, planApply } from './apply.ts';
export { type Change, type ChangeAction, type ChangeResourceType, diffModels } from './diff.ts';
export { ApiError, type Problem, ValidationError } from './errors.ts';
export {
  ID_PREFIX, MALFORMED_CODE, NOT_FOUND_CODE, type IdGenerator, type RandomBytes, type ResourceKind,
  defaultIdGenerator, isResourceId, kindOfId, randomIdGenerator, sequentialIdGenerator,
} from './ids.ts';
export {
  ACL_DEFAULT_RULE_NUMBER, type Instance, type NetworkAcl, type NetworkAclEntry, type NetworkInterface, type NetworkModel,
  type SecurityGroup, type SecurityGroupRule, type Subnet, type Vpc,
} from './network.ts';
export { type MonitoredResourceType, NetworkIndex } from './network-index.ts';
export { azIdOf, isRegionName, isZoneOfRegion, partitionOf, regionCode } from './regions.ts';
export { type Tag, tagProblems } from './tags.ts';
export { LIMITS, isReservedAddress } from './validate.ts';
export { bucketNameProblem, logGroupArn, parseLogGroupArn, parseS3Arn, roleArnProblem } from './arns.ts';
export {
  type CreateFlowLogsContext, type CreateFlowLogsResult, type DestinationOptions, type FileFormat, type FlowLog, type FlowLogResourceType,
  type LogDestinationType, type TagFieldSpecification, type TrafficType, type UnsuccessfulItem, destinationKey, validateCreateFlowLogs,
} from './flow-log.ts';
export {
  type DeleteFlowLogsResult, type DescribeFilter, checkDescribeFilters, flowLogsCovering, matchesDescribeFilters, validateDeleteFlowLogs,
} from './flow-log-queries.ts';
