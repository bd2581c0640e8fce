// The network model (VPCs, subnets, instances, interfaces, security groups, network ACLs) read
// from a user's document with AWS's validation rules, its ids, declarative apply with change
// lists, lookups, flow-log resources with their EC2 API validation, and the EC2 network actions
// (Create*/Delete*/Describe*, tags) as edits of the apply document. Pure code, no I/O.

export { type ApplyPlan, accountOfDocument, compileNetwork, planApply } from './apply.ts';
export { MAX_DOCUMENT_NESTING, documentNestingProblem, type NestingProblem } from './doc-nesting.ts';
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
export {
  type InstanceDocument, type InterfaceDocument, type NetworkAclDocument, type NetworkAclEntryDocument, type NetworkDocument,
  type SecurityGroupDocument, type SecurityGroupRuleDocument, type SubnetDocument, type VpcDocument, modelToDocument,
} from './to-document.ts';
export { type Ec2Filter, type FilterFields, applyFilters } from './ec2-filters.ts';
export {
  aclAssociationId, amazonIpv6Block, attachmentId, availableIpAddressCount, macAddressOf, privateDnsName, reservationId,
  securityGroupRuleId, subnetCidrAssociationId, usedAddresses, vpcCidrAssociationId,
} from './ec2-derived.ts';
export {
  describeInstances, describeNetworkAcls, describeNetworkInterfaces, describeSecurityGroups, describeSubnets, describeVpcs, instanceGroupIds, subnetArn,
} from './ec2-describe.ts';
export { type ActionContext, type ActionOutcome, type RequestTag, type TagSpecification, NetworkEdit } from './network-actions.ts';
export { type CreateSubnetRequest, type CreateVpcRequest, createSubnet, createVpc, deleteSubnet, deleteVpc } from './network-actions-vpc.ts';
export {
  type CreateNetworkInterfaceRequest, type InstanceNetworkInterfaceSpecification, type RunInstancesRequest, MAX_INSTANCES_PER_REQUEST,
  createNetworkInterface, deleteNetworkInterface, runInstances, terminateInstances,
} from './network-actions-instances.ts';
export {
  type CreateSecurityGroupRequest, type Direction, type IpPermission, type RuleChangeResult, type SecurityGroupRuleRequest,
  authorizeSecurityGroupRules, createSecurityGroup, deleteSecurityGroup, revokeSecurityGroupRules,
} from './network-actions-groups.ts';
export {
  type CreateNetworkAclEntryRequest, createNetworkAcl, createNetworkAclEntry, deleteNetworkAcl, deleteNetworkAclEntry, replaceNetworkAclAssociation,
} from './network-actions-acls.ts';
export { TAGGABLE_TYPE, type TagDescription, type TagsOutcome, createTags, deleteTags, describeTags } from './network-actions-tags.ts';
