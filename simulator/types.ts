import type { FaultRule } from './faults';
import type { FlavorResourcesOverride } from './flavor-resources';

/** Credentials the simulator accepts for AK/SK-signed requests. */
export interface SimulatorCredentials {
  ak: string;
  sk: string;
}

/** Nodes per AZ, either for every flavor together or per flavor (flavors not listed are unlimited). */
export type AzCapacity = Record<string, number | Record<string, number>>;

/** Pool phases of the seed documents (PoolStatus.phase). */
export type PoolPhase =
  'Creating' | 'Running' | 'Abnormal' | 'Deleting' | 'Error' | 'CreationFailed' | 'ScalingFailed' | 'Waiting';

export interface ModelArtsSimulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address; loopback by default. */
  host?: string;
  /** AK/SK pairs to verify signatures against; `false` or absent turns signature checks off. */
  auth?: SimulatorCredentials | SimulatorCredentials[] | false;
  /** IAM token accepted in `X-Auth-Token`. */
  token?: string;
  /** When set, only this project id is served (others get 403 `APIGW.0302`). */
  projectId?: string;
  /** Time from a node's placement to `available`. @default 300000 */
  provisioningDelayMs?: number;
  /** Time a node spends `deleting` before it is gone; also how long a deleted pool stays `Deleting`. @default 60000 */
  deletionDelayMs?: number;
  /** AZs used to place nodes of entries without `azs`, and the only AZ names requests may use. */
  availabilityZones?: string[];
  /** Capacity limits; nodes beyond them stay `creating` (or turn `abnormal`, see `abnormalAfterMs`). */
  azCapacity?: AzCapacity;
  /** When set, a node that found no capacity turns `abnormal` this long after it was requested. */
  abnormalAfterMs?: number;
  /** What a PATCH that leaves out an existing flavor entry does. @default 'delete' */
  flavorRemoval?: 'delete' | 'reject';
  /** Phases in which `spec.resources` may be changed. @default ['Running'] */
  patchPhases?: PoolPhase[];
  /** Simulation clock (epoch ms) driving node lifecycles. @default Date.now */
  now?: () => number;
  /** Clock for the `X-Sdk-Date` skew check; real time by default so a virtual clock never breaks signatures. */
  authNow?: () => number;
  /** Largest accepted request body. @default 1048576 */
  maxBodyBytes?: number;
  /** Seed of the random source behind probabilistic faults and generated names. @default 1 */
  seed?: number;
  faults?: FaultRule[];
  /** Entries the request log keeps (oldest dropped first). @default 100000 */
  requestLogLimit?: number;
  /** The end of provisioning a node spends in phase Checking (capped at the provisioning delay). @default 60000 */
  checkingDelayMs?: number;
  /**
   * What a node of a flavor holds, overriding the rule read from the flavor name (see docs/simulator.md):
   * for example `{"modelarts.vm.gpu.tnt004": {"accelerators": 1}}`.
   */
  flavors?: Record<string, FlavorResourcesOverride>;
  /** Answer every node in one page, ignoring `limit` and `continue`, as some regions do. @default false */
  ignoreNodePaging?: boolean;
  /** Accept `Content-Type: application/json` on PATCH, as Huawei's SDK sends it (an inference). @default true */
  acceptJsonPatch?: boolean;
  /** Serve the control API under `/_sim/`. @default true */
  controlApi?: boolean;
  /** Ended workloads each pool keeps listing (oldest dropped first). @default 10000 */
  endedWorkloadLimit?: number;
  /** Workload transitions the feed keeps (oldest dropped first). @default 100000 */
  transitionLogLimit?: number;
}

/** One handled request, readable by tests through `simulator.requestLog`. */
export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Simulation clock when the request arrived (epoch ms). */
  at: number;
  /** `true`/`false` for a signed request, `null` when no signature was presented. */
  signatureValid: boolean | null;
  authMethod: 'aksk' | 'token' | 'none';
  bodyBytes: number;
  /** Parsed JSON request body, when there was one. */
  body?: unknown;
  /** Parsed merge patch of a PATCH request. */
  patch?: unknown;
  pool?: string;
  /** Error code of an error response. */
  errorCode?: string;
  /** Description of the fault that acted on this request. */
  fault?: string;
}
