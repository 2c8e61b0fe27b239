// Loaded with `node --import` before AWS's runtime interface client starts a function: ES
// module imports of the AWS SDK resolve, as in Lambda's managed runtime, without the function
// vendoring it (CommonJS `require` gets the same through NODE_PATH).
import { register } from 'node:module';

register('./resolve-sdk.mjs', import.meta.url);
