// CCI errors are Kubernetes-style Status objects; handlers throw CciApiError and the server
// turns it into the response.
import type { CciStatus } from '../cci/types.ts';

export class CciApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: CciStatus['details'];

  constructor(code: number, reason: string, message: string, details?: CciStatus['details']) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): CciStatus {
    return { apiVersion: 'cci/v2', kind: 'Status', status: 'Failure', code: this.code, reason: this.reason, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export const notFound = (name: string): CciApiError => new CciApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
export const badRequest = (message: string): CciApiError => new CciApiError(400, 'BadRequest', message);
