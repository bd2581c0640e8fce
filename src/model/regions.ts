// Region and Availability Zone names as AWS spells them, and the AZ id (`use1-az1`) that
// version-4 records carry. AWS maps zone names to zone ids per account; we use a fixed,
// documented mapping instead (zone letter a → az1, b → az2, …) so records are reproducible.

const REGION = /^([a-z]{2})-((?:gov|iso[a-z]?)-)?(central|north|south|east|west|northeast|northwest|southeast|southwest)-([1-9][0-9]?)$/;

const DIRECTION_CODE: Readonly<Record<string, string>> = {
  central: 'c',
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
};

/** Whether `name` has the shape of an AWS region name (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`). */
export const isRegionName = (name: string): boolean => REGION.test(name);

/** AWS's short region code used in AZ ids: `us-east-1` → `use1`, `ap-southeast-2` → `apse2`, `us-gov-west-1` → `usgw1`. */
export function regionCode(region: string): string | undefined {
  const m = REGION.exec(region);
  if (!m) return undefined;
  const partition = m[2] ? m[2][0] : '';
  return `${m[1]}${partition}${DIRECTION_CODE[m[3]!]}${m[4]}`;
}

/** Whether `az` names a zone of `region`: the region name followed by one letter (`us-east-1a`). */
export const isZoneOfRegion = (az: string, region: string): boolean => az.length === region.length + 1 && az.startsWith(region) && /[a-z]$/.test(az);

/** The AZ id of zone `az` in `region` (`us-east-1c` → `use1-az3`), or undefined when it is not one of its zones. */
export function azIdOf(region: string, az: string): string | undefined {
  const code = regionCode(region);
  if (code === undefined || !isZoneOfRegion(az, region)) return undefined;
  return `${code}-az${az.charCodeAt(az.length - 1) - 96}`;
}

const AZ_ID = /^[a-z]{2,}[0-9]{1,2}-az[0-9]{1,2}$/;

/** Whether `azId` has AWS's AZ id shape and belongs to the region (`use1-az4` for us-east-1). */
export function isAzIdOfRegion(azId: string, region: string): boolean {
  const code = regionCode(region);
  return code !== undefined && AZ_ID.test(azId) && azId.startsWith(code + '-az');
}

/** The ARN partition of a region: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}
