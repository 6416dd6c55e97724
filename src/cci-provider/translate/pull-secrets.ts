// imagePullSecrets resolved to registry credentials CCI can use: .dockerconfigjson as is,
// legacy .dockercfg wrapped into {"auths": ...}; missing ones only warn, as in the kubelet.
import type { CciPodSpec } from '../../cci/types.ts';
import { secretEntries, warn, type TranslateContext } from './context.ts';

export function pullSecrets(ctx: TranslateContext): CciPodSpec['imagePullSecrets'] {
  const out: NonNullable<CciPodSpec['imagePullSecrets']> = [];
  const missing: string[] = [];
  for (const ref of ctx.pod.spec?.imagePullSecrets ?? []) {
    const name = ref.name ?? '';
    const secret = ctx.secrets.get(name);
    const entries = secret && secretEntries(secret);
    const json = entries?.get('.dockerconfigjson');
    const cfg = entries?.get('.dockercfg');
    if (json) out.push({ name, dockerConfigJson: json.toString('base64') });
    else if (cfg) out.push({ name, dockerConfigJson: Buffer.from(`{"auths":${cfg.toString('utf8')}}`).toString('base64') });
    else missing.push(name);
  }
  if (missing.length > 0) {
    warn(ctx, 'FailedToRetrieveImagePullSecret',
      `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
  }
  return out.length > 0 ? out : undefined;
}
