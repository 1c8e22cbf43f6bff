import { InvalidArgumentError, Option } from 'commander';
import { ENV, endpointAllowlistFromEnv } from '../../functions/shared/config';
import {
  type EndpointAllowlist,
  EndpointHostsSchema,
  HUAWEI_CLOUD_MODELARTS_HOSTS,
} from '../../functions/shared/endpoint-allowlist';
import { parseFields } from '../../functions/shared/validation-issues';

export interface EndpointAllowlistOptions {
  endpointHosts?: string[];
  allowLoopback?: boolean;
}

/** `--endpoint-hosts`: the host patterns a policy's endpoint must match, instead of the environment's. */
export function endpointHostsOption(): Option {
  return new Option(
    '--endpoint-hosts <patterns>',
    `comma-separated host patterns a policy's endpoint must match, * standing for one label (default: ${ENV.modelArtsEndpointHosts}, else ${HUAWEI_CLOUD_MODELARTS_HOSTS.join(',')})`,
  ).argParser((value: string) => {
    const parsed = parseFields(EndpointHostsSchema, value);
    if (!parsed.success)
      throw new InvalidArgumentError(parsed.issues.map((issue) => issue.message).join('; '));
    return parsed.data;
  });
}

/** `--allow-loopback`: loopback endpoints pass, as in local runs. */
export function allowLoopbackOption(): Option {
  return new Option(
    '--allow-loopback',
    `accept loopback endpoints, plain http included, as local runs do (default: ${ENV.modelArtsAllowLoopback})`,
  );
}

/** The flags win over the variables the Lambdas read, which win over the built-in default. */
export function endpointAllowlistFrom(
  options: EndpointAllowlistOptions,
  env: NodeJS.ProcessEnv = process.env,
): EndpointAllowlist {
  const fromEnv = endpointAllowlistFromEnv(env);
  return {
    hosts: options.endpointHosts ?? fromEnv.hosts,
    loopback: options.allowLoopback ?? fromEnv.loopback,
  };
}
