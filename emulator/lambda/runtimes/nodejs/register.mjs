// Loaded with `node --import` before AWS's runtime interface client starts a function.
import dns from 'node:dns';
import { register } from 'node:module';

// ES module imports of the AWS SDK resolve, as in Lambda's managed runtime, without the
// function vendoring it (CommonJS `require` gets the same through NODE_PATH).
register('./resolve-sdk.mjs', import.meta.url);

// A function that builds `https://{apiId}.execute-api.{region}.amazonaws.com/…` itself cannot
// reach the local gateway (that host is AWS's): say so once per host, naming the function.
const EXECUTE_API = /^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com$/;
const reported = new Set();
const lookup = dns.lookup;
dns.lookup = function lookupReportingExecuteApi(hostname, ...rest) {
  if (EXECUTE_API.test(hostname) && !reported.has(hostname)) {
    reported.add(hostname);
    console.error(
      `wsflow dev: function ${process.env.AWS_LAMBDA_FUNCTION_NAME} tried https://${hostname}, ` +
        'which local mode cannot serve: take the @connections URL from a template variable ' +
        '(local mode points those at the local gateway) instead of building it from the event',
    );
  }
  return lookup.call(this, hostname, ...rest);
};
