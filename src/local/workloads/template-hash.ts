// controller.ComputeHash: a short, stable name for a pod template (the pod-template-hash label
// of a Deployment's ReplicaSets, a StatefulSet's revision): FNV-32a of the template, plus the
// collision count, spelled with the alphabet of rand.SafeEncodeString.
import { canonicalJson } from '../apiserver/validation.ts';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function templateHash(template: unknown, collisionCount = 0): string {
  const digits = String(fnv32a(canonicalJson(template) + (collisionCount > 0 ? `#${collisionCount}` : '')));
  return [...digits].map((d) => SAFE[d.charCodeAt(0) % SAFE.length]).join('');
}
