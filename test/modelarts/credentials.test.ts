import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AkSkCredentials,
  ModelArtsCredentialsError,
  TokenCredentials,
  credentialsFromEnv,
  toCredentials,
} from '../../functions/shared/modelarts';

const SK = 'SKsecretvalue0000000000000000000000000000';

describe('credentialsFromEnv', () => {
  it('reads AK/SK and the project id', () => {
    const { credentials, projectId } = credentialsFromEnv({
      HUAWEICLOUD_SDK_AK: 'AK1',
      HUAWEICLOUD_SDK_SK: SK,
      HUAWEICLOUD_SDK_PROJECT_ID: 'proj-1',
    });
    expect(credentials).toBeInstanceOf(AkSkCredentials);
    expect(credentials).toMatchObject({ ak: 'AK1', sk: SK, securityToken: undefined });
    expect(projectId).toBe('proj-1');
  });

  it('reads a security token for temporary keys, and trims values', () => {
    const { credentials } = credentialsFromEnv({
      HUAWEICLOUD_SDK_AK: ' AK1 ',
      HUAWEICLOUD_SDK_SK: SK,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sts',
    });
    expect(credentials).toMatchObject({ ak: 'AK1', securityToken: 'sts' });
  });

  it('falls back to an IAM token; AK/SK wins when both are set', () => {
    expect(credentialsFromEnv({ HUAWEICLOUD_SDK_TOKEN: 'tok' }).credentials).toBeInstanceOf(TokenCredentials);
    const both = credentialsFromEnv({
      HUAWEICLOUD_SDK_TOKEN: 'tok',
      HUAWEICLOUD_SDK_AK: 'AK1',
      HUAWEICLOUD_SDK_SK: SK,
    });
    expect(both.credentials).toBeInstanceOf(AkSkCredentials);
  });

  it.each([
    [{ HUAWEICLOUD_SDK_AK: 'AK1' }, 'HUAWEICLOUD_SDK_SK'],
    [{ HUAWEICLOUD_SDK_SK: SK }, 'HUAWEICLOUD_SDK_AK'],
    [{ HUAWEICLOUD_SDK_AK: 'AK1', HUAWEICLOUD_SDK_SK: '  ' }, 'HUAWEICLOUD_SDK_SK'],
    [{}, 'HUAWEICLOUD_SDK_AK'],
    [{ HUAWEICLOUD_SDK_TOKEN: 't', HUAWEICLOUD_SDK_PROJECT_ID: 'bad/id' }, 'HUAWEICLOUD_SDK_PROJECT_ID'],
  ])('names the variable at fault for %j', (env, field) => {
    let error: unknown;
    try {
      credentialsFromEnv(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ModelArtsCredentialsError);
    expect((error as ModelArtsCredentialsError).field).toBe(field);
    expect((error as Error).message).not.toContain(SK);
  });
});

describe('secret redaction', () => {
  it('AK/SK credentials never print the secret key or security token', () => {
    const credentials = new AkSkCredentials('AK1', SK, 'sts-secret');
    const shown = [
      JSON.stringify(credentials),
      JSON.stringify({ nested: { credentials } }),
      inspect(credentials),
      inspect({ nested: { credentials } }, { depth: 10, showHidden: true }),
      String(credentials),
      `${credentials}`,
    ].join('\n');
    expect(shown).not.toContain(SK);
    expect(shown).not.toContain('sts-secret');
    expect(shown).toContain('AK1');
    expect(Object.keys(credentials)).not.toContain('sk');
  });

  it('token credentials never print the token', () => {
    const credentials = new TokenCredentials('iam-token-secret');
    const shown = [
      JSON.stringify(credentials),
      inspect(credentials, { showHidden: true }),
      String(credentials),
    ].join();
    expect(shown).not.toContain('iam-token-secret');
  });

  it('wraps plain objects and rejects empty values naming the field', () => {
    expect(toCredentials({ ak: 'a', sk: 'b' })).toBeInstanceOf(AkSkCredentials);
    expect(toCredentials({ token: 't' })).toBeInstanceOf(TokenCredentials);
    expect(() => toCredentials({ ak: 'a', sk: '' })).toThrow(/credentials\.sk/);
    expect(() => toCredentials({ token: '' })).toThrow(/credentials\.token/);
  });
});
