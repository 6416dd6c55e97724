// manifests/ have kube-apiserver call the burst-policy webhook through its Service, as in a
// cluster; the local environment's nodes are host processes, so the API server calls the burst
// node's webhook port on loopback instead. The caBundle burstlet wrote is kept.
import { KubeClient, loadKubeConfig } from '../../kube/client.ts';
import { isConflict } from '../../kube/errors.ts';

const PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/burstlet';

/**
 * Where the webhook points while no burst node serves it: a loopback port nobody listens on
 * (only root may bind below 1024), so that kube-apiserver fails open at once. Left at the
 * manifests' Service, it dialled the Service's ClusterIP, which on this host no kube-proxy
 * carries: every pod created before a node came (all of them, without --nodes) left the
 * machine by its default route.
 */
export const UNSERVED_WEBHOOK_URL = 'https://127.0.0.1:1/mutate';

interface WebhookConfiguration {
  webhooks?: { clientConfig?: { url?: string; service?: unknown; caBundle?: string } }[];
}

export async function pointWebhookAt(adminKubeconfig: string, url: string): Promise<void> {
  const client = await KubeClient.create(loadKubeConfig(adminKubeconfig));
  try {
    for (let attempt = 0; ; attempt++) {
      const config = await client.request<WebhookConfiguration>('GET', PATH);
      for (const w of config.webhooks ?? []) w.clientConfig = { url, ...(w.clientConfig?.caBundle ? { caBundle: w.clientConfig.caBundle } : {}) };
      try {
        await client.request('PUT', PATH, { body: config });
        return;
      } catch (err) {
        // burstlet writing its caBundle at the same moment: read again.
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  } finally {
    await client.close();
  }
}
