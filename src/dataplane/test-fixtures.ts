// Network documents for the data plane's tests: a VPC with two subnets, a web server and a client
// in one, a database with a second interface in the other, and a network ACL on the database's
// subnet without an ephemeral-port rule. Ids are fixed so tests can name them.

export const IDS = {
  vpc: 'vpc-0d17a2b3c4d5e6f70',
  subnetA: 'subnet-0a1000000000000a1',
  subnetB: 'subnet-0b2000000000000b2',
  web: 'i-0e1000000000000e1',
  client: 'i-0c1000000000000c1',
  db: 'i-0db00000000000d01',
  eniWeb: 'eni-0e1000000000000e1',
  eniClient: 'eni-0c1000000000000c1',
  eniDb: 'eni-0db00000000000d01',
  eniDb2: 'eni-0db00000000000d02',
  sgWeb: 'sg-0e1000000000000e1',
  sgClient: 'sg-0c1000000000000c1',
  sgDb: 'sg-0db00000000000d01',
  aclB: 'acl-0b2000000000000b2',
} as const;

export const ADDR = {
  web: '10.0.1.10',
  web6: '2600:1f18:abcd:1201::10',
  client: '10.0.1.20',
  client6: '2600:1f18:abcd:1201::20',
  db: '10.0.2.10',
  db2: '10.0.1.30',
} as const;

type AclEntry = Record<string, unknown>;

export interface FixtureOptions {
  /** Extra entries for the database subnet's ACL. */
  readonly extraAclEntries?: readonly AclEntry[];
  /** Text put in every name, tag and description (injection tests). */
  readonly decoration?: string;
  readonly withoutDb?: boolean;
}

/** The test network as a parsed document (what YAML parsing would give). */
export function testNetworkDocument(options: FixtureOptions = {}): Record<string, unknown> {
  const deco = options.decoration;
  const tags = deco === undefined ? {} : { tags: { Name: deco, [`k${deco.length}`]: deco } };
  const description = (text: string) => (deco === undefined ? text : deco);
  const eni = (id: string, ip: string, sg: string, extra: Record<string, unknown> = {}) => ({
    id, 'private-ip': ip, 'security-groups': [sg], ...(deco === undefined ? {} : { description: deco }), ...tags, ...extra,
  });
  const instances: Record<string, unknown>[] = [
    { id: IDS.web, subnet: IDS.subnetA, ...tags, interfaces: [eni(IDS.eniWeb, ADDR.web, IDS.sgWeb, { ipv6: [ADDR.web6] })] },
    { id: IDS.client, subnet: IDS.subnetA, ...tags, interfaces: [eni(IDS.eniClient, ADDR.client, IDS.sgClient, { ipv6: [ADDR.client6] })] },
  ];
  if (!options.withoutDb) {
    instances.push({
      id: IDS.db, subnet: IDS.subnetB, ...tags,
      interfaces: [eni(IDS.eniDb, ADDR.db, IDS.sgDb), eni(IDS.eniDb2, ADDR.db2, IDS.sgDb, { subnet: IDS.subnetA })],
    });
  }
  return {
    account: '111122223333',
    region: 'us-east-1',
    vpcs: [{
      id: IDS.vpc,
      cidr: '10.0.0.0/16',
      'ipv6-cidr': '2600:1f18:abcd:1200::/56',
      ...tags,
      subnets: [
        { id: IDS.subnetA, cidr: '10.0.1.0/24', 'ipv6-cidr': '2600:1f18:abcd:1201::/64', 'availability-zone': 'us-east-1a', ...tags },
        { id: IDS.subnetB, cidr: '10.0.2.0/24', 'ipv6-cidr': '2600:1f18:abcd:1202::/64', 'availability-zone': 'us-east-1a', ...tags },
      ],
      instances,
      'security-groups': [
        {
          id: IDS.sgWeb, name: deco === undefined ? 'web' : `w${deco}`, description: description('web servers'), ...tags,
          ingress: [
            { protocol: 'tcp', 'from-port': 80, 'to-port': 80, cidr: '10.0.0.0/16', ...(deco === undefined ? {} : { description: deco }) },
            { protocol: 'tcp', 'from-port': 80, 'to-port': 80, 'ipv6-cidr': '2600:1f18:abcd:1200::/56' },
            { protocol: 'icmp', 'from-port': -1, 'to-port': -1, cidr: '10.0.0.0/16' },
          ],
        },
        { id: IDS.sgClient, name: deco === undefined ? 'client' : `c${deco}`, description: description('clients'), ...tags },
        {
          id: IDS.sgDb, name: deco === undefined ? 'db' : `d${deco}`, description: description('database'), ...tags,
          ingress: [
            { protocol: 'tcp', 'from-port': 5432, 'to-port': 5432, 'source-group': IDS.sgClient },
            { protocol: 'icmp', 'from-port': -1, 'to-port': -1, cidr: '10.0.0.0/16' },
          ],
        },
      ],
      'network-acls': [{
        id: IDS.aclB, subnets: [IDS.subnetB], ...tags,
        entries: [
          { 'rule-number': 100, egress: false, protocol: '6', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 5432, 'to-port': 5432 },
          { 'rule-number': 110, egress: false, protocol: '1', 'rule-action': 'deny', cidr: '0.0.0.0/0', 'icmp-type': -1, 'icmp-code': -1 },
          { 'rule-number': 100, egress: true, protocol: '6', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 80, 'to-port': 80 },
          ...(options.extraAclEntries ?? []),
        ],
      }],
    }],
  };
}
