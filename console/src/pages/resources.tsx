// PLACEHOLDER (being written): resource lists and detail pages.
export const RESOURCE_KINDS = ['vpcs', 'subnets', 'network-interfaces', 'instances', 'security-groups', 'network-acls'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];
export function ResourceList({ kind }: { kind: ResourceKind }) {
  return <h1 tabIndex={-1}>{kind}</h1>;
}
export function ResourceDetail({ kind, id }: { kind: ResourceKind; id: string; tab: string }) {
  return <h1 tabIndex={-1}>{kind} {id}</h1>;
}
