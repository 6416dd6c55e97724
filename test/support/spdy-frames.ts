// The SPDY parser hands a DATA frame on in pieces as they arrive; tests compare frames whole.
import type { Frame } from '../../src/streams/spdy/frames.ts';

/** Joins consecutive DATA pieces of one stream (up to a FIN) back into the frame they came from. */
export function coalesce(frames: readonly Frame[]): Frame[] {
  const out: Frame[] = [];
  for (const f of frames) {
    const last = out.at(-1);
    if (f.type === 'data' && last?.type === 'data' && last.streamId === f.streamId && !last.fin) {
      out[out.length - 1] = { ...last, fin: f.fin, data: Buffer.concat([last.data, f.data]) };
    } else out.push(f);
  }
  return out;
}
