// Module resolution hook: a bare specifier the function's own folders cannot resolve (its
// vendored node_modules win) is resolved from this runtime's node_modules.
const RUNTIME_PARENT = new URL('./register.mjs', import.meta.url).href;

function isBare(specifier) {
  return !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw error;
    return nextResolve(specifier, { ...context, parentURL: RUNTIME_PARENT });
  }
}
