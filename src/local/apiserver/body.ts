// Request bodies arrive as raw bytes (every content type is buffered); this decodes JSON or
// YAML and turns malformed input into a 400 the client can act on.
import { parse as parseYaml } from 'yaml';
import { badRequest } from './errors.ts';
import { errorMessage } from '../../log/error-message.ts';

export function parseBody(raw: unknown, contentType: string): unknown {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  if (text.trim() === '') throw badRequest('the request body is empty; send a JSON object');
  try {
    return contentType.endsWith('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`the request body is not valid ${contentType.endsWith('yaml') ? 'YAML' : 'JSON'}: ${errorMessage(err)}`);
  }
}
