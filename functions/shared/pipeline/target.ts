import type { Policy } from '../engine';
import type { ModelArtsTarget } from './types';

/** Where a policy's pool is reached: the deployment's override, else the policy's own endpoint. */
export function resolveTarget(
  policy: Pick<Policy, 'endpoint' | 'projectId'>,
  overrides: { endpointOverride?: string; projectIdOverride?: string },
): ModelArtsTarget | undefined {
  const endpoint = overrides.endpointOverride ?? policy.endpoint;
  const projectId = overrides.projectIdOverride ?? policy.projectId;
  return endpoint !== undefined && projectId !== undefined ? { endpoint, projectId } : undefined;
}
