/** Plain data as it comes out of YAML: what merging and substitution operate on. */
export type PlainObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Patch semantics: maps merge key by key, everything else (lists, scalars, null) replaces.
 * `null` replaces too, because `limits: {rpm: null}` must be able to lift a template limit.
 * Never mutates its inputs, so templates can be shared.
 */
export function mergeDeep(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return cloneDeep(base);
  if (!isPlainObject(base) || !isPlainObject(patch)) return cloneDeep(patch);
  const merged: PlainObject = cloneDeep(base) as PlainObject;
  for (const [key, value] of Object.entries(patch)) {
    setOwn(merged, key, Object.hasOwn(merged, key) ? mergeDeep(merged[key], value) : cloneDeep(value));
  }
  return merged;
}

export function cloneDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneDeep);
  if (isPlainObject(value)) {
    const copy: PlainObject = {};
    for (const [key, inner] of Object.entries(value)) setOwn(copy, key, cloneDeep(inner));
    return copy;
  }
  return value;
}

/** A YAML key named `__proto__` must stay a key, never become a prototype. */
export function setOwn(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) freezeDeep(inner);
  }
  return value;
}

/**
 * `models` may be written as a list of names or a map name → settings; downstream sees only the map.
 * A list of anything but names is left alone so the schema reports it at its real path.
 */
export function normalizeModels(models: unknown): unknown {
  if (!Array.isArray(models) || !models.every((entry) => typeof entry === 'string')) return models;
  const map: PlainObject = {};
  for (const name of models) setOwn(map, name, {});
  return map;
}
