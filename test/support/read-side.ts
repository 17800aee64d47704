import type { Role } from '@signet/auth';
import { READ_MODEL_STORE, type ProjectionStatus, type ReadModelStore } from '@signet/read-model';
import type { SignetTestApp } from './signet-app';

export { pageFromScratch, unknownEvent, writeHistories } from '@signet/read-model/testing';

export const PAGE = '/v1/me/security-info';

/** How the API renders the page now: at the test clock's time, under the configured policy. */
export function pageView(signet: SignetTestApp) {
  return { now: signet.clock.now(), policy: signet.config.policy };
}

/**
 * The signed-in user's own page, optionally with read-your-writes on a command's position; fails unless the
 * answer has `status`.
 */
export async function myPage(signet: SignetTestApp, userId: string, minPosition?: string, status = 200) {
  const token = await signet.token(userId);
  const query = minPosition === undefined ? '' : `?minPosition=${encodeURIComponent(minPosition)}`;
  return signet.http().get(`${PAGE}${query}`).set('Authorization', `Bearer ${token}`).expect(status);
}

/** A caller with some roles, for the admin, auditor and operator routes. */
export async function staff(signet: SignetTestApp, roles: Role[], subject = `staff-${roles.join('-')}`) {
  const token = await signet.token(subject, roles);
  return {
    get: (path: string) => signet.http().get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string) => signet.http().post(path).set('Authorization', `Bearer ${token}`),
  };
}

/** The read-model status as the operators' route shows it. */
export async function projectionStatus(signet: SignetTestApp): Promise<ProjectionStatus> {
  const operator = await staff(signet, ['operator']);
  const res = await operator.get('/v1/admin/projections').expect(200);
  return (res.body as { projections: ProjectionStatus[] }).projections[0];
}

export function readModelStore(signet: SignetTestApp): ReadModelStore {
  return signet.app.get<ReadModelStore>(READ_MODEL_STORE);
}
