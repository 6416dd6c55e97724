import { describe, expect, it } from 'vitest';
import { DEFAULT_ZONE_CPU, DEFAULT_ZONE_MEMORY, MAX_ZONE_NODES, parseZoneConfig } from '../../src/cci-provider/zone-config.ts';

const zone = (z: string, more: Partial<{ cpu: string; memory: string; networks: string[] }> = {}) => ({
  zone: z, nodeName: `burst-cci-${z}`, cpu: DEFAULT_ZONE_CPU, memory: DEFAULT_ZONE_MEMORY, networks: [], ...more,
});

describe('the bursting-node ConfigMap (CCE\'s zone nodes)', () => {
  it.each([
    ['empty: only the global node', {}, [], []],
    ['an AZ set to true has a node; false has none', { 'cn-north-4a': 'true', 'cn-north-4b': 'false' }, [zone('cn-north-4a')], []],
    ['cpu and memory size the node', { az1: 'true', 'az1.cpu': '64', 'az1.memory': '256Gi' }, [zone('az1', { cpu: '64', memory: '256Gi' })], []],
    ['networks: the zone\'s subnets, the first its default', { az1: 'true', 'az1.networks': 'fixed, spare' }, [zone('az1', { networks: ['fixed', 'spare'] })], []],
    ['networks separated by + (the --zone-nodes flag)', { az1: 'true', 'az1.networks': 'fixed+spare' }, [zone('az1', { networks: ['fixed', 'spare'] })], []],
    ['zones come sorted', { b: 'true', a: 'true' }, [zone('a'), zone('b')], []],
    ['"global" is not a zone', { global: 'true' }, [], ['global: "global" is the global node, not a zone']],
    ['a value other than true/false', { az1: 'yes' }, [], ['az1: expected true or false, got "yes"']],
    ['an unknown parameter', { az1: 'true', 'az1.gpu': '1' }, [zone('az1')], ['az1.gpu: unknown parameter "gpu"; expected az1.cpu, az1.memory, az1.networks']],
    ['a bad quantity', { az1: 'true', 'az1.cpu': 'lots' }, [zone('az1')], ['az1.cpu: "lots" is not a quantity (e.g. 64 or 500m)']],
    ['a zero quantity', { az1: 'true', 'az1.memory': '0' }, [zone('az1')], ['az1.memory: must be positive']],
    ['a bad zone name', { 'AZ_1': 'true' }, [], ['AZ_1: "AZ_1" is not a zone name (lower-case letters, digits and \'-\')']],
    ['a bad Network name', { az1: 'true', 'az1.networks': 'ok,Bad' }, [zone('az1')], ['az1.networks: "Bad" is not a Network name']],
    ['parameters of a zone that is not enabled', { 'az2.cpu': '8' }, [], ['az2.*: zone az2 has parameters but no "az2: true"; it has no node']],
  ])('%s', (_what, data, zones, problems) => {
    expect(parseZoneConfig(data, 'burst-cci')).toEqual({ zones, problems });
  });

  it(`at most ${MAX_ZONE_NODES} zone nodes`, () => {
    const data = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`az${String(i).padStart(2, '0')}`, 'true']));
    const { zones, problems } = parseZoneConfig(data, 'burst-cci');
    expect(zones.map((z) => z.zone)).toHaveLength(MAX_ZONE_NODES);
    expect(problems).toEqual(['22 zones enabled: at most 20 zone nodes; az20, az21 left out']);
  });
});
