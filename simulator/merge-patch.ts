/** A JSON value as RFC 7396 sees it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON Merge Patch (RFC 7396, section 2). Objects merge key by key, `null` deletes a key, and every other
 * value, arrays included, replaces the target whole: a patch carrying `spec.resources` is the new complete list.
 * Neither argument is modified; the result shares no structure with them.
 */
export function applyMergePatch(target: unknown, patch: unknown): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch as JsonValue);
  const result: JsonObject = isJsonObject(target) ? (cloneJson(target) as JsonObject) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      // defineProperty keeps a "__proto__" key from JSON.parse an own property instead of a prototype swap.
      Object.defineProperty(result, key, {
        value: applyMergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return result;
}

export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
