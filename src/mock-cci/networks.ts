// The CCI namespace's Networks (VPC subnets), each with its own addresses: `--subnet` names
// them, the first is the default a pod gets when its `cci.io/network` annotation chooses none.
// A Network can be marked Unavailable (its AZ or subnet failed, as a test makes it): pods get no
// IP there until it is Active again.
import { cidrsOverlap, parseCidr } from '../net/cidr.ts';
import { CCI_NETWORK_ANNOTATION, type CciNetwork, type CciPod } from '../cci/types.ts';
import { Ipam, IpExhaustedError, parseSubnet } from './ipam.ts';
import { CciApiError } from './status.ts';

export interface NetworkSpec {
  name: string;
  cidr: string;
}

export type NetworkPhase = NonNullable<CciNetwork['status']['phase']>;

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** One `--subnet` value: `<cidr>` (the Network "default") or `<name>=<cidr>`. */
export function parseNetworkSpec(raw: string): NetworkSpec {
  const eq = raw.indexOf('=');
  const name = eq < 0 ? 'default' : raw.slice(0, eq);
  if (!NAME.test(name) || name.length > 63) throw new Error(`${JSON.stringify(name)} is not a Network name (a DNS-1123 label)`);
  return { name, cidr: parseSubnet(raw.slice(eq + 1)).cidr };
}

/** Why a set of Networks cannot be one namespace's, or undefined: names and ranges must not repeat. */
export function networksProblem(specs: readonly NetworkSpec[]): string | undefined {
  for (let i = 0; i < specs.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [specs[j]!, specs[i]!];
      if (a.name === b.name) return `two Networks are named ${a.name}`;
      if (cidrsOverlap(parseCidr(a.cidr), parseCidr(b.cidr))) return `Networks ${a.name} (${a.cidr}) and ${b.name} (${b.cidr}) overlap`;
    }
  }
  return undefined;
}

interface Network {
  name: string;
  ipam: Ipam;
  phase: NetworkPhase;
}

export class MockNetworks {
  readonly #networks: Network[];
  readonly #sharedVpc: boolean;

  /** `sharedVpc`: the subnets belong to a VPC shared from another account. */
  constructor(specs: readonly NetworkSpec[], sharedVpc = false) {
    this.#sharedVpc = sharedVpc;
    if (specs.length === 0) throw new Error('a namespace needs at least one Network');
    const problem = networksProblem(specs);
    if (problem) throw new Error(problem);
    this.#networks = specs.map((s) => ({ name: s.name, ipam: new Ipam(parseSubnet(s.cidr)), phase: 'Active' }));
  }

  get names(): string[] {
    return this.#networks.map((n) => n.name);
  }

  /** Every Network's subnet (the runtime's bridges). */
  get subnets(): { name: string; gateway: string; prefix: number; cidr: string }[] {
    return this.#networks.map((n) => ({ name: n.name, gateway: n.ipam.subnet.gateway, prefix: n.ipam.subnet.prefix, cidr: n.ipam.subnet.cidr }));
  }

  /** The Network a pod asks for (its annotation), the default without one; a 422 names the existing ones. */
  forPod(pod: CciPod): string {
    const wanted = pod.metadata.annotations?.[CCI_NETWORK_ANNOTATION];
    if (wanted === undefined) return this.#networks[0]!.name;
    if (this.#find(wanted)) return wanted;
    throw new CciApiError(422, 'Invalid',
      `Pod "${pod.metadata.name}" is invalid: metadata.annotations[${CCI_NETWORK_ANNOTATION}]: Not found: ${JSON.stringify(wanted)}: the namespace's Networks are ${this.names.join(', ')}`,
      { name: pod.metadata.name, kind: 'pods' });
  }

  /** An IP of `network` for pod `podName`: 503 while the Network is Unavailable, 409 when it is full. */
  allocate(network: string, podName: string): string {
    const n = this.#get(network);
    if (n.phase !== 'Active') {
      throw new CciApiError(503, 'ServiceUnavailable', `pods "${podName}" cannot be created: Network ${n.name} (${n.ipam.subnet.cidr}) is ${n.phase}; try again later or choose another Network`, { name: podName, kind: 'pods' });
    }
    try {
      return n.ipam.allocate();
    } catch (err) {
      if (err instanceof IpExhaustedError) {
        throw new CciApiError(409, 'InsufficientIPs', `pods "${podName}" cannot be created: Network ${n.name}: ${err.message}; delete pods or use a larger subnet`, { name: podName, kind: 'pods' });
      }
      throw err;
    }
  }

  release(network: string, ip: string): void {
    this.#find(network)?.ipam.release(ip);
  }

  setPhase(network: string, phase: NetworkPhase): CciNetwork {
    const n = this.#find(network);
    if (!n) throw new CciApiError(404, 'NotFound', `networks "${network}" not found`, { name: network, kind: 'networks' });
    n.phase = phase;
    return this.#toCci(n, '');
  }

  /** As the API shows them, the default first. */
  list(namespace: string): CciNetwork[] {
    return this.#networks.map((n) => this.#toCci(n, namespace));
  }

  #toCci(n: Network, namespace: string): CciNetwork {
    const { subnet } = n.ipam;
    return {
      apiVersion: 'cci/v2',
      kind: 'Network',
      metadata: { name: n.name, ...(namespace ? { namespace } : {}) },
      spec: { cidr: subnet.cidr, gateway: subnet.gateway, ...(this.#sharedVpc ? { sharedVpc: true } : {}) },
      status: { totalIPs: subnet.size, usedIPs: n.ipam.usedCount, freeIPs: n.ipam.freeCount, phase: n.phase },
    };
  }

  #find(name: string): Network | undefined {
    return this.#networks.find((n) => n.name === name);
  }

  #get(name: string): Network {
    const n = this.#find(name);
    if (!n) throw new Error(`no Network ${name}`);
    return n;
  }
}
