// Events as users read them: a repeated event recorded through burstlet's recorder is one Event
// whose count and times `kubectl describe` turns into "(x5 over 2m)", on the embedded API server
// (which checks Event writes as kube-apiserver's legacyValidateEvent does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { EventRecorder } from '../src/provider/events.ts';
import { KubeClient, loadKubeConfig } from '../src/kube/client.ts';
import { startApiServerInProcess, type InProcessApiServer } from './support/api-server-in-process.ts';

let api: InProcessApiServer;
let client: KubeClient;

beforeAll(async () => {
  api = await startApiServerInProcess();
  client = await KubeClient.create(loadKubeConfig(api.kubeconfig));
  await api.kubectl.ok(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Pod\nmetadata: {name: crashy}\nspec: {containers: [{name: c, image: busybox}]}\n' });
});

afterAll(async () => {
  await client?.close();
  await api?.stop();
});

describe('repeated events', () => {
  it('kubectl describe shows one Warning "(x5 over 2m)" for five back-offs, and its age from the last one', async () => {
    const pod = JSON.parse(await api.kubectl.ok(['get', 'pod', 'crashy', '-o', 'json'])) as { metadata: { uid: string } };
    const start = Date.now() - 120_000;
    let clock = start;
    const recorder = new EventRecorder(client, { component: 'kubelet', host: 'burstlet-cci' }, createLogger('silent', 'e2e'), () => clock);
    const target = { kind: 'Pod', namespace: 'default', name: 'crashy', uid: pod.metadata.uid, fieldPath: 'spec.containers{c}' };
    for (let i = 0; i < 5; i++) {
      clock = start + i * 30_000;
      recorder.record(target, 'Warning', 'BackOff', 'Back-off restarting failed container c in pod crashy_default(uid)');
      await recorder.flush();
    }
    const events = JSON.parse(await api.kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=crashy', '-o', 'json'])) as { items: { count: number }[] };
    expect(events.items.map((e) => e.count)).toEqual([5]);
    const described = await api.kubectl.ok(['describe', 'pod', 'crashy']);
    // "over" is the first event's age: 2m, or 2m1s once a second has passed since (CI saw it).
    expect(described).toMatch(/Warning\s+BackOff\s+\d+s \(x5 over 2m(\d+s)?\)\s+kubelet\s+Back-off restarting failed container c in pod crashy_default\(uid\)/);
  });
});
