import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.ts';
import { certFacts } from '../../../src/tls/ca.ts';
import { requiredNames, WebhookCertificate, type WebhookIdentity } from '../../../src/policy/webhook/certificate.ts';
import { FakeApi } from '../support/fake-api.ts';

const id: WebhookIdentity = { namespace: 'kube-system', service: 'burstlet-webhook', secretName: 'burstlet-webhook-tls', extraHosts: ['127.0.0.1'], configurationName: 'burstlet' };
const SECRET = '/api/v1/namespaces/kube-system/secrets/burstlet-webhook-tls';
const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/burstlet';
const log = createLogger('silent', 'test');
const DAY = 86_400_000;

describe('the webhook certificate', () => {
  it('creates a CA and a serving certificate for the Service names, kept in a Secret', async () => {
    const api = new FakeApi();
    const certs = await new WebhookCertificate(api, id, log).ensure();
    const facts = (await certFacts(certs.serving.certPem))!;
    expect(facts.names.sort()).toEqual(['127.0.0.1', 'burstlet-webhook', 'burstlet-webhook.kube-system', 'burstlet-webhook.kube-system.svc', 'burstlet-webhook.kube-system.svc.cluster.local']);
    expect(await facts.signedBy(certs.ca.certPem)).toBe(true);
    const secret = api.get<{ type: string; data: Record<string, string> }>(SECRET)!;
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(secret.data['tls.crt']!, 'base64').toString()).toBe(certs.serving.certPem);
  });

  it('replicas starting together end up serving the same certificate', async () => {
    const api = new FakeApi();
    // Both read "absent" before either writes.
    let gate!: () => void;
    const bothRead = new Promise<void>((resolve) => (gate = resolve));
    let gets = 0;
    api.delay = async (method) => {
      if (method === 'GET' && ++gets === 2) gate();
      if (method === 'POST') await bothRead;
    };
    const [a, b] = await Promise.all([new WebhookCertificate(api, id, log).ensure(), new WebhookCertificate(api, id, log).ensure()]);
    expect(a.serving.certPem).toBe(b.serving.certPem);
    expect(a.ca.certPem).toBe(b.ca.certPem);
    expect(api.writes.filter((w) => w.method === 'POST')).toHaveLength(2);
  });

  it('keeps a good certificate, renews one with a third of its life left, and keeps the CA', async () => {
    const api = new FakeApi();
    const cert = new WebhookCertificate(api, id, log);
    const first = await cert.ensure();
    expect((await cert.ensure(Date.now() + 200 * DAY)).serving.certPem).toBe(first.serving.certPem);
    const renewed = await cert.ensure(Date.now() + 250 * DAY);
    expect(renewed.serving.certPem).not.toBe(first.serving.certPem);
    expect(renewed.ca.certPem).toBe(first.ca.certPem);
  });

  it('adds a missing name without dropping the others', async () => {
    const api = new FakeApi();
    await new WebhookCertificate(api, id, log).ensure();
    const more = await new WebhookCertificate(api, { ...id, extraHosts: ['webhook.example'] }, log).ensure();
    const names = (await certFacts(more.serving.certPem))!.names;
    expect(names).toEqual(expect.arrayContaining([...requiredNames(id), 'webhook.example']));
  });

  it('replaces a Secret that holds no usable certificate', async () => {
    const api = new FakeApi();
    api.put(SECRET, { metadata: { name: 'burstlet-webhook-tls' }, data: { 'tls.crt': Buffer.from('junk').toString('base64') } });
    const certs = await new WebhookCertificate(api, id, log).ensure();
    expect(await (await certFacts(certs.serving.certPem))!.signedBy(certs.ca.certPem)).toBe(true);
  });

  it('keeps every webhook\'s caBundle current, writing only when one differs', async () => {
    const api = new FakeApi();
    const cert = new WebhookCertificate(api, id, log);
    expect(await cert.syncCaBundle('x')).toBe(0);
    api.put(MWC, { metadata: { name: 'burstlet' }, webhooks: [{ name: 'pods.burstlet.io', clientConfig: { service: { name: 'burstlet-webhook' } } }, { name: 'b', clientConfig: { caBundle: 'old' } }] });
    const { ca } = await cert.ensure();
    expect(await cert.syncCaBundle(ca.certPem)).toBe(2);
    const stored = api.get<{ webhooks: { clientConfig: { caBundle: string; service?: unknown } }[] }>(MWC)!;
    expect(stored.webhooks.map((w) => Buffer.from(w.clientConfig.caBundle, 'base64').toString())).toEqual([ca.certPem, ca.certPem]);
    expect(stored.webhooks[0]!.clientConfig.service).toEqual({ name: 'burstlet-webhook' });
    const writes = api.writes.length;
    expect(await cert.syncCaBundle(ca.certPem)).toBe(0);
    expect(api.writes.length).toBe(writes);
  });
});
