import { test } from 'node:test';
import assert from 'node:assert/strict';
import { azIdOf, isRegionName, isZoneOfRegion, partitionOf, regionCode } from './regions.ts';

// AZ ids AWS documents (spec §1.10 and the az-id field): use1-az1, apse2-az3.
test('region codes follow AWS\'s AZ id prefixes', () => {
  assert.equal(regionCode('us-east-1'), 'use1');
  assert.equal(regionCode('ap-southeast-2'), 'apse2');
  assert.equal(regionCode('eu-central-1'), 'euc1');
  assert.equal(regionCode('ap-northeast-1'), 'apne1');
  assert.equal(regionCode('us-gov-west-1'), 'usgw1');
  assert.equal(regionCode('sa-east-1'), 'sae1');
  assert.equal(regionCode('nowhere'), undefined);
});

test('zone names map to AZ ids by letter', () => {
  assert.equal(azIdOf('ap-southeast-2', 'ap-southeast-2c'), 'apse2-az3');
  assert.equal(azIdOf('us-east-1', 'us-east-1a'), 'use1-az1');
  assert.equal(azIdOf('us-east-1', 'us-west-2a'), undefined);
  assert.equal(azIdOf('us-east-1', 'us-east-1'), undefined);
});

test('region and zone name shapes', () => {
  for (const r of ['us-east-1', 'eu-west-3', 'ap-south-2', 'me-central-1', 'cn-north-1', 'us-gov-east-1', 'il-central-1']) assert.ok(isRegionName(r), r);
  for (const r of ['us-east', 'US-EAST-1', 'us-middle-1', 'useast1', 'us-east-1a', '']) assert.equal(isRegionName(r), false, r);
  assert.ok(isZoneOfRegion('eu-west-1b', 'eu-west-1'));
  assert.equal(isZoneOfRegion('eu-west-1bb', 'eu-west-1'), false);
  assert.equal(isZoneOfRegion('eu-west-11', 'eu-west-1'), false);
});

test('partitions', () => {
  assert.equal(partitionOf('us-east-1'), 'aws');
  assert.equal(partitionOf('cn-northwest-1'), 'aws-cn');
  assert.equal(partitionOf('us-gov-west-1'), 'aws-us-gov');
});
