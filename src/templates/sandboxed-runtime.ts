/**
 * The runtime compiled templates run with (nunjucks-internals.ts `compileAst` binds it):
 * nunjucks' own, with the four members through which compiled code reaches values
 * replaced by the sandbox of template-sandbox.ts. This is the backstop under the rewrite
 * (rewrite-template-ast.ts positions most reads and calls itself): whatever node the
 * rewrite leaves to nunjucks still reads, resolves names and calls through here.
 */
import type nunjucks from 'nunjucks';
import {
  nunjucksRuntime,
  type NunjucksContext,
  type NunjucksFrame,
  type NunjucksRuntime,
} from './nunjucks-internals.js';
import { checkCallable, readMember, trustFunction, trustResult } from './template-sandbox.js';

/**
 * A variable by name, from the innermost frame out, then the render context, then the
 * environment's globals; own entries only, so a name like `constructor` or `toString`
 * never resolves to something inherited from Object.prototype.
 */
function lookupName(context: NunjucksContext, frame: NunjucksFrame | null, name: string): unknown {
  for (let scope = frame; scope; scope = scope.parent) {
    const value = Object.hasOwn(scope.variables, name) ? scope.variables[name] : undefined;
    if (value !== undefined) return value;
  }
  if (Object.hasOwn(context.ctx, name)) return context.ctx[name];
  return Object.hasOwn(context.env.globals, name) ? context.env.globals[name] : undefined;
}

/** nunjucks' callWrap (same messages for a value that is no function), for trusted functions only. */
function callWrap(callee: unknown, name: string, thisArg: unknown, args: unknown[]): unknown {
  if (!callee) throw new Error(`Unable to call \`${name}\`, which is undefined or falsey`);
  if (typeof callee !== 'function')
    throw new Error(`Unable to call \`${name}\`, which is not a function`);
  checkCallable(callee, `"${name}"`);
  return (callee as (...values: unknown[]) => unknown).apply(thisArg, args);
}

export const SANDBOXED_RUNTIME: Readonly<NunjucksRuntime> = Object.freeze({
  ...nunjucksRuntime,
  memberLookup: (target: unknown, key: unknown) => readMember(target, key),
  contextOrFrameLookup: lookupName,
  callWrap,
  makeMacro: (...args: unknown[]) => trustFunction(nunjucksRuntime.makeMacro(...args)),
});

/** Globals nunjucks adds whose results templates call (`c.next()`, `j()`). */
const RESULT_CALLABLE_GLOBALS = ['cycler', 'joiner'];

/**
 * Make the environment's global functions callable from templates: its own (`range`,
 * `cycler`, `joiner`) and every one added before this call. Call after the last addGlobal.
 */
export function trustEnvironmentGlobals(environment: nunjucks.Environment): void {
  for (const name of RESULT_CALLABLE_GLOBALS) {
    const original = environment.getGlobal(name) as unknown;
    if (typeof original !== 'function') continue;
    const call = original as (...args: unknown[]) => unknown;
    environment.addGlobal(name, (...args: unknown[]) => trustResult(call(...args)));
  }
  const globals = (environment as unknown as { globals: Record<string, unknown> }).globals;
  for (const value of Object.values(globals)) trustFunction(value);
}
