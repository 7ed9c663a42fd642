/**
 * A jest test environment (jest's node environment) in which an Error made by Node itself is an
 * `instanceof Error` for the code under test, as it is in a plain Node process.
 *
 * jest runs each test file in a VM context with its own `Error`, while Node's own modules (tls, net,
 * dns) make their errors with the host's. The AWS SDK keeps any `instanceof Error` as it is and
 * wraps anything else in a new Error that keeps only the text: under jest, a refused certificate
 * would reach `toStoreError` without its `code`, unlike in the bundles. Here the context's `Error`
 * also answers true for the host's errors (and only `Error` itself: a subclass such as TypeError
 * keeps its own answer). Used by the suites that read TLS errors in process:
 * `@jest-environment ./test/helpers/host-realm-errors.js` in the file's first comment.
 */
'use strict';
const { TestEnvironment } = require('jest-environment-node');

const HostError = Error;
const ordinary = Function.prototype[Symbol.hasInstance];

class HostRealmErrorsEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const ContextError = this.global.Error;
    Object.defineProperty(ContextError, Symbol.hasInstance, {
      value(v) {
        return ordinary.call(this, v) || (this === ContextError && v instanceof HostError);
      },
    });
  }
}

module.exports = HostRealmErrorsEnvironment;
