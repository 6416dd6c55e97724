// The mock CCI in-process for unit tests: runtime none (nothing starts; a pod is Running at
// once), namespace "burst", token "t", and a client for it. close() ends both.
import { CciClient } from '../../../src/cci/client.ts';
import { createLogger } from '../../../src/log/logger.ts';
import { startMockCci, type MockCci } from '../../../src/mock-cci/instance.ts';
import type { NetworkSpec } from '../../../src/mock-cci/networks.ts';

export const MOCK_NAMESPACE = 'burst';
export const MOCK_TOKEN = 't';

export interface InProcessMock {
  mock: MockCci;
  cci: CciClient;
  close(): Promise<void>;
}

export async function startInProcessMock(networks: NetworkSpec[] = [{ name: 'default', cidr: '198.18.0.0/24' }]): Promise<InProcessMock> {
  const mock = await startMockCci({
    address: '127.0.0.1', port: 0, token: MOCK_TOKEN, namespace: MOCK_NAMESPACE, networks,
    quota: { cpu: '100', memory: '100Gi', pods: 100, ephemeralStorage: '1Ti' },
    runtime: 'none', stateDir: '', crashLoopBaseMs: 10_000, faults: { latencyMs: 0, errorRate: 0, dropWatchAfterMs: 0, seed: 1 },
    log: createLogger('silent', 'test'),
  });
  const cci = new CciClient({ endpoint: mock.url, token: MOCK_TOKEN, namespace: MOCK_NAMESPACE });
  return {
    mock,
    cci,
    async close() {
      await cci.close();
      await mock.close();
    },
  };
}
