import { QuantgateError } from '../core/errors.ts';
import { PLUGIN_FIELDS, PLUGIN_HOOKS } from './plugin.ts';
import type { HostedPlugin } from './plugin.ts';

/** Names a host would read as a hook: `onX`, `beforeX`, `afterX`. */
const HOOK_LIKE = /^(on|before|after)[A-Z]/;

/** Every property name of `o` and its prototypes (class methods included), up to Object's. */
function memberNames(o: object): string[] {
  const names = new Set<string>();
  for (
    let p: object | null = o;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p) as object | null
  )
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') names.add(k);
  return [...names];
}

/**
 * Checks a plugin object against the contract before a host uses it (Fastify's `supportedHooks`
 * idea): `name` and `onCandle` present, every declared hook it has is a function, and no member
 * that looks like a hook (`onX`, `beforeX`, `afterX`) outside the declared list — a misspelt or
 * invented hook would otherwise be silently never called. Throws PLUGIN_INVALID naming the member.
 */
export function checkPlugin<P extends HostedPlugin>(plugin: P, host: string): P {
  const where = (what: string): string => `${host}: plugin ${JSON.stringify(plugin?.name ?? '?')}: ${what}`;
  if (typeof plugin !== 'object' || plugin === null)
    throw new QuantgateError('PLUGIN_INVALID', `${host}: the plugin is not an object`);
  if (typeof plugin.name !== 'string' || plugin.name === '')
    throw new QuantgateError('PLUGIN_INVALID', where('field name must be a non-empty string'), {
      field: 'name',
    });
  const hooks: readonly string[] = PLUGIN_HOOKS;
  const fields: readonly string[] = PLUGIN_FIELDS;
  const record = plugin as unknown as Record<string, unknown>;
  for (const k of memberNames(plugin)) {
    if (hooks.includes(k)) {
      if (record[k] !== undefined && typeof record[k] !== 'function')
        throw new QuantgateError('PLUGIN_INVALID', where(`hook ${k} must be a function`), { hook: k });
    } else if (!fields.includes(k) && HOOK_LIKE.test(k))
      throw new QuantgateError(
        'PLUGIN_INVALID',
        where(`unknown hook ${k} (the contract's hooks: ${PLUGIN_HOOKS.join(', ')})`),
        { hook: k },
      );
  }
  if (typeof plugin.onCandle !== 'function')
    throw new QuantgateError('PLUGIN_INVALID', where('hook onCandle is required'), { hook: 'onCandle' });
  return plugin;
}
