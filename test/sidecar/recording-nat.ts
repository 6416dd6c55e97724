// A ServiceNat for tests in the host namespace (where no nftables rule may be installed): it
// records the rules, and tests send to where those rules would have DNATed the traffic.
import type { DirProtocol } from '../../src/network/service-directory/protocol.ts';
import type { DnatRule, ServiceNat } from '../../src/sidecar/dnat.ts';

export class RecordingNat implements ServiceNat {
  rules: DnatRule[] = [];
  /** The next this many apply() calls fail, as nft would without CAP_NET_ADMIN. */
  failures = 0;

  async apply(rules: DnatRule[]): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('Operation not permitted (the sidecar needs nft and CAP_NET_ADMIN in the pod\'s network namespace)');
    }
    this.rules = rules;
  }

  /** The port traffic for clusterIP:port ends up on: the listener's, or the Service port itself without a rule. */
  target(clusterIP: string, port: number, protocol: DirProtocol = 'TCP'): number {
    return this.rules.find((r) => r.clusterIP === clusterIP && r.port === port && r.protocol === protocol)?.localPort ?? port;
  }
}
